"""The Salesforce connector against the Salesforce emulator, over HTTPS with simple-salesforce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadsync.connectors.base import Change, Window
from leadsync.connectors.salesforce import SalesforceConnector
from leadsync.errors import QuotaExhausted

from .conftest import salesforce_settings, until_now

QUERY = "GET /services/data/{version}/queryAll/"
COLLECTIONS = "PATCH /services/data/{version}/composite/sobjects"
TOKEN = "POST /services/oauth2/token"


@pytest.fixture
def frozen(sandbox, monkeypatch):
    """Stop the emulator's clock so that every write shares one `SystemModstamp`."""
    # A whole second after the clock: strictly later than anything the seeded world holds,
    # even when the world was generated within this same second.
    moment = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    monkeypatch.setattr(sandbox.salesforce.settings, "clock", lambda: moment)
    return moment


def leads(connector: SalesforceConnector, window: Window | None = None) -> list:
    return list(connector.read("Lead", window or Window(None, until_now())))


def touch(connector: SalesforceConnector, records, value: str = "mql") -> None:
    changes = [Change(r.id, "Lead", r.id, {"Leadsync_Stage__c": value}) for r in records]
    results = connector.write(changes)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]


def open_leads(records) -> list:
    return [r for r in records if not r.data["IsConverted"]]


def test_an_incremental_read_after_50_modifications_returns_exactly_those_50(
    salesforce, admin, frozen
):
    everything = leads(salesforce)
    cursor = everything[-1]
    modified = open_leads(everything)[:50]
    touch(salesforce, modified)
    found = leads(salesforce, Window(cursor.modified_at, until_now(), after_id=cursor.id))
    assert sorted(r.id for r in found) == sorted(r.id for r in modified)
    assert {r.modified_at for r in found} == {frozen}
    assert admin.calls("salesforce", QUERY) == 2


def test_a_cursor_inside_a_run_of_equal_timestamps_resumes_after_its_id(salesforce, frozen):
    touch(salesforce, open_leads(leads(salesforce))[:60])
    tied = [r for r in leads(salesforce) if r.modified_at == frozen]
    cursor = tied[9]
    rest = leads(salesforce, Window(cursor.modified_at, until_now(), after_id=cursor.id))
    assert [r.id for r in rest] == [r.id for r in tied[10:]]
    assert len(rest) == 50


def test_deleted_records_come_back_flagged_in_the_same_stream(salesforce):
    everything = leads(salesforce)
    gone = everything[5]
    salesforce.client.sf.Lead.delete(gone.id)
    later = leads(salesforce, Window(everything[-1].modified_at, until_now()))
    assert [(r.id, r.deleted) for r in later if r.id == gone.id] == [(gone.id, True)]


def test_updates_to_a_converted_lead_go_to_its_contact(salesforce, admin):
    converted = next(r for r in leads(salesforce) if r.data["IsConverted"])
    change = Change("c", "Lead", converted.id, {"Leadsync_Stage__c": "sql", "Status": "Working"})
    (result,) = salesforce.write([change])
    assert result.ok, result.reason
    assert result.record_id == converted.data["ConvertedContactId"]
    contact = [
        r for r in salesforce.read("Contact", Window(None, until_now())) if r.id == result.record_id
    ]
    assert contact[0].data["Leadsync_Stage__c"] == "sql"
    assert admin.calls("salesforce", COLLECTIONS) == 2


def test_a_handoff_creates_a_lead_and_finds_it_by_an_email_with_an_apostrophe(salesforce):
    email = "o'brien@example.com"
    fields = {
        "LastName": "O'Brien",
        "Company": "Acme",
        "Email": email,
        "Status": "Open - Not Contacted",
    }
    (created,) = salesforce.write([Change("h", "Lead", None, fields)])
    assert created.ok and created.record_id
    assert [r.id for r in salesforce.find("Lead", "Email", [email])] == [created.record_id]


def test_a_refused_record_fails_alone(salesforce, admin):
    admin.settings(salesforce={"restricted_picklists": ["Lead.Status"]})
    first, second = open_leads(leads(salesforce))[:2]
    changes = [
        Change("ok", "Lead", first.id, {"Leadsync_Stage__c": "mql"}),
        Change("bad", "Lead", second.id, {"Status": "Not A Status"}),
    ]
    ok, bad = salesforce.write(changes)
    assert ok.ok and not bad.ok and bad.code and "Status" in bad.reason


def test_fields_leadsync_writes_that_the_org_lacks_are_reported(salesforce):
    found = salesforce.check_fields({"Lead": ["Leadsync_Stage__c", "Nope__c"]}, {})
    (error,) = found.errors
    assert "Lead.Nope__c" in error and "Setup" in error


def test_large_windows_are_read_through_bulk_api_2_with_the_same_records(sandbox, admin):
    rest = leads(SalesforceConnector(salesforce_settings(sandbox)))
    bulk = SalesforceConnector(
        salesforce_settings(sandbox, bulk_threshold=100, bulk_poll_seconds=0)
    )
    through_bulk = leads(bulk)
    assert [(r.id, r.modified_at, r.deleted) for r in through_bulk] == [
        (r.id, r.modified_at, r.deleted) for r in rest
    ]
    assert through_bulk[0].data["IsConverted"] is rest[0].data["IsConverted"]
    assert admin.calls("salesforce", "POST /services/data/{version}/jobs/query") == 1


def test_an_expired_session_logs_in_again_and_carries_on(salesforce, admin):
    salesforce.check()
    admin.fault("salesforce", 401, route="GET /services/data/*", count=1)
    assert leads(salesforce)
    assert admin.calls("salesforce", TOKEN) == 2


def test_jwt_bearer_login_against_an_org_that_checks_the_signature(sandbox, admin, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "leadsync.key").write_bytes(private)
    admin.settings(salesforce={"jwt_public_key": public.decode()})
    try:
        settings = salesforce_settings(
            sandbox,
            auth="jwt",
            client_secret=None,
            username=sandbox.salesforce.settings.username,
            private_key_file=tmp_path / "leadsync.key",
        )
        assert leads(SalesforceConnector(settings))
    finally:
        admin.settings(salesforce={"jwt_public_key": None})


def test_the_daily_request_limit_stops_the_run_with_what_to_do(salesforce, admin):
    admin.fault("salesforce", 403, route="GET /services/data/*")
    with pytest.raises(QuotaExhausted) as stopped:
        leads(salesforce)
    assert "REQUEST_LIMIT_EXCEEDED" in str(stopped.value)
    assert "salesforce.daily_budget_share" in str(stopped.value)
    assert admin.stats("salesforce")["throttled"] == 1


def test_the_budget_stops_before_the_configured_share(sandbox, admin):
    admin.settings(salesforce={"daily_allowance": 10})
    sf = SalesforceConnector(salesforce_settings(sandbox, daily_budget_share=0.5))
    sf.check()
    with pytest.raises(QuotaExhausted) as stopped:
        for stream in sf.streams:
            list(sf.read(stream, Window(None, until_now())))
    assert "5 of 10" in str(stopped.value)
    assert admin.stats("salesforce")["throttled"] == 0
