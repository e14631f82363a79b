"""Scoring's input as columns: a chunk of people's fields and their events, as arrays.

The store hands over a chunk of people in one query and their events in another; building
these takes one pass over the rows. Values that recur (an industry, a title, a URL, a form)
are kept once, as a table of distinct values and a code per person or event, so the kernel
tests each distinct value once and gathers the results for everyone.

Times are whole microseconds since the epoch (UTC), as the store keeps them, so an event's
age is exact and compares with rule windows exactly as `datetime` arithmetic does.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import numpy as np

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring.engine import field_value

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Values of these classes are kept once per distinct value. `1 == 1.0` merges an int with
# its float, which every condition treats alike; `True == 1` would not be harmless, so a
# column holding anything else keeps those values apart (see `Values.of`).
_PLAIN = frozenset({str, int, float, type(None)})

Shape = tuple[EventKind, Mapping[str, Any]]
_NONE: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Values:
    """One field for a chunk of people: person `i` holds `distinct[codes[i]]`."""

    codes: np.ndarray  # int32
    distinct: tuple[Any, ...]

    @classmethod
    def of(cls, values: Sequence[Any]) -> Values:
        if set(map(type, values)) <= _PLAIN:
            table: dict[Any, int] = {}
            return cls(_codes(table, values), tuple(table))
        return cls._apart(values)

    @classmethod
    def _apart(cls, values: Sequence[Any]) -> Values:
        """Plain values once each; anything else (True, a list) as a value of its own."""
        table: dict[Any, int] = {}
        distinct: list[Any] = []
        codes = []
        for v in values:
            code = table.get(v) if v.__class__ in _PLAIN else None
            if code is None:
                code = len(distinct)
                distinct.append(v)
                if v.__class__ in _PLAIN:
                    table[v] = code
            codes.append(code)
        return cls(np.array(codes, np.int32), tuple(distinct))

    def __getitem__(self, i: int) -> Any:
        return self.distinct[self.codes[i]]


@dataclass(frozen=True, slots=True)
class PeopleColumns:
    """A chunk of people: for each field the fit rules read, its value per person.

    `email_domain` already falls back to the email's domain, as the engine does.
    """

    size: int
    fields: Mapping[str, Values]

    @classmethod
    def from_columns(
        cls,
        values: Mapping[str, Sequence[Any]],
        emails: Sequence[str | None],
    ) -> PeopleColumns:
        """From one sequence per field (e.g. one SQL result column each) and the emails."""
        size = len(emails)
        columns = {}
        for name, column in values.items():
            if len(column) != size:
                raise ValueError(f"{name!r} has {len(column)} values for {size} people")
            columns[name] = Values.of(_with_fallback(name, column, emails))
        return cls(size, MappingProxyType(columns))

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[str | None, Mapping[str, Any]]], fields: Iterable[str]
    ) -> PeopleColumns:
        """From (email, canonical fields) pairs: what `PersonRow` holds in `email`, `fields`."""
        rows = list(rows)
        emails = [email for email, _ in rows]
        values = {name: [(f or _NONE).get(name) for _, f in rows] for name in fields}
        return cls.from_columns(values, emails)

    @classmethod
    def from_persons(cls, persons: Iterable[Person], fields: Iterable[str]) -> PeopleColumns:
        return cls.from_rows(((p.email, p.fields) for p in persons), fields)


def _codes(table: dict[Any, int], values: Iterable[Any]) -> np.ndarray:
    """Each value's index in `table`, adding the values it lacks in order of first sight."""
    add, size = table.setdefault, table.__len__  # bound once: this runs for every value
    return np.array([add(v, size()) for v in values], np.int32)


def _with_fallback(name: str, column: Sequence[Any], emails: Sequence[str | None]) -> list[Any]:
    # Only a field with a fallback (email_domain) pays for a call per person.
    if field_value(None, "someone@example.com", name) is None:
        return list(column)
    return [field_value(v, e, name) for v, e in zip(column, emails, strict=True)]


