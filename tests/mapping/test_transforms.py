"""Transforms from CRM strings to canonical values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsync.mapping import transforms as t

NO_OPTS: dict = {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("51-200", 51), ("1,000", 1000), ("1000+", 1000), ("$2.5M", 2_500_000), ("17", 17), (42, 42)],
)
def test_numbers_from_crm_strings(raw, expected):
    assert t.number(raw, NO_OPTS) == expected


def test_range_pick_is_configurable():
    assert t.number("51-200", {"range": "high"}) == 200
    assert t.number("50-100", {"range": "mid"}) == 75


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_never_change_the_value(n):
    assert t.number(f"{n:,}", NO_OPTS) == n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_range_lower_bound(low, span):
    assert t.number(f"{low}-{low + span}", NO_OPTS) == low


def test_not_a_number_says_what_it_got():
    with pytest.raises(ValueError, match="'lots' is not a number"):
        t.number("lots", NO_OPTS)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_epoch_ms_and_iso_agree(moment):
    moment = moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
    epoch_ms = str((moment - t.EPOCH) // timedelta(milliseconds=1))
    assert t.timestamp(epoch_ms, NO_OPTS) == moment
    assert t.timestamp(moment.isoformat().replace("+00:00", "Z"), NO_OPTS) == moment
    salesforce = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    assert t.timestamp(salesforce, NO_OPTS) == moment


@given(st.emails())
def test_emails_normalise_idempotently(address):
    once = t.email(address, NO_OPTS)
    assert once == once.lower()
    assert t.email(once, NO_OPTS) == once


@pytest.mark.parametrize("bad", ["no-at-sign", "two@@at.com", "a@nodot", "spaces in@x.com"])
def test_invalid_email_is_an_error(bad):
    with pytest.raises(ValueError, match="not an email address"):
        t.email(bad, NO_OPTS)


def test_email_keeps_apostrophes():
    assert t.email("  O'Brien@Example.COM ", NO_OPTS) == "o'brien@example.com"


def test_picklist_maps_and_rejects_unknown_values_with_the_known_list():
    opts = {"values": {"COMPUTER_SOFTWARE": "software"}}
    assert t.picklist("COMPUTER_SOFTWARE", opts) == "software"
    with pytest.raises(ValueError, match="known: COMPUTER_SOFTWARE"):
        t.picklist("FARMING", opts)
    assert t.picklist("FARMING", {**opts, "default": "other"}) == "other"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("US", "United States"),
        ("usa", "United States"),
        ("Deutschland", "Germany"),
        (" United Kingdom ", "United Kingdom"),
        ("Atlantis", "Atlantis"),
    ],
)
def test_country_names(raw, expected):
    assert t.country(raw, NO_OPTS) == expected


def test_us_state_codes_become_names():
    assert t.us_state("ca", NO_OPTS) == "California"


@pytest.mark.parametrize(
    ("title", "band"),
    [
        ("Chief Marketing Officer", "c_level"),
        ("VP Sales", "vp"),
        ("Head of Growth", "vp"),
        ("Director of E-commerce", "director"),
        ("Marketing Manager", "manager"),
        ("Student", "student"),
        ("Marketing Intern", "intern"),
        ("Copywriter", "individual"),
    ],
)
def test_seniority_from_title(title, band):
    assert t.seniority(title, NO_OPTS) == band


@pytest.mark.parametrize("name", sorted(t.TRANSFORMS))
def test_every_transform_passes_blank_through_as_none(name):
    assert t.TRANSFORMS[name](None, {"values": {}}) is None
    assert t.TRANSFORMS[name]("  ", {"values": {}}) is None


@pytest.mark.parametrize("value", ["1" + "0" * 400, "1e400", 10**400, float("inf"), float("nan")])
def test_a_number_too_large_for_any_column_is_an_error_not_a_stored_infinity(value):
    with pytest.raises(ValueError, match="not a finite number"):
        t.number(value, {})


def test_an_email_longer_than_any_real_address_is_an_error_naming_its_length():
    with pytest.raises(ValueError, match="400 characters"):
        t.email("a" * 388 + "@example.com", {})


def test_control_characters_are_not_part_of_an_email_or_a_name():
    with pytest.raises(ValueError, match="not an email address"):
        t.email("ann\x00@example.com", {})
    assert t.text("Ann\x00 Lee\x07", {}) == "Ann Lee"
    assert t.text("\x00", {}) is None
