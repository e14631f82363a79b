"""Running a parsed SOQL query over stored records: filter, order, slice, project, page.

A query is evaluated once; its matching records (immutable snapshots) are kept under a query
locator so `nextRecordsUrl` pages never re-run it and always see the data as of the query.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadsync.sandbox.salesforce.errors import ApiError
from leadsync.sandbox.salesforce.schema import sobject_of_id
from leadsync.sandbox.salesforce.soql import (
    Compare,
    Condition,
    FieldPath,
    InList,
    Like,
    Logical,
    Query,
)
from leadsync.sandbox.salesforce.soql_literals import DateRange
from leadsync.sandbox.salesforce.values import TEXT_TYPES

Record = dict[str, Any]
# A record id (of any sObject, told by its key prefix) -> the stored record or None.
Lookup = Callable[[Any], Record | None]
Predicate = Callable[[Record], bool]

CURSOR_IDLE = timedelta(minutes=15)


def value_getter(path: FieldPath, lookup: Lookup, *, folded: bool) -> Callable[[Record], Any]:
    """Read `path` from a record; `folded` lower-cases text, as SOQL compares and sorts it."""
    name = path.field.name
    fold = folded and path.field.type in TEXT_TYPES
    if path.relationship is None:
        if fold:
            return lambda rec: _lower(rec.get(name))
        return lambda rec: rec.get(name)
    via = path.relationship.name

    def through_parent(rec: Record) -> Any:
        parent = lookup(rec.get(via))
        value = parent.get(name) if parent else None
        return _lower(value) if fold else value

    return through_parent


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def compile_where(cond: Condition, lookup: Lookup, now: datetime) -> Predicate:
    if isinstance(cond, Logical):
        parts = [compile_where(c, lookup, now) for c in cond.items]
        if cond.op == "NOT":
            return lambda rec: not parts[0](rec)
        if cond.op == "AND":
            return lambda rec: all(p(rec) for p in parts)
        return lambda rec: any(p(rec) for p in parts)
    get = value_getter(cond.path, lookup, folded=True)
    if isinstance(cond, Like):
        matcher = like_regex(cond.pattern).fullmatch
        return lambda rec: (v := get(rec)) is not None and matcher(str(v)) is not None
    if isinstance(cond, InList):
        members = frozenset(cond.values)
        if cond.negate:
            return lambda rec: get(rec) not in members
        return lambda rec: get(rec) in members
    return _compare(cond, get, now)


def _compare(cond: Compare, get: Callable[[Record], Any], now: datetime) -> Predicate:
    op, value = cond.op, cond.value
    if isinstance(value, DateRange):
        start, end = value.bounds(now, cond.path.field.type)
        return _in_range(op, get, start, end)
    if value is None:
        if op in ("=", "!="):
            return (
                (lambda rec: get(rec) is None) if op == "=" else (lambda rec: get(rec) is not None)
            )
        return lambda rec: False
    if op == "=":
        return lambda rec: get(rec) == value
    if op == "!=":
        # SOQL's != keeps rows whose field is null, unlike SQL.
        return lambda rec: get(rec) != value
    ordered = _ORDERED[op]
    return lambda rec: (v := get(rec)) is not None and ordered(v, value)


_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _in_range(op: str, get: Callable[[Record], Any], start: str, end: str) -> Predicate:
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: start <= v < end,
        "!=": lambda v: not start <= v < end,
        "<": lambda v: v < start,
        "<=": lambda v: v < end,
        ">": lambda v: v >= end,
        ">=": lambda v: v >= start,
    }
    test = tests[op]
    return lambda rec: (v := get(rec)) is not None and test(v)


def like_regex(pattern: str) -> re.Pattern[str]:
    """SOQL LIKE: % any run, _ one character, \\% and \\_ literal; case-insensitive."""
    parts = re.split(r"(\\[%_]|[%_])", pattern)
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(wildcards.get(p) or re.escape(p.removeprefix("\\")) for p in parts)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def run(query: Query, records: Iterable[Record], lookup: Lookup, now: datetime) -> list[Record]:
    """The matching records, ordered and sliced by OFFSET and LIMIT."""
    rows = list(records)
    if query.where is not None:
        keep = compile_where(query.where, lookup, now)
        rows = [rec for rec in rows if keep(rec)]
    for order in reversed(query.order):
        get = value_getter(order.path, lookup, folded=True)
        null_rank = 1 if order.nulls_last != order.descending else 0
        rows.sort(key=_order_key(get, null_rank), reverse=order.descending)
    start = query.offset or 0
    end = None if query.limit is None else start + query.limit
    return rows[start:end]


def _order_key(get: Callable[[Record], Any], null_rank: int) -> Callable[[Record], tuple]:
    """Nulls share one rank so they sort as a block before or after every value."""

    def key(rec: Record) -> tuple[int, Any]:
        value = get(rec)
        return (null_rank, None) if value is None else (1 - null_rank, value)

    return key


def projector(query: Query, version: str, lookup: Lookup) -> Callable[[Record], Record]:
    """Build each result row: `attributes`, then the selected fields in SELECT order."""
    name = query.sobject.name
    plan = [(p, value_getter(p, lookup, folded=False)) for p in query.fields]

    def project(rec: Record) -> Record:
        row: Record = {"attributes": _attributes(name, rec.get("Id"), version)}
        for path, get in plan:
            if path.relationship is None:
                row[path.field.name] = get(rec)
            else:
                _nest(row, path, lookup(rec.get(path.relationship.name)), version)
        return row

    return project


def _nest(row: Record, path: FieldPath, parent: Record | None, version: str) -> None:
    assert path.relationship is not None
    key = path.relationship.relationship or path.relationship.name
    if parent is None:
        row[key] = None
        return
    parent_type = sobject_of_id(parent["Id"]) or ""
    nested = row.get(key) or {"attributes": _attributes(parent_type, parent["Id"], version)}
    nested[path.field.name] = parent.get(path.field.name)
    row[key] = nested


def _attributes(sobject: str, record_id: Any, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


@dataclass
class Cursor:
    """An open query locator: the snapshot of matching rows and how to render them."""

    locator: str
    rows: list[Record]
    project: Callable[[Record], Record]
    batch_size: int
    last_used: datetime


class Cursors:
    """Open query locators, oldest dropped first beyond `limit` (Salesforce keeps 10)."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, Cursor] = OrderedDict()

    def open(self, cursor: Cursor, limit: int) -> None:
        self._open[cursor.locator] = cursor
        while len(self._open) > limit:
            self._open.popitem(last=False)

    def take(self, locator: str, now: datetime) -> Cursor:
        cursor = self._open.get(locator)
        if cursor is None or now - cursor.last_used > CURSOR_IDLE:
            self._open.pop(locator, None)
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        cursor.last_used = now
        self._open.move_to_end(locator)
        return cursor

    def close(self, locator: str) -> None:
        self._open.pop(locator, None)

    def clear(self) -> None:
        self._open.clear()


def page(cursor: Cursor, offset: int, batch_size: int, version: str) -> dict[str, Any]:
    """One REST query page starting at `offset`; `nextRecordsUrl` is a relative path."""
    chunk = cursor.rows[offset : offset + batch_size]
    end = offset + len(chunk)
    body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{end}"
    body["records"] = [cursor.project(rec) for rec in chunk]
    return body