@dataclass(frozen=True, slots=True)
class EventColumns:
    """A chunk's events: whose (`person`, an index into the people columns), when (`at`,
    microseconds since the epoch) and what (`shape`, an index into the distinct `shapes`).

    Rows of one person keep their given order: it decides which of two equally recent
    events an explanation names, as the order of the engine's event list does.
    """

    person: np.ndarray  # int64
    at: np.ndarray  # int64
    shape: np.ndarray  # int32
    shapes: tuple[Shape, ...]

    @classmethod
    def from_columns(
        cls,
        person: Sequence[int] | np.ndarray,
        kind: Sequence[str],
        occurred_at: Sequence[Any] | np.ndarray,
        attributes: Sequence[Mapping[str, Any] | str | None],
    ) -> EventColumns:
        """From SQL result columns: person (an index into the people columns; see
        `positions` for person ids), kind, occurred_at (see `microseconds`) and attributes as
        mappings or as JSON text (text is parsed once per distinct value)."""
        shape, shapes = _shapes(kind, attributes)
        return cls(np.asarray(person, np.int64), microseconds(occurred_at), shape, shapes)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[int, str, Any, Mapping[str, Any] | str | None]],
    ) -> EventColumns:
        """From (person, kind, occurred_at, attributes) rows; see `from_columns`."""
        rows = rows if isinstance(rows, list) else list(rows)
        return cls.from_columns(
            np.fromiter(map(itemgetter(0), rows), np.int64, len(rows)),
            list(map(itemgetter(1), rows)), list(map(itemgetter(2), rows)),
            list(map(itemgetter(3), rows)),
        )  # fmt: skip

    @classmethod
    def from_events(cls, events: Iterable[Iterable[EngagementEvent]]) -> EventColumns:
        """From each person's events, people in the order of the people columns."""
        return cls.from_rows(
            (i, e.kind, e.occurred_at, e.attributes) for i, did in enumerate(events) for e in did
        )


def positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of `wanted` is in `ids`; raises `ValueError` for one that is not there."""
    found = wanted
    if ids.size:
        order = np.argsort(ids, kind="stable")
        found = order[np.searchsorted(ids, wanted, sorter=order).clip(max=ids.size - 1)]
    missing = wanted[ids[found] != wanted] if ids.size else wanted
    if missing.size:
        raise ValueError(f"events of people outside the chunk, e.g. id {missing[0]}")
    return found


def _shapes(
    kinds: Sequence[str], attributes: Sequence[Mapping[str, Any] | str | None]
) -> tuple[np.ndarray, tuple[Shape, ...]]:
    """A code per event and the distinct (kind, attributes) they index."""
    table: dict[tuple[str, Any], int] = {}
    try:  # JSON text, as the store holds it, is a key as it is
        codes = _codes(table, zip(kinds, attributes, strict=True))
    except TypeError:  # mappings are not
        table.clear()
        codes = _codes(table, zip(kinds, map(_hashable, attributes), strict=True))
    return codes, tuple(shape_of(k, a) for k, a in table)


def shape_of(kind: str, attributes: Any) -> Shape:
    """An event's shape from its kind and its attributes as JSON text (or None)."""
    return EventKind(kind), _attributes(attributes)


def _hashable(attributes: Mapping[str, Any] | str | None) -> Any:
    if attributes is None or attributes.__class__ is str:
        return attributes
    return ("items", *attributes.items())  # a tuple never equals JSON text


def _attributes(key: Any) -> Mapping[str, Any]:
    if key is None:
        return MappingProxyType({})
    if key.__class__ is str:
        return MappingProxyType(json.loads(key) or {})
    return MappingProxyType(dict(key[1:]))


def microseconds(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Microseconds since the epoch, exactly, from aware datetimes, `datetime64` values,
    ISO text in UTC (SQLite's), or seconds since the epoch as numbers (float seconds are
    exact to the microsecond until 2106)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in _CONVERT:
        return _CONVERT[values.dtype.kind](values)
    values = values.tolist() if isinstance(values, np.ndarray) else values
    first = next((v for v in values if v is not None), None)
    if isinstance(first, datetime):
        return np.array([_since_epoch(v) for v in values], np.int64)
    if isinstance(first, str):
        return _from_text(values)
    array = np.array(values, None if len(values) else float)
    if array.dtype.kind not in _CONVERT:
        raise TypeError(f"cannot read times from {first!r}")
    return _CONVERT[array.dtype.kind](array)


def _from_text(values: Sequence[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns of, and drops, a zone offset
        try:
            return np.array(values, "datetime64[us]").astype(np.int64)
        except (UserWarning, DeprecationWarning):
            pass
    return np.array([_since_epoch(_aware(datetime.fromisoformat(v))) for v in values], np.int64)


def _aware(at: datetime) -> datetime:
    """Text without a zone is UTC, as the store writes it."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _since_epoch(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: scoring compares aware times only")
    return (at - EPOCH) // _MICROSECOND


_CONVERT: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "M": lambda a: a.astype("datetime64[us]").astype(np.int64),
    "f": lambda a: np.rint(a * 1e6).astype(np.int64),
    "i": lambda a: a.astype(np.int64) * 1_000_000,
    "u": lambda a: a.astype(np.int64) * 1_000_000,
}


def to_datetime(us: int) -> datetime:
    """The aware UTC datetime of microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=int(us))
