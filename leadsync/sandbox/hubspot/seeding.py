"""Writing marketing history, as HubSpot's tracking code, forms and email sends would.

Each event also moves the contact's calculated properties (page views, conversions,
last open/click), so `lastmodifieddate` moves and incremental readers see the change.
Callers hold `state.lock`.
"""

from __future__ import annotations

import uuid
from typing import Any

from leadsync.sandbox.hubspot.activity import (
    PARTICIPATION_STATES,
    EmailEvent,
    MarketingEvent,
    PageView,
    Submission,
)
from leadsync.sandbox.hubspot.responses import ApiError, iso_ms, parse_time_ms, validation_error
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.store import Record
from leadsync.sandbox.hubspot.writes import Source

ANALYTICS = Source("ANALYTICS", None)
FORM = Source("FORM", None)
EMAIL = Source("EMAIL", None)
EMAIL_TYPES = ("OPEN", "CLICK", "SENT", "DELIVERED")


def add_attendance(
    state: HubSpotState,
    *,
    event: str,
    contact: Record,
    kind: str,
    occurred_at: Any = None,
    event_type: str | None = "WEBINAR",
) -> MarketingEvent:
    """Record `contact`'s participation (`kind`: ATTENDED, REGISTERED, ...) in the event
    named `event`, made on first use; the event's counters and `updatedAt` move with it."""
    if kind not in PARTICIPATION_STATES:
        raise ValueError(f"state must be one of {PARTICIPATION_STATES}, got {kind!r}")
    occurred = _when(state, occurred_at)
    found = next((e for e in state.marketing_events.values() if e.name == event), None)
    if found is None:
        object_id = str(555_000_000_000 + len(state.marketing_events) + 1)
        found = MarketingEvent(object_id, event, event_type, occurred, state.now_ms(), 0)
        state.marketing_events[object_id] = found
    email = str(contact.properties.get("email") or "")
    found.participations.append((kind, contact.id, email, occurred, f"mep-{uuid.uuid4()}"))
    found.updated_ms = state.now_ms()
    return found


def add_page_view(
    state: HubSpotState, *, contact: Record, url: str, occurred_at: Any = None, title: str = ""
) -> PageView:
    occurred = _when(state, occurred_at)
    view = PageView(f"pv-{uuid.uuid4()}", contact.id, occurred, url, title)
    state.page_views.add(view, contact.id)
    count = int(float(contact.properties.get("hs_analytics_num_page_views", "0"))) + 1
    changes = {"hs_analytics_num_page_views": str(count)}
    last = parse_time_ms(contact.properties.get("hs_analytics_last_visit_timestamp"))
    if last is None or occurred >= last:
        changes["hs_analytics_last_url"] = url
        changes["hs_analytics_last_visit_timestamp"] = iso_ms(occurred)
    if "hs_analytics_first_url" not in contact.properties:
        changes["hs_analytics_first_url"] = url
        changes["hs_analytics_first_visit_timestamp"] = iso_ms(occurred)
    state.writer("contacts").update(contact, changes, state.now_ms(), ANALYTICS)
    return view


def add_email_event(
    state: HubSpotState, *, email: str, kind: str, url: str | None = None, created: Any = None
) -> EmailEvent:
    kind = kind.upper()
    if kind not in EMAIL_TYPES:
        raise validation_error(f"type must be one of {EMAIL_TYPES}")
    event = EmailEvent(
        str(uuid.uuid4()), kind, email.strip().lower(), _when(state, created), 1, url
    )
    state.email_events.add(event, event.recipient)
    contact = state.contact_by(email=event.recipient)
    if contact is not None and kind in ("OPEN", "CLICK"):
        noun = kind.lower()
        count = int(float(contact.properties.get(f"hs_email_{noun}", "0"))) + 1
        changes = {f"hs_email_{noun}": str(count)}
        last = parse_time_ms(contact.properties.get(f"hs_email_last_{noun}_date"))
        if last is None or event.created_ms >= last:
            changes[f"hs_email_last_{noun}_date"] = iso_ms(event.created_ms)
        state.writer("contacts").update(contact, changes, state.now_ms(), EMAIL)
    return event


def submit_form(
    state: HubSpotState, form_guid: str, fields: list[dict[str, Any]], context: dict[str, Any]
) -> Submission:
    """Record a submission, creating or updating the contact named by its `email` field."""
    form = state.forms.get(form_guid)
    if form is None:
        raise ApiError(404, "OBJECT_NOT_FOUND", f"Form {form_guid} does not exist")
    values = {str(f.get("name")): str(f.get("value", "")) for f in fields if f.get("name")}
    email = values.get("email", "").strip().lower()
    if not email:
        raise validation_error("A submission needs an email field")
    writer = state.writer("contacts")
    checked, issues = writer.validate({k: v for k, v in values.items() if k != "email"})
    refused = {i["name"] for i in issues}
    known = {k: v for k, v in checked.items() if k not in refused}
    now = state.now_ms()
    contact = state.contact_by(email=email)
    if contact is None:
        contact = writer.create({**known, "email": email}, now, FORM)
    submitted = Submission(
        str(uuid.uuid4()),
        form_guid,
        contact.id,
        now,
        str(context.get("pageUri", "")),
        [{"name": k, "value": v} for k, v in values.items()],
    )
    state.submissions.add(submitted, form_guid)
    writer.update(contact, {**known, **_conversion(contact, form["name"], now)}, now, FORM)
    return submitted


def _conversion(contact: Record, form_name: str, now: int) -> dict[str, str]:
    count = int(float(contact.properties.get("num_conversion_events", "0"))) + 1
    changes = {
        "num_conversion_events": str(count),
        "recent_conversion_event_name": form_name,
        "recent_conversion_date": iso_ms(now),
    }
    if "first_conversion_date" not in contact.properties:
        changes["first_conversion_event_name"] = form_name
        changes["first_conversion_date"] = iso_ms(now)
    return changes


def _when(state: HubSpotState, value: Any) -> int:
    if value is None:
        return state.now_ms()
    moment = parse_time_ms(value)
    if moment is None:
        raise validation_error(f"{value!r} is not a timestamp (epoch ms or ISO-8601)")
    return moment
