"""Injected failures (`/_sandbox/faults`): reads and writes finish with nothing lost or doubled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadsync.connectors.base import Change, Window
from leadsync.connectors.retry import Policy, RetrySettings
from leadsync.connectors.salesforce import SalesforceConnector

from .conftest import salesforce_settings, until_now

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def ids(records) -> list[str]:
    return sorted(r.id for r in records)


def test_hubspot_survives_20_percent_503s_and_429_bursts(hubspot, admin):
    before = {s: ids(hubspot.read(s, Window(None, until_now()))) for s in ("contacts", "calls")}
    admin.fault("hubspot", 503, rate=0.2)
    admin.fault("hubspot", 429, rate=0.5, count=12)
    end = until_now()
    assert ids(hubspot.read("contacts", Window(None, end))) == before["contacts"]
    assert ids(hubspot.read("contacts", Window(EPOCH, end))) == before["contacts"]
    assert ids(hubspot.read("calls", Window(None, end))) == before["calls"]

    changes = [Change(i, "contact", i, {"jobtitle": f"title {i}"}) for i in before["contacts"]]
    results = hubspot.write(changes)
    assert all(r.ok for r in results)
    stats = admin.stats("hubspot")
    assert stats["throttled"] > 0 and stats["errors"] > stats["throttled"]
    assert stats["writes"] == 3  # one accepted batch update per 100: nothing written twice

    admin.clear_faults()
    titles = {r.id: r.data["jobtitle"] for r in hubspot.read("contacts", Window(None, until_now()))}
    assert titles == {i: f"title {i}" for i in before["contacts"]}


def test_salesforce_survives_20_percent_503s(salesforce, admin):
    end = until_now()
    before = {s: ids(salesforce.read(s, Window(None, end))) for s in salesforce.streams}
    admin.fault("salesforce", 503, rate=0.2)
    admin.fault("salesforce", 500, rate=0.05)
    after = {s: ids(salesforce.read(s, Window(None, end))) for s in salesforce.streams}
    assert after == before

    open_leads = [
        r for r in salesforce.read("Lead", Window(None, end)) if not r.data["IsConverted"]
    ]
    changes = [Change(r.id, "Lead", r.id, {"Leadsync_Grade__c": "A1"}) for r in open_leads]
    assert all(r.ok for r in salesforce.write(changes))
    assert admin.stats("salesforce")["writes"] == 1  # one accepted collection call for < 200

    admin.clear_faults()
    grades = {
        r.id: r.data["Leadsync_Grade__c"]
        for r in salesforce.read("Lead", Window(None, until_now()))
    }
    assert all(grades[r.id] == "A1" for r in open_leads)


BODY_FAULTS = [
    {"status": 200, "body": "invalid_json"},
    {"status": 200, "body": "empty"},
    {"status": 200, "body": "cut"},
    {"status": 502, "body": "html"},
]
BODY_IDS = ["invalid-json", "empty", "cut", "html-502"]


@pytest.mark.parametrize("fault", BODY_FAULTS, ids=BODY_IDS)
@pytest.mark.parametrize(
    ("system", "stream"), [("hubspot", "contacts"), ("hubspot", "email_events"),
                           ("salesforce", "Lead")]
)  # fmt: skip
def test_broken_answers_are_retried_like_5xx(request, admin, system, stream, fault):
    connector = request.getfixturevalue(system)
    before = ids(connector.read(stream, Window(None, until_now())))
    admin.fault(system, count=2, **fault)
    assert ids(connector.read(stream, Window(EPOCH, until_now()))) == before
    assert [f["remaining"] for f in admin.faults()] == [0]  # both broken answers were met


def test_salesforce_429_waits_as_retry_after_says(sandbox, admin):
    waits: list[float] = []
    settings = salesforce_settings(sandbox, retry=RetrySettings(rate_limit_wait=0.01))
    connector = SalesforceConnector(settings, policy=Policy(settings.retry, sleep=waits.append))
    admin.fault("salesforce", 429, count=3, route="GET /services/data/{version}/queryAll/")
    records = list(connector.read("Lead", Window(None, until_now())))
    assert records and len(waits) == 3
    assert all(1.0 <= w <= 1.1 for w in waits)  # the sandbox's Retry-After: 1
