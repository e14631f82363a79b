"""Injected failures (`/_sandbox/faults`): reads and writes finish with nothing lost or doubled."""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync.connectors.base import Change, Window

from .conftest import until_now

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
