"""The outbox: planned writes stored with the state that caused them, drained in batches.

Rows are written in the transaction that stores the new canonical state, so a crash between
planning and applying loses nothing. Draining a batch takes three steps, and no database
transaction is open while the CRM is being called (on SQLite that would hold the write lock
for as long as a slow CRM takes, and stop `status` and the scheduler):

1. claim: the rows become `sending` (committed). What a `sending` row holds is what leadsync
   has told, or may have told, the CRM: pulled back, those values are recognised as leadsync's
   own (`known_writes`), whether or not the answer was ever recorded.
2. send: the connector writes the batch.
3. settle: each row becomes `done` (echoes and snapshots updated, created records linked),
   `pending` again (a retryable failure) or `failed` (in the error queue).

A crash between 1 and 3 leaves rows `sending`; the next drain sends them again. Updates set
values, so that is harmless; creates carry the person's uid as External ID, and the connector
upserts by it, so a resent create updates the record the first one made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Change, Connector, WriteResult
from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import RecordKind
from leadsync.sync import audit
from leadsync.sync.bulk import among, update_by_id, upsert
from leadsync.sync.errorq import Retry, quarantine, resolve
from leadsync.sync.schema import EchoRow, LinkRow, OutboxRow, PersonRow

PENDING, SENDING, DONE, FAILED, MERGED = "pending", "sending", "done", "failed", "merged"
DISCARDED = "discarded"
DUE = (PENDING, SENDING)
_WINDOW = 5_000  # people whose due rows are read at once (see `Applier._batches`)


@dataclass
class ApplyCounts:
    calls_batches: int = 0
    done: int = 0
    failed: int = 0
    retrying: int = 0
    by_system: dict[str, int] = field(default_factory=dict)


def pending_rows(
    session: Session, system: str | None = None, person_ids: Sequence[int | None] | None = None
) -> list[OutboxRow]:
    """Rows still to send (planned, or sent without a recorded answer), oldest first; of
    `person_ids` when given (None among them: rows of no person)."""
    query = select(OutboxRow).where(OutboxRow.state.in_(DUE)).order_by(OutboxRow.id)
    if system is not None:
        query = query.where(OutboxRow.system == system)
    if person_ids is not None:
        owned = OutboxRow.person_id.in_([i for i in person_ids if i is not None])
        query = query.where(or_(owned, OutboxRow.person_id.is_(None)) if None in person_ids
                            else owned)  # fmt: skip
    return list(session.scalars(query))


def queued(session: Session) -> list[tuple[str | None, OutboxRow]]:
    """Due rows with their person's email, oldest first (what `apply` sends besides new plans)."""
    query = (
        select(PersonRow.email, OutboxRow)
        .outerjoin(PersonRow, PersonRow.id == OutboxRow.person_id)
        .where(OutboxRow.state.in_(DUE))
        .order_by(OutboxRow.id)
    )
    return [(email, row) for email, row in session.execute(query)]


def discard(session: Session, *, actor: str, why: str, now: datetime) -> int:
    """Drop the pending rows (never those sent without an answer: they must be resent)."""
    rows = list(session.scalars(select(OutboxRow).where(OutboxRow.state == PENDING)))
    for row in rows:
        row.state, row.updated_at = DISCARDED, now
    if rows:
        audit.record(
            session, at=now, actor=actor, action="plan.discard", target=f"{len(rows)} writes",
            before={"outbox_ids": [row.id for row in rows]}, after=None, why=why,
        )  # fmt: skip
    return len(rows)


def echo_text(value: Any) -> str | None:
    """How a written value is remembered, to compare with what a pull brings back."""
    return None if value is None else str(value)


