"""Salesforce error paths, faked at the HTTP layer with `responses` (simple-salesforce uses requests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadsync.connectors.base import Change, Window
from leadsync.connectors.retry import RetrySettings
from leadsync.connectors.salesforce import SalesforceConnector, SalesforceSettings
from leadsync.errors import AuthError, ConfigError, QuotaExhausted

FIXTURES = Path(__file__).parent / "fixtures"
HOST = "https://acme.my.salesforce.com"
TOKEN_URL = f"{HOST}/services/oauth2/token"
DATA = f"{HOST}/services/data/v59.0"
SECRET = "s3cret-value"
END = datetime(2026, 1, 1, tzinfo=UTC)


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def connector(**overrides) -> SalesforceConnector:
    settings = {
        "instance_url": HOST,
        "client_id": "leadsync-app",
        "client_secret": SECRET,
        "retry": RetrySettings(backoff_initial=0.0, rate_limit_wait=0.0),
        "fields": {"Lead": ["Email", "Status"], "Contact": ["Email"]},
        **overrides,
    }
    return SalesforceConnector(SalesforceSettings.model_validate(settings))


def lead(number: int, stamp: str = "2025-06-01T10:00:00.000+0000", **fields) -> dict:
    record_id = f"00Q{number:015d}"
    return {
        "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{record_id}"},
        "Id": record_id,
        "SystemModstamp": stamp,
        "IsDeleted": False,
        "Email": f"lead{number}@example.com",
        "Status": "Open - Not Contacted",
        **fields,
    }


def page(records, *, total=None, following=None) -> dict:
    body = {"totalSize": total or len(records), "done": following is None, "records": records}
    if following:
        body["nextRecordsUrl"] = following
    return body


TYPES = {"Id": "id", "SystemModstamp": "datetime", "IsDeleted": "boolean", "Email": "email",
         "Status": "picklist"}  # fmt: skip


def describe(*names: str) -> dict:
    return {"fields": [{"name": n, "type": TYPES[n], "updateable": True} for n in names]}


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json={"access_token": "token-1", "instance_url": HOST})
        mock.get(f"{DATA}/sobjects/Lead/describe", json=describe(*TYPES))
        yield mock


def calls(api, method: str, path: str) -> int:
    return sum(
        1 for c in api.calls if c.request.method == method and urlsplit(c.request.url).path == path
    )


def read_leads(sf: SalesforceConnector, window: Window | None = None) -> list:
    return list(sf.read("Lead", window or Window(None, END)))


def test_an_expired_session_logs_in_again_once_and_repeats_the_call(api):
    api.get(f"{DATA}/queryAll/", status=401, json=fixture("sf_expired_session.json"))
    api.get(f"{DATA}/queryAll/", json=page([lead(1)]))
    assert [r.id for r in read_leads(connector())] == ["00Q000000000000001"]
    assert calls(api, "POST", "/services/oauth2/token") == 2
    assert calls(api, "GET", "/services/data/v59.0/queryAll/") == 2


def test_a_session_refused_after_logging_in_again_is_an_auth_error(api):
    api.get(f"{DATA}/queryAll/", status=401, json=fixture("sf_expired_session.json"))
    with pytest.raises(AuthError):
        read_leads(connector())
    assert calls(api, "POST", "/services/oauth2/token") == 2
    assert calls(api, "GET", "/services/data/v59.0/queryAll/") == 2


def test_a_given_session_token_cannot_be_renewed_and_the_message_says_what_to_set(api):
    api.get(f"{DATA}/queryAll/", status=401, json=fixture("sf_expired_session.json"))
    sf = connector(auth="session", access_token="00Dx!given-token", client_secret=None)
    with pytest.raises(AuthError) as refused:
        read_leads(sf)
    assert "LEADSYNC_SALESFORCE__ACCESS_TOKEN" in str(refused.value)
    assert "given-token" not in str(refused.value)
    assert calls(api, "POST", "/services/oauth2/token") == 0


def test_the_daily_request_limit_stops_at_once_with_what_to_do(api):
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    api.get(f"{DATA}/queryAll/", status=403, json=body)
    with pytest.raises(QuotaExhausted) as stopped:
        read_leads(connector())
    assert calls(api, "GET", "/services/data/v59.0/queryAll/") == 1
    message = str(stopped.value)
    assert "REQUEST_LIMIT_EXCEEDED" in message
    assert "salesforce.daily_budget_share" in message
    assert SECRET not in message


def test_server_errors_and_dropped_connections_are_retried(api):
    unavailable = [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
    api.get(f"{DATA}/queryAll/", status=503, json=unavailable)
    api.get(f"{DATA}/queryAll/", body=requests.ConnectionError("reset by peer"))
    api.get(f"{DATA}/queryAll/", json=page([lead(1)]))
    assert len(read_leads(connector())) == 1


def test_the_budget_stops_before_the_configured_share_of_the_daily_allowance(api):
    first = page([lead(1)], total=3, following="/services/data/v59.0/query/01g-1")
    usage = {"Sforce-Limit-Info": "api-usage=79/100"}
    api.get(f"{DATA}/queryAll/", json=first, headers=usage)
    api.get(f"{DATA}/query/01g-1", json=page([lead(2)], total=3, following="/x/01g-2"))
    sf = connector(daily_budget_share=0.8)
    with pytest.raises(QuotaExhausted) as stopped:
        read_leads(sf)
    assert "80 of 100" in str(stopped.value)
    assert len(api.calls) == 4  # token, describe, two pages; the third is never sent


def test_a_refused_login_names_what_to_check_and_never_the_secret():
    with responses.RequestsMock() as mock:
        refusal = {"error": "invalid_client", "error_description": "invalid client credentials"}
        mock.post(TOKEN_URL, status=400, json=refusal)
        with pytest.raises(AuthError) as refused:
            connector().check()
    assert "invalid_client" in str(refused.value)
    assert "LEADSYNC_SALESFORCE__CLIENT_SECRET" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_jwt_bearer_login_sends_a_signed_assertion_for_the_configured_user(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "key.pem").write_bytes(pem)
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, json={"access_token": "t", "instance_url": HOST})
        mock.get(f"{DATA}/limits/", json={"DailyApiRequests": {"Max": 1000, "Remaining": 990}})
        connector(
            auth="jwt", username="sync@acme.example", private_key_file=tmp_path / "key.pem"
        ).check()
        form = parse_qs(mock.calls[0].request.body)
    claims = jwt.decode(
        form["assertion"][0],
        key.public_key(),
        algorithms=["RS256"],
        audience=HOST.replace("acme.my", "login"),
    )
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert (claims["iss"], claims["sub"]) == ("leadsync-app", "sync@acme.example")


def test_a_missing_ca_bundle_is_a_config_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError) as bad:
        connector(ca_bundle=tmp_path / "nope.pem")
    assert "salesforce.ca_bundle" in str(bad.value)


def test_the_window_is_a_closed_lower_bound_with_an_id_tie_break(api):
    api.get(f"{DATA}/queryAll/", json=page([]))
    start = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    read_leads(connector(), Window(start, END, after_id="00Q000000000000007"))
    soql = parse_qs(urlsplit(api.calls[-1].request.url).query)["q"][0]
    assert (
        "(SystemModstamp > 2025-06-01T10:00:00+00:00 OR (SystemModstamp = "
        "2025-06-01T10:00:00+00:00 AND Id > '00Q000000000000007'))"
    ) in soql
    assert soql.endswith("ORDER BY SystemModstamp ASC, Id ASC")


def test_deleted_records_come_from_query_all_flagged_as_deleted(api):
    api.get(f"{DATA}/queryAll/", json=page([lead(1), lead(2, IsDeleted=True)]))
    assert [r.deleted for r in read_leads(connector())] == [False, True]


def test_email_literals_are_escaped_in_lookups(api):
    api.get(f"{DATA}/query/", json=page([lead(1)]))
    connector().find("Lead", "Email", ["o'brien@example.com", "back\\slash@example.com"])
    soql = parse_qs(urlsplit(api.calls[-1].request.url).query)["q"][0]
    assert "IN ('o\\'brien@example.com','back\\\\slash@example.com')" in soql


def test_writes_go_200_per_call_with_per_record_results(api):
    api.patch(f"{DATA}/composite/sobjects", json=[{"id": "x", "success": True, "errors": []}] * 200)
    changes = [
        Change(str(i), "Lead", f"00Q{i:015d}", {"Status": "Working - Contacted"})
        for i in range(450)
    ]
    api.patch(f"{DATA}/composite/sobjects", json=[{"id": "x", "success": True, "errors": []}] * 200)
    api.patch(f"{DATA}/composite/sobjects", json=[{"id": "x", "success": True, "errors": []}] * 50)
    results = connector().write(changes)
    assert all(r.ok for r in results)
    assert calls(api, "PATCH", "/services/data/v59.0/composite/sobjects") == 3
    body = json.loads(api.calls[1].request.body)
    assert body["allOrNone"] is False
    assert body["records"][0] == {
        "attributes": {"type": "Lead"},
        "id": "00Q000000000000000",
        "Status": "Working - Contacted",
    }


def test_one_refused_record_fails_alone(api):
    api.patch(f"{DATA}/composite/sobjects", json=fixture("sf_collections_partial.json"))
    changes = [
        Change("a", "Contact", "003ak00000jvIfpAAE", {"Email": "a@example.com"}),
        Change("b", "Contact", "003ak00000jvIfqAAE", {"Email": "b@example.com"}),
    ]
    ok, refused = connector().write(changes)
    assert ok.ok and ok.record_id == "003ak00000jvIfpAAE"
    assert (refused.ok, refused.code, refused.retryable) == (False, "MISSING_ARGUMENT", False)
    assert "Id not specified" in refused.reason


def test_updates_to_a_converted_lead_go_to_its_contact(api):
    converted = {
        "success": False,
        "errors": [
            {
                "statusCode": "CANNOT_UPDATE_CONVERTED_LEAD",
                "message": "cannot reference converted lead",
                "fields": [],
            }
        ],
    }
    api.patch(f"{DATA}/composite/sobjects", json=[converted])
    api.get(
        f"{DATA}/query/",
        json=page([{"Id": "00Q000000000000001", "ConvertedContactId": "003000000000000009"}]),
    )
    contact_fields = [
        {"name": n, "updateable": True} for n in ("Email", "Leadsync_Stage__c", "Title")
    ]
    api.get(f"{DATA}/sobjects/Contact/describe", json={"fields": contact_fields})
    api.patch(
        f"{DATA}/composite/sobjects",
        json=[{"id": "003000000000000009", "success": True, "errors": []}],
    )
    change = Change(
        "k", "Lead", "00Q000000000000001", {"Leadsync_Stage__c": "sql", "Status": "Working"}
    )
    (result,) = connector().write([change])
    assert (result.ok, result.record_id) == (True, "003000000000000009")
    assert "converted" in result.reason and "Status" in result.reason
    redirected = json.loads(api.calls[-1].request.body)["records"]
    assert redirected == [
        {"attributes": {"type": "Contact"}, "id": "003000000000000009", "Leadsync_Stage__c": "sql"}
    ]


def test_windows_above_the_bulk_threshold_are_read_through_bulk_api_2(api):
    api.get(f"{DATA}/queryAll/", json=page([lead(1)], total=5, following="/x/01g-1"))
    api.post(f"{DATA}/jobs/query", json={"id": "750J", "state": "UploadComplete"})
    api.get(f"{DATA}/jobs/query/750J", json={"id": "750J", "state": "InProgress"})
    api.get(f"{DATA}/jobs/query/750J", json={"id": "750J", "state": "JobComplete"})
    header = "Id,SystemModstamp,IsDeleted,Email,Status\n"
    rows = [f"00Q{i:015d},2025-06-01T10:00:0{i}.000Z,false,l{i}@x.com,Open\n" for i in range(5)]
    api.get(
        f"{DATA}/jobs/query/750J/results",
        body=header + "".join(rows[:3]),
        headers={"Sforce-Locator": "abc", "Sforce-NumberOfRecords": "3"},
    )
    api.get(
        f"{DATA}/jobs/query/750J/results",
        body=header + "".join(rows[3:]),
        headers={"Sforce-Locator": "null", "Sforce-NumberOfRecords": "2"},
    )
    records = read_leads(connector(bulk_threshold=4, bulk_poll_seconds=0))
    assert [r.data["Email"] for r in records] == [f"l{i}@x.com" for i in range(5)]
    assert records[0].data["IsDeleted"] is False
    job = json.loads(api.calls[3].request.body)  # after the token, the describe, the query
    assert job["operation"] == "queryAll" and "ORDER BY SystemModstamp" in job["query"]
