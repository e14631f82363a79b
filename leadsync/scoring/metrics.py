"""Funnel metrics from the stage ledger: counts, MQL→SQL conversion, time in stage.

Pure functions of ledger transitions (anything with `person_id`, `src`, `dst`, `at`).
Reaching a ladder stage counts as reaching every stage below it at the same moment, so a
hand-raiser who goes straight from lead to sql counts as an MQL and an SQL. Only the first
time a person reaches a stage counts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from leadsync.mapping.model import LADDER, Stage


class Move(Protocol):
    person_id: str
    src: Stage | None
    dst: Stage
    at: datetime


@dataclass(frozen=True, slots=True)
class Conversion:
    """`converted` of `entered` people; `rate` is None when nobody entered."""

    entered: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.entered if self.entered else None


@dataclass(frozen=True, slots=True)
class Cohort:
    """MQLs of one month and how many became SQLs within the window.

    `complete` is false while the window of the month's last MQLs is still open at `now`.
    """

    month: str
    conversion: Conversion
    complete: bool


@dataclass(frozen=True, slots=True)
class StageTime:
    """Finished stays in a stage (plus open ones, when `now` was given), in days."""

    stays: int
    mean_days: float
    median_days: float


def reached(moves: Iterable[Move]) -> dict[str, dict[Stage, datetime]]:
    """When each person first reached each stage."""
    first: dict[str, dict[Stage, datetime]] = defaultdict(dict)
    for move in sorted(moves, key=lambda m: m.at):
        stages = first[move.person_id]
        passed = LADDER[: move.dst.rank + 1] if move.dst in LADDER else (move.dst,)
        for stage in passed:
            stages.setdefault(stage, move.at)
    return dict(first)


def funnel(moves: Iterable[Move]) -> dict[Stage, int]:
    """How many people ever reached each stage (every stage present, zeros included)."""
    counts = dict.fromkeys(Stage, 0)
    for stages in reached(moves).values():
        for stage in stages:
            counts[stage] += 1
    return counts


def mql_to_sql(
    moves: Iterable[Move], start: datetime | None = None, end: datetime | None = None
) -> Conversion:
    """SQL count / MQL count: people reaching each stage in [start, end)."""

    def inside(at: datetime | None) -> bool:
        return at is not None and (start is None or at >= start) and (end is None or at < end)

    people = reached(moves).values()
    return Conversion(
        entered=sum(inside(p.get(Stage.MQL)) for p in people),
        converted=sum(inside(p.get(Stage.SQL)) for p in people),
    )


def sales_cycle(moves: Iterable[Move]) -> timedelta | None:
    """Average time from reaching mql to reaching sql, over people who did both."""
    return _average_cycle(list(reached(moves).values()))


def cohorts(moves: Iterable[Move], now: datetime, window: timedelta | None = None) -> list[Cohort]:
    """Per month of reaching mql: how many reached sql within `window` (default: the
    average sales cycle), oldest month first."""
    people = list(reached(moves).values())
    if window is None:
        window = _average_cycle(people) or timedelta(0)
    by_month: dict[str, list[dict[Stage, datetime]]] = defaultdict(list)
    for p in people:
        if Stage.MQL in p:
            by_month[f"{p[Stage.MQL]:%Y-%m}"].append(p)
    return [
        Cohort(
            month=month,
            conversion=Conversion(
                entered=len(group),
                converted=sum(
                    Stage.SQL in p and p[Stage.SQL] - p[Stage.MQL] <= window for p in group
                ),
            ),
            complete=all(p[Stage.MQL] + window <= now for p in group),
        )
        for month, group in sorted(by_month.items())
    ]


def _average_cycle(people: list[dict[Stage, datetime]]) -> timedelta | None:
    gaps = [p[Stage.SQL] - p[Stage.MQL] for p in people if Stage.SQL in p]
    return sum(gaps, timedelta()) / len(gaps) if gaps else None


def time_in_stage(moves: Iterable[Move], now: datetime | None = None) -> dict[Stage, StageTime]:
    """How long people stayed in each stage; open stays count up to `now` when given."""
    by_person: dict[str, list[Move]] = defaultdict(list)
    for move in moves:
        by_person[move.person_id].append(move)
    days: dict[Stage, list[float]] = defaultdict(list)
    for trail in by_person.values():
        trail.sort(key=lambda m: m.at)
        for here, after in zip(trail, [*trail[1:], None], strict=True):
            end = after.at if after else now
            if end is not None:
                days[here.dst].append((end - here.at).total_seconds() / 86_400)
    return {
        stage: StageTime(len(d), statistics.fmean(d), statistics.median(d))
        for stage, d in days.items()
    }
