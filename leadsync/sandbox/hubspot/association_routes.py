"""Associations v4: per-record reads, batch reads (up to 1000 inputs) and default links."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.hubspot.associations import BATCH_READ_MAX, PAGE_SIZE, type_spec
from leadsync.sandbox.hubspot.inputs import int_arg, json_body
from leadsync.sandbox.hubspot.objects import ObjectType, resolve
from leadsync.sandbox.hubspot.responses import (
    decode_cursor,
    encode_cursor,
    iso_ms,
    json_response,
    not_found,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState


def register(app: Flask, state: HubSpotState) -> None:
    def list_links(objectType: str, objectId: str, toObjectType: str) -> Response:
        source, target = resolve(objectType), resolve(toObjectType)
        limit = max(1, min(int_arg("limit", PAGE_SIZE), PAGE_SIZE))
        with state.lock:
            ids = _ids(state, source, objectId, target)
        results, paging = _page(
            source, target, ids, decode_cursor(request.args.get("after")), limit
        )
        body: dict[str, Any] = {"results": results}
        if paging:
            body["paging"] = paging
        return json_response(body)

    def batch_read(fromObjectType: str, toObjectType: str) -> Response:
        mark_read()
        source, target = resolve(fromObjectType), resolve(toObjectType)
        inputs = json_body().get("inputs")
        if not isinstance(inputs, list):
            raise validation_error("inputs must be a list of objects")
        if len(inputs) > BATCH_READ_MAX:
            raise validation_error(
                f"The maximum number of inputs supported in a batch request is {BATCH_READ_MAX}"
            )
        results, errors = [], []
        started = iso_ms(state.now_ms())
        with state.lock:
            for item in inputs:
                key = str(item.get("id", ""))
                ids = _ids(state, source, key, target)
                if not ids:
                    errors.append(_none_found(source, target, key))
                    continue
                to, paging = _page(source, target, ids, decode_cursor(item.get("after")), PAGE_SIZE)
                entry: dict[str, Any] = {"from": {"id": key}, "to": to}
                if paging:
                    entry["paging"] = paging
                results.append(entry)
        body: dict[str, Any] = {
            "completedAt": iso_ms(state.now_ms()),
            "status": "COMPLETE",
            "startedAt": started,
            "results": results,
        }
        if errors:
            body.update(errors=errors, numErrors=len(errors))
        return json_response(body, 207 if errors else 200)

    def create_default(
        fromObjectType: str, fromObjectId: str, toObjectType: str, toObjectId: str
    ) -> Response:
        source, target = resolve(fromObjectType), resolve(toObjectType)
        with state.lock:
            for kind, key in ((source, fromObjectId), (target, toObjectId)):
                if state.store(kind.name).get(key) is None:
                    raise not_found(key)
            state.associations.add(source.name, int(fromObjectId), target.name, int(toObjectId))
            now = iso_ms(state.now_ms())
        spec = [
            {"associationCategory": s["category"], "associationTypeId": s["typeId"]}
            for s in type_spec(source.name, target.name)
        ]
        result = {
            "from": {"id": fromObjectId},
            "to": {"id": toObjectId},
            "associationSpec": spec[0] if spec else None,
        }
        body = {"completedAt": now, "status": "COMPLETE", "startedAt": now, "results": [result]}
        return json_response(body)

    app.add_url_rule(
        "/crm/v4/objects/<objectType>/<objectId>/associations/<toObjectType>",
        "associations_list",
        list_links,
        methods=["GET"],
    )
    app.add_url_rule(
        "/crm/v4/associations/<fromObjectType>/<toObjectType>/batch/read",
        "associations_batch_read",
        batch_read,
        methods=["POST"],
    )
    app.add_url_rule(
        "/crm/v4/objects/<fromObjectType>/<fromObjectId>/associations/default/<toObjectType>/<toObjectId>",
        "associations_create_default",
        create_default,
        methods=["PUT"],
    )


def _ids(state: HubSpotState, source: ObjectType, key: str, target: ObjectType) -> list[int]:
    try:
        return state.associations.targets(source.name, int(key), target.name)
    except ValueError:
        return []


def _page(
    source: ObjectType, target: ObjectType, ids: list[int], after: str | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    start = int(after) if after and after.isdigit() else 0
    chunk = ids[start : start + limit]
    spec = type_spec(source.name, target.name)
    results = [{"toObjectId": i, "associationTypes": spec} for i in chunk]
    if start + limit < len(ids):
        return results, {"next": {"after": encode_cursor(start + limit)}}
    return results, None


def _none_found(source: ObjectType, target: ObjectType, key: str) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {target.singular} is associated with {source.singular} {key}.",
        "context": {
            "fromObjectId": [key],
            "fromObjectType": [source.singular],
            "toObjectType": [target.singular],
        },
    }
