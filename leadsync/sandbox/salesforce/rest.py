"""REST resources under `/services/data/vXX.X/`: query, sObject rows, describe, replication,
sObject Collections (and their upsert by external id) and limits. Authentication and the allowance are checked in `app.py`.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.salesforce import composite, ids, query, replication, soql, upsert
from leadsync.sandbox.salesforce.describe import describe_global, describe_sobject, describe_summary
from leadsync.sandbox.salesforce.errors import ApiError, SaveError, json_response, not_found
from leadsync.sandbox.salesforce.schema import SCHEMA, SObject, sobject, sobject_of_id
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.writes import build_create, build_update

BASE = "/services/data/<version>"
MIN_BATCH, MAX_BATCH = 200, 2000


def register(app: Flask, state: SalesforceState) -> None:
    """Add the REST routes for `state` to `app`."""
    locators = itertools.count(1)

    @app.get("/services/data/")
    def versions() -> Response:
        return json_response(
            [{"label": "Emulated", "url": f"/services/data/v{v}", "version": v}
             for v in ("58.0", "59.0", "60.0", "61.0", "62.0")]
        )  # fmt: skip

    @app.get(f"{BASE}/")
    def resources(version: str) -> Response:
        names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
        return json_response({n: f"/services/data/v{version}/{n}" for n in names})

    @app.get(f"{BASE}/limits/")
    def limits(version: str) -> Response:
        return json_response(_limits(state))

    @app.get(f"{BASE}/limits/recordCount")
    def record_count(version: str) -> Response:
        names = [n for n in request.args.get("sObjects", "").split(",") if n]
        counts = state.counts()
        found = [sobject(n) for n in names] if names else list(SCHEMA.values())
        return json_response(
            {"sObjects": [{"count": counts[s.name], "name": s.name} for s in found if s]}
        )

    @app.get(f"{BASE}/query/")
    def run_query(version: str) -> Response:
        return _first_page(state, version, next(locators), include_deleted=False)

    @app.get(f"{BASE}/queryAll/")
    def run_query_all(version: str) -> Response:
        return _first_page(state, version, next(locators), include_deleted=True)

    @app.get(f"{BASE}/query/<locator>")
    @app.get(f"{BASE}/queryAll/<locator>", endpoint="query_all_more")
    def query_more(version: str, locator: str) -> Response:
        return _next_page(state, version, locator)

    @app.get(f"{BASE}/sobjects/")
    def global_describe(version: str) -> Response:
        return json_response(describe_global(version))

    @app.get(f"{BASE}/sobjects/<name>/")
    def sobject_info(version: str, name: str) -> Response:
        so = _sobject(state, name)
        return json_response({"objectDescribe": describe_summary(so, version), "recentItems": []})

    @app.get(f"{BASE}/sobjects/<name>/describe/")
    def describe(version: str, name: str) -> Response:
        so = _sobject(state, name)
        return json_response(describe_sobject(so, version))

    @app.get(f"{BASE}/sobjects/<name>/updated/")
    def updated(version: str, name: str) -> Response:
        so = _sobject(state, name)
        args = request.args
        return json_response(replication.updated(state, so, args.get("start"), args.get("end")))

    @app.get(f"{BASE}/sobjects/<name>/deleted/")
    def deleted(version: str, name: str) -> Response:
        so = _sobject(state, name)
        args = request.args
        return json_response(replication.deleted(state, so, args.get("start"), args.get("end")))

    @app.post(f"{BASE}/sobjects/<name>/")
    def create(version: str, name: str) -> Response:
        so = _sobject(state, name)
        with state.locked():
            try:
                record = build_create(state, so, _json_object())
            except SaveError as error:
                raise error.as_api_error() from None
            state.put(so.name, record)
        return json_response({"id": record["Id"], "success": True, "errors": []}, 201)

    @app.get(f"{BASE}/sobjects/<name>/<record_id>")
    def read(version: str, name: str, record_id: str) -> Response:
        so = _sobject(state, name)
        with state.locked():
            record = _live_record(state, so, record_id)
        wanted = [f for f in request.args.get("fields", "").split(",") if f]
        return json_response(_render(so, record, version, wanted))

    @app.patch(f"{BASE}/sobjects/<name>/<record_id>")
    def update(version: str, name: str, record_id: str) -> Response:
        so = _sobject(state, name)
        payload = _json_object()
        with state.locked():
            current = _stored_record(state, so, record_id)
            try:
                state.put(so.name, build_update(state, so, current, payload))
            except SaveError as error:
                raise error.as_api_error(
                    404 if error.code == "ENTITY_IS_DELETED" else 400
                ) from None
        return Response(status=204)

    @app.delete(f"{BASE}/sobjects/<name>/<record_id>")
    def delete(version: str, name: str, record_id: str) -> Response:
        so = _sobject(state, name)
        with state.locked():
            current = _stored_record(state, so, record_id)
            if current["IsDeleted"]:
                raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
            state.put(so.name, composite.deleted_copy(state, current))
        return Response(status=204)

    @app.route(f"{BASE}/composite/sobjects", methods=["POST", "PATCH"])
    def collection_save(version: str) -> Response:
        body = _json_body()
        creating = request.method == "POST"
        return json_response(composite.save_many(state, body, creating=creating))

    @app.patch(f"{BASE}/composite/sobjects/<name>/<field>")
    def collection_upsert(version: str, name: str, field: str) -> Response:
        return json_response(upsert.upsert_many(state, name, field, _json_body()))

    @app.delete(f"{BASE}/composite/sobjects")
    def collection_delete(version: str) -> Response:
        id_list = [i for i in request.args.get("ids", "").split(",") if i]
        all_or_none = request.args.get("allOrNone", "false").lower() == "true"
        return json_response(composite.delete_many(state, id_list, all_or_none))


def _sobject(state: SalesforceState, name: str) -> SObject:
    so = state.org.sobject(name)
    if so is None:
        raise not_found()
    return so


def _stored_record(state: SalesforceState, so: SObject, record_id: str) -> dict[str, Any]:
    normalized = ids.normalize(record_id)
    record = state.get(normalized) if normalized else None
    if record is None or sobject_of_id(record["Id"]) != so.name:
        raise not_found()
    return record


def _live_record(state: SalesforceState, so: SObject, record_id: str) -> dict[str, Any]:
    record = _stored_record(state, so, record_id)
    if record["IsDeleted"]:
        raise not_found()
    return record


def _render(so: SObject, record: dict[str, Any], version: str, wanted: list[str]) -> dict:
    url = f"/services/data/v{version}/sobjects/{so.name}/{record['Id']}"
    row: dict[str, Any] = {"attributes": {"type": so.name, "url": url}}
    names = list(so.fields)
    if wanted:
        unknown = [w for w in wanted if so.field(w) is None]
        if unknown:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{so.name}'"
            )
        names = [so.field(w).name for w in wanted]  # type: ignore[union-attr]
    row.update((n, record.get(n)) for n in names)
    return row


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None


def _json_object() -> dict[str, Any]:
    body = _json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize the request body")
    return body


def _batch_size(default: int) -> int:
    """`Sforce-Query-Options: batchSize=N`, clamped to the documented 200..2000."""
    for option in request.headers.get("Sforce-Query-Options", "").split(","):
        key, _, value = option.partition("=")
        if key.strip() == "batchSize" and value.strip().isdigit():
            return max(MIN_BATCH, min(MAX_BATCH, int(value)))
    return default


def _first_page(
    state: SalesforceState, version: str, serial: int, *, include_deleted: bool
) -> Response:
    text = request.args.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    parsed = soql.parse(text, state.org.sobject)
    with state.locked():
        now = state.now()
        rows = state.rows(parsed.sobject.name, include_deleted=include_deleted)
        matched = query.run(parsed, rows, state.live, now)
        if parsed.count_only:
            return json_response({"totalSize": len(matched), "done": True, "records": []})
        batch = _batch_size(state.settings.query_batch_size)
        project = query.projector(parsed, version, state.live)
        cursor = query.Cursor(ids.make_id("01g", serial), matched, project, batch, now)
        body = query.page(cursor, 0, batch, version)
        if not body["done"]:
            state.cursors.open(cursor, state.settings.max_open_cursors)
    return json_response(body)


def _next_page(state: SalesforceState, version: str, locator: str) -> Response:
    cursor_id, _, offset = locator.rpartition("-")
    if not cursor_id or not offset.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    with state.locked():
        cursor = state.cursors.take(cursor_id, state.now())
        batch = _batch_size(cursor.batch_size)
        body = query.page(cursor, int(offset), batch, version)
        if body["done"]:
            state.cursors.close(cursor_id)
    return json_response(body)


def _limits(state: SalesforceState) -> dict[str, dict[str, int]]:
    used, allowance = state.usage()
    jobs = len(state.jobs)
    return {
        "DailyApiRequests": {"Max": allowance, "Remaining": max(0, allowance - used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": max(0, 10000 - jobs)},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "SingleEmail": {"Max": 5000, "Remaining": 5000},
    }
