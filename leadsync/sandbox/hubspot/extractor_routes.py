"""Endpoints third-party extractors call (tap-hubspot, airbyte-source-hubspot), so they run
against the sandbox by base URL alone:

    GET  /crm/v3/schemas                              object schemas (shape: recorded
                                                       read/schemas/contacts.json)
    GET  /properties/v2/{object}/properties           legacy property list (a JSON array)
    GET  /forms/v2/forms                              legacy forms list (a JSON array)
    GET  /engagements/v1/engagements/paged            legacy engagements by id, `offset`
    GET  /engagements/v1/engagements/recent/modified  modified since `since` (ms), `offset`
    POST /oauth/v1/token                              the refresh_token grant

Engagement shape as recorded (read/engagements.json). The OAuth grant accepts any client
id and secret with the refresh token `sandbox-refresh-token` (or one it issued) and answers
with a fresh access token that the emulator accepts.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.hubspot.objects import ENGAGEMENT_TYPES, OBJECT_TYPES, ObjectType
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    json_response,
    parse_time_ms,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.store import Record

REFRESH_TOKEN = "sandbox-refresh-token"
EPOCH = "1970-01-01T00:00:00Z"
_V1_TYPES = {"calls": "CALL", "emails": "EMAIL", "meetings": "MEETING", "notes": "NOTE",
             "tasks": "TASK"}  # fmt: skip
# v1 association keys by object type.
_LINKED = {"contacts": "contactIds", "companies": "companyIds", "deals": "dealIds",
           "tickets": "ticketIds"}  # fmt: skip


def register(app: Flask, state: HubSpotState) -> None:
    @app.get("/crm/v3/schemas")
    def schemas() -> Response:
        with state.lock:
            body = {"results": [_schema(state, kind) for kind in OBJECT_TYPES.values()]}
        return json_response(body)

    @app.get("/properties/v2/<object_type>/properties")
    def v2_properties(object_type: str) -> Response:
        kind = OBJECT_TYPES.get(object_type) or OBJECT_TYPES.get(f"{object_type}s")
        if kind is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"Unknown object type {object_type}")
        with state.lock:
            return json_response([_v2(p) for p in state.registry.all(kind.name)])

    @app.get("/forms/v2/forms")
    def v2_forms() -> Response:
        with state.lock:
            return json_response([_form(state, guid, f) for guid, f in state.forms.items()])

    @app.get("/engagements/v1/engagements/paged")
    def engagements_paged() -> Response:
        limit = _number("limit", 100, 250)
        after = _number("offset", 0, None)
        with state.lock:
            found = sorted(_engagements(state), key=lambda pair: pair[1].id)
            page = [p for p in found if p[1].id > after][:limit]
            more = len([p for p in found if p[1].id > after]) > limit
            offset = page[-1][1].id if page else after
            results = [_engagement(state, kind, record) for kind, record in page]
        return json_response({"results": results, "hasMore": more, "offset": offset})

    @app.get("/engagements/v1/engagements/recent/modified")
    def engagements_recent() -> Response:
        count = _number("count", 20, 100)
        start = _number("offset", 0, None)
        since = _number("since", 0, None)
        with state.lock:
            found = sorted((p for p in _engagements(state) if p[1].updated_ms >= since),
                           key=lambda pair: (pair[1].updated_ms, pair[1].id))  # fmt: skip
            page = found[start : start + count]
            results = [_engagement(state, kind, record) for kind, record in page]
        return json_response({"results": results, "hasMore": start + count < len(found),
                              "offset": start + len(page), "total": len(found)})  # fmt: skip

    @app.post("/oauth/v1/token")
    def oauth_token() -> Response:
        form = request.form
        if form.get("grant_type") != "refresh_token":
            raise ApiError(400, "BAD_GRANT_TYPE", "grant_type must be refresh_token")
        refresh = form.get("refresh_token", "")
        if refresh != REFRESH_TOKEN and refresh not in state.refresh_tokens:
            raise ApiError(400, "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = f"sandbox-oauth-{secrets.token_urlsafe(24)}"
        state.add_token(token)
        following = f"sandbox-refresh-{secrets.token_urlsafe(12)}"
        state.refresh_tokens.add(following)
        return json_response({"token_type": "bearer", "refresh_token": following,
                              "access_token": token, "expires_in": 1800})  # fmt: skip


def _number(name: str, default: int, most: int | None) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or (most is not None and not 0 < int(raw) <= most):
        raise validation_error(
            f"{name} must be a whole number" + (f" up to {most}" if most else "")
        )
    return int(raw)


def _schema(state: HubSpotState, kind: ObjectType) -> dict[str, Any]:
    label = kind.singular.capitalize()
    return {
        "labels": {"singular": label, "plural": f"{label}s"},
        "requiredProperties": [],
        "searchableProperties": list(kind.always_returned),
        "primaryDisplayProperty": "hs_object_id",
        "secondaryDisplayProperties": [],
        "description": None,
        "allowsSensitiveProperties": False,
        "archived": False,
        "restorable": True,
        "metaType": "HUBSPOT",
        "id": kind.type_id.split("-")[1],
        "fullyQualifiedName": kind.label,
        "createdAt": EPOCH,
        "updatedAt": EPOCH,
        "createdByUserId": None,
        "updatedByUserId": None,
        "objectTypeId": kind.type_id,
        "properties": state.registry.all(kind.name),
        "associations": [],
        "name": kind.label,
    }


def _v2(definition: dict[str, Any]) -> dict[str, Any]:
    meta = definition.get("modificationMetadata") or {}
    return {
        "name": definition["name"], "label": definition["label"],
        "description": definition.get("description", ""), "groupName": definition["groupName"],
        "type": definition["type"], "fieldType": definition["fieldType"],
        "options": definition.get("options", []), "hidden": definition.get("hidden", False),
        "calculated": definition.get("calculated", False),
        "readOnlyValue": bool(meta.get("readOnlyValue")),
        "readOnlyDefinition": bool(meta.get("readOnlyDefinition")),
        "hubspotDefined": definition.get("hubspotDefined", True), "deleted": False,
        "displayOrder": definition.get("displayOrder", -1),
        "formField": definition.get("formField", False),
        "createdAt": None, "updatedAt": None,
    }  # fmt: skip


def _form(state: HubSpotState, guid: str, form: dict[str, Any]) -> dict[str, Any]:
    stamp = 1_700_000_000_000
    return {
        "portalId": state.settings.portal_id, "guid": guid, "name": form.get("name", guid),
        "action": "", "method": "POST", "cssClass": "", "redirect": "", "submitText": "Submit",
        "followUpId": "", "notifyRecipients": "", "leadNurturingCampaignId": "",
        "formFieldGroups": [{"fields": [{"name": "email", "label": "Email",
                                         "type": "string", "fieldType": "text",
                                         "required": True}], "default": True}],
        "createdAt": stamp, "updatedAt": stamp, "formType": "HUBSPOT", "deletable": True,
    }  # fmt: skip


def _engagements(state: HubSpotState) -> list[tuple[str, Record]]:
    return [
        (kind, record) for kind in ENGAGEMENT_TYPES
        for record in state.stores[kind].records.values()
    ]  # fmt: skip


def _engagement(state: HubSpotState, kind: str, record: Record) -> dict[str, Any]:
    props = record.properties
    stamp = props.get("hs_timestamp")
    links = {key: state.associations.targets(kind, record.id, t) for t, key in _LINKED.items()}
    return {
        "engagement": {
            "id": record.id, "portalId": state.settings.portal_id, "active": True,
            "createdAt": record.created_ms, "lastUpdated": record.updated_ms,
            "type": _V1_TYPES[kind], "timestamp": _ms(stamp, record.created_ms),
            "source": "CRM_UI", "bodyPreview": props.get("hs_body_preview", ""),
        },
        "associations": {**links, "ownerIds": [], "workflowIds": [], "contentIds": [],
                         "quoteIds": [], "marketingEventIds": []},
        "attachments": [],
        "metadata": {k.removeprefix("hs_"): v for k, v in props.items() if k != "hs_object_id"},
    }  # fmt: skip


def _ms(value: str | None, default: int) -> int:
    found = parse_time_ms(value) if value else None
    return default if found is None else found
