"""Upsert by external id through sObject Collections, and the Tooling API that makes the field.

Recorded real upserts (CumulusCI cassettes) are replayed against a new org in the recorded
shape; the emulator must answer each with the same status, shape and `created` flags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from leadsync.sandbox.salesforce import (
    RunningEmulator,
    SalesforceState,
    issue_certificates,
    serve,
)

from .test_salesforce_conformance import (
    assert_same_shape,
    call,
    cassette,
    cassette_body,
    replay_path,
)

FIELD = {
    "FullName": "Lead.LeadSync_Id__c",
    "Metadata": {
        "type": "Text",
        "length": 64,
        "externalId": True,
        "unique": True,
        "label": "LeadSync Id",
    },
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    state = SalesforceState()
    with serve(state, issue_certificates(tmp_path_factory.mktemp("tls"))) as emu:
        yield emu


@pytest.fixture(autouse=True)
def fresh_org(emulator: RunningEmulator) -> Iterator[None]:
    yield
    emulator.state.reset()


@pytest.fixture
def sf(emulator: RunningEmulator) -> Salesforce:
    return Salesforce(
        instance_url=emulator.url, session_id=emulator.state.session_id, session=emulator.session()
    )


def upsert(sf: Salesforce, records: list[dict[str, Any]], field: str = "LeadSync_Id__c") -> Any:
    body = {"allOrNone": False, "records": records}
    return sf.restful(f"composite/sobjects/Lead/{field}", method="PATCH", json=body)


def lead(key: str | None, **fields: Any) -> dict[str, Any]:
    record = {"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C", **fields}
    return record if key is None else record | {"LeadSync_Id__c": key}


def test_tooling_creates_an_external_id_field_once(sf: Salesforce) -> None:
    answer = sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    assert answer["success"] is True and answer["id"].startswith("00N")
    described = {f["name"]: f for f in sf.Lead.describe()["fields"]}["LeadSync_Id__c"]
    assert (described["externalId"], described["unique"], described["idLookup"]) == (
        True,
        True,
        True,
    )
    assert (described["type"], described["length"], described["custom"]) == ("string", 64, True)
    with pytest.raises(SalesforceMalformedRequest) as again:
        sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    assert again.value.content[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


def test_tooling_refuses_a_user_without_customize_application(
    emulator: RunningEmulator, sf: Salesforce
) -> None:
    emulator.state.org.apply({"customize_application": False})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    assert refused.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS"
    bad = {**FIELD, "Metadata": {**FIELD["Metadata"], "length": 0}}
    emulator.state.org.apply({"customize_application": True})
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.restful("tooling/sobjects/CustomField", method="POST", json=bad)
    assert malformed.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_resent_upsert_updates_instead_of_duplicating(sf: Salesforce) -> None:
    sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    first = upsert(sf, [lead("k1", Email="a@example.com"), lead("k2")])
    assert [(r["success"], r["created"]) for r in first] == [(True, True), (True, True)]
    again = upsert(sf, [lead("K1", Title="CTO"), lead("k3")])
    assert again[0] == {"id": first[0]["id"], "success": True, "errors": [], "created": False}
    assert again[1]["created"] is True
    rows = sf.query("SELECT Id, Title FROM Lead WHERE LeadSync_Id__c = 'k1'")["records"]
    assert [(r["Id"], r["Title"]) for r in rows] == [(first[0]["id"], "CTO")]
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 3


def test_one_bad_record_fails_alone_in_request_order(sf: Salesforce) -> None:
    sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    results = upsert(sf, [lead("a"), lead("dup"), lead("dup"), lead("b", Email="not-an-email")])
    assert [r["success"] for r in results] == [True, False, False, False]
    codes = [r["errors"][0]["statusCode"] for r in results[1:]]
    assert codes == ["DUPLICATE_VALUE", "DUPLICATE_VALUE", "INVALID_EMAIL_ADDRESS"]
    assert all("id" not in r for r in results[1:])


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ([{"attributes": {"type": "Contact"}, "LastName": "X"}], "INVALID_TYPE"),
        ([lead("k", Id="00Q8d000000000XAAA")], "INVALID_FIELD"),
        ([lead(f"k{n}") for n in range(201)], "EXCEEDED_ID_LIMIT"),
    ],
)
def test_malformed_upserts_are_refused_whole(sf: Salesforce, records: list, code: str) -> None:
    sf.restful("tooling/sobjects/CustomField", method="POST", json=FIELD)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        upsert(sf, records)
    assert refused.value.content[0]["errorCode"] == code
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_upsert_needs_an_external_id_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        upsert(sf, [lead(None)], field="Title")
    with pytest.raises(SalesforceResourceNotFound):
        upsert(sf, [lead("k")])  # the field has not been created yet


@pytest.mark.parametrize(
    "recording",
    [
        "TestUpsert.test_upsert__rest",
        "TestUpsert.test_upsert_complex_external_id_field_rest__duplicate_error",
    ],
)
def test_recorded_upserts_replay_with_the_same_results(
    emulator: RunningEmulator, recording: str
) -> None:
    account = cassette_body(cassette("GET_sobjects_Account_describe")[0])
    emulator.state.org.apply({"describes": [account]})  # the recorded org has AccountNumber
    upserts = [i for i in cassette(recording) if "/composite/sobjects/" in i["request"]["uri"]]
    assert upserts
    for interaction in upserts:
        request = interaction["request"]
        path, body = replay_path(request["uri"]), json.loads(request["body"])
        answer = call(emulator, request["method"], path, json=body)
        theirs = cassette_body(interaction)
        assert answer.status_code == interaction["response"]["status"]["code"]
        assert_same_shape(answer.json(), theirs)
        if isinstance(theirs, list):
            flags = [(r["success"], r.get("created")) for r in theirs]
            assert [(r["success"], r.get("created")) for r in answer.json()] == flags
