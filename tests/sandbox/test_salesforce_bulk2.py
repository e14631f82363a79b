"""Bulk API 2.0 query jobs, end to end with simple-salesforce's `bulk2` handler."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadsync.sandbox.control import Control
from leadsync.sandbox.salesforce import (
    RunningEmulator,
    SalesforceState,
    issue_certificates,
    serve,
)

LEADS = 5_000
RESULTS_ROUTE = "GET /services/data/{version}/jobs/query/{job_id}/results"


@pytest.fixture(scope="module")
def control() -> Control:
    return Control()


@pytest.fixture(scope="module")
def emulator(
    tmp_path_factory: pytest.TempPathFactory, control: Control
) -> Iterator[RunningEmulator]:
    state = SalesforceState()
    leads = [
        {"Email": f"bulk{n}@example.com", "LastName": f"B{n}", "Company": "Bulk, Inc.",
         "NumberOfEmployees": n if n % 2 else None}
        for n in range(LEADS)
    ]  # fmt: skip
    leads.append({"LastName": "Binned", "Company": "X", "IsDeleted": True})
    state.load({"Lead": leads})
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


def rows(pages: list[str]) -> list[dict[str, str]]:
    return [row for page in pages for row in csv.DictReader(io.StringIO(page))]


def api(emulator: RunningEmulator, method: str, path: str, **kwargs: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {emulator.state.session_id}"}
    url = f"{emulator.url}/services/data/v59.0/{path}"
    return emulator.session().request(method, url, headers=headers, **kwargs)


def test_bulk2_query_pages_through_every_record(sf: Salesforce, control: Control) -> None:
    text = "SELECT Id, Email, Company, NumberOfEmployees, IsConverted FROM Lead"
    pages = list(sf.bulk2.Lead.query(text, max_records=1_500, wait=0))
    assert len(pages) == 4
    assert control.stats["salesforce"].by_route[RESULTS_ROUTE] == 4
    table = rows(pages)
    assert len(table) == LEADS
    assert list(table[0]) == ["Id", "Email", "Company", "NumberOfEmployees", "IsConverted"]
    assert table[0]["Company"] == "Bulk, Inc."
    assert table[0]["NumberOfEmployees"] == ""  # null
    assert table[1]["NumberOfEmployees"] == "1"
    assert table[0]["IsConverted"] == "false"
    assert pages[0].startswith('"Id","Email"')


def test_query_all_operation_includes_the_recycle_bin(sf: Salesforce) -> None:
    text = "SELECT Id, IsDeleted FROM Lead WHERE LastName = 'Binned'"
    assert rows(list(sf.bulk2.Lead.query(text, wait=0))) == []
    everything = rows(list(sf.bulk2.Lead.query_all(text, wait=0)))
    assert [r["IsDeleted"] for r in everything] == ["true"]


def test_results_before_completion_answer_412(emulator: RunningEmulator) -> None:
    job = api(emulator, "POST", "jobs/query", json={"operation": "query",
              "query": "SELECT Id FROM Lead"}).json()  # fmt: skip
    assert job["state"] == "UploadComplete"
    early = api(emulator, "GET", f"jobs/query/{job['id']}/results")
    assert early.status_code == 412
    assert early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    states = [api(emulator, "GET", f"jobs/query/{job['id']}").json()["state"] for _ in range(2)]
    assert states == ["InProgress", "JobComplete"]
    done = api(emulator, "GET", f"jobs/query/{job['id']}/results", params={"maxRecords": 4000})
    assert done.headers["Sforce-NumberOfRecords"] == "4000"
    last = api(
        emulator,
        "GET",
        f"jobs/query/{job['id']}/results",
        params={"maxRecords": 4000, "locator": done.headers["Sforce-Locator"]},
    )
    assert last.headers["Sforce-Locator"] == "null"
    assert last.headers["Sforce-NumberOfRecords"] == "1000"
    assert last.headers["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT COUNT() FROM Lead", "API_ERROR"),
        ("SELECT Id FROM Lead LIMIT 5 OFFSET 5", "API_ERROR"),
        ("SELECT Id FROM Lead GROUP BY Id", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Lead", "INVALID_FIELD"),
    ],
)
def test_unsupported_or_invalid_soql_is_refused_at_creation(
    sf: Salesforce, text: str, code: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        list(sf.bulk2.Lead.query(text, wait=0))
    assert refused.value.content[0]["errorCode"] == code


def test_abort_and_delete_a_job(emulator: RunningEmulator) -> None:
    job = api(emulator, "POST", "jobs/query", json={"operation": "query",
              "query": "SELECT Id FROM Lead"}).json()  # fmt: skip
    aborted = api(emulator, "PATCH", f"jobs/query/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    assert api(emulator, "DELETE", f"jobs/query/{job['id']}").status_code == 204
    assert api(emulator, "GET", f"jobs/query/{job['id']}").status_code == 404
