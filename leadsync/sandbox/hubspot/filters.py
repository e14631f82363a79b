"""Filter semantics of CRM search: typed comparisons and the operators HubSpot documents.

Dates compare as epoch ms (ISO accepted), numbers as numbers, strings case-insensitively;
a missing value matches only NEQ, NOT_IN, NOT_HAS_PROPERTY and NOT_CONTAINS_TOKEN.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadsync.sandbox.hubspot.properties import PropertyRegistry
from leadsync.sandbox.hubspot.responses import parse_time_ms, validation_error
from leadsync.sandbox.hubspot.store import ObjectStore, Record

TEXT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "phone",
    "company",
    "website",
    "name",
    "domain",
)
Value = float | int | str


@dataclass(frozen=True)
class Filter:
    name: str
    operator: str
    value: Any = None
    high: Any = None
    values: tuple[Any, ...] = ()


class Typer:
    """Typed property values of records: ms for dates, floats for numbers, lower-case text."""

    def __init__(self, store: ObjectStore, registry: PropertyRegistry) -> None:
        self.kind = store.kind
        self.types = {n: d["type"] for n, d in registry.definitions[self.kind.name].items()}

    def value(self, record: Record, name: str) -> Value | None:
        if name == self.kind.modified_property:
            return record.updated_ms
        if name == self.kind.created_property:
            return record.created_ms
        if name == "hs_object_id":
            return float(record.id)
        return self.convert(name, record.properties.get(name))

    def convert(self, name: str, raw: Any) -> Value | None:
        if raw is None or raw == "":
            return None
        kind = self.types.get(name, "string")
        if kind in ("datetime", "date"):
            return parse_time_ms(raw)
        if kind == "number" or name == "hs_object_id":
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
        return str(raw).lower()

    def target(self, name: str, raw: Any) -> Value:
        value = self.convert(name, raw)
        if value is None:
            raise validation_error(f"{raw!r} is not a valid value to filter {name} by")
        return value


def predicate(f: Filter, typed: Typer) -> Callable[[Record], bool]:
    def get(r: Record) -> Value | None:
        return typed.value(r, f.name)

    op = f.operator
    if op == "HAS_PROPERTY":
        return lambda r: get(r) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda r: get(r) is None
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(f.value or "").lower()
        negate = op == "NOT_CONTAINS_TOKEN"
        return lambda r: _contains_token(r.properties.get(f.name), pattern) != negate
    if op in ("IN", "NOT_IN"):
        options = {typed.target(f.name, v) for v in f.values}
        return (lambda r: get(r) in options) if op == "IN" else (lambda r: get(r) not in options)
    target = typed.target(f.name, f.value)
    if op == "BETWEEN":
        high = typed.target(f.name, f.high)
        return lambda r: (v := get(r)) is not None and target <= v <= high  # type: ignore[operator]
    return _comparison(op, target, get)


def _comparison(
    op: str, target: Value, get: Callable[[Record], Value | None]
) -> Callable[[Record], bool]:
    if op == "NEQ":
        return lambda r: get(r) != target
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "EQ": lambda v, t: v == t,
        "LT": lambda v, t: v < t,
        "LTE": lambda v, t: v <= t,
        "GT": lambda v, t: v > t,
        "GTE": lambda v, t: v >= t,
    }
    check = compare[op]

    def matches(record: Record) -> bool:
        value = get(record)
        return value is not None and check(value, target)

    return matches


def _contains_token(raw: str | None, pattern: str) -> bool:
    if not raw:
        return False
    tokens = [t for t in re.split(r"[^\w*]+", raw.lower()) if t]
    if "*" in pattern:
        return fnmatch.fnmatchcase(raw.lower(), pattern) or any(
            fnmatch.fnmatchcase(t, pattern) for t in tokens
        )
    return pattern in tokens or pattern == raw.lower()


def text_match(record: Record, words: list[str]) -> bool:
    tokens = [
        t
        for name in TEXT_PROPERTIES
        for t in re.split(r"[^\w]+", (record.properties.get(name) or "").lower())
        if t
    ]
    emails = [(record.properties.get("email") or "").lower()]
    return all(any(t.startswith(w) for t in tokens + emails) for w in words)


def sort_key(value: Value | None) -> tuple[int, Any]:
    return (1, 0) if value is None else (0, value)
