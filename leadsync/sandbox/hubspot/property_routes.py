"""`/crm/v3/properties/{type}`: property definitions and property groups."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.hubspot.inputs import batch_inputs, json_body
from leadsync.sandbox.hubspot.objects import resolve
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    iso_ms,
    json_response,
    no_content,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState

BASE = "/crm/v3/properties/<objectType>"


def register(app: Flask, state: HubSpotState) -> None:
    def list_properties(objectType: str) -> Response:
        kind = resolve(objectType)
        if request.args.get("archived", "false").lower() == "true":
            return json_response({"results": []})
        with state.lock:
            return json_response({"results": state.registry.all(kind.name)})

    def get_property(objectType: str, propertyName: str) -> Response:
        kind = resolve(objectType)
        with state.lock:
            definition = state.registry.get(kind.name, propertyName)
        if definition is None:
            raise _missing_property(propertyName)
        return json_response(definition)

    def create_property(objectType: str) -> Response:
        kind, body = resolve(objectType), json_body()
        with state.lock:
            return json_response(state.registry.create(kind.name, body, state.now_ms()), 201)

    def update_property(objectType: str, propertyName: str) -> Response:
        kind, body = resolve(objectType), json_body()
        with state.lock:
            return json_response(
                state.registry.update(kind.name, propertyName, body, state.now_ms())
            )

    def archive_property(objectType: str, propertyName: str) -> Response:
        kind = resolve(objectType)
        with state.lock:
            state.registry.archive(kind.name, propertyName)
        return no_content()

    def batch_read(objectType: str) -> Response:
        mark_read()
        kind, body = resolve(objectType), json_body()
        with state.lock:
            names = [str(i.get("name", "")) for i in batch_inputs(body)]
            found = [d for n in names if (d := state.registry.get(kind.name, n)) is not None]
            return _batch_answer(state, found, [], ok=200)

    def batch_create(objectType: str) -> Response:
        kind, body = resolve(objectType), json_body()
        results, errors = [], []
        with state.lock:
            for item in batch_inputs(body):
                try:
                    results.append(state.registry.create(kind.name, item, state.now_ms()))
                except ApiError as error:
                    errors.append({**error.body, "status": "error"})
            return _batch_answer(state, results, errors, ok=201)

    rules = [
        (BASE, list_properties, "GET"),
        (BASE, create_property, "POST"),
        (f"{BASE}/batch/read", batch_read, "POST"),
        (f"{BASE}/batch/create", batch_create, "POST"),
        (f"{BASE}/<propertyName>", get_property, "GET"),
        (f"{BASE}/<propertyName>", update_property, "PATCH"),
        (f"{BASE}/<propertyName>", archive_property, "DELETE"),
    ]
    for rule, view, method in rules:
        app.add_url_rule(rule, f"properties_{view.__name__}", view, methods=[method])
    _register_groups(app, state)


def _register_groups(app: Flask, state: HubSpotState) -> None:
    def list_groups(objectType: str) -> Response:
        kind = resolve(objectType)
        with state.lock:
            return json_response({"results": list(state.registry.groups[kind.name].values())})

    def get_group(objectType: str, groupName: str) -> Response:
        kind = resolve(objectType)
        with state.lock:
            group = state.registry.groups[kind.name].get(groupName)
        if group is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property group {groupName}")
        return json_response(group)

    def create_group(objectType: str) -> Response:
        kind, body = resolve(objectType), json_body()
        name, label = body.get("name"), body.get("label")
        if not name or not label:
            raise validation_error("A property group needs a name and a label")
        with state.lock:
            groups = state.registry.groups[kind.name]
            if name in groups:
                raise ApiError(
                    409, "OBJECT_ALREADY_EXISTS", f"Property group {name} already exists"
                )
            groups[name] = {
                "name": str(name),
                "label": str(label),
                "displayOrder": int(body.get("displayOrder", -1)),
                "archived": False,
            }
            return json_response(groups[name], 201)

    app.add_url_rule(f"{BASE}/groups", "groups_list", list_groups, methods=["GET"])
    app.add_url_rule(f"{BASE}/groups", "groups_create", create_group, methods=["POST"])
    app.add_url_rule(f"{BASE}/groups/<groupName>", "groups_get", get_group, methods=["GET"])


def _missing_property(name: str) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")


def _batch_answer(
    state: HubSpotState, results: list[dict[str, Any]], errors: list[dict[str, Any]], *, ok: int
) -> Response:
    now = iso_ms(state.now_ms())
    body: dict[str, Any] = {
        "completedAt": now,
        "status": "COMPLETE",
        "startedAt": now,
        "results": results,
    }
    if errors:
        body.update(errors=errors, numErrors=len(errors))
    return json_response(body, 207 if errors else ok)
