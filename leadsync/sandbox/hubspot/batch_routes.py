"""`/crm/v3/objects/{type}/batch/{read,create,update,upsert,archive}` with HubSpot's codes.

As recorded from the real API: refused property values fail the whole batch (400);
unknown ids in read/update come back as one OBJECT_NOT_FOUND error in a 207; duplicate ids
fail the whole batch (400). A duplicate email on create fails the whole batch with 409
("Contact already exists", naming no existing id) unless every input carries its own
`objectWriteTraceId`, which turns on per-input errors (207) naming the existing id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.hubspot.inputs import (
    attach,
    batch_inputs,
    find_record,
    json_body,
    properties_of,
    reject_duplicate_ids,
)
from leadsync.sandbox.hubspot.objects import ObjectType
from leadsync.sandbox.hubspot.properties import invalid_values
from leadsync.sandbox.hubspot.render import View, full, names_from_body, record_url
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    iso_ms,
    json_response,
    no_content,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.store import Record
from leadsync.sandbox.hubspot.writes import Writer

ACTIONS = ("read", "create", "update", "upsert", "archive")


def operations(state: HubSpotState) -> Callable[..., Response]:
    def batch(kind: ObjectType, action: str) -> Response:
        handler = handlers.get(action)
        if handler is None:
            raise ApiError(404, None, f"Unknown batch action {action}")
        body = json_body()
        with state.lock:
            return handler(state, kind, body)

    handlers: dict[str, Callable[[HubSpotState, ObjectType, dict[str, Any]], Response]] = {
        "read": _read,
        "create": _create,
        "update": _update,
        "upsert": _upsert,
        "archive": _archive,
    }
    return batch


def _read(state: HubSpotState, kind: ObjectType, body: dict[str, Any]) -> Response:
    mark_read()
    history = names_from_body(body.get("propertiesWithHistory"))
    inputs = batch_inputs(body, with_history=bool(history))
    view = View(kind, state.registry, names_from_body(body.get("properties")), history)
    started = state.now_ms()
    found, missing = _resolve(state, kind, inputs, body.get("idProperty"))
    results = [view.render(r, url=record_url(state.settings.portal_id, kind, r.id)) for r in found]
    return _answer(state, started, results, _not_found(kind, missing), ok=200)


def _create(state: HubSpotState, kind: ObjectType, body: dict[str, Any]) -> Response:
    inputs = batch_inputs(body)
    writer = state.writer(kind.name)
    validated = _validated(writer, inputs)
    started = state.now_ms()
    conflicts = _create_conflicts(writer, validated)
    if conflicts and not (state.settings.batch_multi_status and _traced(inputs)):
        raise ApiError(409, "CONFLICT", f"{kind.singular.capitalize()} already exists")
    results, errors = [], []
    for item, values in zip(inputs, validated, strict=True):
        existing = writer.conflicting(values)
        if existing is not None:
            errors.append(_conflict_error(kind, item, existing))
            continue
        record = writer.create(values, state.now_ms())
        attach(state, kind, record.id, item.get("associations"))
        results.append(_written(state, kind, record, item))
    return _answer(state, started, results, errors, ok=201)


def _update(state: HubSpotState, kind: ObjectType, body: dict[str, Any]) -> Response:
    inputs = batch_inputs(body)
    reject_duplicate_ids(inputs)
    writer = state.writer(kind.name)
    validated = _validated(writer, inputs)
    started = state.now_ms()
    results, missing, errors = [], [], []
    for item, values in zip(inputs, validated, strict=True):
        record = find_record(state, kind, str(item.get("id", "")), item.get("idProperty"))
        if record is None:
            missing.append(str(item.get("id", "")))
            continue
        existing = writer.conflicting(values, record.id)
        if existing is not None:
            errors.append(_conflict_error(kind, item, existing))
            continue
        writer.update(record, values, state.now_ms())
        results.append(_written(state, kind, record, item))
    return _answer(state, started, results, _not_found(kind, missing) + errors, ok=200)


def _upsert(state: HubSpotState, kind: ObjectType, body: dict[str, Any]) -> Response:
    inputs = batch_inputs(body)
    reject_duplicate_ids(inputs)
    writer = state.writer(kind.name)
    validated = _validated(writer, inputs)
    targets = [_upsert_target(state, kind, item) for item in inputs]
    started = state.now_ms()
    results = []
    for item, values, record in zip(inputs, validated, targets, strict=True):
        if record is None:
            key = str(item["id"]).strip().lower()
            created = writer.create({**values, item["idProperty"]: key}, state.now_ms())
            results.append({**_written(state, kind, created, item), "new": True})
        else:
            writer.update(record, values, state.now_ms())
            results.append({**_written(state, kind, record, item), "new": False})
    return _answer(state, started, results, [], ok=200)


def _upsert_target(state: HubSpotState, kind: ObjectType, item: dict[str, Any]) -> Record | None:
    """The record an upsert input names; None when it is to be created. Checked up front."""
    id_property = item.get("idProperty")
    if not id_property:
        raise validation_error("idProperty is required for batch upsert")
    key = str(item.get("id", ""))
    record = find_record(state, kind, key, id_property)
    if record is None and id_property != kind.unique_property:
        raise validation_error(f"Cannot create a {kind.singular} by {id_property}={key}")
    return record


def _archive(state: HubSpotState, kind: ObjectType, body: dict[str, Any]) -> Response:
    store = state.store(kind.name)
    for item in batch_inputs(body):
        record = store.get(str(item.get("id", "")))
        if record is not None:
            store.archive(record, state.now_ms())
    return no_content()


def _validated(writer: Writer, inputs: list[dict[str, Any]]) -> list[dict[str, str]]:
    validated, issues = [], []
    for item in inputs:
        values, problems = writer.validate(properties_of(item))
        validated.append(values)
        issues += problems
    if issues:
        raise invalid_values(issues)
    return validated


def _traced(inputs: list[dict[str, Any]]) -> bool:
    """Multi-status needs a distinct `objectWriteTraceId` on every input."""
    traces = [str(i["objectWriteTraceId"]) for i in inputs if "objectWriteTraceId" in i]
    return len(traces) == len(inputs) == len(set(traces))


def _create_conflicts(writer: Writer, validated: list[dict[str, str]]) -> dict[int, int | None]:
    """Input index -> id of the record holding its unique value (None: an earlier input)."""
    conflicts: dict[int, int | None] = {}
    seen: set[str] = set()
    key = writer.store.kind.unique_property or ""
    for index, values in enumerate(validated):
        existing = writer.conflicting(values)
        if existing is not None or (values.get(key) and values[key] in seen):
            conflicts[index] = existing
        if values.get(key):
            seen.add(values[key])
    return conflicts


def _resolve(
    state: HubSpotState, kind: ObjectType, inputs: list[dict[str, Any]], id_property: str | None
) -> tuple[list[Record], list[str]]:
    found, missing = [], []
    for item in inputs:
        key = str(item.get("id", ""))
        record = find_record(state, kind, key, id_property)
        if record is None:
            missing.append(key)
        elif record not in found:
            found.append(record)
    return found, missing


def _written(
    state: HubSpotState, kind: ObjectType, record: Record, item: dict[str, Any]
) -> dict[str, Any]:
    body = full(kind, record)
    if "objectWriteTraceId" in item:
        body["objectWriteTraceId"] = str(item["objectWriteTraceId"])
    body["url"] = record_url(state.settings.portal_id, kind, record.id)
    return body


def _not_found(kind: ObjectType, missing: list[str]) -> list[dict[str, Any]]:
    if not missing:
        return []
    message = (
        f"Could not get some {kind.label} objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )
    return [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": message,
            "context": {"ids": missing},
        }
    ]


def _conflict_error(kind: ObjectType, item: dict[str, Any], existing: int) -> dict[str, Any]:
    context = {"existingId": [str(existing)]}
    if "objectWriteTraceId" in item:
        context = {"objectWriteTraceId": [str(item["objectWriteTraceId"])], **context}
    message = f"{kind.singular.capitalize()} already exists. Existing ID: {existing}"
    return {"status": "error", "category": "CONFLICT", "message": message, "context": context}


def _answer(
    state: HubSpotState,
    started: int,
    results: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    *,
    ok: int,
) -> Response:
    body: dict[str, Any] = {
        "completedAt": iso_ms(state.now_ms()),
        "status": "COMPLETE",
        "startedAt": iso_ms(started),
        "results": results,
    }
    if errors:
        body["errors"] = errors
        body["numErrors"] = len(errors)
    return json_response(body, 207 if errors else ok)
