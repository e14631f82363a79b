"""`/crm/v3/objects/{type}`: list, get, create, update, archive and search.

Routes are registered per object type with literal paths (so stats and faults name
`GET /crm/v3/objects/contacts/{contactId}`), plus a generic fallback that resolves type
aliases such as `0-1` and answers HubSpot's 400 for unknown types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.hubspot import batch_routes, search
from leadsync.sandbox.hubspot.associations import v3_type_name
from leadsync.sandbox.hubspot.inputs import (
    attach,
    find_record,
    flag,
    int_arg,
    json_body,
    properties_of,
)
from leadsync.sandbox.hubspot.objects import OBJECT_TYPES, ObjectType, resolve
from leadsync.sandbox.hubspot.properties import invalid_values
from leadsync.sandbox.hubspot.render import (
    View,
    full,
    names_from_query,
    record_url,
    v3_associations,
)
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    decode_cursor,
    encode_cursor,
    json_response,
    no_content,
    not_found,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.store import Record

LIST_MAX, LIST_HISTORY_MAX, LIST_DEFAULT = 100, 50, 10


def register(app: Flask, state: HubSpotState) -> None:
    ops = _operations(state)
    batch = batch_routes.operations(state)
    for kind in OBJECT_TYPES.values():
        _register_kind(app, kind, ops, batch)
    base = "/crm/v3/objects/<objectType>"

    def by_alias(handler: Callable[..., Response]) -> Callable[..., Response]:
        def view(objectType: str, **kwargs: Any) -> Response:
            return handler(resolve(objectType), **kwargs)

        return view

    app.add_url_rule(base, "any_list", by_alias(ops["list"]), methods=["GET"])
    app.add_url_rule(base, "any_create", by_alias(ops["create"]), methods=["POST"])
    app.add_url_rule(f"{base}/search", "any_search", by_alias(ops["search"]), methods=["POST"])
    app.add_url_rule(f"{base}/<objectId>", "any_get", by_alias(ops["get"]), methods=["GET"])
    app.add_url_rule(f"{base}/<objectId>", "any_update", by_alias(ops["update"]), methods=["PATCH"])
    app.add_url_rule(
        f"{base}/<objectId>", "any_archive", by_alias(ops["archive"]), methods=["DELETE"]
    )
    app.add_url_rule(f"{base}/batch/<action>", "any_batch", by_alias(batch), methods=["POST"])


def _register_kind(
    app: Flask,
    kind: ObjectType,
    ops: dict[str, Callable[..., Response]],
    batch: Callable[..., Response],
) -> None:
    base = f"/crm/v3/objects/{kind.name}"
    id_var = f"{kind.singular}Id"

    def bound(name: str, handler: Callable[..., Response]) -> Callable[..., Response]:
        def view(**kwargs: Any) -> Response:
            if id_var in kwargs:
                kwargs["objectId"] = kwargs.pop(id_var)
            return handler(kind, **kwargs)

        view.__name__ = f"{kind.name}_{name}"
        return view

    rules = [
        (base, "list", ops["list"], "GET"),
        (base, "create", ops["create"], "POST"),
        (f"{base}/search", "search", ops["search"], "POST"),
        (f"{base}/<{id_var}>", "get", ops["get"], "GET"),
        (f"{base}/<{id_var}>", "update", ops["update"], "PATCH"),
        (f"{base}/<{id_var}>", "archive", ops["archive"], "DELETE"),
    ]
    for action in batch_routes.ACTIONS:
        rules.append((f"{base}/batch/{action}", f"batch_{action}", _fixed(batch, action), "POST"))
    for rule, name, handler, method in rules:
        app.add_url_rule(rule, f"{kind.name}_{name}", bound(name, handler), methods=[method])


def _fixed(batch: Callable[..., Response], action: str) -> Callable[..., Response]:
    def view(kind: ObjectType) -> Response:
        return batch(kind, action=action)

    return view


def _operations(state: HubSpotState) -> dict[str, Callable[..., Response]]:
    def list_page(kind: ObjectType) -> Response:
        history = names_from_query(request.args, "propertiesWithHistory")
        cap = LIST_HISTORY_MAX if history else LIST_MAX
        limit = max(1, min(int_arg("limit", LIST_DEFAULT), cap))
        after = decode_cursor(request.args.get("after"))
        with state.lock:
            view = _view(state, kind, history)
            if flag("archived"):
                records, following = _archived_page(state, kind, after, limit)
            else:
                records, following = state.store(kind.name).page(_position(after), limit)
            body: dict[str, Any] = {"results": [_read(state, kind, view, r) for r in records]}
        if following is not None:
            token = encode_cursor(following)
            link = f"{request.base_url}?limit={limit}&after={token}"
            body["paging"] = {"next": {"after": token, "link": link}}
        return json_response(body)

    def get_one(kind: ObjectType, objectId: str) -> Response:
        with state.lock:
            view = _view(state, kind, names_from_query(request.args, "propertiesWithHistory"))
            record = _lookup(state, kind, objectId, archived=flag("archived"))
            return json_response(_read(state, kind, view, record))

    def create(kind: ObjectType) -> Response:
        body = json_body()
        with state.lock:
            writer = state.writer(kind.name)
            values, issues = writer.validate(properties_of(body))
            if issues:
                raise invalid_values(issues)
            existing = writer.conflicting(values)
            if existing is not None:
                raise conflict(kind, existing)
            record = writer.create(values, state.now_ms())
            attach(state, kind, record.id, body.get("associations"))
            return json_response(full(kind, record), 201)

    def update(kind: ObjectType, objectId: str) -> Response:
        body = json_body()
        with state.lock:
            record = _lookup(state, kind, objectId, archived=False)
            writer = state.writer(kind.name)
            values, issues = writer.validate(properties_of(body))
            if issues:
                raise invalid_values(issues)
            existing = writer.conflicting(values, record.id)
            if existing is not None:
                raise conflict(kind, existing)
            writer.update(record, values, state.now_ms())
            return json_response(full(kind, record))

    def archive(kind: ObjectType, objectId: str) -> Response:
        with state.lock:
            record = state.store(kind.name).get(objectId)
            if record is not None:
                state.store(kind.name).archive(record, state.now_ms())
        return no_content()

    def run_search(kind: ObjectType) -> Response:
        mark_read()
        body = json_body()
        with state.lock:
            query = search.parse(body, state.registry, kind.name, state.settings.max_search_results)
            lag_ms = int(state.settings.search_lag_seconds * 1000)
            cutoff = state.now_ms() - lag_ms if lag_ms > 0 else None
            records, total = search.run(state.store(kind.name), state.registry, query, cutoff)
            view = View(kind, state.registry, query.properties)
            portal = state.settings.portal_id
            results = [view.render(r, url=record_url(portal, kind, r.id)) for r in records]
        answer: dict[str, Any] = {"total": total, "results": results}
        following = query.offset + len(records)
        if following < total:
            answer["paging"] = {"next": {"after": str(following)}}
        return json_response(answer)

    return {
        "list": list_page,
        "get": get_one,
        "create": create,
        "update": update,
        "archive": archive,
        "search": run_search,
    }


def conflict(kind: ObjectType, existing_id: int) -> ApiError:
    label = kind.singular.capitalize()
    return ApiError(409, "CONFLICT", f"{label} already exists. Existing ID: {existing_id}")


def _view(state: HubSpotState, kind: ObjectType, history: list[str] | None) -> View:
    return View(kind, state.registry, names_from_query(request.args, "properties"), history)


def _lookup(state: HubSpotState, kind: ObjectType, key: str, *, archived: bool) -> Record:
    if archived:
        record = state.store(kind.name).get_archived(key)
    else:
        record = find_record(state, kind, key, request.args.get("idProperty"))
    if record is None:
        raise not_found(key)
    return record


def _read(state: HubSpotState, kind: ObjectType, view: View, record: Record) -> dict[str, Any]:
    body = view.render(record)
    wanted = names_from_query(request.args, "associations")
    if wanted:
        links = []
        for name in wanted:
            to_kind = resolve(name)
            ids = state.associations.targets(kind.name, record.id, to_kind.name)
            links.append((to_kind.name, v3_type_name(kind.singular, to_kind.singular), ids))
        body["associations"] = v3_associations(links)
    return body


def _archived_page(
    state: HubSpotState, kind: ObjectType, after: str | None, limit: int
) -> tuple[list[Record], int | None]:
    start = _position(after) or 0
    records = [r for r in state.store(kind.name).iter_archived() if r.id >= start]
    following = records[limit].id if len(records) > limit else None
    return records[:limit], following


def _position(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise validation_error(f"Invalid after value: {after}")
    return int(after)
