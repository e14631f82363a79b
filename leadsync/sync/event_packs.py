"""Each person's events packed for the scoring kernel: one row per person, not one per event.

A rescore or a preview reads everyone's events; at twenty events a person, fetching and
converting those rows was a third of the work. A pack holds a person's event times and shape
ids as two packed arrays, in event order, so a chunk of 500 people is 500 short rows that
become the kernel's columns with one `numpy.frombuffer` each; the shapes (kind and attributes)
are stored once each in `event_shapes`.

A pack is a cache of the events table, and is trusted only for a person who is not dirty: the
ingest marks a person dirty in the transaction that stores their events, and the decide step
that clears the mark rewrites their pack in its own transaction from the events it read. A
person who is dirty, or has no pack yet (a store upgraded, people seeded), is read from the
events table, as before packs existed. A pack is never replaced by one packed through an older
event, so a slow writer cannot put back what a newer one replaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, delete, select, type_coerce
from sqlalchemy.orm import Session

from leadsync.scoring.columns import EventColumns, Shape, microseconds, positions, shape_of
from leadsync.sync.bulk import insert_new, upsert
from leadsync.sync.reads import among, values
from leadsync.sync.schema import EventPackRow, EventRow, EventShapeRow

_TIME = np.dtype("<i8")
_SHAPE = np.dtype("<i4")
Key = tuple[str, str]  # (kind, attributes as JSON text)
# Shapes parsed once per process, not once per chunk: a page's URL recurs across chunks. By
# content, never by `event_shapes.id`, which means something else in another store.
_parsed = lru_cache(maxsize=100_000)(shape_of)


@dataclass(frozen=True, slots=True)
class Fresh:
    """Events read from the events table, for people whose packs are to be (re)written."""

    people: list[int]  # everyone read, with events or without
    person: np.ndarray  # per event, person id; events sorted by person, then event id
    event_id: np.ndarray
    at: np.ndarray  # microseconds since the epoch
    keys: list[Key]


def read(
    session: Session, ids: Sequence[int], stale: Iterable[int], shapes: Shapes | None = None
) -> tuple[EventColumns, Fresh]:
    """The people's events as columns (people in the order of `ids`): from their packs,
    except for the `stale` people and those without a pack, read from the events table.
    `shapes`: the shapes read by earlier chunks of the same store."""
    ids = list(ids)
    stale = set(stale)
    trusted = [i for i in ids if i not in stale]
    packs = list(values(session, select(
        EventPackRow.person_id, EventPackRow.count, EventPackRow.times, EventPackRow.shapes,
    ).where(among(EventPackRow.person_id, trusted)))) if trusted else []  # fmt: skip
    packed = {row.person_id for row in packs}
    fresh = _events(session, [i for i in ids if i not in packed])
    return _columns(session, ids, packs, fresh, shapes or Shapes()), fresh


def store(session: Session, fresh: Fresh) -> None:
    """(Re)write the packs of everyone `fresh` read: the events it holds are all theirs."""
    if not fresh.people:
        return
    shape_ids = _shape_ids(session, sorted(set(fresh.keys)))
    shapes = np.array([shape_ids[key] for key in fresh.keys], _SHAPE)
    times = fresh.at.astype(_TIME)
    starts = np.searchsorted(fresh.person, fresh.people, side="left")
    ends = np.searchsorted(fresh.person, fresh.people, side="right")
    rows = [
        {"person_id": pid, "count": int(end - start),
         "through": int(fresh.event_id[end - 1]) if end > start else 0,
         "times": times[start:end].tobytes(), "shapes": shapes[start:end].tobytes()}
        for pid, start, end in zip(fresh.people, starts.tolist(), ends.tolist(), strict=True)
    ]  # fmt: skip
    table = EventPackRow.__table__
    upsert(session, table, rows, ["person_id"],
           where=lambda new: table.c.through <= new.through)  # fmt: skip


def pack(session: Session, person_ids: Sequence[int]) -> None:
    """Pack these people's events from the events table (as their next decision would)."""
    store(session, _events(session, list(person_ids)))


def forget(session: Session, person_ids: Sequence[int]) -> None:
    """Drop these people's packs: their events were read without packing them."""
    if person_ids:
        session.execute(delete(EventPackRow).where(EventPackRow.person_id.in_(person_ids)))


