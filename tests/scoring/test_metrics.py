"""Funnel metrics from ledger transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Cause
from leadsync.scoring.decide import Transition
from leadsync.scoring.metrics import (
    Conversion,
    cohorts,
    funnel,
    mql_to_sql,
    sales_cycle,
    time_in_stage,
)

L, M, S, SUS = Stage.LEAD, Stage.MQL, Stage.SQL, Stage.SUSPECT


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def move(who: str, src: Stage | None, dst: Stage, when: datetime) -> Transition:
    return Transition(who, src, dst, when, Cause.SCORE)


LEDGER = [
    move("a", None, L, at(1, 1)),
    move("a", L, M, at(1, 5)),
    move("a", M, S, at(1, 15)),
    move("b", None, L, at(1, 2)),
    move("b", L, M, at(1, 20)),
    move("c", None, L, at(2, 1)),
    move("c", L, S, at(2, 3)),  # hand-raiser: mql and sql at once
    move("d", None, L, at(2, 2)),
    move("d", L, M, at(2, 10)),
    move("d", M, S, at(4, 1)),
    move("e", None, L, at(2, 5)),
    move("e", L, SUS, at(2, 6)),
]


def test_funnel_counts_everyone_who_reached_each_stage() -> None:
    counts = funnel(LEDGER)
    assert (counts[L], counts[M], counts[S], counts[SUS], counts[Stage.CUSTOMER]) == (5, 4, 3, 1, 0)


def test_mql_to_sql_as_count_ratio_over_a_period() -> None:
    assert mql_to_sql(LEDGER) == Conversion(4, 3)
    assert mql_to_sql(LEDGER).rate == 0.75
    assert mql_to_sql(LEDGER, start=at(2, 1), end=at(3, 1)) == Conversion(2, 1)
    assert mql_to_sql([]).rate is None


def test_cohorts_count_sqls_within_the_sales_cycle_from_each_month() -> None:
    cycle = sales_cycle(LEDGER)
    assert cycle == (timedelta(days=10) + timedelta(0) + (at(4, 1) - at(2, 10))) / 3
    months = cohorts(LEDGER, now=at(3, 1), window=timedelta(days=30))
    assert [(c.month, c.conversion, c.complete) for c in months] == [
        ("2026-01", Conversion(2, 1), True),
        ("2026-02", Conversion(2, 1), False),
    ]
    assert [c.conversion.converted for c in cohorts(LEDGER, now=at(6, 1))] == [1, 1]  # 20 days
    wide = cohorts(LEDGER, now=at(6, 1), window=timedelta(days=60))
    assert [c.conversion.converted for c in wide] == [1, 2]


def test_time_in_stage_over_finished_and_open_stays() -> None:
    finished = time_in_stage(LEDGER)
    assert (finished[M].stays, finished[M].mean_days, finished[M].median_days) == (2, 30, 30)
    assert finished[L].mean_days == (4 + 18 + 2 + 8 + 1) / 5
    assert S not in finished
    assert time_in_stage(LEDGER, now=at(4, 11))[S].stays == 3
