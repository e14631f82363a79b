"""sObject Collections (`composite/sobjects`): up to 200 creates, updates or deletes per call.

Results come back in request order with status 200 even when records fail; a failed save
has no `id` (match results to requests by position). With `allOrNone` the first failure
rolls every record back and the others report ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadsync.sandbox.salesforce import ids, records
from leadsync.sandbox.salesforce.errors import ROLLED_BACK, ApiError, SaveError
from leadsync.sandbox.salesforce.schema import SObject, sobject_of_id
from leadsync.sandbox.salesforce.soql import unknown_type_message
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.writes import build_create, build_update

MAX_RECORDS = 200
Record = dict[str, Any]
Staged = dict[str, tuple[str, Record]]  # id -> (sObject, record to store)


def save_many(state: SalesforceState, body: Any, *, creating: bool) -> list[dict[str, Any]]:
    """`POST` (create) or `PATCH` (update) of `{"allOrNone", "records": [...]}`."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body needs a 'records' array")
    items = body["records"]
    check_size(len(items), "record")
    saver = _create_one if creating else _update_one
    with state.locked():
        staged: Staged = {}
        outcomes = [attempt(lambda item=item: saver(state, item, staged)) for item in items]
        return finish(state, outcomes, staged, bool(body.get("allOrNone")))


def delete_many(state: SalesforceState, id_list: list[str], all_or_none: bool) -> list[dict]:
    """`DELETE composite/sobjects?ids=...`: recycle-bin deletes, results in request order."""
    check_size(len(id_list), "Id")
    with state.locked():
        staged: Staged = {}
        outcomes = [attempt(lambda rid=rid: _delete_one(state, rid, staged)) for rid in id_list]
        results = finish(state, outcomes, staged, all_or_none)
    for result, rid in zip(results, id_list, strict=True):
        result.setdefault("id", rid)  # delete results name the id even when they fail
    return results


def check_size(count: int, noun: str) -> None:
    if count == 0:
        message = (
            "At least 1 record is required" if noun == "record" else "At least 1 Id is required."
        )
        raise ApiError(400, "REQUIRED_FIELD_MISSING", message)
    if count > MAX_RECORDS:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
        )


def attempt(save: Callable[[], str]) -> str | SaveError:
    try:
        return save()
    except SaveError as error:
        return error


def finish(
    state: SalesforceState,
    outcomes: list[str | SaveError],
    staged: Staged,
    all_or_none: bool,
) -> list[dict[str, Any]]:
    failed = any(isinstance(o, SaveError) for o in outcomes)
    if all_or_none and failed:
        rolled = SaveError("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK)
        return [_failure(o if isinstance(o, SaveError) else rolled) for o in outcomes]
    for name, record in staged.values():
        state.put(name, record)
    return [_failure(o) if isinstance(o, SaveError) else _success(o) for o in outcomes]


def _success(record_id: str) -> dict[str, Any]:
    return {"id": record_id, "success": True, "errors": []}


def _failure(error: SaveError) -> dict[str, Any]:
    return {"success": False, "errors": [error.as_dict()]}


def type_of(state: SalesforceState, item: Any) -> SObject:
    attributes = item.get("attributes") if isinstance(item, dict) else None
    name = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(name, str):
        raise ApiError(400, "INVALID_TYPE", "Must specify a type in the attributes of every record")
    so = state.org.sobject(name)
    if so is None:
        raise ApiError(400, "INVALID_TYPE", unknown_type_message(name))
    return so


def _create_one(state: SalesforceState, item: Any, staged: Staged) -> str:
    so = type_of(state, item)
    record = build_create(state, so, item)
    staged[record["Id"]] = (so.name, record)
    return record["Id"]


def _update_one(state: SalesforceState, item: Any, staged: Staged) -> str:
    so = type_of(state, item)
    given = next((v for k, v in item.items() if k.lower() == "id"), None)
    if given is None:
        raise SaveError("MISSING_ARGUMENT", "Id not specified in an update call")
    record_id = ids.normalize(given)
    if record_id is None or sobject_of_id(record_id) != so.name:
        raise SaveError(
            "MALFORMED_ID", f"{so.name} ID: id value of incorrect type: {given}", ["Id"]
        )
    current = staged[record_id][1] if record_id in staged else state.get(record_id)
    if current is None:
        raise SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    record = build_update(state, so, current, item)
    staged[record_id] = (so.name, record)
    return record_id


def _delete_one(state: SalesforceState, given: str, staged: Staged) -> str:
    record_id = ids.normalize(given)
    name = sobject_of_id(record_id) if record_id else None
    if record_id is None or name is None:
        raise SaveError("MALFORMED_ID", f"malformed id {given}")
    current = staged[record_id][1] if record_id in staged else state.get(record_id)
    if current is None or current["IsDeleted"]:
        raise SaveError("ENTITY_IS_DELETED", "entity is deleted")
    staged[record_id] = (name, deleted_copy(state, current))
    return record_id


def deleted_copy(state: SalesforceState, record: Record) -> Record:
    """The recycle-bin form of a record: IsDeleted set, modification stamps moved."""
    gone = {**record, "IsDeleted": True}
    records.stamp(gone, state.now(), created=False)
    return gone
