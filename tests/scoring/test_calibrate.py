"""Calibration on a synthetic history whose generating model of who wins is known."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import tomllib
from datetime import timedelta
from functools import cache

import pytest

from leadsync.mapping.fields import CANONICAL_FIELDS
from leadsync.mapping.model import EngagementEvent, EventKind
from leadsync.scoring import compile_rules, load_scoring
from leadsync.scoring.backtest import backtest
from leadsync.scoring.calibrate import Calibration, calibrate
from leadsync.scoring.cases import Case, split_by_time
from tests.scoring import synthetic
from tests.scoring.factories import example_config, example_table

PEOPLE = 10_000


@cache
def history() -> list[Case]:
    return synthetic.world(PEOPLE, seed=1)


@cache
def result() -> Calibration:
    return calibrate(history(), example_config())


def held_out() -> list[Case]:
    cases = history()
    return [cases[i] for i in split_by_time(cases, 0.3)[1]]


def strength(row: dict) -> float:
    return abs(math.log(row["lift"]))


def test_attributes_that_drive_wins_rank_above_those_that_do_not() -> None:
    rows = [r for r in result().to_json()["attributes"] if r["lift"] and not r["few"]]
    key = {(r["field"], r["value"].casefold()): r for r in rows}
    drivers = [key[d] for d in synthetic.DRIVERS]
    decoys = [r for r in rows if r["field"] in synthetic.DECOY_FIELDS]
    decoys += [key[d] for d in synthetic.DECOYS]
    assert len(decoys) >= 8
    weakest_driver = min(drivers, key=strength)
    strongest_decoy = max(decoys, key=strength)
    assert strength(weakest_driver) > strength(strongest_decoy), (weakest_driver, strongest_decoy)


def test_lift_direction_follows_the_generating_model() -> None:
    rows = {(r["field"], r["value"].casefold()): r for r in result().to_json()["attributes"]}
    for field, value in synthetic.DRIVERS:
        row = rows[field, value]
        effect = _effect(field, value)
        assert (row["low"] > 1) if effect > 0 else (row["high"] < 1), row


def _effect(field: str, value: str) -> float:
    tables = {"industry": synthetic.INDUSTRY, "platform": synthetic.PLATFORM,
              "title": synthetic.TITLE}  # fmt: skip
    if field in tables:
        return next(e for v, (_, e) in tables[field].items() if v.casefold() == value)
    named = {"/pricing": synthetic.PRICING, "demo request": synthetic.DEMO,
             "webinar": synthetic.WEBINAR, "/careers": synthetic.CAREERS}  # fmt: skip
    return named[value]


def test_decoys_earn_no_points_and_the_strongest_signal_the_most() -> None:
    rows = result().to_json()["attributes"]
    decoys = [r for r in rows if r["field"] in synthetic.DECOY_FIELDS]
    decoys += [r for r in rows if (r["field"], r["value"].casefold()) in synthetic.DECOYS]
    assert decoys and all(r["points"] == 0 for r in decoys)
    top = max(rows, key=lambda r: r["points"])
    assert top["rule_id"] == "demo-request"  # the current rule is kept under its own name


def test_suggested_rules_beat_a_poor_ruleset_and_the_shipped_one_on_later_people() -> None:
    poor = backtest(held_out(), _poor_rules())
    calibration = result()
    assert calibration.suggested.people == len(held_out())
    assert calibration.suggested.auc > poor.auc + 0.2
    assert calibration.suggested.auc > calibration.current.auc


def _poor_rules():
    """Rewards what does not matter, punishes what does."""
    table = example_table()
    table["stages"] = {"mql": {"total_at_least": 10}, "sql": {"total_at_least": 40}}
    table["recycle"] = []
    table["fit"] = [
        {"id": "country", "label": "In India", "field": "country", "op": "equals",
         "value": "India", "points": 15},
        {"id": "retail", "label": "Retail", "field": "industry", "op": "equals",
         "value": "retail", "points": -15},
    ]  # fmt: skip
    table["engagement"] = [
        {"id": "newsletter", "label": "Newsletter", "kind": "form_submission",
         "when": [{"attribute": "form_name", "op": "equals", "value": "Newsletter"}],
         "points": 20},
        {"id": "demo", "label": "Demo", "kind": "form_submission",
         "when": [{"attribute": "form_name", "op": "equals", "value": "Demo request"}],
         "points": -20},
    ]  # fmt: skip
    return load_scoring(table)


def test_with_outcomes_shuffled_nothing_is_learned_and_auc_is_about_half() -> None:
    cases = history()
    outcomes = [c.outcome for c in cases]
    random.Random(7).shuffle(outcomes)
    shuffled = [dataclasses.replace(c, outcome=o) for c, o in zip(cases, outcomes, strict=True)]
    blind = calibrate(shuffled, example_config())
    assert not any(blind.points)
    # about 450 winners among the held-out people: one standard error of the AUC is 0.015
    assert abs(blind.suggested.auc - 0.5) < 0.05
    assert abs(blind.current.auc - 0.5) < 0.05


def test_events_at_or_after_the_cutoff_never_change_the_result() -> None:
    quiet = synthetic.world(3_000, seed=5, after_outcome=False)
    busy = [_with_late_events(c) for c in synthetic.world(3_000, seed=5, after_outcome=True)]
    left = calibrate(quiet, example_config()).to_json()
    right = calibrate(busy, example_config()).to_json()
    assert json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)
    assert not any(r["value"].startswith("/onboarding") for r in right["attributes"])


def _with_late_events(case: Case) -> Case:
    """A demo request at the very moment of the cutoff, and pricing views after it."""
    late = [
        EngagementEvent("hubspot", f"{case.person.id}-late-{n}", kind, case.cutoff + gap, attrs)
        for n, (kind, gap, attrs) in enumerate([
            (EventKind.FORM_SUBMISSION, timedelta(0), {"form_name": "Demo request"}),
            (EventKind.PAGE_VIEW, timedelta(hours=1), {"url": f"{synthetic.SITE}/pricing"}),
        ])
    ]  # fmt: skip
    return dataclasses.replace(case, events=case.events + tuple(late))


def test_suggested_rules_are_valid_config_that_round_trips_through_toml() -> None:
    calibration = result()
    text = calibration.rules_toml()
    table = tomllib.loads(text)["scoring"]
    assert table == calibration.suggested_rules
    compile_rules(load_scoring(table, fields={*CANONICAL_FIELDS, "email_domain"}))
    shipped = {r["id"]: r for r in example_table()["fit"]}
    executive = next(r for r in table["fit"] if r["id"] == "title-executive")
    assert executive["value"] == shipped["title-executive"]["value"]  # backslashes intact
    assert "# lift " in text


def test_json_has_what_the_cli_promises() -> None:
    out = json.loads(json.dumps(result().to_json()))
    assert 0 < out["base_rate"] < 1
    assert {"field", "value", "people", "rate", "lift", "low", "high"} <= set(out["attributes"][0])
    for side in ("current", "suggested"):
        assert {"auc", "precision", "recall"} <= set(out["backtest"][side])
    assert out["suggested_rules"]["stages"]["mql"]["total_at_least"] % 5 == 0


def test_the_funnel_history_gives_conversion_by_month_and_time_to_opportunity() -> None:
    later = result().suggested.as_dict()
    months = [c["month"] for c in later["cohorts"]]
    assert len(months) >= 6 and months == sorted(months)
    assert 0 < later["mql_to_sql"] < 1
    assert sum(c["mqls"] for c in later["cohorts"]) == later["mql"]["people"]
    assert later["median_days_mql_to_opportunity"] > 0


@pytest.mark.parametrize("bad", [0.0, 1.0])
def test_a_test_share_outside_zero_and_one_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="test_share"):
        calibrate(history()[:100], example_config(), test_share=bad)


def test_a_history_without_a_single_win_is_refused_with_the_reason() -> None:
    losers = [c for c in history()[:300] if not c.outcome]
    with pytest.raises(ValueError, match=f"0 of {len(losers)} people reached the outcome"):
        calibrate(losers, example_config())
