"""Cursor paging of the list API over a large portal, and archived records."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import small_world

pytestmark = pytest.mark.integration


def test_paging_through_25000_contacts_sees_each_once_in_id_order(hubspot_factory):
    hubspot = hubspot_factory(world=small_world(25_000))
    seen: list[int] = []
    params = {"limit": 100, "properties": ["email", "lifecyclestage"]}
    while True:
        answer = hubspot.call("GET", "/crm/v3/objects/contacts", params=params)
        assert answer.status_code == 200
        body = answer.json()
        seen += [int(r["id"]) for r in body["results"]]
        if "paging" not in body:
            break
        assert body["paging"]["next"]["link"].startswith(hubspot.url)
        params = {**params, "after": body["paging"]["next"]["after"]}
    assert seen == list(range(101, 25_101))


def test_limit_above_100_is_capped(hubspot_factory):
    hubspot = hubspot_factory(world=small_world(150))
    answer = hubspot.call("GET", "/crm/v3/objects/contacts", params={"limit": 500}).json()
    assert len(answer["results"]) == 100
    assert "paging" in answer


def test_properties_accepted_repeated_and_comma_separated(hubspot):
    repeated = hubspot.call(
        "GET", "/crm/v3/objects/contacts/101?properties=email&properties=jobtitle"
    )
    commas = hubspot.call("GET", "/crm/v3/objects/contacts/101?properties=email,jobtitle")
    assert repeated.json()["properties"] == commas.json()["properties"]
    assert "jobtitle" in commas.json()["properties"]


def test_archived_records_leave_the_list_and_appear_with_archived_true(hubspot):
    assert hubspot.call("DELETE", "/crm/v3/objects/contacts/101").status_code == 204
    active = hubspot.call("GET", "/crm/v3/objects/contacts", params={"limit": 100}).json()
    assert "101" not in {r["id"] for r in active["results"]}
    archived = hubspot.call("GET", "/crm/v3/objects/contacts", params={"archived": "true"}).json()
    assert [(r["id"], r["archived"]) for r in archived["results"]] == [("101", True)]
    assert "archivedAt" in archived["results"][0]


def test_object_type_aliases_and_unknown_types(hubspot):
    by_id = hubspot.call("GET", "/crm/v3/objects/0-1", params={"limit": 2}).json()
    assert [r["id"] for r in by_id["results"]] == ["101", "102"]
    unknown = hubspot.call("GET", "/crm/v3/objects/butterflies")
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Unable to infer object type from: butterflies"
