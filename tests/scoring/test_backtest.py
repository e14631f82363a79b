"""Backtesting a ruleset on people with known outcomes and funnel history."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from leadsync.scoring.backtest import backtest
from leadsync.scoring.cases import Case
from tests.scoring.factories import NOW, ago, fit_alone_config, form, good_fit, person


def case(who, *events, won: bool, **history) -> Case:
    return Case(who, tuple(events), created_at=ago(300), cutoff=NOW, outcome=won, **history)


def poor():
    return person(industry="education", employees=5)


def people() -> list[Case]:
    """A hand-raiser who won, a good fit who did not, and two poor fits, one of whom won."""
    return [
        case(good_fit(), form("Demo request", 20), won=True, sql_at=ago(15), opportunity_at=ago(10)),
        case(good_fit(), won=False),
        case(poor(), won=False),
        case(poor(), won=True),
    ]  # fmt: skip


def test_precision_and_recall_of_mql_and_sql_against_the_outcome() -> None:
    result = backtest(people(), fit_alone_config())
    # The good fits are MQLs from the day they arrive; only the hand-raiser is an SQL.
    assert (result.mql.people, result.mql.precision, result.mql.recall) == (2, 0.5, 0.5)
    assert (result.sql.people, result.sql.precision, result.sql.recall) == (1, 1.0, 0.5)
    assert result.mql_before_outcome == 0.5


def test_auc_ranks_people_by_the_highest_score_they_reached() -> None:
    result = backtest(people(), fit_alone_config())
    # winners (hand-raiser, poor) against losers (good fit, poor): 1 + 1 + 0 + a tie
    assert result.auc == pytest.approx(2.5 / 4)


def test_conversion_counts_the_histories_sqls_among_the_rules_mqls_by_month() -> None:
    result = backtest(people(), fit_alone_config())
    assert result.conversion == 0.5
    (cohort,) = result.cohorts
    assert (cohort.month, cohort.mqls, cohort.converted) == (f"{ago(300):%Y-%m}", 2, 1)
    assert result.median_days_to_opportunity == pytest.approx(290)


def test_without_sql_history_there_is_no_conversion_to_report() -> None:
    cases = [dataclasses.replace(c, sql_at=None) for c in people()]
    result = backtest(cases, fit_alone_config())
    assert (result.conversion, result.cohorts) == (None, ())


def test_with_one_kind_of_outcome_the_auc_is_undefined_not_invented() -> None:
    cases = [dataclasses.replace(c, outcome=False) for c in people()]
    assert backtest(cases, fit_alone_config()).as_dict()["auc"] is None


def test_an_opportunity_before_the_rules_mql_is_not_a_delay() -> None:
    early = case(good_fit(), won=True, opportunity_at=ago(300) - timedelta(days=1))
    assert backtest([early, *people()[1:]], fit_alone_config()).median_days_to_opportunity is None
