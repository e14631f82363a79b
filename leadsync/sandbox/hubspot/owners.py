"""The portal's users, as the owners API lists them: who an edit in HubSpot's UI came from.

    GET /crm/v3/owners/?limit&after&email&archived      100 per page by default (500 max)
    GET /crm/v3/owners/{ownerId}?idProperty=id|userId

An edit made "by a user" (`POST /_sandbox/hubspot/edits`) is recorded as HubSpot records a UI
edit: property history `sourceType: CRM_UI`, `sourceId: userId:<id>`, `updatedByUserId`, and
the contact's `hs_updated_by_user_id`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.hubspot.responses import ApiError, json_response, validation_error
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.writes import Source

CREATED = "2024-02-01T09:00:00.000Z"
# (owner id, user id, first name, last name, email): the marketing and sales team.
OWNERS = (
    ("71234501", 9_100_001, "Maya", "Lindqvist", "maya.lindqvist@northwind.example"),
    ("71234502", 9_100_002, "Tom", "Okafor", "tom.okafor@northwind.example"),
    ("71234503", 9_100_003, "Sam", "Rivera", "sam.rivera@northwind-sales.example"),
)
USER_IDS = tuple(owner[1] for owner in OWNERS)


def by_user(user_id: int) -> Source:
    """The history source of an edit a user made in HubSpot's UI."""
    return Source("CRM_UI", f"userId:{user_id}", user_id)


def _owner(row: tuple[str, int, str, str, str]) -> dict[str, Any]:
    owner_id, user_id, first, last, email = row
    return {
        "id": owner_id, "email": email, "type": "PERSON", "firstName": first, "lastName": last,
        "userId": user_id, "userIdIncludingInactive": user_id, "createdAt": CREATED,
        "updatedAt": CREATED, "archived": False, "teams": [],
    }  # fmt: skip


def register(app: Flask, state: HubSpotState) -> None:
    @app.get("/crm/v3/owners/")
    def owners() -> Response:
        limit = request.args.get("limit", "100")
        after = request.args.get("after", "0")
        if not limit.isdigit() or not 0 < int(limit) <= 500 or not after.isdigit():
            raise validation_error("limit must be 1-500 and after an offset from paging")
        rows = [o for o in OWNERS if request.args.get("email") in (None, o[4])]
        start, end = int(after), int(after) + int(limit)
        body: dict[str, Any] = {"results": [_owner(o) for o in rows[start:end]]}
        if end < len(rows):
            body["paging"] = {"next": {"after": str(end)}}
        return json_response(body)

    @app.get("/crm/v3/owners/<owner_id>")
    def owner(owner_id: str) -> Response:
        column = 1 if request.args.get("idProperty") == "userId" else 0
        found = next((o for o in OWNERS if str(o[column]) == owner_id), None)
        if found is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} was not found")
        return json_response(_owner(found))
