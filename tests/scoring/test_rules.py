"""The `[scoring]` section: the shipped example validates, and every mistake is explained."""

from __future__ import annotations

from typing import Any

import pytest

from leadsync.errors import ConfigError
from leadsync.scoring import load_scoring
from tests.scoring.factories import example_config, example_table


def problems(table: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_scoring(table, **kwargs)
    return caught.value.problems


def test_example_ships_the_seed_rules_inside_a_realistic_set() -> None:
    config = example_config()
    points = {rule.id: rule.points for rule in config.engagement}
    assert {
        k: points[k]
        for k in ("white-paper", "pricing-page", "paid-ad", "product-kb", "careers-page")
    } == {
        "white-paper": 5,
        "pricing-page": 10,
        "paid-ad": 5,
        "product-kb": 5,
        "careers-page": -10,
    }
    assert len(config.fit) + len(config.engagement) >= 30
    assert config.stages.mql.fit_at_least == 20 and config.stages.mql.total_at_least == 50
    assert config.stages.sql.fit_at_least == 40 and config.stages.sql.within_days == 30
    assert {r.id for r in config.fit if r.disqualifying} == {"competitor", "title-student"}


def test_unknown_operator_names_path_value_choices_and_nearest() -> None:
    table = example_table()
    table["fit"][0]["op"] = "inn"
    [line] = problems(table, source="config.toml")
    assert line.startswith("config.toml: scoring.fit[0].op: 'inn' is not an operator; allowed: ")
    assert "regex" in line and "domain_in" in line
    assert line.endswith("did you mean 'in'?")


def test_unknown_event_kind_in_a_list_points_at_the_item() -> None:
    table = example_table()
    table["engagement"][3]["kind"] = "page_veiw"
    table["engagement"][4]["kind"] = ["page_view", "emial_open"]
    lines = problems(table)
    assert lines[0].startswith("scoring.engagement[3].kind: 'page_veiw' is not an event kind;")
    assert lines[0].endswith("did you mean 'page_view'?")
    assert lines[1].startswith("scoring.engagement[4].kind[1]: 'emial_open'")
    assert lines[1].endswith("did you mean 'email_open'?")


def test_unknown_stage() -> None:
    table = example_table()
    table["recycle"][0]["to"] = "leed"
    [line] = problems(table)
    assert line.startswith("scoring.recycle[0].to: 'leed' is not a stage; allowed: lead, mql")
    assert line.endswith("did you mean 'lead'?")


def test_wrong_type_names_what_was_expected_and_what_came() -> None:
    table = example_table()
    table["fit"][1]["points"] = "ten"
    table["stages"]["mql"]["fit_at_least"] = True
    assert problems(table) == [
        "scoring.stages.mql.fit_at_least: must be a number, got True",
        "scoring.fit[1].points: must be a number, got 'ten'",
    ]


def test_unknown_key_suggests_the_nearest_known_key() -> None:
    table = example_table()
    table["engagement"][0]["max_time"] = 2
    [line] = problems(table)
    assert line.startswith("scoring.engagement[0].max_time: 'max_time' is not a known key;")
    assert line.endswith("did you mean 'max_times'?")


def test_references_to_rules_and_lists_are_checked() -> None:
    table = example_table()
    table["stages"]["sql"]["requires_any"][1] = "contact-sale"
    table["fit"][-1]["list"] = "educaton"
    table["fit"][3]["id"] = "industry-core"
    assert problems(table) == [
        "scoring.fit[3].id: 'industry-core' is already used by a rule",
        "scoring.stages.sql.requires_any[1]: 'contact-sale' is not an engagement rule id; "
        "allowed: "
        + ", ".join(r["id"] for r in table["engagement"])
        + "; did you mean 'contact-sales'?",
        "scoring.fit[19].list: 'educaton' is not a domain list; "
        "allowed: competitors, education, free_mail; did you mean 'education'?",
    ]


def test_fit_fields_are_checked_when_the_canonical_fields_are_given() -> None:
    table = example_table()
    table["fit"][0]["field"] = "industy"
    fields = {
        "industry",
        "employees",
        "annual_revenue",
        "title",
        "platform",
        "country",
        "email_domain",
    }
    assert problems(table, fields=fields) == [
        "scoring.fit[0].field: 'industy' is not a person field; did you mean 'industry'?"
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"op": "regex", "value": "(unclosed"},
            "scoring.fit[0].value: '(unclosed' is not a valid regular expression",
        ),
        ({"op": "range"}, "scoring.fit[0]: 'range' needs 'at_least', 'below' or both"),
        (
            {"op": "range", "at_least": 10, "below": 5},
            "scoring.fit[0].below: must be greater than at_least (10)",
        ),
        ({"op": "in", "value": "retail"}, "scoring.fit[0].value: 'in' needs a non-empty list"),
        ({"op": "present", "value": "x"}, "scoring.fit[0].value: not used by operator 'present'"),
        (
            {"op": "domain_in"},
            "scoring.fit[0]: 'domain_in' needs exactly one of 'value' (domains) or 'list'",
        ),
    ],
)
def test_operands_must_suit_the_operator(condition: dict[str, Any], message: str) -> None:
    table = example_table()
    table["fit"][0] = {"id": "x", "label": "X", "field": "industry", "points": 1, **condition}
    [line] = problems(table)
    assert line.startswith(message)


def test_decay_and_recycle_rules_are_checked() -> None:
    table = example_table()
    table["decay"] = {"half_life_days": 90, "window_days": 30}
    table["engagement"][0]["decay"] = False
    table["engagement"][0]["window_days"] = 10
    table["recycle"][0]["to"] = "customer"
    assert problems(table) == [
        "scoring.decay: set exactly one of half_life_days or window_days",
        "scoring.recycle[0].from[0]: cannot recycle 'opportunity' to 'customer': "
        "recycling moves backwards on the ladder or out of 'suspect'",
        "scoring.engagement[0].window_days: not used when decay = false",
    ]


def test_every_problem_is_reported_at_once() -> None:
    table = example_table()
    table["fit"][0]["op"] = "inn"
    table["engagement"][2]["kind"] = "webniar"
    table["grades"]["fit"] = [10, 20, 0]
    assert len(problems(table)) == 3
