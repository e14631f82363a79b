"""Idempotent Lead creates: upsert on the External ID field, created by the connector.

Issue 19: a create answered after the client's timeout, an HTML 502 after the create ran, and
a resend after a lost answer leave exactly one Lead per external id.
"""

from __future__ import annotations

import time
import uuid

import pytest

from leadsync.connectors.base import Change
from leadsync.connectors.retry import RetrySettings
from leadsync.connectors.salesforce import SalesforceConnector

from .conftest import FAST_RETRY, salesforce_settings

UPSERT = "PATCH /services/data/{version}/composite/sobjects/{name}/{field}"


def handoffs(count: int, run: str) -> list[Change]:
    return [
        Change(
            f"{run}-{n}",
            "Lead",
            None,
            {"LastName": f"Person {n}", "Company": "Acme", "Email": f"p{n}-{run}@example.com"},
            external_id=f"person-{run}-{n}",
        )
        for n in range(count)
    ]


def leads_by_key(connector: SalesforceConnector) -> dict[str, list[str]]:
    query = "SELECT Id, LeadSync_Id__c FROM Lead WHERE LeadSync_Id__c != null"
    answer = connector.client.call("count", lambda sf: sf.query_all(query))
    found: dict[str, list[str]] = {}
    for record in answer["records"]:
        found.setdefault(record["LeadSync_Id__c"], []).append(record["Id"])
    return found


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:8]


def connector(sandbox, **retry) -> SalesforceConnector:
    settings = FAST_RETRY.model_copy(update=retry)
    return SalesforceConnector(salesforce_settings(sandbox, retry=settings))


def test_first_create_provisions_the_field_and_a_resend_updates(sandbox, admin, run):
    sf = connector(sandbox)
    changes = handoffs(3, run)
    first = sf.write(changes)
    assert all(r.ok for r in first)
    assert admin.calls("salesforce", "POST /services/data/{version}/tooling/sobjects/CustomField")
    again = SalesforceConnector(salesforce_settings(sandbox)).write(changes)
    assert [r.record_id for r in again] == [r.record_id for r in first]
    keys = leads_by_key(sf)
    assert {k: len(v) for k, v in keys.items()} == {c.external_id: 1 for c in changes}


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 0, "delay": 2.0, "after": True},  # answered after the client gave up
        {"status": 502, "body": "html", "after": True},  # the proxy lost the answer
        {"status": 200, "body": "cut", "after": True},  # the connection dropped mid-answer
        {"status": 200, "body": "invalid_json", "after": True},
    ],
    ids=["timeout", "html-502", "cut", "invalid-json"],
)
def test_a_create_whose_answer_is_lost_makes_one_lead(sandbox, admin, run, fault):
    sf = connector(sandbox, timeout=0.5)
    sf.write(handoffs(1, "warm-" + run))  # the field exists: only the fault is under test
    admin.fault("salesforce", route=UPSERT, count=1, **fault)
    changes = handoffs(5, run)
    results = sf.write(changes)
    assert all(r.ok for r in results), [r.reason for r in results]
    assert admin.stats("salesforce")["writes"] >= 2  # the lost write ran, then the retry
    keys = leads_by_key(sf)
    assert [len(keys[c.external_id]) for c in changes] == [1] * 5
    assert [r.record_id for r in results] == [keys[c.external_id][0] for c in changes]
    # The sandbox sends (and counts) a late answer only when its delay is over: let it, or the
    # call lands in the next test's counts after its reset.
    time.sleep(fault.get("delay", 0))


def test_without_customize_application_the_message_says_what_to_create(sandbox, admin, run):
    admin.settings(salesforce={"customize_application": False})
    results = connector(sandbox).write(handoffs(2, run))
    assert [r.ok for r in results] == [False, False]
    reason = results[0].reason
    assert "Lead.LeadSync_Id__c" in reason and "External ID" in reason and "Setup" in reason
    assert results[0].code == "EXTERNAL_ID_FIELD" and not results[0].retryable
    assert admin.stats("salesforce")["records"]["Lead"] == sandbox.salesforce.counts()["Lead"]


def test_a_created_field_the_user_cannot_see_asks_for_field_level_security(sandbox, admin, run):
    sf = connector(sandbox)
    assert sf.provision().created == ["Lead.LeadSync_Id__c"]
    admin.settings(salesforce={"hidden_fields": ["Lead.LeadSync_Id__c"]})
    report = connector(sandbox).provision()
    assert "Field-Level Security" in report.problems["Lead"]
    assert connector(sandbox).provision().existing == []


def test_provision_is_safe_to_repeat(sandbox, admin):
    assert connector(sandbox).provision().created == ["Lead.LeadSync_Id__c"]
    again = connector(sandbox).provision()
    assert (again.created, again.existing, again.problems) == ([], ["Lead.LeadSync_Id__c"], {})


def test_creates_without_an_external_id_still_post(sandbox, admin, run):
    change = Change(run, "Lead", None, {"LastName": "Plain", "Company": "C"})
    (result,) = connector(sandbox).write([change])
    assert result.ok
    assert admin.calls("salesforce", "POST /services/data/{version}/composite/sobjects") == 1
    assert not admin.calls("salesforce", UPSERT)


def test_retry_settings_accept_the_time_bound():
    assert RetrySettings(rate_limit_patience=60).rate_limited_attempts is None
