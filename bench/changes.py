"""Someone else edits 1% of the records: job titles changed over HTTP, not through leadsync.

HubSpot contacts through batch update (100 per call), Salesforce Leads and Contacts through
sObject Collections (200 per call). The records are picked from leadsync's store (every
hundredth linked record), so choosing them costs no API calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import cycle
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import id_order
from leadsync.mapping.model import RecordKind
from leadsync.sync.schema import LinkRow

# Titles that move the fit score up and down, so most edits lead to a write-back.
TITLES = ("VP Marketing", "Student", "Head of Ecommerce", "Marketing Intern", "Founder")
API_VERSION = "v59.0"


def every_hundredth(sessions: sessionmaker[Session], kind: RecordKind) -> list[str]:
    """1% of the live records of one kind (Leads: unconverted only, they cannot be edited)."""
    with sessions() as session:
        rows = session.execute(
            select(LinkRow.record_id, LinkRow.snapshot).where(
                LinkRow.kind == kind, LinkRow.deleted.is_(False)
            )
        ).all()
    ids = sorted((rid for rid, snap in rows if not (snap or {}).get("IsConverted")), key=id_order)
    return ids[::100]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _session(verify: Any = True) -> requests.Session:
    http = requests.Session()
    # requests would let REQUESTS_CA_BUNDLE from the environment override `verify`.
    http.trust_env = False
    http.verify = verify
    return http


def edit_hubspot(info: dict[str, Any], ids: list[str]) -> int:
    """Change the job title of `ids`; returns the calls made."""
    http = _session()
    http.headers["Authorization"] = f"Bearer {info['hubspot_token']}"
    url = f"{info['hubspot_url']}/crm/v3/objects/contacts/batch/update"
    titles, calls = cycle(TITLES), 0
    for chunk in _chunks(ids, 100):
        inputs = [{"id": i, "properties": {"jobtitle": next(titles)}} for i in chunk]
        http.post(url, json={"inputs": inputs}, timeout=60).raise_for_status()
        calls += 1
    return calls


def edit_salesforce(info: dict[str, Any], records: list[tuple[str, str]]) -> int:
    """Change the Title of `(object, id)` records; returns the calls made."""
    http = _session(info["ca_bundle"])
    http.headers["Authorization"] = f"Bearer {info['salesforce_token']}"
    url = f"{info['salesforce_url']}/services/data/{API_VERSION}/composite/sobjects"
    titles, calls = cycle(TITLES), 0
    for start in range(0, len(records), 200):
        body = {
            "allOrNone": True,
            "records": [
                {"attributes": {"type": obj}, "id": record_id, "Title": next(titles)}
                for obj, record_id in records[start : start + 200]
            ],
        }
        answer = http.patch(url, json=body, timeout=60)
        answer.raise_for_status()
        refused = [r for r in answer.json() if not r.get("success")]
        if refused:
            raise RuntimeError(f"Salesforce refused the benchmark's edits: {refused[:3]}")
        calls += 1
    return calls
