"""Which CRM a field's value comes from: each rule decides a conflicting value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadsync.mapping.sources import DEFAULT_RULE, Source, SourceRule, merge, values

EARLY = datetime(2026, 9, 1, tzinfo=UTC)
LATE = EARLY + timedelta(days=3)
HUBSPOT = Source("hubspot", "contact", "101", EARLY, {"title": "Head of Buying", "employees": None})
LEAD = Source("salesforce", "Lead", "00Q1", LATE,
              {"title": "Buyer", "employees": 40, "lead_source": "Web"})  # fmt: skip


def test_by_default_the_hubspot_profile_wins_and_salesforce_fills_gaps():
    merged = merge([LEAD, HUBSPOT], {})
    assert values(merged) == {"title": "Head of Buying", "employees": 40, "lead_source": "Web"}
    assert (merged["title"].system, merged["employees"].system) == ("hubspot", "salesforce")


def test_prefer_salesforce_unless_blank():
    merged = merge([HUBSPOT, LEAD], {"title": SourceRule("prefer", "salesforce")})
    assert merged["title"].value == "Buyer" and merged["title"].record == "00Q1"


def test_always_a_system_even_when_it_has_no_value():
    rules = {
        "employees": SourceRule("always", "hubspot"),
        "title": SourceRule("always", "salesforce"),
    }
    assert values(merge([HUBSPOT, LEAD], rules)) == {"title": "Buyer", "lead_source": "Web"}


def test_most_recent_follows_the_crms_own_change_times():
    rule = {"title": SourceRule("most_recent")}
    assert merge([HUBSPOT, LEAD], rule)["title"].value == "Buyer"
    newer_hubspot = Source("hubspot", "contact", "101", LATE + timedelta(hours=1), HUBSPOT.fields)
    assert merge([newer_hubspot, LEAD], rule)["title"].value == "Head of Buying"


def test_an_ignored_system_never_fills_a_field():
    rules = {"lead_source": SourceRule("prefer", "hubspot", frozenset({"salesforce"}))}
    assert "lead_source" not in merge([HUBSPOT, LEAD], rules)


def test_a_value_cleared_in_the_crm_is_no_value_any_more():
    cleared = Source("hubspot", "contact", "101", LATE, {"title": ""})
    assert merge([cleared], {}) == {}


@given(st.permutations([HUBSPOT, LEAD]), st.sampled_from(["prefer", "most_recent"]))
def test_the_order_records_are_read_in_never_decides(order, kind):
    rule = SourceRule(kind, "hubspot" if kind == "prefer" else None)
    assert merge(order, {}, rule) == merge([HUBSPOT, LEAD], {}, rule)
    assert merge(order, {}) == merge([HUBSPOT, LEAD], {}, SourceRule("prefer", "hubspot"))
    assert DEFAULT_RULE.describe() == "prefer the CRMs in their default order unless blank"
