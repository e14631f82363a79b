"""The groups calibration measures: readable buckets, and each one a rule the compiler runs."""

from __future__ import annotations

import pytest

from leadsync.mapping.model import EventKind
from leadsync.scoring import compile_rules, load_scoring, score
from leadsync.scoring.attributes import MISSING, OTHER, discover, nice, page_prefix
from leadsync.scoring.cases import Case
from leadsync.scoring.probe import features
from tests.scoring.factories import NOW, ago, event, example_config, form, page, person


def case(i: int, *events, **fields) -> Case:
    who = person(f"p{i}@shop{i}.com", **fields)
    return Case(who, tuple(events), created_at=ago(200), cutoff=NOW, outcome=False)


@pytest.mark.parametrize(
    ("x", "rounded"), [(48, 50), (7.3, 10), (190, 200), (1.4, 1), (3.2e6, 5e6)]
)
def test_bucket_edges_round_to_one_two_or_five_times_a_power_of_ten(
    x: float, rounded: float
) -> None:
    assert nice(x) == pytest.approx(rounded)


def test_numbers_fall_in_round_ranges_that_cover_everyone_once() -> None:
    sizes = [3, 8, 12, 40, 45, 60, 180, 220, 900, 5000] * 5
    cases = [case(i, employees=n) for i, n in enumerate(sizes)] + [case(99)]
    groups = [a for a in discover(cases, example_config(), ["employees"]) if a.field == "employees"]
    labels = [a.value for a in groups]
    assert labels[0].startswith("< ") and labels[-2].startswith("≥ ") and labels[-1] == MISSING
    present = features(cases, groups, example_config()).present.toarray()
    assert (present.sum(axis=1) == 1).all()  # every person in exactly one range (or missing)


def test_rare_text_values_are_grouped_and_case_does_not_split_a_value() -> None:
    industries = ["Retail"] * 20 + ["retail"] * 5 + ["software"] * 15 + ["mining", "fishing"]
    cases = [case(i, industry=v) for i, v in enumerate(industries)]
    groups = {a.value: a for a in discover(cases, example_config(), ["industry"])
              if a.field == "industry"}  # fmt: skip
    assert set(groups) == {"Retail", "software", OTHER}
    present = features(cases, list(groups.values()), example_config()).present.toarray()
    assert present.sum(axis=0).tolist() == [25, 15, 2]


def test_pages_group_by_their_first_path_segment_whatever_the_host_or_query() -> None:
    assert page_prefix("https://x.com/Pricing/team?a=1") == "/pricing"
    assert page_prefix("https://x.com") == page_prefix("https://x.com/?utm=1") == "/"
    urls = ["https://a.com/pricing", "http://b.io/pricing/enterprise?x=1", "/pricing#faq",
            "https://a.com/pricingplans", "https://a.com/", "https://a.com/blog/pricing"]  # fmt: skip
    cases = [case(i, event(EventKind.PAGE_VIEW, 3, url=u)) for i, u in enumerate(urls * 10)]
    groups = {a.value: a for a in discover(cases, example_config(), []) if a.field == "page"}
    assert set(groups) == {"/pricing", "/pricingplans", "/", "/blog"}
    present = features(cases, [groups["/pricing"], groups["/"]], example_config()).present
    assert present.toarray()[:6].tolist() == [[1, 0], [1, 0], [1, 0], [0, 0], [0, 1], [0, 0]]


def test_forms_group_by_name_and_kinds_are_measured_too() -> None:
    cases = [case(i, form("Demo request", 2), form("Newsletter", 1)) for i in range(12)]
    found = discover(cases, example_config(), [])
    assert {("form", "Demo request"), ("form", "Newsletter"), ("event", "form_submission")} <= {
        (a.field, a.value) for a in found
    }


def test_every_current_rule_is_measured_under_its_own_id() -> None:
    config = example_config()
    found = [a for a in discover([case(0)], config, []) if a.current]
    assert [a.id for a in found] == [r.id for r in (*config.fit, *config.engagement)]
    assert {a.was for a in found} >= {r.points for r in config.fit}


def test_engagement_counts_events_up_to_the_rules_cap_without_fading() -> None:
    old = [event(EventKind.PAGE_VIEW, 150 + n, url="https://x.com/pricing") for n in range(5)]
    cases = [case(i, *old) for i in range(12)]
    pricing = next(a for a in discover(cases, example_config(), []) if a.value == "/pricing")
    amount = features(cases, [pricing], example_config()).amount.toarray()
    assert amount[:, 0].tolist() == [pricing.rule["max_times"]] * 12


def test_a_group_matches_exactly_the_people_its_rule_alone_would_score() -> None:
    cases = [case(i, page("/pricing" if i % 3 else "/blog/x"), industry=["retail", "media"][i % 2])
             for i in range(30)]  # fmt: skip
    found = discover(cases, example_config())
    present = features(cases, found, example_config()).present.toarray()
    for column, attribute in enumerate(found):
        rules = compile_rules(_alone(attribute))
        matched = [bool(score(c.person, c.events, rules, c.cutoff).contributions) for c in cases]
        assert matched == present[:, column].astype(bool).tolist(), attribute


def _alone(attribute):
    """A ruleset holding only the attribute's rule, as an admin would write it."""
    section = "fit" if attribute.axis == "fit" else "engagement"
    rule = {"id": "x", "label": "x", "points": 1, **attribute.rule}
    table = {
        "stages": {"mql": {"total_at_least": 1}, "sql": {"total_at_least": 1}},
        "domain_lists": example_config().domain_lists,
        "fit": [rule] if section == "fit" else [],
        "engagement": [rule] if section == "engagement" else [],
    }
    return load_scoring(table)
