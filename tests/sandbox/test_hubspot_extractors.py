"""Endpoints third-party extractors need, in their real shapes (recordings where they exist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

RECORDED = (
    Path(__file__).parents[1] / "fixtures" / "hubspot" / "amp_labs_connectors" / "providers"
    / "hubspot" / "test" / "read"
)  # fmt: skip
SHARED = Path(__file__).parents[3] / "shared" / "fixtures" / "real" / "amp_labs_connectors"


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


def keys_of(item: dict) -> set[str]:
    return set(item)


def make(hubspot, object_type: str, properties: dict) -> str:
    answer = hubspot.call("POST", f"/crm/v3/objects/{object_type}", json={"properties": properties})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_schemas_list_every_object_in_the_recorded_shape(hubspot):
    answer = hubspot.call("GET", "/crm/v3/schemas").json()["results"]
    by_name = {s["name"]: s for s in answer}
    assert {"CONTACT", "DEAL", "TICKET"} <= set(by_name)
    path = SHARED / "providers" / "hubspot" / "test" / "read" / "schemas" / "contacts.json"
    if not path.exists():
        pytest.skip("the shared recordings are not here")
    theirs = json.loads(path.read_text())
    assert keys_of(by_name["CONTACT"]) == keys_of(theirs)
    assert by_name["CONTACT"]["objectTypeId"] == theirs["objectTypeId"] == "0-1"
    assert keys_of(theirs["properties"][0]) - {"dataSensitivity"} <= keys_of(
        by_name["CONTACT"]["properties"][0]
    )


def test_legacy_properties_and_forms_are_plain_lists(hubspot):
    properties = hubspot.call("GET", "/properties/v2/contacts/properties").json()
    assert isinstance(properties, list) and {"email", "lifecyclestage"} <= {
        p["name"] for p in properties
    }
    assert {"readOnlyValue", "groupName", "fieldType"} <= set(properties[0])
    forms = hubspot.call("GET", "/forms/v2/forms").json()
    assert isinstance(forms, list) and {f["guid"] for f in forms} == set(hubspot.state.forms)


def test_legacy_engagements_page_by_offset_in_the_recorded_shape(hubspot):
    contact = next(iter(hubspot.state.stores["contacts"].records))
    for n in range(5):
        made = make(hubspot, "calls", {"hs_timestamp": f"2026-01-0{n + 1}T10:00:00Z"})
        hubspot.call("PUT", f"/crm/v4/objects/calls/{made}/associations/default/contacts/{contact}")
    seen, offset = [], 0
    while True:
        page = hubspot.call("GET", f"/engagements/v1/engagements/paged?limit=2&offset={offset}")
        body = page.json()
        seen += body["results"]
        offset = body["offset"]
        if not body["hasMore"]:
            break
    total = sum(len(hubspot.state.stores[t].records) for t in
                ("calls", "emails", "meetings", "notes", "tasks"))  # fmt: skip
    assert len(seen) == total == len({e["engagement"]["id"] for e in seen})
    theirs = recorded("engagements.json")
    assert keys_of(body) == keys_of(theirs)
    sample = next(e for e in seen if e["associations"]["contactIds"])
    assert {"engagement", "associations", "attachments", "metadata"} <= keys_of(sample)
    assert keys_of(sample["engagement"]) <= keys_of(theirs["results"][0]["engagement"])
    assert {"contactIds", "companyIds", "dealIds", "ticketIds"} <= keys_of(sample["associations"])
    recent = hubspot.call("GET", "/engagements/v1/engagements/recent/modified?since=0&count=100")
    assert recent.json()["total"] == total


def test_deals_and_tickets_are_objects_with_search_and_associations(hubspot):
    contact = next(iter(hubspot.state.stores["contacts"].records))
    deal = make(hubspot, "deals", {"dealname": "Replatforming", "dealstage": "qualifiedtobuy",
                                   "pipeline": "default", "amount": "12000"})  # fmt: skip
    make(hubspot, "tickets", {"subject": "Checkout broken", "hs_pipeline": "0",
                              "hs_pipeline_stage": "1"})  # fmt: skip
    linked = hubspot.call(
        "PUT", f"/crm/v4/objects/deals/{deal}/associations/default/contacts/{contact}"
    )
    assert linked.status_code == 200
    search = {"filterGroups": [{"filters": [{"propertyName": "dealstage", "operator": "EQ",
                                             "value": "qualifiedtobuy"}]}]}  # fmt: skip
    found = hubspot.call("POST", "/crm/v3/objects/deals/search", json=search).json()
    assert [r["id"] for r in found["results"]] == [deal]
    links = hubspot.call("GET", f"/crm/v4/objects/contacts/{contact}/associations/deals").json()
    assert [str(r["toObjectId"]) for r in links["results"]] == [deal]
    tickets = hubspot.call("GET", "/crm/v3/objects/tickets?properties=subject").json()
    assert tickets["results"][0]["properties"]["subject"] == "Checkout broken"
    bad = hubspot.call("POST", "/crm/v3/objects/deals", json={"properties": {"dealstage": "nope"}})
    assert bad.status_code == 400


def test_a_top_level_filters_array_filters_and_is_never_ignored(hubspot):
    everyone = hubspot.call("POST", "/crm/v3/objects/contacts/search", json={"limit": 100})
    top = {"filters": [{"propertyName": "email", "operator": "EQ",
                        "value": "person1@example1.com"}], "limit": 100}  # fmt: skip
    found = hubspot.call("POST", "/crm/v3/objects/contacts/search", json=top).json()
    assert found["total"] == 1 < everyone.json()["total"]
    both = {**top, "filterGroups": [{"filters": top["filters"]}]}
    refused = hubspot.call("POST", "/crm/v3/objects/contacts/search", json=both)
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"


def test_the_oauth_refresh_grant_gives_a_working_token(hubspot):
    form = {"grant_type": "refresh_token", "client_id": "app", "client_secret": "secret",
            "refresh_token": "sandbox-refresh-token"}  # fmt: skip
    granted = requests.post(f"{hubspot.url}/oauth/v1/token", data=form, timeout=10).json()
    assert set(granted) == {"token_type", "refresh_token", "access_token", "expires_in"}
    headers = {"Authorization": f"Bearer {granted['access_token']}"}
    assert requests.get(f"{hubspot.url}/crm/v3/objects/contacts", headers=headers,
                        timeout=10).status_code == 200  # fmt: skip
    again = requests.post(f"{hubspot.url}/oauth/v1/token", timeout=10,
                          data={**form, "refresh_token": granted["refresh_token"]})  # fmt: skip
    assert again.status_code == 200
    refused = requests.post(f"{hubspot.url}/oauth/v1/token", timeout=10,
                            data={**form, "refresh_token": "nope"})  # fmt: skip
    assert refused.status_code == 400 and refused.json()["category"] == "BAD_REFRESH_TOKEN"
