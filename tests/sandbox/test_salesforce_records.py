"""Writing records through simple-salesforce: CRUD, sObject Collections and the platform's
validation answers, describe picklists and the replication (updated/deleted) windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from leadsync.sandbox.salesforce import (
    RunningEmulator,
    SalesforceSettings,
    SalesforceState,
    issue_certificates,
    serve,
)

START = datetime(2025, 3, 10, 12, 0, 30, tzinfo=UTC)
CONVERTED = "00Q8d0000000C0NEAW"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[RunningEmulator]:
    settings = SalesforceSettings(
        clock=clock,
        reject_emails=frozenset({"blocked@example.com"}),
        validation_hook=lambda name, rec: (
            "Competitors are not leads" if rec.get("Company") == "Rival Inc" else None
        ),
    )
    state = SalesforceState(settings)
    state.load(
        {
            "Lead": [
                {"Id": CONVERTED, "LastName": "Done", "Company": "C", "IsConverted": True,
                 "Status": "Closed - Converted", "ConvertedDate": "2025-02-01"},
                {"LastName": "Old", "Company": "O", "Email": "old@example.com",
                 "SystemModstamp": "2025-03-01T08:00:00.000+0000"},
            ],
            "Opportunity": [
                {"Name": "Big", "StageName": "Closed Won", "CloseDate": "2025-03-01",
                 "Amount": 5000},
            ],
        }
    )  # fmt: skip
    with serve(state, issue_certificates(tmp_path_factory.mktemp("tls"))) as emu:
        yield emu


@pytest.fixture(autouse=True)
def fresh_world(emulator: RunningEmulator, clock: Clock) -> Iterator[None]:
    yield
    clock.now = START
    emulator.state.reset()


@pytest.fixture
def sf(emulator: RunningEmulator) -> Salesforce:
    return Salesforce(
        instance_url=emulator.url, session_id=emulator.state.session_id, session=emulator.session()
    )


def new_lead(sf: Salesforce, **fields: object) -> str:
    body = {"LastName": "Lovelace", "Company": "Engines", "Email": "ada@example.com", **fields}
    return sf.Lead.create(body)["id"]


def patch_many(sf: Salesforce, records: list[dict], all_or_none: bool = False) -> list[dict]:
    body = {"allOrNone": all_or_none, "records": records}
    return sf.restful("composite/sobjects", method="PATCH", json=body)


def lead_update(record_id: str, **fields: object) -> dict:
    return {"attributes": {"type": "Lead"}, "id": record_id, **fields}


def test_create_read_update_delete(sf: Salesforce, clock: Clock) -> None:
    lead_id = new_lead(sf)
    assert lead_id.startswith("00Q") and len(lead_id) == 18
    created = sf.Lead.get(lead_id)
    assert created["Status"] == "Open - Not Contacted"  # the picklist default
    assert created["Name"] == "Lovelace"
    assert created["CreatedDate"] == "2025-03-10T12:00:30.000+0000"
    clock.now += timedelta(minutes=5)
    assert sf.Lead.update(lead_id, {"Status": "Working - Contacted", "FirstName": "Ada"}) == 204
    updated = sf.Lead.get(lead_id)
    assert updated["Name"] == "Ada Lovelace"
    assert (
        updated["LastModifiedDate"] == updated["SystemModstamp"] == "2025-03-10T12:05:30.000+0000"
    )
    assert updated["CreatedDate"] == created["CreatedDate"]
    assert sf.Lead.delete(lead_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Lead.get(lead_id)
    assert gone.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    with pytest.raises(SalesforceResourceNotFound) as again:
        sf.Lead.delete(lead_id)
    assert again.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(
    ("fields", "code", "error_fields"),
    [
        ({"LastName": None}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ({"Status": "Hot Lead"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({"Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ({"Title": "x" * 129}, "STRING_TOO_LONG", ["Title"]),
        ({"IsConverted": True, "ConvertedDate": "2025-01-01"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         ["ConvertedDate"]),
        ({"Email": "blocked@example.com"}, "FIELD_CUSTOM_VALIDATION_EXCEPTION", []),
        ({"Company": "Rival Inc"}, "FIELD_CUSTOM_VALIDATION_EXCEPTION", []),
        ({"Score__c": 5}, "INVALID_FIELD", None),
    ],
)  # fmt: skip
def test_single_create_refusals(
    emulator: RunningEmulator,
    sf: Salesforce,
    fields: dict,
    code: str,
    error_fields: list[str] | None,
) -> None:
    emulator.state.org.restrict(["Lead.Status"])  # a new org's Lead Status is not restricted
    with pytest.raises(SalesforceMalformedRequest) as refused:
        new_lead(sf, **fields)
    (error,) = refused.value.content
    assert error["errorCode"] == code
    assert error.get("fields") == error_fields


def test_required_fields_are_listed_together(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Lead.create({"Email": "x@example.com"})
    assert refused.value.content[0] == {
        "message": "Required fields are missing: [LastName, Company]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["LastName", "Company"],
    }


def test_wrong_json_type_fails_the_request(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        new_lead(sf, NumberOfEmployees="many")
    assert refused.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    lead_id = new_lead(sf, NumberOfEmployees="250", AnnualRevenue="1e6")
    stored = sf.Lead.get(lead_id)
    assert (stored["NumberOfEmployees"], stored["AnnualRevenue"]) == (250, 1_000_000.0)


def test_collection_update_reports_each_record_in_request_order(
    emulator: RunningEmulator, sf: Salesforce
) -> None:
    emulator.state.org.apply(
        {"restricted_picklists": ["Lead.Status"], "picklist_values": {"Lead.Status": [
            "Marketing Qualified", "Qualified"]}}
    )  # fmt: skip
    good, bad = new_lead(sf), new_lead(sf, Email="b@example.com")
    results = patch_many(
        sf,
        [
            lead_update(good, Status="Marketing Qualified"),
            lead_update(CONVERTED, Status="Qualified"),
            lead_update(bad, Status="Nope"),
            {"attributes": {"type": "Lead"}, "Status": "Qualified"},
            lead_update(bad, Email="blocked@example.com"),
        ],
    )
    assert results[0] == {"id": good, "success": True, "errors": []}
    assert [r["success"] for r in results] == [True, False, False, False, False]
    codes = [r["errors"][0]["statusCode"] for r in results[1:]]
    assert codes == [
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "MISSING_ARGUMENT",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    ]
    assert results[2]["errors"][0]["fields"] == ["Status"]
    assert all("id" not in r for r in results[1:])
    assert sf.Lead.get(good)["Status"] == "Marketing Qualified"
    assert sf.Lead.get(bad)["Status"] == "Open - Not Contacted"


def test_all_or_none_rolls_every_record_back(sf: Salesforce) -> None:
    good = new_lead(sf)
    results = patch_many(
        sf, [lead_update(good, Status="Qualified"), lead_update(good, Email="bad")], True
    )
    assert results[0]["errors"][0] == {
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was "
        "using AllOrNone header",
        "fields": [],
    }
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert sf.Lead.get(good)["Status"] == "Open - Not Contacted"


def test_collections_cap_at_200_records(sf: Salesforce) -> None:
    records = [lead_update(CONVERTED, Title="t")] * 201
    with pytest.raises(SalesforceMalformedRequest) as refused:
        patch_many(sf, records)
    assert refused.value.content == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]


def test_collection_create_and_delete(sf: Salesforce) -> None:
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Lead"}, "LastName": "A", "Company": "X"},
            {"attributes": {"type": "Contact"}, "LastName": "B", "Email": "b@example.com"},
            {"attributes": {"type": "Lead"}, "LastName": "C"},
        ],
    }
    created = sf.restful("composite/sobjects", method="POST", json=body)
    assert [r["success"] for r in created] == [True, True, False]
    assert created[1]["id"].startswith("003")
    assert created[2]["errors"][0]["fields"] == ["Company"]
    ids = f"{created[0]['id']},{created[1]['id']},{created[0]['id']}"
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids})
    assert [r["success"] for r in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_derived_fields_follow_the_platform(sf: Salesforce) -> None:
    won = sf.query("SELECT IsClosed, IsWon, Probability FROM Opportunity")["records"][0]
    assert (won["IsClosed"], won["IsWon"], won["Probability"]) == (True, True, 100.0)
    campaign = sf.Campaign.create({"Name": "Webinar"})["id"]
    lead_id = new_lead(sf)
    member = sf.CampaignMember.create({"CampaignId": campaign, "LeadId": lead_id})["id"]
    assert sf.CampaignMember.get(member)["HasResponded"] is False
    sf.CampaignMember.update(member, {"Status": "Responded"})
    responded = sf.CampaignMember.get(member)
    assert (responded["HasResponded"], responded["FirstRespondedDate"]) == (True, "2025-03-10")
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.CampaignMember.update(member, {"HasResponded": False})
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_describe_exposes_default_picklists(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    status = fields["Status"]
    assert [v["value"] for v in status["picklistValues"]] == [  # a new org's four
        "Open - Not Contacted",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
    ]
    assert status["picklistValues"][0] == {
        "active": True,
        "defaultValue": True,
        "label": "Open - Not Contacted",
        "validFor": None,
        "value": "Open - Not Contacted",
    }
    assert status["restrictedPicklist"] is False  # as in a new org
    assert fields["Leadsync_Top_Reasons__c"]["custom"] is True
    stages = [v["value"] for v in sf.Opportunity.describe()["fields"][4]["picklistValues"]]
    assert stages[0] == "Prospecting" and stages[-2:] == ["Closed Won", "Closed Lost"]
    names = [s["name"] for s in sf.describe()["sobjects"]]
    assert {"Lead", "Contact", "CampaignMember", "OpportunityContactRole"} <= set(names)


def test_updated_window_uses_system_modstamp(sf: Salesforce, clock: Clock) -> None:
    lead_id = new_lead(sf)
    window_start = START - timedelta(days=29)
    early = sf.Lead.updated(window_start, START + timedelta(hours=1))
    # The current minute is still open: nothing after 12:00:00 is covered yet.
    assert early["latestDateCovered"] == "2025-03-10T12:00:00.000+0000"
    assert lead_id not in early["ids"]
    clock.now = START + timedelta(minutes=2)
    later = sf.Lead.updated(window_start, START + timedelta(hours=1))
    assert later["latestDateCovered"] == "2025-03-10T12:02:00.000+0000"
    assert lead_id in later["ids"]
    old = sf.query("SELECT Id FROM Lead WHERE Email = 'old@example.com'")["records"][0]["Id"]
    assert old in later["ids"]


def test_replication_window_rules(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as too_old:
        sf.Lead.updated(START - timedelta(days=31), START)
    assert too_old.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest) as backwards:
        sf.Lead.updated(START, START - timedelta(hours=1))
    assert backwards.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest) as deleted_too_old:
        sf.Lead.deleted(START - timedelta(days=16), START)
    assert deleted_too_old.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_deleted_window_lists_recycle_bin_records(sf: Salesforce, clock: Clock) -> None:
    lead_id = new_lead(sf)
    sf.Lead.delete(lead_id)
    clock.now = START + timedelta(minutes=1)
    result = sf.Lead.deleted(START - timedelta(days=1), START + timedelta(days=1))
    assert result["deletedRecords"] == [
        {"id": lead_id, "deletedDate": "2025-03-10T12:00:30.000+0000"}
    ]
    assert result["latestDateCovered"] == "2025-03-10T12:01:00.000+0000"
    assert result["earliestDateAvailable"] <= "2025-02-23T12:00:00.000+0000"


def test_exceeded_id_limit(emulator: RunningEmulator, sf: Salesforce, clock: Clock) -> None:
    emulator.state.settings.replication_id_limit = 1
    try:
        new_lead(sf)
        clock.now = START + timedelta(minutes=2)
        with pytest.raises(SalesforceMalformedRequest) as capped:
            sf.Lead.updated(START - timedelta(days=20), START + timedelta(days=1))
        assert capped.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    finally:
        emulator.state.settings.replication_id_limit = 600_000
