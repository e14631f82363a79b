"""Turn a validated `ScoringConfig` into a `Ruleset` of plain tuples and closures, once.

Everything that can be decided before seeing a person is decided here: regexes are
compiled, value lists become sets, decay becomes a rate and a window in seconds, fit rules
are grouped by field and engagement rules by event kind, so scoring is a tight loop.

Which rules a value matches depends only on the value, and the same values (an industry,
a pricing-page URL, a form name) recur across thousands of people, so each field and each
event kind gets a bounded memo (`functools.lru_cache`) of its matches. The memo never
changes a result; it only saves running the same regexes again.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from leadsync.mapping.model import EventKind
from leadsync.scoring.model import FIT, Contribution
from leadsync.scoring.rules import (
    Condition,
    EngagementRule,
    FitRule,
    Gate,
    Op,
    RecycleRule,
    ScoringConfig,
)

Test = Callable[[Any], bool]
_DAY = 86_400.0
_MEMO = 1 << 14  # distinct values remembered per field and per event kind


class FitMatch(NamedTuple):
    """What one field value earns: the matching rules' contributions and their sum in tenths."""

    parts: tuple[Contribution, ...]
    tenths: int


_NO_FIT = FitMatch((), 0)


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: a fast dict key per person
class EngagementCheck:
    """An engagement rule ready to run; `rate` is the decay per second, `window` in seconds."""

    order: int
    id: str
    label: str
    points: float
    conditions: tuple[tuple[str, Test], ...]
    max_times: int
    rate: float
    window: float
    no_intent: bool


class EventMatch(NamedTuple):
    """The engagement rules one event matches, and what that says about the person."""

    checks: tuple[EngagementCheck, ...]
    no_intent: bool  # it matched a `suspect.only_engagement` rule
    positive: bool  # some matching rule gives positive points


@dataclass(frozen=True, slots=True)
class StageGate:
    """A `Gate` with its window as a timedelta."""

    fit_at_least: float | None
    engagement_at_least: float | None
    total_at_least: float | None
    requires_any: tuple[str, ...]
    within: timedelta | None


@dataclass(frozen=True, slots=True)
class Ruleset:
    """Compiled scoring rules; build with `compile_rules` and share freely.

    `fit` maps a field to the function giving a value's `FitMatch`; `events` maps an event
    kind to the function giving an event's attributes' `EventMatch`.
    """

    fit: tuple[tuple[str, Callable[[Any], FitMatch]], ...]
    events: Mapping[EventKind, Callable[[Mapping[str, str]], EventMatch]]
    fit_bands: tuple[float, float, float]
    engagement_bands: tuple[float, float, float]
    mql: StageGate
    sql: StageGate
    disqualifying: frozenset[str]
    no_intent: frozenset[str]
    fit_below: float | None
    recycle: tuple[RecycleRule, ...]
    trust_marketing_manual_changes: bool
    checks: tuple[EngagementCheck, ...] = ()  # every engagement rule, by `order`


def compile_rules(config: ScoringConfig) -> Ruleset:
    """Compile once per config; the result is what `score` and `decide_stage` take."""
    lists = config.domain_lists
    no_intent = frozenset(config.stages.suspect.only_engagement)
    checks = tuple(_engagement(i, r, config, no_intent) for i, r in enumerate(config.engagement))
    events = {
        kind: _event_matcher(
            tuple(c for c, r in zip(checks, config.engagement, strict=True) if kind in r.kind)
        )
        for kind in EventKind
    }
    return Ruleset(
        fit=tuple((f, _fit_matcher(list(rules), lists)) for f, rules in fit_fields(config)),
        events=MappingProxyType({kind: match for kind, match in events.items() if match}),
        fit_bands=_three(config.grades.fit),
        engagement_bands=_three(config.grades.engagement),
        mql=_gate(config.stages.mql),
        sql=_gate(config.stages.sql),
        disqualifying=frozenset(rule.id for rule in config.fit if rule.disqualifying),
        no_intent=no_intent,
        fit_below=config.stages.suspect.fit_below,
        recycle=tuple(config.recycle),
        trust_marketing_manual_changes=config.trust_marketing_manual_changes,
        checks=checks,
    )


def fit_fields(config: ScoringConfig) -> tuple[tuple[str, tuple[FitRule, ...]], ...]:
    """Fit rules grouped by field, fields in order of first use: the order of explanations."""
    fields = dict.fromkeys(rule.field for rule in config.fit)
    return tuple((f, tuple(r for r in config.fit if r.field == f)) for f in fields)


def _three(bands: list[float]) -> tuple[float, float, float]:
    return (bands[0], bands[1], bands[2])


def _gate(gate: Gate) -> StageGate:
    within = timedelta(days=gate.within_days) if gate.within_days is not None else None
    thresholds = (gate.fit_at_least, gate.engagement_at_least, gate.total_at_least)
    return StageGate(*thresholds, tuple(gate.requires_any), within)


