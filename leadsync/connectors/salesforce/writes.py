"""Writing Leads and Contacts through sObject Collections: 200 per call, `allOrNone` false.

Calls for n changes: ceil(n/200) PATCHes for updates plus ceil(m/200) calls for the m creates
(Lead creation for the handoff). Salesforce answers each record in request order, so one
record's refusal fails only that record.

A create that carries an `external_id` is an upsert on the External ID field
(`PATCH composite/sobjects/{obj}/{field}`, see `external_ids`): sent twice, it updates the
record the first one made. Only creates without one are plain POSTs.

Converted leads are read-only (`CANNOT_UPDATE_CONVERTED_LEAD`). Rather than look up every Lead
before writing, a refused converted Lead is redirected after the fact: one query for the
`ConvertedContactId` of all such Leads in the batch, one describe of Contact per connector (to
drop fields a Contact does not have, such as `Status` or `Company`) and one PATCH of the
Contacts. The sync layer avoids even that by addressing the Contact once it has read
`IsConverted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from simple_salesforce.format import format_soql

from leadsync.connectors.base import Change, WriteResult
from leadsync.connectors.batches import batches
from leadsync.connectors.salesforce.client import RejectedCall, SalesforceClient
from leadsync.connectors.salesforce.external_ids import ExternalIds
from leadsync.errors import RateLimited, Rejected, Transient

OBJECTS = ("Lead", "Contact")
CONVERTED = "CANNOT_UPDATE_CONVERTED_LEAD"
# Per-record codes that may succeed when sent again later.
RETRYABLE = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"})


class RecordWriter:
    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.external_ids = ExternalIds(client)

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        results = {
            c.key: _failed(
                c, f"Salesforce connector writes {' and '.join(OBJECTS)} only", "UNSUPPORTED"
            )
            for c in changes
            if c.obj not in OBJECTS
        }
        todo = [c for c in changes if c.key not in results]
        updates = [c for c in todo if c.record_id is not None]
        creates = [c for c in todo if c.record_id is None]
        results |= self.send(updates, "PATCH")
        results |= self.upsert([c for c in creates if c.external_id])
        results |= self.send([c for c in creates if not c.external_id], "POST")
        converted = [c for c in updates if results[c.key].code == CONVERTED]
        if converted:
            results |= self.to_contacts(converted)
        return [results[c.key] for c in changes]

    def send(self, changes: list[Change], method: str) -> dict[str, WriteResult]:
        # Grouped by type so each request is as few sObject chunks as possible.
        ordered = sorted(changes, key=lambda c: c.obj)
        results: dict[str, WriteResult] = {}
        size = self.client.settings.batch_size
        for chunk in batches(ordered, size, key=lambda c: (c.obj, c.record_id or c.key)):
            results |= self._send(chunk, "composite/sobjects", method)
        return results

    def upsert(self, changes: list[Change]) -> dict[str, WriteResult]:
        """Creates by upsert on the External ID field, one object type per call."""
        results: dict[str, WriteResult] = {}
        field, size = self.external_ids.name, self.client.settings.batch_size
        for obj in sorted({c.obj for c in changes}):
            mine = [c for c in changes if c.obj == obj]
            problem = self.external_ids.problem(obj)
            if problem:
                results |= {c.key: _failed(c, problem, "EXTERNAL_ID_FIELD") for c in mine}
                continue
            # A repeated external id goes to a later call: one request may not name it twice.
            for chunk in batches(mine, size, key=lambda c: (c.external_id or "").lower()):
                results |= self._send(chunk, f"composite/sobjects/{obj}/{field}", "PATCH")
        return results

    def to_contacts(self, leads: list[Change]) -> dict[str, WriteResult]:
        """Write refused converted Leads' changes to the Contacts they became."""
        try:
            contact_of = self._converted_contacts([c.record_id or "" for c in leads])
            described = self.client.describe("Contact")["fields"]
        except (Transient, RateLimited, Rejected) as exc:
            retryable = not isinstance(exc, Rejected)
            return {c.key: _failed(c, str(exc), CONVERTED, retryable) for c in leads}
        fields = {f["name"] for f in described if f["updateable"]}
        moved = {
            c.key: replace(
                c,
                obj="Contact",
                record_id=contact_of[c.record_id],
                properties={k: v for k, v in c.properties.items() if k in fields},
            )
            for c in leads
            if contact_of.get(c.record_id or "")
        }
        written = self.send(list(moved.values()), "PATCH")
        results = {}
        for lead in leads:
            if lead.key not in written:
                continue
            dropped = sorted(set(lead.properties) - fields)
            note = (
                f"Lead {lead.record_id} is converted; wrote its Contact {moved[lead.key].record_id}"
            )
            if dropped:
                note += f" (a Contact has no {', '.join(dropped)})"
            result = written[lead.key]
            results[lead.key] = replace(result, reason=f"{note}. {result.reason}".strip(" ."))
        return results

    def _converted_contacts(self, lead_ids: list[str]) -> dict[str, str]:
        query = format_soql("SELECT Id, ConvertedContactId FROM Lead WHERE Id IN {}", lead_ids)
        answer = self.client.call(
            "find the Contacts of converted Leads",
            lambda sf: sf.query(query, timeout=self.client.timeout),
        )
        return {r["Id"]: r["ConvertedContactId"] for r in answer.get("records") or []}

    def _send(self, chunk: list[Change], path: str, method: str) -> dict[str, WriteResult]:
        field = self.external_ids.name
        body = {"allOrNone": False, "records": [_record(c, field) for c in chunk]}
        verb = "update" if method == "PATCH" else "create"
        verb = "upsert" if path.count("/") > 1 else verb
        try:
            answer = self.client.call(
                f"{verb} {len(chunk)} records",
                lambda sf: sf.restful(path, method=method, json=body, timeout=self.client.timeout),
            )
        except Rejected as exc:
            code = (exc.code if isinstance(exc, RejectedCall) else "") or "REJECTED"
            return {c.key: _failed(c, str(exc), code) for c in chunk}
        except (Transient, RateLimited) as exc:
            code = type(exc).__name__.upper()
            return {c.key: _failed(c, str(exc), code, retryable=True) for c in chunk}
        return {c.key: _outcome(c, r) for c, r in zip(chunk, answer or [], strict=False)} | {
            c.key: _failed(c, "Salesforce returned no result for this record", "NO_RESULT", True)
            for c in chunk[len(answer or []) :]
        }


def _record(change: Change, external_id_field: str) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": change.obj}}
    if change.record_id is not None:
        record["id"] = change.record_id
    elif change.external_id:
        record[external_id_field] = change.external_id
    return record | dict(change.properties)


def _outcome(change: Change, result: dict[str, Any]) -> WriteResult:
    if result.get("success"):
        record_id = result.get("id") or change.record_id
        return WriteResult(change.key, True, record_id, written=dict(change.properties))
    errors = result.get("errors") or [{}]
    code = str(errors[0].get("statusCode") or "ERROR")
    reason = "; ".join(
        f"{e.get('message')}" + (f" ({', '.join(e['fields'])})" if e.get("fields") else "")
        for e in errors
    )
    return _failed(change, reason, code, code in RETRYABLE)


def _failed(change: Change, reason: str, code: str, retryable: bool = False) -> WriteResult:
    return WriteResult(change.key, False, change.record_id, reason, code, retryable)
