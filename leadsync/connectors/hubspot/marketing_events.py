"""Who attended which marketing event (webinars, mostly): the `marketing_events` stream.

    GET /marketing/v3/marketing-events/                          the portal's events
    GET /marketing/v3/marketing-events/participations/{id}/breakdown?state=ATTENDED
                                                                 each event's attendees

Calls: ceil(events / 100) list pages + one breakdown page per 100 attendees of each event
read. An increment reads only events updated at or after the window start: recording
attendance updates an event's attendee counters, and so its `updatedAt`. A record is one
participation: `data` holds the breakdown's properties (`attendanceState`, `occurredAt`, ...)
plus `contact_id`, `email`, `event_id`, `event_name`, `event_type`; records come sorted by
`(occurredAt, id)` (a full-history read too: attendance is small next to page views).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadsync.connectors.base import RawRecord, Window
from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.connectors.hubspot.records import admits, order, parse_time, record

STREAM = "marketing_events"
ATTENDED = "ATTENDED"


def marketing_events(client: HubSpotClient, window: Window) -> Iterator[RawRecord]:
    found = [
        r
        for event in _events(client)
        if window.start is None or _updated(event) is None or _updated(event) >= window.start
        for r in _attendees(client, event)
        if admits(window, r)
    ]
    yield from sorted(found, key=order)


def _updated(event: dict[str, Any]) -> Any:
    return parse_time(event.get("updatedAt"))


def _events(client: HubSpotClient) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        extra = {"after": after} if after else {}
        page = client.call(
            "list marketing events", client.marketing_events.get_all, limit=100, **extra
        )
        yield from (page or {}).get("results") or []
        after = (((page or {}).get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def _attendees(client: HubSpotClient, event: dict[str, Any]) -> Iterator[RawRecord]:
    event_id = str(event.get("objectId") or event.get("id") or "")
    after = None
    while True:
        extra = {"after": after} if after else {}
        page = client.call(
            f"read the attendees of marketing event {event_id}",
            client.participations.get_participations_breakdown_by_marketing_event_id,
            event_id,
            state=ATTENDED,
            limit=100,
            **extra,
        )
        for item in (page or {}).get("results") or []:
            yield _participation(event, event_id, item)
        after = (((page or {}).get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def _participation(event: dict[str, Any], event_id: str, item: dict[str, Any]) -> RawRecord:
    props = item.get("properties") or {}
    contact = (item.get("associations") or {}).get("contact") or {}
    data = {
        **props,
        "contact_id": str(contact.get("contactId") or "") or None,
        "email": contact.get("email"),
        "event_id": event_id,
        "event_name": event.get("eventName"),
        "event_type": event.get("eventType"),
    }
    moment = parse_time(props.get("occurredAt")) or parse_time(item.get("createdAt"))
    return record(STREAM, str(item["id"]), moment, data)
