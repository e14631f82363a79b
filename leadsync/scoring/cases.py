"""The input of calibration: people as they were just before their outcome, and what happened.

A `Case` is one person seen as of its `cutoff`: the moment before the outcome (a won deal, an
opportunity, an SQL) for those who reached it, or a fixed horizon after creation for those who
did not. Nothing at or after the cutoff may inform the attributes or the scores, so a `Case`
drops such events when it is built; every calculation downstream sees only what it keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadsync.mapping.model import EngagementEvent, Person

HORIZON = timedelta(days=180)


@dataclass(frozen=True, slots=True)
class Case:
    """One person for calibration, scored as of `cutoff`.

    `outcome` is what the admin calls success (won, opportunity or sql) and `outcome_at` when
    it happened. `sql_at` and `opportunity_at`, when the caller knows them from the funnel
    history, feed the backtest's MQL→SQL conversion and MQL→opportunity delay; they are
    outcomes to measure against, never inputs to a score. `events` keeps only those strictly
    before `cutoff`, oldest first, whatever was passed in.
    """

    person: Person
    events: tuple[EngagementEvent, ...]
    created_at: datetime
    cutoff: datetime
    outcome: bool
    outcome_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None

    def __post_init__(self) -> None:
        kept = sorted((e for e in self.events if e.occurred_at < self.cutoff), key=_when)
        object.__setattr__(self, "events", tuple(kept))


def _when(event: EngagementEvent) -> datetime:
    return event.occurred_at


def case_at(
    person: Person,
    events: Iterable[EngagementEvent],
    created_at: datetime,
    outcome_at: datetime | None,
    *,
    now: datetime,
    horizon: timedelta = HORIZON,
    sql_at: datetime | None = None,
    opportunity_at: datetime | None = None,
) -> Case:
    """A `Case` cut just before its outcome, or `horizon` after creation (never after `now`).

    An outcome after `now` has not happened yet: the person counts as without one.
    """
    reached = outcome_at is not None and outcome_at <= now
    cutoff = outcome_at if reached and outcome_at else min(created_at + horizon, now)
    return Case(
        person=person,
        events=tuple(events),
        created_at=created_at,
        cutoff=cutoff,
        outcome=reached,
        outcome_at=outcome_at if reached else None,
        sql_at=sql_at,
        opportunity_at=opportunity_at,
    )


def split_by_time(cases: Sequence[Case], test_share: float) -> tuple[list[int], list[int]]:
    """Indices of (train, test): the earliest-created people train, the latest `test_share` test.

    People created at the same moment land on the same side, so the split is a date.
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be between 0 and 1, got {test_share}")
    order = sorted(range(len(cases)), key=lambda i: cases[i].created_at)
    first_test = round(len(order) * (1 - test_share))
    if first_test >= len(order):
        return order, []
    split_at = cases[order[first_test]].created_at
    train = [i for i in order if cases[i].created_at < split_at]
    return train, [i for i in order if cases[i].created_at >= split_at]
