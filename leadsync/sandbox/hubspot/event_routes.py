"""Marketing events (webinars) and who took part, as the Marketing Events API serves them.

    GET /marketing/v3/marketing-events/                          events, 100 per page
    GET /marketing/v3/marketing-events/{objectId}                one event
    GET /marketing/v3/marketing-events/participations/{objectId}/breakdown
        ?state=REGISTERED|ATTENDED|CANCELLED|NO_SHOW&limit&after each participation

Event shape as recorded (`read/marketing-events.json`); participation shape as HubSpot's
reference documents it. Events come from the world (`marketing_events`, when it has them) or
from `POST /_sandbox/hubspot/marketing_events` (see `admin`); recording an attendance bumps the
event's counters and `updatedAt`.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.hubspot.activity import PARTICIPATION_STATES as STATES
from leadsync.sandbox.hubspot.activity import MarketingEvent
from leadsync.sandbox.hubspot.responses import ApiError, iso_ms, json_response, validation_error
from leadsync.sandbox.hubspot.state import HubSpotState

BASE = "/marketing/v3/marketing-events"


def register(app: Flask, state: HubSpotState) -> None:
    @app.get(f"{BASE}/")
    def list_events() -> Response:
        with state.lock:
            events = sorted(state.marketing_events.values(), key=lambda e: int(e.object_id))
            start, limit = _paging()
            page = events[start : start + limit]
            body: dict[str, Any] = {"results": [e.as_json(iso_ms) for e in page]}
            if start + limit < len(events):
                body["paging"] = {"next": {"after": _token(start + limit)}}
        return json_response(body)

    @app.get(f"{BASE}/<object_id>")
    def one_event(object_id: str) -> Response:
        return json_response(_event(state, object_id).as_json(iso_ms))

    @app.get(f"{BASE}/participations/<object_id>/breakdown")
    def breakdown(object_id: str) -> Response:
        wanted = request.args.get("state")
        if wanted is not None and wanted not in STATES:
            raise validation_error(f"state must be one of {', '.join(STATES)}; got {wanted!r}")
        with state.lock:
            event = _event(state, object_id)
            rows = [p for p in event.participations if wanted in (None, p[0])]
            start, limit = _paging()
            body: dict[str, Any] = {
                "results": [_participation(event, p) for p in rows[start : start + limit]],
                "total": len(rows),
            }
            if start + limit < len(rows):
                body["paging"] = {"next": {"after": _token(start + limit)}}
        return json_response(body)


def _event(state: HubSpotState, object_id: str) -> MarketingEvent:
    event = state.marketing_events.get(object_id)
    if event is None:
        raise ApiError(404, "OBJECT_NOT_FOUND", f"Marketing event {object_id} was not found")
    return event


def _participation(event: MarketingEvent, row: tuple[str, int, str, int, str]) -> dict:
    kind, contact_id, email, occurred, participation_id = row
    marketing_event = {
        "marketingEventId": event.object_id,
        "name": event.name,
        "externalEventId": f"sandbox-{event.object_id}",
    }
    return {
        "associations": {
            "contact": {"contactId": str(contact_id), "email": email},
            "marketingEvent": marketing_event,
        },
        "createdAt": iso_ms(occurred),
        "id": participation_id,
        "properties": {"attendanceState": kind, "occurredAt": occurred},
    }


def _paging() -> tuple[int, int]:
    limit = request.args.get("limit", "10")
    if not limit.isdigit() or not 0 < int(limit) <= 100:
        raise validation_error(f"limit must be between 1 and 100; got {limit!r}")
    after = request.args.get("after")
    try:
        start = int(base64.urlsafe_b64decode(after + "==").decode()) if after else 0
    except ValueError:
        raise validation_error(f"Invalid paging cursor: {after}") from None
    return start, int(limit)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")