def _fit_matcher(rules: list[FitRule], lists: Mapping[str, list[str]]) -> Callable[[Any], FitMatch]:
    """value -> FitMatch for the rules on one field, memoised for text and whole numbers."""
    tests = [(rule, predicate(rule, lists)) for rule in rules]

    def evaluate(value: Any) -> FitMatch:
        hits = [rule for rule, test in tests if test(value)]
        if not hits:
            return _NO_FIT
        shown = "none" if value is None or value == "" else _shown(value)
        parts = tuple(
            Contribution(r.id, r.label, FIT, round(r.points, 1), f"{r.field}: {shown}")
            for r in hits
        )
        return FitMatch(parts, sum(fit_tenths(r) for r in hits))

    memo = lru_cache(maxsize=_MEMO)(evaluate)
    none = evaluate(None)
    remembered = (str, int)  # floats (revenue) rarely repeat exactly: test them afresh

    def match(value: Any) -> FitMatch:
        if value is None:
            return none
        return memo(value) if value.__class__ in remembered else evaluate(value)

    return match


def fit_tenths(rule: FitRule) -> int:
    """What a matching fit rule adds, in tenths: its points kept to one decimal."""
    return round(round(rule.points, 1) * 10)


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _event_matcher(
    checks: tuple[EngagementCheck, ...],
) -> Callable[[Mapping[str, str]], EventMatch] | None:
    """attributes -> EventMatch for one event kind, memoised on the attributes rules read."""
    if not checks:
        return None
    names = tuple(sorted({name for check in checks for name, _ in check.conditions}))

    def evaluate(values: tuple[str | None, ...]) -> EventMatch:
        attributes = dict(zip(names, values, strict=True))
        hit = tuple(c for c in checks if all(t(attributes.get(a)) for a, t in c.conditions))
        return EventMatch(hit, any(c.no_intent for c in hit), any(c.points > 0 for c in hit))

    if not names:
        always = evaluate(())
        return lambda attributes: always
    if len(names) == 1:
        (name,) = names
        one = lru_cache(maxsize=_MEMO)(lambda value: evaluate((value,)))
        return lambda attributes: one(attributes.get(name))
    memo = lru_cache(maxsize=_MEMO)(evaluate)
    return lambda attributes: memo(tuple(attributes.get(name) for name in names))


def _engagement(
    order: int, rule: EngagementRule, config: ScoringConfig, no_intent: frozenset[str]
) -> EngagementCheck:
    half_life, window = rule.half_life_days, rule.window_days
    if rule.decay and half_life is None and window is None:
        half_life, window = config.decay.half_life_days, config.decay.window_days
    rate = math.log(2) / (half_life * _DAY) if rule.decay and half_life else 0.0
    conditions = tuple((c.attribute, predicate(c, config.domain_lists)) for c in rule.when)
    return EngagementCheck(
        order=order,
        id=rule.id,
        label=rule.label,
        points=rule.points,
        conditions=conditions,
        max_times=rule.max_times or 2**31,
        rate=rate,
        window=window * _DAY if rule.decay and window else math.inf,
        no_intent=rule.id in no_intent,
    )


def predicate(condition: Condition, domain_lists: Mapping[str, list[str]] | None = None) -> Test:
    """A test for one condition. A missing value (None, "") matches only `absent`."""
    op = condition.op
    if op is Op.PRESENT:
        return _present
    if op is Op.ABSENT:
        return _absent
    if op is Op.RANGE:
        return _range(condition.at_least, condition.below)
    if op is Op.DOMAIN_IN:
        names = condition.values or (domain_lists or {})[condition.list_name or ""]
        return _domain_in(frozenset(d.casefold().strip(".") for d in names))
    if op in (Op.EQUALS, Op.IN, Op.NOT_EQUALS, Op.NOT_IN):
        member = _member(frozenset(_key(v) for v in condition.values))
        return member if op in (Op.EQUALS, Op.IN) else _negate(member)
    return _pattern(op, condition.values)


def _key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _absent(value: Any) -> bool:
    return value is None or value == ""


def _member(keys: frozenset[Any]) -> Test:
    def member(value: Any) -> bool:
        if isinstance(value, str):
            return value.casefold() in keys
        return isinstance(value, int | float) and not isinstance(value, bool) and value in keys

    return member


def _negate(member: Test) -> Test:
    return lambda value: _present(value) and not member(value)


def _range(at_least: float | None, below: float | None) -> Test:
    low = -math.inf if at_least is None else at_least
    high = math.inf if below is None else below
    numbers = (int, float)
    return lambda value: value.__class__ in numbers and low <= value < high


def _domain_in(domains: frozenset[str]) -> Test:
    def domain_in(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        domain = value.rpartition("@")[2].casefold()
        while domain:
            if domain in domains:
                return True
            domain = domain.partition(".")[2]
        return False

    return domain_in


def _pattern(op: Op, values: tuple[Any, ...]) -> Test:
    if op is Op.CONTAINS:
        source = "|".join(re.escape(v) for v in values)
    elif op is Op.GLOB:
        source = "|".join(f"(?:{fnmatch.translate(v)})" for v in values)
    else:
        source = "|".join(f"(?:{v})" for v in values)
    compiled = re.compile(source, re.IGNORECASE)
    # A glob describes the whole value; contains and regex look anywhere in it.
    find = compiled.match if op is Op.GLOB else compiled.search
    return lambda value: isinstance(value, str) and find(value) is not None
