"""Which CRM a canonical field's value comes from, when more than one has a value.

Each CRM record linked to a person maps to canonical fields on its own (`map_fields`); these
rules pick one value per field, like the sync rules admins know from CRM-to-CRM integrations:

    prefer X       X's value unless X has none, then the others in `order`
    always X       X's value, even none: the others never fill it
    most_recent    the value of the record changed last (by the CRMs' own clocks), ties in `order`
    ignore [X..]   (with any of the above) never take a value from these systems

A value cleared in a CRM is no value: with the record's other fields it leaves this field to
the next source, or to nobody. The merged value carries where it came from (system, object,
record, when that record last changed), which `explain` shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from leadsync.mapping.catalog import catalog

Kind = Literal["prefer", "always", "most_recent"]


@dataclass(frozen=True, slots=True)
class SourceRule:
    kind: Kind = "prefer"
    system: str | None = None  # the system `prefer` and `always` name
    ignore: frozenset[str] = frozenset()

    def describe(self) -> str:
        first = self.system or "the CRMs in their default order"
        said = {"prefer": f"prefer {first} unless blank", "always": f"always {self.system}",
                "most_recent": "most recent"}[self.kind]  # fmt: skip
        return said + (f", ignoring {', '.join(sorted(self.ignore))}" if self.ignore else "")


@dataclass(frozen=True, slots=True)
class Source:
    """One linked record's canonical fields, with the record's own modification time."""

    system: str
    obj: str
    record: str
    at: datetime
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Sourced:
    value: Any
    system: str
    obj: str
    record: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"system": self.system, "object": self.obj, "record": self.record,
                "at": self.at.isoformat()}  # fmt: skip


# The default rule for every field: the CRMs in the catalog's order (each connector declares
# its precedence; marketing's profile is usually the richer one for who a person is, and sales
# fills what it lacks). That order also breaks the other rules' ties.
DEFAULT_RULE = SourceRule("prefer", None)


def merge(
    sources: Sequence[Source], rules: Mapping[str, SourceRule], default: SourceRule = DEFAULT_RULE
) -> dict[str, Sourced]:
    """One value per canonical field, and where it came from; fields nobody has are left out."""
    names = {name for source in sources for name in source.fields}
    ranked: dict[SourceRule, list[Source]] = {}  # each rule orders the sources once
    merged = {}
    for name in sorted(names):
        rule = rules.get(name, default)
        if rule not in ranked:
            ranked[rule] = ranked_sources(sources, rule)
        won = next((s for s in ranked[rule] if s.fields.get(name) not in (None, "")), None)
        if won is not None:
            merged[name] = Sourced(won.fields[name], won.system, won.obj, won.record, won.at)
    return merged


def pick(name: str, sources: Sequence[Source], rule: SourceRule) -> Sourced | None:
    """The value `rule` gives field `name` among `sources` (None: nobody has one)."""
    return merge(sources, {name: rule}).get(name)


def ranked_sources(sources: Sequence[Source], rule: SourceRule) -> list[Source]:
    """The sources `rule` may take a value from, best first; ties never depend on read order."""
    allowed = [s for s in sources if s.system not in rule.ignore]
    if rule.kind == "always":
        allowed = [s for s in allowed if s.system == rule.system]
    if rule.kind == "most_recent":
        return sorted(allowed, key=lambda s: (-s.at.timestamp(), _rank(s, rule), s.record))
    return sorted(allowed, key=lambda s: (_rank(s, rule), -s.at.timestamp(), s.record))


def _rank(source: Source, rule: SourceRule) -> int:
    """Preferred system first, then the shipped order, then anything else."""
    first = 0 if rule.system is not None and source.system == rule.system else 1
    order = catalog().source_order()
    key = (source.system, source.obj)
    return first * 100 + (order.index(key) if key in order else len(order))


def values(merged: Mapping[str, Sourced]) -> dict[str, Any]:
    return {name: sourced.value for name, sourced in merged.items()}
