"""Upsert through sObject Collections (API v46+), by an External ID or another lookup field:

    PATCH /services/data/vXX.X/composite/sobjects/{SObject}/{ExternalIdField}
    {"allOrNone": false, "records": [{"attributes": {"type": "Lead"}, "Ext__c": "k1", ...}]}

Up to 200 records, all of the type the URL names. A record whose key value matches one live
record updates it; a record with no value, or a value nothing holds, is created (recorded: an
upsert on `Id` with `"Id": null` creates). Text keys match ignoring case, as Email and
case-insensitive External IDs do. Results come back in request order as UpsertResults (`id`,
`success`, `errors`, `created`). A malformed request is a 400; a field that is not an
External ID (or Id, Email) the user can see is a 404, as for single-record upserts.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.composite import Staged, attempt, check_size, finish, type_of
from leadsync.sandbox.salesforce.errors import ApiError, SaveError
from leadsync.sandbox.salesforce.schema import Field, SObject
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.writes import build_create, build_update

Record = dict[str, Any]


def upsert_many(state: SalesforceState, name: str, field_name: str, body: Any) -> list[dict]:
    so = state.org.sobject(name)
    key = so.field(field_name) if so else None
    if so is None or key is None or not key.id_lookup:
        raise ApiError(
            404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
            f"{field_name}"
        )  # fmt: skip
    items = _records(state, so, key, body)
    repeated = Counter(v for v in (_value(item, key) for item in items) if v)
    created: set[str] = set()
    with state.locked():
        staged: Staged = {}
        holders = _holders(state, so, key, repeated)
        outcomes = [
            attempt(partial(_upsert_one, state, so, key, item, repeated, staged, created, holders))
            for item in items
        ]
        results = finish(state, outcomes, staged, bool(body.get("allOrNone")))
    return [r | {"created": r["id"] in created} if r["success"] else r for r in results]


def _records(state: SalesforceState, so: SObject, key: Field, body: Any) -> list[Record]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body needs a 'records' array")
    items = body["records"]
    check_size(len(items), "record")
    for item in items:
        if not isinstance(item, dict) or type_of(state, item).name != so.name:
            raise ApiError(
                400, "INVALID_TYPE", f"All records must be of type {so.name}, as the URI names"
            )
        if key.name != "Id" and any(k.lower() == "id" for k in item):
            raise ApiError(
                400, "INVALID_FIELD", "An upsert by external id takes no record Id; send the "
                f"{key.name} value instead"
            )  # fmt: skip
    return items


def _upsert_one(
    state: SalesforceState,
    so: SObject,
    key: Field,
    item: Record,
    repeated: Counter[str],
    staged: Staged,
    created: set[str],
    holders: dict[str, list[Record]],
) -> str:
    value = _value(item, key)
    if value and repeated[value] > 1:
        raise SaveError("DUPLICATE_VALUE", f"Duplicate external id specified: {value}", [key.name])
    matches = _matches(state, key, value, holders) if value else []
    if len(matches) > 1:
        found = ", ".join(r["Id"] for r in matches)
        raise SaveError(
            "DUPLICATE_EXTERNAL_ID",
            f"{key.name}: more than one record found for external id field: [{found}]",
            [key.name],
        )
    body = _without(item, key) if matches or key.name == "Id" else item
    if matches:
        record = build_update(state, so, matches[0], body)
    else:
        record = build_create(state, so, body)
        created.add(record["Id"])
    staged[record["Id"]] = (so.name, record)
    return record["Id"]


def _holders(
    state: SalesforceState, so: SObject, key: Field, wanted: Counter[str]
) -> dict[str, list[Record]]:
    """The live records holding each key value the request names: one pass over the object
    for the request, not one per record (200 records against 50,000 Leads)."""
    if key.name == "Id" or not wanted:
        return {}
    found: dict[str, list[Record]] = {}
    for record in state.rows(so.name, include_deleted=False):
        held = record.get(key.name)  # stored records spell fields as the schema does
        if held is not None and (value := str(held).lower()) in wanted:
            found.setdefault(value, []).append(record)
    return found


def _matches(
    state: SalesforceState, key: Field, value: str, holders: dict[str, list[Record]]
) -> list[Record]:
    if key.name == "Id":
        found = state.live(ids.normalize(value))
        if found is None:
            raise SaveError("NOT_FOUND", f"Provided external ID field does not exist: {value}")
        return [found]
    return holders.get(value, [])


def _value(item: Record, key: Field) -> str:
    found = next((v for k, v in item.items() if k.lower() == key.name.lower()), None)
    if found is None:
        return ""
    return str(found) if key.name == "Id" else str(found).lower()


def _without(item: Record, key: Field) -> Record:
    """An update leaves the key as it is (the same value, maybe in another case)."""
    return {k: v for k, v in item.items() if k.lower() != key.name.lower()}
