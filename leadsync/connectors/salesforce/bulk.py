"""Large windows through Bulk API 2.0: one `queryAll` job, polled, its CSV read page by page.

Calls: 1 job + the polls until `JobComplete` + ceil(n / bulk_page_size) result pages + one
describe per object (CSV carries only text; the describe types the values back to what the
REST API returns). Each call is retried on its own, so a failed page does not restart the job.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.util import exception_handler

from leadsync.connectors.base import RawRecord
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.records import to_record
from leadsync.errors import Rejected, Transient

NUMBERS = {"double": float, "currency": float, "percent": float, "int": int, "long": int}


def read(client: SalesforceClient, obj: str, query: str) -> Iterator[RawRecord]:
    body = {"operation": "queryAll", "query": query, "contentType": "CSV"}
    body |= {"columnDelimiter": "COMMA", "lineEnding": "LF"}
    job = client.call(
        f"start a Bulk API 2.0 query of {obj}",
        lambda sf: sf.restful("jobs/query", method="POST", json=body, timeout=client.timeout),
    )
    _wait(client, obj, job["id"])
    types = {f["name"]: f["type"] for f in client.describe(obj).get("fields") or []}
    locator = ""
    while True:
        text, locator = client.call(
            f"read Bulk API 2.0 results of {obj}",
            lambda sf, at=locator: _results(sf, job["id"], at, client),
        )
        for row in csv.DictReader(io.StringIO(text)):
            yield to_record(obj, {k: _typed(v, types.get(k)) for k, v in row.items()})
        if not locator:
            return


def _wait(client: SalesforceClient, obj: str, job_id: str) -> None:
    settings = client.settings
    deadline = time.monotonic() + settings.bulk_timeout_seconds
    while time.monotonic() < deadline:
        info = client.call(
            f"check the Bulk API 2.0 query of {obj}",
            lambda sf: sf.restful(f"jobs/query/{job_id}", timeout=client.timeout),
        )
        state = info.get("state")
        if state == "JobComplete":
            return
        if state in ("Failed", "Aborted"):
            raise Rejected(
                f"Salesforce: the Bulk API 2.0 query of {obj} ended {state}: "
                f"{info.get('errorMessage') or 'no reason given'}",
                system="salesforce",
            )
        time.sleep(settings.bulk_poll_seconds)
    raise Transient(
        f"Salesforce: the Bulk API 2.0 query of {obj} did not finish within "
        f"{settings.bulk_timeout_seconds:.0f} s; run again later or raise "
        "salesforce.bulk_timeout_seconds",
        system="salesforce",
    )


def _results(
    sf: Salesforce, job_id: str, locator: str, client: SalesforceClient
) -> tuple[str, str]:
    """One CSV page and the locator of the next (`""` at the end)."""
    params: dict[str, Any] = {"maxRecords": client.settings.bulk_page_size}
    if locator:
        params["locator"] = locator
    response = sf.session.get(
        f"{sf.bulk2_url}query/{job_id}/results",
        headers={**sf.headers, "Accept": "text/csv"},
        params=params,
        timeout=client.timeout,
    )
    if response.status_code >= 300:
        exception_handler(response, "bulk results")
    usage = response.headers.get("Sforce-Limit-Info")
    if usage:
        sf.api_usage = Salesforce.parse_api_usage(usage)
    following = response.headers.get("Sforce-Locator") or ""
    return response.content.decode("utf-8"), "" if following == "null" else following


def _typed(value: str | None, kind: str | None) -> Any:
    """CSV text back to the JSON type the REST API gives (`""` is null in Bulk CSV)."""
    if value is None or value == "":
        return None
    if kind == "boolean":
        return value.lower() == "true"
    if kind in NUMBERS:
        try:
            return NUMBERS[kind](value)
        except ValueError:
            return float(value)
    return value
