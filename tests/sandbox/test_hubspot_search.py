"""CRM search: filter semantics, HubSpot's request limits, paging, the 10,000 cap, index lag."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.sandbox.hubspot import HubSpotSettings, HubSpotState
from leadsync.sandbox.hubspot import search as search_module
from tests.sandbox.conftest import BASE_MS, FakeClock, iso, small_world

pytestmark = pytest.mark.integration


def search(hubspot, *filters_groups, **body):
    groups = [{"filters": list(group)} for group in filters_groups]
    response = hubspot.call(
        "POST",
        "/crm/v3/objects/contacts/search",
        json={"filterGroups": groups, "limit": 200, **body},
    )
    return response


def ids(response):
    assert response.status_code == 200, response.text
    return [int(r["id"]) - 100 for r in response.json()["results"]]


def f(name, operator, value=None, **extra):
    return {"propertyName": name, "operator": operator, "value": value, **extra}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([f("lifecyclestage", "EQ", "lead")], [n for n in range(1, 31) if n % 5 == 1]),
        ([f("lifecyclestage", "NEQ", "lead")], [n for n in range(1, 31) if n % 5 != 1]),
        ([f("email", "EQ", "PERSON7@EXAMPLE1.COM")], [7]),
        ([f("hs_analytics_num_page_views", "GT", "5")], [n for n in range(1, 31) if n % 7 == 6]),
        ([f("hs_analytics_num_page_views", "LTE", "0")], [n for n in range(1, 31) if n % 7 == 0]),
        (
            [f("lastmodifieddate", "BETWEEN", str(BASE_MS + 3000), highValue=str(BASE_MS + 5000))],
            [3, 4, 5],
        ),
        ([f("lastmodifieddate", "LT", "2023-11-14T22:13:23.000Z")], [1, 2]),
        (
            [{"propertyName": "numemployees", "operator": "IN", "values": ["1000+", "1-5"]}],
            [n for n in range(1, 31) if n % 3 != 1],
        ),
        (
            [{"propertyName": "numemployees", "operator": "NOT_IN", "values": ["1000+", "1-5"]}],
            [n for n in range(1, 31) if n % 3 == 1],
        ),
        ([f("jobtitle", "HAS_PROPERTY")], [n for n in range(1, 31) if n % 2]),
        ([f("jobtitle", "NOT_HAS_PROPERTY")], [n for n in range(1, 31) if not n % 2]),
        ([f("jobtitle", "CONTAINS_TOKEN", "engineering")], [n for n in range(1, 31) if n % 4 == 1]),
        ([f("email", "CONTAINS_TOKEN", "*@example2.com")], [n for n in range(1, 31) if n % 3 == 2]),
        ([f("hs_object_id", "LT", "104")], [1, 2, 3]),
    ],
)
def test_operators(hubspot, filters, expected):
    assert ids(search(hubspot, filters)) == expected


def test_groups_are_ored_and_filters_anded(hubspot):
    both = [f("lifecyclestage", "EQ", "lead"), f("jobtitle", "HAS_PROPERTY")]
    either = [f("email", "EQ", "person2@example2.com")]
    assert ids(search(hubspot, both, either)) == [1, 2, 11, 21]


def test_no_properties_requested_returns_the_defaults_and_a_total(hubspot):
    answer = search(hubspot, [f("lifecyclestage", "EQ", "lead")]).json()
    assert answer["total"] == 6
    first = answer["results"][0]
    assert sorted(first["properties"]) == [
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ]
    assert all(isinstance(v, str) for v in first["properties"].values())


def test_requested_properties_only_plus_system_ones_and_unknown_ones_ignored(hubspot):
    answer = search(hubspot, [], properties=["jobtitle", "nonexistent"]).json()
    assert sorted(answer["results"][1]["properties"]) == [
        "createdate",
        "hs_object_id",
        "jobtitle",
        "lastmodifieddate",
    ]
    assert answer["results"][1]["properties"]["jobtitle"] is None


def test_sorts_and_offset_paging(hubspot):
    body = {"sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], "limit": 4}
    first = search(hubspot, [f("lastmodifieddate", "GTE", str(BASE_MS))], **body).json()
    assert [int(r["id"]) for r in first["results"]] == [130, 129, 128, 127]
    assert first["paging"]["next"]["after"] == "4"
    second = search(hubspot, [f("lastmodifieddate", "GTE", str(BASE_MS))], after="4", **body)
    assert ids(second) == [26, 25, 24, 23]
    by_views = search(hubspot, [], sorts=["-hs_analytics_num_page_views"], limit=3)
    assert ids(by_views) == [27, 20, 13]  # ties: id descending, as in the index order


def test_last_page_has_no_paging(hubspot):
    answer = search(hubspot, [f("lifecyclestage", "EQ", "lead")], limit=6).json()
    assert "paging" not in answer


@pytest.mark.parametrize(
    "body",
    [
        {"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")]}] * 6},
        {"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")] * 11}]},
        {"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")] * 6}] * 5},
        {"limit": 201},
        {"filterGroups": "lifecyclestage=lead"},
        {"sorts": "createdate"},
        {"filterGroups": [{"filters": [f("email", "LIKE", "x")]}]},
        {"filterGroups": [{"filters": [f("lastmodifieddate", "GTE", "yesterday")]}]},
        {"filterGroups": [{"filters": [f("no_such_property", "EQ", "x")]}]},
    ],
)
def test_refused_requests(hubspot, body):
    response = hubspot.call("POST", "/crm/v3/objects/contacts/search", json=body)
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_up_to_25_filters_are_accepted(hubspot):
    groups = [[f("email", "HAS_PROPERTY")] * 5] * 5
    assert len(ids(search(hubspot, *groups))) == 30


def test_paging_past_ten_thousand_results_is_refused(hubspot_factory):
    hubspot = hubspot_factory(world=small_world(10_050))
    window = [f("lastmodifieddate", "GTE", str(BASE_MS))]
    sort = {"sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]}
    last_allowed = search(hubspot, window, after="9800", **sort).json()
    assert last_allowed["total"] == 10_050
    assert len(last_allowed["results"]) == 200
    assert last_allowed["paging"]["next"]["after"] == "10000"
    refused = search(hubspot, window, after="10000", **sort)
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"


def test_records_modified_within_the_lag_are_not_yet_searchable(hubspot_factory):
    clock = FakeClock()
    hubspot = hubspot_factory(settings=HubSpotSettings(search_lag_seconds=5), clock=clock)
    hubspot.state.settings.ten_second_limit = None
    hubspot.call(
        "PATCH", "/crm/v3/objects/contacts/101", json={"properties": {"firstname": "Late"}}
    )
    query = [f("firstname", "EQ", "Late")]
    assert ids(search(hubspot, query)) == []
    clock.advance(6)
    assert ids(search(hubspot, query)) == [1]


def test_iso_and_epoch_date_filters_agree(hubspot):
    epoch = search(hubspot, [f("lastmodifieddate", "GTE", str(BASE_MS + 28_000))])
    iso = search(hubspot, [f("lastmodifieddate", "GTE", "2023-11-14T22:13:48Z")])
    assert ids(epoch) == ids(iso) == [28, 29, 30]


def test_free_text_query(hubspot):
    assert ids(search(hubspot, [], query="first12")) == [12]


def test_window_with_other_filters_keeps_id_order(hubspot):
    window = [
        f("lastmodifieddate", "GTE", str(BASE_MS + 10_000)),
        f("lifecyclestage", "EQ", "lead"),
    ]
    assert ids(search(hubspot, window)) == [11, 16, 21, 26]


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.integers(0, 20), min_size=1, max_size=40),
    low=st.one_of(st.none(), st.integers(0, 20)),
    high=st.one_of(st.none(), st.integers(0, 20)),
    descending=st.booleans(),
    offset=st.integers(0, 10),
    limit=st.integers(1, 7),
)
def test_index_answers_like_a_full_scan(times, low, high, descending, offset, limit):
    """The index fast path and the scanning path agree, ties included."""
    world = small_world(len(times))
    for contact, second in zip(world.contacts, times, strict=True):
        contact["updatedAt"] = iso(BASE_MS + second * 1000)
    state = HubSpotState()
    state.load(world)
    window = []
    if low is not None:
        window.append(f("lastmodifieddate", "GTE", str(BASE_MS + low * 1000)))
    if high is not None:
        window.append(f("lastmodifieddate", "LTE", str(BASE_MS + high * 1000)))
    direction = "DESCENDING" if descending else "ASCENDING"
    body = {"sorts": [{"propertyName": "lastmodifieddate", "direction": direction}]}
    body.update(limit=limit, after=str(offset))

    def answer(filters):
        request = {**body, "filterGroups": [{"filters": filters}] if filters else []}
        query = search_module.parse(request, state.registry, "contacts", 10_000)
        records, total = search_module.run(state.store("contacts"), state.registry, query, None)
        return [r.id for r in records], total

    scanned = answer([*window, f("email", "HAS_PROPERTY")])
    assert answer(window) == scanned
