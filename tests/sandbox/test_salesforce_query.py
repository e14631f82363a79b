"""SOQL over HTTPS with the real simple-salesforce client: paging, scopes, errors, shapes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from simple_salesforce.format import format_soql

from leadsync.sandbox.control import Control
from leadsync.sandbox.salesforce import (
    RunningEmulator,
    SalesforceState,
    issue_certificates,
    serve,
)

LEADS = 25_000
PAGE_ROUTE = "GET /services/data/{version}/query/{locator}"


@pytest.fixture(scope="module")
def control() -> Control:
    return Control()


@pytest.fixture(scope="module")
def emulator(
    tmp_path_factory: pytest.TempPathFactory, control: Control
) -> Iterator[RunningEmulator]:
    state = SalesforceState()
    leads = [
        {
            "Email": f"lead{n:05d}@example.com",
            "LastName": f"Last{n:05d}",
            "Company": f"Company {n % 97}",
            "NumberOfEmployees": n % 500,
            "AnnualRevenue": float(n * 1000),
        }
        for n in range(LEADS)
    ]
    leads += [
        {"Email": "o'brien@example.com", "LastName": "O'Brien", "Company": "Quote & Co"},
        {"Email": "gone@example.com", "LastName": "Gone", "Company": "Bin", "IsDeleted": True},
    ]
    account = {"Id": "0018d0000000001AAA", "Name": "Globex"}
    contacts = [
        {"LastName": "With", "AccountId": account["Id"], "Email": "with@globex.example"},
        {"LastName": "Without", "Email": "without@example.com"},
    ]
    state.load({"Lead": leads, "Account": [account], "Contact": contacts})
    with serve(state, issue_certificates(tmp_path_factory.mktemp("tls")), control=control) as emu:
        yield emu


@pytest.fixture(autouse=True)
def fresh_world(emulator: RunningEmulator, control: Control) -> Iterator[None]:
    yield
    emulator.state.reset()
    control.reset_stats()


@pytest.fixture
def sf(emulator: RunningEmulator) -> Salesforce:
    return Salesforce(
        instance_url=emulator.url, session_id=emulator.state.session_id, session=emulator.session()
    )


def test_query_all_iter_reads_25000_leads_in_pages_of_2000(
    sf: Salesforce, control: Control
) -> None:
    emails = [r["Email"] for r in sf.query_all_iter("SELECT Id, Email FROM Lead")]
    assert len(emails) == LEADS + 1  # the recycle-bin row is not in scope of `query`
    assert len(set(emails)) == len(emails)
    follow_ups = control.stats["salesforce"].by_route[PAGE_ROUTE]
    assert follow_ups == 12  # 13 pages: 12 of 2000 and one of 1001, the first from `query`


def test_first_page_shape_matches_the_platform(sf: Salesforce) -> None:
    page = sf.query("SELECT Id, Email, NumberOfEmployees, AnnualRevenue, IsConverted FROM Lead")
    assert page["totalSize"] == LEADS + 1
    assert page["done"] is False
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w{15,18}-2000", page["nextRecordsUrl"])
    first = page["records"][0]
    assert list(first) == ["attributes", "Id", "Email", "NumberOfEmployees", "AnnualRevenue",
                           "IsConverted"]  # fmt: skip
    assert first["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v59.0/sobjects/Lead/{first['Id']}",
    }
    assert isinstance(first["NumberOfEmployees"], int)
    assert isinstance(first["AnnualRevenue"], float)
    assert first["IsConverted"] is False


def test_batch_size_header_is_honoured_and_clamped(sf: Salesforce) -> None:
    small = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=500"})
    assert len(small["records"]) == 500
    assert small["nextRecordsUrl"].endswith("-500")
    more = sf.query_more(small["nextRecordsUrl"], identifier_is_url=True)
    assert len(more["records"]) == 500
    clamped = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(clamped["records"]) == 200


def test_query_all_includes_deleted_rows_and_query_does_not(sf: Salesforce) -> None:
    created = sf.Lead.create({"LastName": "Temp", "Company": "T", "Email": "temp@example.com"})
    assert sf.Lead.delete(created["id"]) == 204
    text = "SELECT Id, IsDeleted FROM Lead WHERE Email IN ('gone@example.com', 'temp@example.com')"
    assert sf.query(text)["totalSize"] == 0
    everything = sf.query_all(text, include_deleted=True)["records"]
    assert len(everything) == 2
    assert all(r["IsDeleted"] is True for r in everything)


def test_quotes_in_values_round_trip_through_format_soql(sf: Salesforce) -> None:
    text = format_soql("SELECT Id, LastName FROM Lead WHERE Email = {}", "O'Brien@example.com")
    records = sf.query(text)["records"]
    assert [r["LastName"] for r in records] == ["O'Brien"]


def test_count_query_returns_only_the_total(sf: Salesforce) -> None:
    result = sf.query("SELECT COUNT() FROM Lead WHERE NumberOfEmployees >= 250")
    assert result == {"totalSize": 12_500, "done": True, "records": []}


def test_parent_fields_come_back_nested_or_null(sf: Salesforce) -> None:
    rows = sf.query("SELECT LastName, Account.Name FROM Contact ORDER BY LastName")["records"]
    assert rows[0]["Account"]["Name"] == "Globex"
    assert rows[0]["Account"]["attributes"]["type"] == "Account"
    assert rows[1]["Account"] is None


def test_malformed_soql_and_bad_columns_are_400_arrays(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Lead WHERE Email = 'a' AND Company = 'b' OR Title = 'c'")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as bad_field:
        sf.query("SELECT Id, Score__c FROM Lead")
    assert bad_field.value.status == 400
    assert bad_field.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Score__c' on entity 'Lead'" in bad_field.value.content[0]["message"]


def test_an_eleventh_open_cursor_releases_the_oldest(sf: Salesforce) -> None:
    pages = [sf.query("SELECT Id FROM Lead") for _ in range(11)]
    with pytest.raises(SalesforceMalformedRequest) as stale:
        sf.query_more(pages[0]["nextRecordsUrl"], identifier_is_url=True)
    assert stale.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert sf.query_more(pages[10]["nextRecordsUrl"], identifier_is_url=True)["records"]


def test_paging_sees_the_data_as_of_the_query(sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Company FROM Lead ORDER BY Email LIMIT 2500")
    sf.Lead.update(first["records"][0]["Id"], {"Company": "Changed later"})
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert first["totalSize"] == 2500
    assert len(rest["records"]) == 500 and rest["done"] is True
    assert "nextRecordsUrl" not in rest


def test_query_without_trailing_slash_and_lower_case_names(emulator: RunningEmulator) -> None:
    session = emulator.session()
    response = session.get(
        f"{emulator.url}/services/data/v60.0/query",
        params={"q": "select id, email from lead where email = 'LEAD00007@example.com'"},
        headers={"Authorization": f"Bearer {emulator.state.session_id}"},
    )
    assert response.status_code == 200
    record = response.json()["records"][0]
    assert record["Email"] == "lead00007@example.com"
    assert record["attributes"]["url"].startswith("/services/data/v60.0/sobjects/Lead/")
