"""Marketing history: web analytics events, form submissions and marketing email events."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import BASE_MS, iso

pytestmark = pytest.mark.integration

EVENTS = "/events/v3/events/"


def pages(hubspot, path, params, cursor="after"):
    """Follow a cursor to the end; returns every page's body."""
    bodies = []
    while True:
        answer = hubspot.call("GET", path, params=params)
        assert answer.status_code == 200, answer.text
        bodies.append(answer.json())
        following = answer.json().get("paging", {}).get("next", {}).get("after")
        if cursor == "offset":
            following = answer.json().get("offset") if answer.json()["hasMore"] else None
        if following is None:
            return bodies
        params = {**params, cursor: following}


def test_page_views_page_oldest_first_by_default(hubspot):
    bodies = pages(
        hubspot, EVENTS, {"objectType": "contact", "eventType": "e_visited_page", "limit": 10}
    )
    events = [e for body in bodies for e in body["results"]]
    assert [len(b["results"]) for b in bodies] == [10, 10, 5]
    assert [e["occurredAt"] for e in events] == sorted(e["occurredAt"] for e in events)
    assert events[0]["objectType"] == "CONTACT"
    assert events[0]["properties"]["hs_url"] == "https://www.example.com/page-1"


def test_page_views_of_one_contact_in_a_window_newest_first(hubspot):
    params = {
        "objectType": "contact",
        "objectId": "102",
        "occurredAfter": iso(BASE_MS + 3000),
        "occurredBefore": iso(BASE_MS + 19_000),
        "sort": "DESCENDING",
    }
    events = hubspot.call("GET", EVENTS, params=params).json()["results"]
    # contact 102 saw pages 1, 4, 7, ...; both bounds are exclusive.
    pages_seen = [int(e["properties"]["hs_url"].rsplit("-", 1)[1]) for e in events]
    assert pages_seen == [16, 13, 10, 7, 4]
    assert {e["objectId"] for e in events} == {"102"}


def test_other_event_types_have_no_page_views(hubspot):
    params = {"objectType": "contact", "eventType": "e_opened_email"}
    assert hubspot.call("GET", EVENTS, params=params).json()["results"] == []


def test_form_submissions_newest_first_with_paging(hubspot):
    path = "/form-integrations/v1/submissions/forms/form-demo"
    bodies = pages(hubspot, path, {"limit": 2})
    submitted = [s["submittedAt"] for body in bodies for s in body["results"]]
    assert submitted == sorted(submitted, reverse=True)
    assert len(submitted) == 6
    assert isinstance(submitted[0], int)
    assert hubspot.call("GET", path, params={"limit": 51}).status_code == 400
    assert hubspot.call("GET", "/form-integrations/v1/submissions/forms/nope").status_code == 404


def test_submitting_a_form_creates_the_contact_and_records_a_conversion(hubspot):
    body = {
        "fields": [
            {"objectTypeId": "0-1", "name": "email", "value": "Visitor@Example.org"},
            {"objectTypeId": "0-1", "name": "firstname", "value": "Vera"},
        ],
        "context": {"pageUri": "https://www.example.com/demo", "pageName": "Demo"},
    }
    portal = hubspot.state.settings.portal_id
    answer = hubspot.session.post(
        f"{hubspot.url}/submissions/v3/integration/submit/{portal}/form-demo", json=body
    )
    assert answer.status_code == 200, answer.text
    params = {
        "idProperty": "email",
        "properties": "firstname,num_conversion_events,recent_conversion_event_name",
    }
    contact = hubspot.call(
        "GET", "/crm/v3/objects/contacts/visitor@example.org", params=params
    ).json()
    assert contact["properties"]["firstname"] == "Vera"
    assert contact["properties"]["num_conversion_events"] == "1"
    assert contact["properties"]["recent_conversion_event_name"] == "Demo request"
    newest = hubspot.call(
        "GET", "/form-integrations/v1/submissions/forms/form-demo", params={"limit": 1}
    )
    assert newest.json()["results"][0]["pageUrl"] == "https://www.example.com/demo"


def test_email_events_filter_and_page_with_offset(hubspot):
    path = "/email/public/v1/events"
    params = {"recipient": "person1@example1.com", "eventType": "OPEN", "limit": 3}
    bodies = pages(hubspot, path, params, cursor="offset")
    events = [e for body in bodies for e in body["events"]]
    assert {e["type"] for e in events} == {"OPEN"}
    assert {e["recipient"] for e in events} == {"person1@example1.com"}
    assert [e["created"] for e in events] == sorted((e["created"] for e in events), reverse=True)
    assert len(events) == 5
    window = {"startTimestamp": BASE_MS + 2000, "endTimestamp": BASE_MS + 4000}
    inside = hubspot.call("GET", path, params=window).json()["events"]
    assert [e["created"] for e in inside] == [BASE_MS + 4000, BASE_MS + 3000, BASE_MS + 2000]


def test_forms_list(hubspot):
    answer = hubspot.call("GET", "/marketing/v3/forms/", params={"limit": 1}).json()
    assert answer["results"][0]["id"] == "form-demo"
    following = hubspot.call(
        "GET", "/marketing/v3/forms/", params={"after": answer["paging"]["next"]["after"]}
    )
    assert [f["id"] for f in following.json()["results"]] == ["form-ebook"]


def test_event_types_name_the_page_view(hubspot):
    types = hubspot.client().events.events_api.get_types()
    assert types.event_types == ["e_visited_page"]
