"""Scoring one person with the shipped rules: points, decay, caps, grade and evidence."""

from __future__ import annotations

from leadsync.mapping.model import EventKind
from leadsync.scoring import compile_rules, load_scoring, score
from leadsync.scoring.engine import _PHRASES
from leadsync.scoring.model import ENGAGEMENT, FIT
from tests.scoring.factories import (
    NOW,
    ago,
    event,
    example_rules,
    example_table,
    form,
    good_fit,
    page,
    person,
)


def points(result, axis: str | None = None) -> dict[str, float]:
    return {c.rule_id: c.points for c in result.contributions if axis in (None, c.axis)}


def test_seed_example_gives_exactly_the_agreed_points() -> None:
    did = [
        form("Technical white paper"),
        page("/pricing"),
        event(EventKind.PAID_AD_CLICK, utm_source="google", utm_medium="cpc"),
        page("/kb/getting-started"),
        page("/careers"),
    ]
    result = score(person(), did, example_rules(), NOW)
    assert points(result, ENGAGEMENT) == {
        "white-paper": 5.0,
        "pricing-page": 10.0,
        "paid-ad": 5.0,
        "product-kb": 5.0,
        "careers-page": -10.0,
    }
    assert result.engagement == 15.0


def test_fit_rules_read_the_canonical_fields() -> None:
    result = score(good_fit(), [], example_rules(), NOW)
    assert points(result, FIT) == {
        "industry-core": 15.0,
        "employees-large": 15.0,
        "revenue-target": 10.0,
        "title-executive": 15.0,
        "platform-shopify": 10.0,
        "country-served": 5.0,
    }
    assert (result.fit, result.engagement, result.total, result.grade) == (70.0, 0.0, 70.0, "A4")


def test_engagement_halves_every_half_life_and_a_window_drops_old_events() -> None:
    result = score(
        person(), [page("/pricing", 90), event(EventKind.EMAIL_OPEN, 31)], example_rules(), NOW
    )
    assert points(result, ENGAGEMENT) == {"pricing-page": 5.0, "email-open": 0.0}
    assert score(person(), [page("/pricing", 180)], example_rules(), NOW).engagement == 2.5


def test_max_times_counts_only_the_most_recent_matches() -> None:
    views = [page("/pricing", d) for d in (0, 0, 0, 400, 400)]
    [part] = [
        c
        for c in score(person(), views, example_rules(), NOW).contributions
        if c.rule_id == "pricing-page"
    ]
    assert (part.rule_id, part.points, part.count) == ("pricing-page", 30.0, 5)
    assert part.evidence == "viewed /pricing 5×, 3 counted (last 2026-10-02)"


def test_lasting_signals_never_fade_and_future_events_count_as_now() -> None:
    result = score(
        person(), [event(EventKind.UNSUBSCRIBE, 400), page("/pricing", -3)], example_rules(), NOW
    )
    assert points(result, ENGAGEMENT) == {"unsubscribed": -15.0, "pricing-page": 10.0}


def test_evidence_says_what_happened_and_when() -> None:
    result = score(
        good_fit(),
        [form("Demo request", 3), page("/pricing?ref=ad#top", 1), page("/pricing", 2)],
        example_rules(),
        NOW,
    )
    evidence = {c.rule_id: c.evidence for c in result.contributions}
    assert evidence["demo-request"] == "submitted Demo request (2026-09-29)"
    assert evidence["pricing-page"] == "viewed /pricing 2× (last 2026-10-01)"
    assert evidence["revenue-target"] == "annual_revenue: 20,000,000"
    assert evidence["title-executive"] == "title: VP Marketing"


def test_contributions_are_sorted_by_weight_and_add_up_to_the_totals() -> None:
    did = [
        form("Demo request", 10),
        page("/pricing", 33),
        page("/careers", 7),
        event(EventKind.EMAIL_CLICK, 12, campaign="Oct"),
    ]
    result = score(good_fit(), did, example_rules(), NOW)
    weights = [abs(c.points) for c in result.contributions]
    assert weights == sorted(weights, reverse=True)
    tenths = {
        axis: sum(round(c.points * 10) for c in result.contributions if c.axis == axis)
        for axis in (FIT, ENGAGEMENT)
    }
    assert (tenths[FIT], tenths[ENGAGEMENT]) == (
        round(result.fit * 10),
        round(result.engagement * 10),
    )
    assert round(result.total * 10) == tenths[FIT] + tenths[ENGAGEMENT]


def test_email_domains_match_lists_with_subdomains_and_fall_back_to_the_email() -> None:
    rules = example_rules()
    assert "education-domain" in points(score(person("a@cs.mit.edu"), [], rules, NOW))
    assert "competitor" in points(score(person("b@competitor-one.com"), [], rules, NOW))
    assert "free-mail" in points(score(person("c@x.com", email_domain="GMAIL.com"), [], rules, NOW))
    assert "free-mail" not in points(score(person("d@notgmail.com"), [], rules, NOW))


def test_ranges_include_the_lower_bound_and_exclude_the_upper() -> None:
    rules = example_rules()
    for employees, rule in (
        (200, "employees-large"),
        (199, "employees-mid"),
        (9, "employees-small"),
    ):
        assert rule in points(score(person(employees=employees), [], rules, NOW))


def test_title_regexes_match_words_not_fragments() -> None:
    rules = example_rules()
    director = points(score(person(title="Director of Growth"), [], rules, NOW))
    assert "title-director" in director and "title-executive" not in director  # "cto" in it
    assert "title-missing" in points(score(person(), [], rules, NOW))


def test_a_missing_value_matches_only_absent() -> None:
    table = example_table()
    table["fit"] = [
        {
            "id": "not-retail",
            "label": "Not retail",
            "field": "industry",
            "op": "not_in",
            "value": ["retail"],
            "points": 1,
        }
    ]
    rules = compile_rules(
        load_scoring(
            table
            | {
                "engagement": [],
                "recycle": [],
                "stages": {"mql": {"total_at_least": 1}, "sql": {"fit_at_least": 2}},
            }
        )
    )
    assert score(person(), [], rules, NOW).fit == 0
    assert score(person(industry="software"), [], rules, NOW).fit == 1
    assert score(person(industry="Retail"), [], rules, NOW).fit == 0


def test_careers_only_engagement_is_no_intent() -> None:
    rules = example_rules()
    assert score(person(), [page("/careers"), page("/jobs/4")], rules, NOW).no_intent
    assert not score(person(), [page("/careers"), page("/blog/x")], rules, NOW).no_intent
    assert not score(person(), [], rules, NOW).no_intent


def test_last_engaged_at_is_the_newest_event_earning_points() -> None:
    did = [page("/careers", 1), page("/pricing", 5), form("Newsletter", 9), page("/blog", 0)]
    assert score(person(), did, example_rules(), NOW).last_engaged_at == ago(5)


def test_grade_grid_uses_the_configured_bands() -> None:
    rules = example_rules()
    did = [form("Demo request"), form("Contact sales"), page("/pricing")]
    assert score(good_fit(), did, rules, NOW).grade == "A1"
    assert score(person("x@gmail.com", title="Analyst"), [], rules, NOW).grade == "D4"


def test_every_event_kind_reads_as_evidence() -> None:
    assert set(_PHRASES) == set(EventKind)
