"""Gates that reach the admin's targets, checked against a full replay of the suggestion."""

from __future__ import annotations

from functools import cache

import pytest

from leadsync.scoring import load_scoring
from leadsync.scoring.backtest import backtest
from leadsync.scoring.calibrate import Calibration, calibrate
from leadsync.scoring.cases import Case, split_by_time
from leadsync.scoring.thresholds import Target, choose, resolve
from tests.scoring import synthetic
from tests.scoring.factories import NOW, ago, example_config, person


@cache
def world() -> list[Case]:
    return synthetic.world(4_000, seed=2)


@cache
def training() -> list[Case]:
    return [world()[i] for i in split_by_time(world(), 0.3)[0]]


@cache
def result() -> Calibration:
    return calibrate(world(), example_config(), Target(mql_rate=0.2, sql_precision=0.6))


def test_the_shares_reported_for_training_match_a_full_replay_of_the_suggestion() -> None:
    calibration = result()
    replayed = backtest(training(), load_scoring(calibration.suggested_rules))
    assert calibration.gates.mql_rate_reached == replayed.mql.people / len(training())
    assert calibration.gates.sql_precision_reached == replayed.sql.precision


def test_the_mql_threshold_lands_near_the_target_rate() -> None:
    gates = result().gates
    assert gates.mql_rate == 0.2
    assert abs(gates.mql_rate_reached - 0.2) < 0.05
    assert gates.mql["total_at_least"] % 5 == 0


def test_a_higher_target_rate_lowers_the_threshold_and_makes_more_mqls() -> None:
    draft = load_scoring(result().suggested_rules)
    fewer = choose(draft, training(), 0.1, 0.6, 5)
    more = choose(draft, training(), 0.3, 0.6, 5)
    assert more.mql["total_at_least"] < fewer.mql["total_at_least"]
    assert more.mql_rate_reached > fewer.mql_rate_reached


def test_sqls_reach_the_precision_asked_for_and_a_laxer_target_lets_more_fits_in() -> None:
    draft = load_scoring(result().suggested_rules)
    strict = choose(draft, training(), 0.2, 0.6, 5)
    lax = choose(draft, training(), 0.2, 0.3, 5)
    assert strict.sql_precision_reached >= 0.6
    assert lax.sql["fit_at_least"] <= strict.sql["fit_at_least"]
    assert lax.sql["requires_any"] == example_config().stages.sql.requires_any


def test_a_monthly_mql_volume_becomes_a_rate_of_the_people_arriving_per_month() -> None:
    cases = [Case(person(), (), ago(d), NOW, False) for d in range(0, 365)]  # one a day
    rate, _ = resolve(Target(mql_per_month=15, sql_precision=0.5), cases, example_config())
    assert rate == pytest.approx(15 / (365.25 / 12), rel=0.01)


def test_unset_targets_follow_what_the_current_rules_did() -> None:
    rate, precision = resolve(Target(), training(), example_config())
    replayed = backtest(training(), example_config())
    assert rate == replayed.mql.people / len(training())
    assert precision == replayed.sql.precision


@pytest.mark.parametrize(
    "target",
    [dict(mql_rate=0.1, mql_per_month=20), dict(mql_rate=0), dict(sql_precision=1.5)],
)
def test_contradictory_or_impossible_targets_are_refused(target: dict) -> None:
    with pytest.raises(ValueError):
        Target(**target)


def test_without_hand_raiser_rules_the_sql_gate_becomes_a_precise_enough_total() -> None:
    table = result().suggested_rules
    stages = {**table["stages"], "sql": {"total_at_least": 0}}
    draft = load_scoring({**table, "stages": stages})
    gates = choose(draft, training(), 0.2, 0.5, 5)
    assert set(gates.sql) == {"total_at_least"}
    chosen = load_scoring({**table, "stages": {**stages, **gates.as_dict()}})
    replayed = backtest(training(), chosen)
    assert replayed.sql.precision == gates.sql_precision_reached >= 0.5