def _events(session: Session, ids: list[int]) -> Fresh:
    if not ids:
        return Fresh([], np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), [])
    rows = values(
        session,
        # The time as the driver gives it (SQLite: text; PostgreSQL: aware datetimes) and the
        # attributes as JSON text, as they are stored: each distinct value is parsed once.
        select(EventRow.person_id, EventRow.id, EventRow.kind,
               type_coerce(EventRow.occurred_at, Text), cast(EventRow.attributes, Text))
        .where(among(EventRow.person_id, ids))
        .order_by(EventRow.person_id, EventRow.id),
    ).all()  # fmt: skip
    person, event_id, kinds, at, attributes = zip(*rows, strict=True) if rows else ([],) * 5
    return Fresh(
        ids, np.array(person, np.int64), np.array(event_id, np.int64),
        microseconds(list(at)) if rows else np.empty(0, np.int64),
        # (SQL NULL attributes, which leadsync never writes, read as JSON null: none.)
        [(kind, text or "null") for kind, text in zip(kinds, attributes, strict=True)],
    )  # fmt: skip


def _columns(
    session: Session, ids: list[int], packs: list[Any], fresh: Fresh, known: Shapes
) -> EventColumns:  # fmt: skip
    """Packed and fresh events as one set of columns, with one table of distinct shapes."""
    table: dict[Key, int] = {}
    shapes: list[Shape] = []

    def code(key: Key, shape: Shape | None = None) -> int:
        found = table.get(key)
        if found is None:
            found = table[key] = len(shapes)
            shapes.append(shape or _parsed(*key))
        return found

    fresh_codes = [code(key) for key in fresh.keys]
    counts = np.array([row.count for row in packs], np.int64)
    packed_ids = np.repeat(np.array([row.person_id for row in packs], np.int64), counts)
    packed_at = np.frombuffer(b"".join(row.times for row in packs), _TIME).astype(np.int64)
    stored = np.frombuffer(b"".join(row.shapes for row in packs), _SHAPE)
    distinct, where = np.unique(stored, return_inverse=True)
    lookup = [code(key, shape) for key, shape in known.of(session, distinct.tolist())]
    person = np.concatenate([fresh.person, packed_ids])
    return EventColumns(
        positions(np.asarray(ids, np.int64), person), np.concatenate([fresh.at, packed_at]),
        np.concatenate([np.array(fresh_codes, np.int32),
                        np.array(lookup, np.int32)[where.reshape(-1)]]).astype(np.int32),
        tuple(shapes),
    )  # fmt: skip


class Shapes:
    """The `event_shapes` rows read so far, by id: a rescore reads each shape once, not once
    per chunk (a page's URL recurs across chunks). For one store: ids differ between stores."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Key, Shape]] = {}

    def of(self, session: Session, shape_ids: list[int]) -> list[tuple[Key, Shape]]:
        """Each id's key and shape, reading those not read yet in one query."""
        missing = [i for i in shape_ids if i not in self._by_id]
        if missing:
            rows = values(session, select(EventShapeRow.id, EventShapeRow.kind,
                                          EventShapeRow.attributes)
                          .where(among(EventShapeRow.id, missing)))  # fmt: skip
            for row in rows:
                key = (row.kind, row.attributes)
                self._by_id[row.id] = (key, _parsed(*key))
        return [self._by_id[i] for i in shape_ids]


def _shape_ids(session: Session, keys: list[Key]) -> dict[Key, int]:
    """The `event_shapes` id of each key, storing the keys not stored yet."""
    if not keys:
        return {}
    digests = {_digest(key): key for key in keys}
    insert_new(session, EventShapeRow.__table__, [
        {"digest": digest, "kind": kind, "attributes": text}
        for digest, (kind, text) in digests.items()
    ], ["digest"])  # fmt: skip
    rows = values(session, select(EventShapeRow.id, EventShapeRow.digest)
                  .where(EventShapeRow.digest.in_(list(digests))))  # fmt: skip
    return {digests[row.digest]: row.id for row in rows}


def _digest(key: Key) -> str:
    kind, text = key
    return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()
