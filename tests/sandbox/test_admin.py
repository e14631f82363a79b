"""The sandbox API at `sandbox_url`: stats, faults, reset, settings, tokens and seeding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInput, SimplePublicObjectInput
from hubspot.crm.contacts.exceptions import ServiceException

from leadsync.sandbox.server import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    """A sandbox of this module's own: these tests change settings, faults and data."""
    with Sandbox(contacts=40, seed=11) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def clean(running: Sandbox) -> Iterator[None]:
    yield
    admin(running, "POST", "/_sandbox/reset", json={"data": True})
    admin(running, "POST", "/_sandbox/settings", json={"hubspot": {"tier": "professional"}})
    admin(running, "POST", "/_sandbox/hubspot/tokens", json={"expired": False})


def admin(sandbox: Sandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, sandbox.urls["sandbox_url"] + path, timeout=30, **kwargs)


def client(sandbox: Sandbox) -> HubSpot:
    return HubSpot(access_token=sandbox.hubspot_token, host=sandbox.urls["hubspot_url"])


def first_contact(sandbox: Sandbox):
    return client(sandbox).crm.contacts.basic_api.get_page(limit=1, properties=["email"]).results[0]


def test_stats_count_requests_by_route_and_records(running):
    contacts = client(running).crm.contacts.basic_api
    contacts.get_page(limit=2)
    contact_id = contacts.get_page(limit=1).results[0].id
    contacts.get_by_id(contact_id)
    stats = admin(running, "GET", "/_sandbox/stats").json()
    hubspot = stats["hubspot"]
    assert hubspot["requests"] == hubspot["reads"] == 3
    assert hubspot["by_route"] == {
        "GET /crm/v3/objects/contacts": 2,
        "GET /crm/v3/objects/contacts/{contactId}": 1,
    }
    assert hubspot["records"]["contacts"] == 40
    assert set(stats) == {"hubspot", "salesforce"}
    assert set(stats["salesforce"]) >= {
        "requests",
        "reads",
        "writes",
        "throttled",
        "by_route",
        "records",
    }


def test_an_injected_fault_fires_count_times_on_its_route(running):
    fault = {
        "system": "hubspot",
        "status": 503,
        "rate": 1.0,
        "route": "POST /crm/v3/objects/contacts/batch/update",
        "count": 1,
    }
    assert admin(running, "POST", "/_sandbox/faults", json=fault).status_code == 200
    batch = client(running).crm.contacts.batch_api
    contact_id = first_contact(running).id
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": contact_id, "properties": {"jobtitle": "CEO"}}]
    )
    with pytest.raises(ServiceException) as failed:
        batch.update(body)
    assert failed.value.status == 503
    assert batch.update(body).results[0].properties["jobtitle"] == "CEO"
    stats = admin(running, "GET", "/_sandbox/stats").json()["hubspot"]
    assert stats["errors"] == 1
    assert stats["writes"] == 1
    assert admin(running, "DELETE", "/_sandbox/faults").json() == {"faults": []}


def test_bad_fault_is_refused(running):
    answer = admin(running, "POST", "/_sandbox/faults", json={"system": "hubspot", "status": "x"})
    assert answer.status_code == 400
    assert "error" in answer.json()


def test_reset_with_data_returns_to_the_seeded_world(running):
    contact = first_contact(running)
    client(running).crm.contacts.basic_api.update(
        contact.id, SimplePublicObjectInput(properties={"email": "x@y.z"})
    )
    answer = admin(running, "POST", "/_sandbox/reset", json={"data": True})
    assert answer.json() == {"reset": True, "data": True}
    assert first_contact(running).properties["email"] == contact.properties["email"]
    assert admin(running, "GET", "/_sandbox/stats").json()["hubspot"]["requests"] == 1


def test_settings_change_the_tier_and_limits(running):
    answer = admin(running, "POST", "/_sandbox/settings", json={"hubspot": {"tier": "starter"}})
    assert answer.json()["hubspot"]["ten_second_limit"] == 100
    headers = {"Authorization": f"Bearer {running.hubspot_token}"}
    url = running.urls["hubspot_url"] + "/crm/v3/objects/contacts"
    assert (
        requests.get(url, headers=headers, timeout=30).headers["X-HubSpot-RateLimit-Max"] == "100"
    )
    admin(running, "POST", "/_sandbox/settings", json={"hubspot": {"ten_second_limit": 1}})
    statuses = [requests.get(url, headers=headers, timeout=30).status_code for _ in range(2)]
    assert statuses[-1] == 429
    refused = admin(running, "POST", "/_sandbox/settings", json={"hubspot": {"warp_speed": 9}})
    assert refused.status_code == 400


def test_salesforce_daily_allowance_knob(running):
    if running.salesforce is None:
        pytest.skip("the Salesforce emulator is not available")
    answer = admin(
        running, "POST", "/_sandbox/settings", json={"salesforce": {"daily_allowance": 1234}}
    )
    assert answer.status_code == 200
    assert answer.json()["salesforce"]["daily_allowance"] == 1234


def test_expired_token_then_valid_again(running):
    admin(running, "POST", "/_sandbox/hubspot/tokens", json={"expired": True})
    headers = {"Authorization": f"Bearer {running.hubspot_token}"}
    url = running.urls["hubspot_url"] + "/crm/v3/objects/contacts"
    answer = requests.get(url, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["category"] == "EXPIRED_AUTHENTICATION"
    admin(running, "POST", "/_sandbox/hubspot/tokens", json={"expired": False})
    assert requests.get(url, headers=headers, timeout=30).status_code == 200


def test_seeded_page_view_shows_in_events_and_moves_the_contact(running):
    contact = first_contact(running)
    view = {"email": contact.properties["email"], "url": "https://www.example-saas.com/pricing"}
    created = admin(running, "POST", "/_sandbox/hubspot/page_views", json=view)
    assert created.status_code == 201
    events = client(running).events.events_api.get_page(
        object_type="contact",
        object_id=int(contact.id),
        event_type="e_visited_page",
        sort=["DESCENDING"],
    )
    assert events.results[0].properties["hs_url"] == "https://www.example-saas.com/pricing"
    after = client(running).crm.contacts.basic_api.get_by_id(
        contact.id, properties=["hs_analytics_last_url"]
    )
    assert after.properties["hs_analytics_last_url"] == "https://www.example-saas.com/pricing"
    assert after.updated_at > contact.updated_at


def test_seeded_email_click_shows_in_email_events(running):
    contact = first_contact(running)
    email = contact.properties["email"]
    event = {"email": email, "type": "CLICK", "url": "https://www.example-saas.com/demo"}
    assert admin(running, "POST", "/_sandbox/hubspot/email_events", json=event).status_code == 201
    headers = {"Authorization": f"Bearer {running.hubspot_token}"}
    answer = requests.get(
        running.urls["hubspot_url"] + "/email/public/v1/events",
        params={"recipient": email, "eventType": "CLICK"},
        headers=headers,
        timeout=30,
    ).json()
    assert answer["events"][0]["url"] == "https://www.example-saas.com/demo"
    after = client(running).crm.contacts.basic_api.get_by_id(
        contact.id, properties=["hs_email_last_click_date"]
    )
    assert after.properties["hs_email_last_click_date"] is not None


def test_seeding_an_unknown_contact_is_refused(running):
    answer = admin(
        running, "POST", "/_sandbox/hubspot/page_views", json={"email": "nobody@x.io", "url": "u"}
    )
    assert answer.status_code == 400