def known_writes(session: Session, record_ids: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """Per record, what leadsync last wrote or is writing to each property.

    Recorded echoes, overlaid with rows in flight: a crash after the CRM took a write but
    before its answer was recorded must not make leadsync take its own value for news.
    """
    known: dict[str, dict[str, str | None]] = {}
    if not record_ids:
        return known
    ids = list(record_ids)
    # Plain rows, not `EchoRow` objects: a record holds one per property leadsync writes, and
    # a rescore reads them all; as ORM objects they were a third of its reading.
    echoes = select(EchoRow.record_id, EchoRow.prop, EchoRow.value)
    for record_id, prop, value in session.execute(
        echoes.where(among(session, EchoRow.record_id, ids))
    ):
        known.setdefault(record_id, {})[prop] = value
    sending = select(OutboxRow).where(
        OutboxRow.state == SENDING, among(session, OutboxRow.record_id, ids)
    )
    for row in session.scalars(sending.order_by(OutboxRow.id)):
        props = known.setdefault(row.record_id, {})
        props.update({prop: echo_text(value) for prop, value in row.properties.items()})
    return known


def adopt_created(session: Session, kind: RecordKind, linked: Mapping[str, int]) -> None:
    """Records of `kind` just linked (record id -> person) may be ones leadsync created, their
    answers lost: address each person's unanswered create to that record, so its values count
    as echoes and a resend updates it. One query for a whole page."""
    if not linked:
        return
    system, obj = catalog().object_of(kind)
    record_of = {person_id: record_id for record_id, person_id in linked.items()}
    rows = session.scalars(
        select(OutboxRow).where(
            OutboxRow.person_id.in_(list(record_of)), OutboxRow.system == system,
            OutboxRow.obj == obj, OutboxRow.record_id.is_(None), OutboxRow.state.in_(DUE),
        )
    )  # fmt: skip
    for row in rows:
        row.record_id = record_of[row.person_id]


def create_label(system: str, obj: str, email: str | None) -> str:
    """The error-queue name of a create: one per person, never shared."""
    return f"{system} {obj} (new, for {email or 'a person without email'})"


def _recheck_create(session: Session, row: OutboxRow) -> None:
    kind = catalog().kind_of(row.system, row.obj)  # the link a created record becomes
    if row.record_id is not None or kind is None or row.person_id is None:
        return
    link = session.scalars(
        select(LinkRow).where(LinkRow.person_id == row.person_id, LinkRow.kind == kind)
    ).first()
    if link is not None:
        row.record_id = link.record_id


def _fold_unanswered(session: Session, rows: list[OutboxRow]) -> None:
    """A record gets one row per batch: a later plan absorbs an unanswered earlier send."""
    latest: dict[tuple[Any, ...], OutboxRow] = {}
    for row in sorted(rows, key=lambda r: r.id, reverse=True):
        key = (row.person_id, row.system, row.obj, row.record_id)
        newer = latest.setdefault(key, row)
        if newer is row:
            continue
        newer.properties = {**row.properties, **newer.properties}
        newer.clear_first = sorted(set(newer.clear_first) | set(row.clear_first))
        row.state = MERGED


class Applier:
    """Drains the outbox of one system through its connector."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_attempts: int,
        run_id: int | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts
        self.run_id = run_id
        self.clock = clock
        self.counts = ApplyCounts()

    def drain(
        self,
        system: str,
        connector: Connector,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
        person_ids: list[int] | None = None,
    ) -> None:
        """Send every due row (of `person_ids`, when given); `QuotaExhausted`/`AuthError` stop
        it with rows still due."""
        for chunk in self._batches(system, connector.batch_limit, person_ids):
            changes = self._claim(chunk)
            results = connector.write(changes)
            self._settle(system, chunk, results)
            self.counts.calls_batches += 1
            if progress:
                progress(len(chunk))
            if stop is not None and stop.is_set():
                return

    def _batches(self, system: str, size: int, person_ids: list[int] | None) -> list[list[int]]:
        """The due rows' ids in batches, in the order they were planned. Read a window of
        people at a time: every row of a person (all a fold looks at) is in one window, and the
        first write-back's 100,000 rows as objects at once were its peak memory."""
        ids: list[tuple[int, tuple[str, bool, bool]]] = []
        for window in self._windows(system, person_ids):
            with self.sessions.begin() as session:
                rows = pending_rows(session, system, window)
                for row in rows:
                    _recheck_create(session, row)
                _fold_unanswered(session, rows)
                ids += [(row.id, _batch_kind(row)) for row in rows if row.state != MERGED]
        ids.sort(key=lambda pair: pair[0])
        return list(_id_chunks(ids, size))

    def _windows(self, system: str, person_ids: list[int] | None) -> Iterator[list[int | None]]:
        if person_ids is None:
            with self.sessions() as session:
                person_ids = list(session.scalars(
                    select(OutboxRow.person_id).distinct()
                    .where(OutboxRow.state.in_(DUE), OutboxRow.system == system)
                    .order_by(OutboxRow.person_id)
                ))  # fmt: skip
        for start in range(0, len(person_ids), _WINDOW):
            yield person_ids[start : start + _WINDOW]

    def _claim(self, chunk: list[int]) -> list[Change]:
        """Mark the batch as sent before sending it (see the module docstring)."""
        with self.sessions.begin() as session:
            rows = _rows(session, chunk)
            uids = _uids(session, [row.person_id for row in rows if row.record_id is None])
            now = self.clock()
            for row in rows:
                row.state, row.attempts, row.updated_at = SENDING, row.attempts + 1, now
            return [_change(row, uids.get(row.person_id)) for row in rows]

    def _settle(self, system: str, chunk: list[int], results: list[WriteResult]) -> None:
        now = self.clock()
        by_key = {result.key: result for result in results}
        with self.sessions.begin() as session:
            rows = _rows(session, chunk)
            succeeded: list[tuple[OutboxRow, WriteResult]] = []
            for row in rows:
                result = by_key.get(str(row.id)) or WriteResult(
                    str(row.id), False, reason="the connector returned no result", retryable=True
                )
                row.updated_at = now
                if result.ok:
                    succeeded.append((row, result))
                else:
                    self._failed(session, row, result, now)
            self._succeeded(session, succeeded, now)

    def _succeeded(
        self, session: Session, done: list[tuple[OutboxRow, WriteResult]], now: datetime
    ) -> None:
        """Mark rows done, remember what was written (echoes), update the held snapshots."""
        if not done:
            return
        system = done[0][0].system
        labels: list[str] = []
        written: dict[str, dict[str, Any]] = {}
        for row, result in done:
            row.state, row.last_error = DONE, None
            if row.record_id is None:
                labels.append(create_label(row.system, row.obj, _email(session, row.person_id)))
                row.record_id = result.record_id
                self._link_created(session, row)
            written[row.record_id] = dict(result.written) or dict(row.properties)
            labels.append(f"{row.system} {row.obj} {row.record_id}")
        _remember(session, system, written, now)
        _hold(session, written)
        resolve(session, system=system, stage="apply", records=labels, now=now)
        self.counts.done += len(done)
        self.counts.by_system[system] = self.counts.by_system.get(system, 0) + len(done)

    def _link_created(self, session: Session, row: OutboxRow) -> None:
        kind = catalog().kind_of(row.system, row.obj)  # the link a created record becomes
        if kind is None or row.person_id is None or row.record_id is None:
            return
        exists = session.scalars(
            select(LinkRow).where(LinkRow.kind == kind, LinkRow.record_id == row.record_id)
        ).first()
        if exists is None:
            session.add(LinkRow(person_id=row.person_id, kind=kind,
                                record_id=row.record_id, snapshot=dict(row.properties)))  # fmt: skip

    def _failed(self, session: Session, row: OutboxRow, result: WriteResult, now: datetime) -> None:
        row.last_error = f"{result.code}: {result.reason}".strip(": ")
        if result.retryable and row.attempts < self.max_attempts:
            row.state = PENDING
            self.counts.retrying += 1
            return
        row.state = FAILED
        self.counts.failed += 1
        label = (
            f"{row.system} {row.obj} {row.record_id}"
            if row.record_id
            else create_label(row.system, row.obj, _email(session, row.person_id))
        )
        quarantine(
            session, run_id=self.run_id, system=row.system, stage="apply", record=label,
            code=result.code or "REJECTED", message=result.reason or "rejected",
            retry=Retry.AUTO if result.retryable else Retry.FIX, now=now,
            payload={"outbox_id": row.id, "properties": _plain(row.properties)},
            person_id=row.person_id,
        )  # fmt: skip


def _rows(session: Session, ids: list[int]) -> list[OutboxRow]:
    found = {
        row.id: row
        for row in session.scalars(select(OutboxRow).where(among(session, OutboxRow.id, ids)))
    }
    return [found[row_id] for row_id in ids]


def _uids(session: Session, person_ids: list[int | None]) -> dict[int, str]:
    wanted = [pid for pid in person_ids if pid is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(PersonRow.id, PersonRow.uid).where(among(session, PersonRow.id, wanted))
    )
    return {person_id: uid for person_id, uid in rows}


def _email(session: Session, person_id: int | None) -> str | None:
    return None if person_id is None else session.get(PersonRow, person_id).email


def _change(row: OutboxRow, uid: str | None) -> Change:
    return Change(str(row.id), row.obj, row.record_id, dict(row.properties),
                  tuple(row.clear_first), external_id=uid if row.record_id is None else None)  # fmt: skip


def _remember(
    session: Session, system: str, written: Mapping[str, Mapping[str, Any]], now: datetime
) -> None:
    """One upsert: the properties written now replace their echoes; others' still hold."""
    rows = [
        {"system": system, "record_id": record_id, "prop": prop, "value": echo_text(value),
         "written_at": now}
        for record_id, props in written.items() for prop, value in props.items()
    ]  # fmt: skip
    upsert(session, EchoRow.__table__, rows, ["system", "record_id", "prop"])


def _hold(session: Session, written: Mapping[str, Mapping[str, Any]]) -> None:
    """The held snapshots take what the CRM now holds, so the next plan does not write it
    again: one read and one executemany update."""
    rows = session.execute(
        select(LinkRow.id, LinkRow.record_id, LinkRow.snapshot)
        .where(LinkRow.record_id.in_(list(written)))
    )  # fmt: skip
    update_by_id(session, LinkRow, [
        {"id": link_id, "snapshot": {**(snapshot or {}), **written[record_id]}}
        for link_id, record_id, snapshot in rows
    ])  # fmt: skip


def _batch_kind(row: OutboxRow) -> tuple[str, bool, bool]:
    """Rows sent together: same object, create or update, with or without a clear-first.

    A connector pays extra calls per batch for creates (their own request) and clear-first
    moves (clear, then read back); grouping keeps those calls at ceil(n / size), not one per
    batch that happens to hold one. Reordering is safe: a record has one due row.
    """
    return (row.obj, row.record_id is None, bool(row.clear_first))


def _id_chunks(ids: list[tuple[int, tuple[str, bool, bool]]], size: int) -> Iterator[list[int]]:
    by_kind: dict[tuple[str, bool, bool], list[int]] = {}
    for row_id, kind in ids:
        by_kind.setdefault(kind, []).append(row_id)
    for group in by_kind.values():
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in values.items()
    }
