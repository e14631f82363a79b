"""Engagement on columns: decayed, capped points per person and rule, as the engine counts them.

Each distinct event (kind and attributes) is matched once, by the engine's own compiled
matcher; every event then becomes one row per rule it matched, and the rows are summed per
(person, rule) with numpy. Two things keep the sums exact:
- ages are whole microseconds, so windows, caps ("the most recent N") and the newest event
  compare exactly as the engine's `datetime` arithmetic does;
- a contribution is rounded to tenths once, and numpy's `exp` and summation order may differ
  from Python's in the last bit; that matters only when the decayed points lie within
  rounding noise of a half tenth, so those few are recomputed with `engine.decayed`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from leadsync.scoring.columns import EventColumns, Shape
from leadsync.scoring.compile import Ruleset
from leadsync.scoring.engine import decayed

NEVER = np.iinfo(np.int64).min  # `last_engaged_at` of someone with no positive event
_LATEST = np.iinfo(np.int64).max
_NOISE = 1e-9  # relative: far above numpy's error, far below a tenth's half
_EXACT = 2.0**52  # tenths beyond this no longer add up exactly in float64


class Unsupported(ValueError):
    """The kernel cannot score this exactly; score it with the engine."""


@dataclass(frozen=True, slots=True)
class Engagement:
    """A chunk's engagement: per person, and per (person, rule) that matched any event.

    Rule rows are sorted by person, then by rule order (the order of the config).
    """

    tenths: np.ndarray  # per person: engagement points, in tenths
    last_engaged_at: np.ndarray  # per person: newest positive event, at most now; or NEVER
    no_intent: np.ndarray  # per person: has events, all matching `suspect.only_engagement`
    person: np.ndarray  # per rule row, and the rest below likewise
    check: np.ndarray  # the rule's `EngagementCheck.order`
    count: np.ndarray  # matching events, including those past `max_times`
    points: np.ndarray  # the rule's contribution, in tenths
    last_at: np.ndarray  # newest matching event (microseconds), at most now
    newest: np.ndarray  # index of that event: the first of equally recent ones


@dataclass(frozen=True, slots=True)
class _Shapes:
    """What each distinct event means to the rules (`engine._engagement`'s per-event facts)."""

    other: np.ndarray  # bool: not only no-intent (or no rule reads its kind)
    positive: np.ndarray  # bool: a matching rule gives positive points
    size: np.ndarray  # int64: how many rules it matches
    start: np.ndarray  # int64: where its rules start in `checks`
    checks: np.ndarray  # int64: rule orders, shape after shape


def _shapes(rules: Ruleset, shapes: Sequence[Shape]) -> _Shapes:
    other = np.ones(len(shapes), bool)
    positive = np.zeros(len(shapes), bool)
    orders: list[list[int]] = []
    for s, (kind, attributes) in enumerate(shapes):
        matcher = rules.events.get(kind)
        found = matcher(attributes) if matcher is not None else None
        orders.append([c.order for c in found.checks] if found else [])
        if found is not None:
            other[s], positive[s] = not found.no_intent, found.positive
    size = np.array([len(o) for o in orders], np.int64)
    flat = np.array([c for o in orders for c in o], np.int64)
    return _Shapes(other, positive, size, np.cumsum(size) - size, flat)


def engagement(rules: Ruleset, events: EventColumns, people: int, now_us: int) -> Engagement:
    """Engagement of `people` people at `now_us` (microseconds since the epoch)."""
    person, shape = events.person, events.shape
    if person.size and (person.min() < 0 or person.max() >= people):
        raise ValueError(f"events name people outside 0..{people - 1}")
    facts = _shapes(rules, events.shapes)
    seen = np.bincount(person, minlength=people) > 0
    other = np.bincount(person[facts.other[shape]], minlength=people) > 0
    at = np.minimum(events.at, now_us)  # an event dated after now happened now
    positive = facts.positive[shape]
    last_engaged = np.full(people, NEVER)
    np.maximum.at(last_engaged, person[positive], at[positive])
    rows = _rows(rules, events, facts, at, people, now_us)
    tenths = np.zeros(people, np.int64)
    np.add.at(tenths, rows.person, rows.points)
    return Engagement(
        tenths, last_engaged, seen & ~other, rows.person, rows.check, rows.count, rows.points,
        rows.last_at, rows.newest,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Rows:
    person: np.ndarray
    check: np.ndarray
    count: np.ndarray
    points: np.ndarray
    last_at: np.ndarray
    newest: np.ndarray


def _rows(
    rules: Ruleset, events: EventColumns, facts: _Shapes, at: np.ndarray, people: int, now_us: int
) -> _Rows:
    """One row per (person, rule) with a match, from one pair per (event, rule it matches)."""
    event, check = _pairs(facts, events.shape)
    n_checks = max(len(rules.checks), 1)
    key = events.person[event] * n_checks + check
    used = np.zeros(people * n_checks, bool)
    used[key] = True
    group = (np.cumsum(used) - 1)[key]
    keys = np.flatnonzero(used)
    age = now_us - at[event]  # whole microseconds, never negative
    count = np.bincount(group, minlength=keys.size)
    youngest = np.full(keys.size, _LATEST)
    np.minimum.at(youngest, group, age)
    newest = np.full(keys.size, _LATEST)
    first = age == youngest[group]
    np.minimum.at(newest, group[first], event[first])
    points = _points(rules, group, check, age, count, keys % n_checks)
    return _Rows(keys // n_checks, keys % n_checks, count, points, now_us - youngest, newest)


def _pairs(facts: _Shapes, shape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(event index, rule order) for every rule every event matches, in event order."""
    size = facts.size[shape]
    event = np.repeat(np.arange(shape.size), size)
    offset = np.arange(event.size) - np.repeat(np.cumsum(size) - size, size)
    return event, facts.checks[facts.start[shape[event]] + offset]


def _points(
    rules: Ruleset,
    group: np.ndarray,
    check: np.ndarray,
    age: np.ndarray,
    count: np.ndarray,
    group_check: np.ndarray,
) -> np.ndarray:
    """Each (person, rule)'s points in tenths, as `engine.decayed` and `round` give them."""
    checks = rules.checks
    rate = np.array([c.rate for c in checks])
    window = np.array([c.window for c in checks])
    cap = np.array([c.max_times for c in checks], np.int64)
    seconds = age / 1e6  # exactly `timedelta.total_seconds()` below 2**53 microseconds
    counted = _most_recent(group, age, cap[check], count) & (seconds <= window[check])
    weight = np.exp(-seconds[counted] * rate[check[counted]])
    decay = np.bincount(group[counted], weights=weight, minlength=count.size)
    tenths = np.array([c.points for c in checks])[group_check] * decay * 10
    if tenths.size and np.abs(tenths).max() >= _EXACT:
        raise Unsupported("engagement points too large to count exactly in tenths")
    rounded = np.rint(tenths).astype(np.int64)
    half = np.abs(tenths - np.floor(tenths) - 0.5) <= _NOISE * np.maximum(1.0, np.abs(tenths))
    edges = np.flatnonzero(half & (rate[group_check] > 0))
    for g, ages in _ages_of(edges, group, seconds):
        rounded[g] = round(decayed(checks[group_check[g]], ages) * 10)
    return rounded


def _ages_of(
    groups: np.ndarray, group: np.ndarray, seconds: np.ndarray
) -> Iterator[tuple[int, list[float]]]:
    """Each of `groups` with the ages (seconds) of its pairs, in one pass over the pairs."""
    if not groups.size:
        return
    mine = np.flatnonzero(np.isin(group, groups))
    mine = mine[np.argsort(group[mine], kind="stable")]
    bounds = np.searchsorted(group[mine], groups, side="right")
    for g, start, end in zip(groups.tolist(), [0, *bounds[:-1].tolist()], bounds.tolist(),
                             strict=True):  # fmt: skip
        yield g, seconds[mine[start:end]].tolist()


def _most_recent(
    group: np.ndarray, age: np.ndarray, cap: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """Which pairs are among their group's `max_times` most recent (ties: any of them)."""
    keep = count[group] <= cap
    over = np.flatnonzero(~keep)
    if over.size:
        order = over[np.lexsort((age[over], group[over]))]
        ranked = group[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
        keep[order[rank < cap[order]]] = True
    return keep
