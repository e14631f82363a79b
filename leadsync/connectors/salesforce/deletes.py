"""Withdrawing records leadsync created: sObject Collections DELETE, 200 ids per call.

Deleted records go to the org's recycle bin, from which an admin can restore them for 15 days.
An org may forbid the integration user to delete (`INSUFFICIENT_ACCESS_OR_READONLY`): each such
record comes back as a failed result, for the caller to list instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadsync.connectors.base import WriteResult
from leadsync.connectors.batches import batches
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.errors import RateLimited, Rejected, Transient


def withdraw(client: SalesforceClient, record_ids: Sequence[str]) -> list[WriteResult]:
    """Delete `record_ids`; one result per id, in order (`key` is the id)."""
    results: list[WriteResult] = []
    for chunk in batches(list(record_ids), client.settings.batch_size, key=lambda rid: rid):
        results += _delete(client, chunk)
    return results


def _delete(client: SalesforceClient, ids: list[str]) -> list[WriteResult]:
    path = f"composite/sobjects?ids={','.join(ids)}&allOrNone=false"
    try:
        answer = client.call(
            f"delete {len(ids)} records",
            lambda sf: sf.restful(path, method="DELETE", timeout=client.timeout),
        )
    except (Rejected, Transient, RateLimited) as exc:
        return [WriteResult(rid, False, rid, str(exc), type(exc).__name__.upper()) for rid in ids]
    return [_result(rid, found) for rid, found in zip(ids, answer or [], strict=False)]


def _result(record_id: str, found: dict[str, Any]) -> WriteResult:
    if found.get("success"):
        return WriteResult(record_id, True, record_id)
    errors = found.get("errors") or [{}]
    code = str(errors[0].get("statusCode") or "ERROR")
    return WriteResult(record_id, False, record_id, str(errors[0].get("message") or code), code)
