"""API economy: 25,000 records each way within 5% of the minimum calls; writes at batch size."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from leadsync.connectors.base import Change, Window
from leadsync.connectors.hubspot import HubSpotConnector
from leadsync.connectors.salesforce import SalesforceConnector
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox.world import HubSpotWorld

from .conftest import Admin, hubspot_settings, salesforce_settings, until_now

SIZE = 25_000
START = datetime(2025, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _world() -> SimpleNamespace:
    """25,000 HubSpot contacts and 25,000 Salesforce Leads, three to each second (ties)."""
    stamps = [_iso(START + timedelta(seconds=i // 3)) for i in range(SIZE)]
    contacts = [
        {
            "id": str(i + 1),
            "properties": {"email": f"p{i}@example.com", "lastname": f"N{i}"},
            "createdAt": stamps[i],
            "updatedAt": stamps[i],
        }
        for i in range(SIZE)
    ]
    leads = [
        {
            "Email": f"p{i}@example.com",
            "LastName": f"N{i}",
            "Company": "Acme",
            "Status": "Open - Not Contacted",
            "CreatedDate": stamps[i],
            "SystemModstamp": stamps[i],
        }
        for i in range(SIZE)
    ]
    return SimpleNamespace(
        hubspot=HubSpotWorld(contacts, [], [], [], [], {}), salesforce={"Lead": leads}
    )


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    with Sandbox(world=_world()) as running:
        yield running


@pytest.fixture
def admin(big: Sandbox) -> Admin:
    control = Admin(big)
    control.reset()
    return control


def within_five_percent(calls: int, records: int, batch: int) -> bool:
    return calls <= math.ceil(records / batch) * 1.05


def test_reading_25000_hubspot_contacts_by_list(big, admin):
    hs = HubSpotConnector(hubspot_settings(big))
    assert sum(1 for _ in hs.read("contacts", Window(None, until_now()))) == SIZE
    calls = admin.stats("hubspot")["requests"]
    assert calls == 250 and within_five_percent(calls, SIZE, 100)


def test_reading_25000_hubspot_contacts_by_windowed_search(big, admin):
    hs = HubSpotConnector(hubspot_settings(big))
    found = list(hs.read("contacts", Window(START, until_now())))
    assert len(found) == SIZE and len({r.id for r in found}) == SIZE
    calls = admin.stats("hubspot")["requests"]
    assert within_five_percent(calls, SIZE, 200), calls
    assert admin.stats("hubspot")["errors"] == 0


def test_reading_25000_salesforce_leads(big, admin):
    sf = SalesforceConnector(salesforce_settings(big))
    assert sum(1 for _ in sf.read("Lead", Window(None, until_now()))) == SIZE
    stats = admin.stats("salesforce")
    routes = stats["by_route"]
    describes = routes["GET /services/data/{version}/sobjects/{name}/describe/"]
    queries = stats["requests"] - routes["POST /services/oauth2/token"] - describes
    assert describes == 1  # the SELECT list comes from the fields the user can read
    assert queries == 13 and within_five_percent(queries, SIZE, 2000)


def test_writing_1000_hubspot_changes_takes_10_batch_updates(big, admin):
    changes = [
        Change(str(i), "contact", str(i), {"lifecyclestage": "marketingqualifiedlead"})
        for i in range(1, 1001)
    ]
    assert all(r.ok for r in HubSpotConnector(hubspot_settings(big)).write(changes))
    assert admin.stats("hubspot")["by_route"] == {"POST /crm/v3/objects/contacts/batch/update": 10}


def test_writing_1000_salesforce_changes_takes_5_collection_calls(big, admin):
    sf = SalesforceConnector(salesforce_settings(big))
    ids = [
        r.id for r, _ in zip(sf.read("Lead", Window(None, until_now())), range(1000), strict=False)
    ]
    before = admin.stats("salesforce")["by_route"]
    results = sf.write([Change(i, "Lead", i, {"Leadsync_Stage__c": "mql"}) for i in ids])
    assert len(results) == 1000 and all(r.ok for r in results)
    after = admin.stats("salesforce")["by_route"]
    route = "PATCH /services/data/{version}/composite/sobjects"
    assert after[route] - before.get(route, 0) == 5
    assert sum(after.values()) - sum(before.values()) == 5
