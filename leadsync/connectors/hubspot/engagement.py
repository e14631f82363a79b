"""What contacts did: engagement objects, page views, form submissions, marketing email events.

Each stream says who acted in its `data`: `contact_id` (and `contact_ids`) where HubSpot links
a record to contacts, `email` where it only gives an address.

    meetings, calls,   search on `hs_lastmodifieddate` (windowed like contacts), then one
    emails, notes,     associations v4 batch read per 1,000 records for the contact ids
    tasks
    page_views         events API, `e_visited_page` over all contacts, by `occurredAt`
    form_submissions   form-integrations submissions per form (newest first): read back to the
                       window start, then re-sorted ascending; full history streams as read;
                       an increment no contact converted in costs one search (`form_probe`)
    email_events       email events API over `startTimestamp`/`endTimestamp`, sorted; full
                       history streams as read
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from typing import Any

from leadsync.connectors.base import RawRecord, Window, id_order
from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.connectors.hubspot.records import (
    admits,
    in_order,
    iso,
    order,
    parse_time,
    record,
    to_ms,
)
from leadsync.connectors.hubspot.search import ObjectReader, search_filter

MS = timedelta(milliseconds=1)


def engagement_objects(reader: ObjectReader, window: Window) -> Iterator[RawRecord]:
    """Records of one engagement object type with the ids of their contacts."""
    client = reader.client
    records = reader.search(window)
    while chunk := list(islice(records, client.settings.association_batch_size)):
        contacts = _contacts_of(client, reader.object_type, [r.id for r in chunk])
        for rec in chunk:
            ids = contacts.get(rec.id, [])
            data = {**rec.data, "contact_ids": ids, "contact_id": ids[0] if ids else None}
            yield record(rec.stream, rec.id, rec.modified_at, data)


def _contacts_of(client: HubSpotClient, object_type: str, ids: list[str]) -> dict[str, list[str]]:
    body = {"inputs": [{"id": i} for i in ids]}
    answer = client.call(
        f"read {object_type} associations",
        client.associations.get_page,
        object_type,
        "contacts",
        body,
    )
    links: dict[str, list[str]] = {}
    for result in answer.get("results") or []:
        source = str((result.get("from") or {}).get("id"))
        links[source] = sorted(
            {str(to["toObjectId"]) for to in result.get("to") or []}, key=id_order
        )
    return links


def page_views(client: HubSpotClient, window: Window) -> Iterator[RawRecord]:
    """Page views of every contact inside the window, ascending by `(occurredAt, id)`."""
    settings = client.settings
    params: dict[str, Any] = {
        "object_type": "contact",
        "event_type": settings.page_view_event_type,
        "occurred_before": iso(window.end),
        "sort": ["ASCENDING"],
        "limit": settings.events_page_size,
    }
    if window.start is not None:
        # `occurredAfter` may be exclusive: ask from 1 ms earlier and filter exactly here.
        params["occurred_after"] = iso(window.start - MS)

    def pages() -> Iterator[list[RawRecord]]:
        after = None
        while True:
            page = client.call("read page views", client.events.get_page, **params, **_after(after))
            yield [_page_view(event) for event in page.get("results") or []]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    return (r for r in in_order(pages()) if admits(window, r))


def _page_view(event: dict[str, Any]) -> RawRecord:
    data = {**event, "contact_id": str(event.get("objectId"))}
    return record("page_views", event["id"], parse_time(event["occurredAt"]), data)


def form_submissions(client: HubSpotClient, window: Window) -> Iterator[RawRecord]:
    """Submissions of every form inside the window, ascending by `(submittedAt, conversionId)`.

    The API answers newest first, so a bounded window is collected and sorted; a full-history
    read streams in the API's order instead (the `Connector.read` exception), so a portal's
    whole submission history never sits in memory.
    """
    if window.start is not None and client.settings.form_probe and not _converted(client, window):
        return
    configured = client.settings.form_ids
    forms: dict[str, str | None] = dict.fromkeys(configured, None) if configured else _forms(client)
    found = (
        r for form_id, name in forms.items() for r in _submissions(client, form_id, name, window)
    )
    yield from found if window.start is None else sorted(found, key=order)


def _converted(client: HubSpotClient, window: Window) -> bool:
    """Whether any contact converted at or after the window start: one search call.

    Every form submission stamps its contact's `recent_conversion_date`, so when no contact
    holds one inside (or after) the window there is no submission to read, and a quiet cycle
    skips the forms list and the per-form reads (one call per form) altogether.
    """
    since = search_filter("recent_conversion_date", "GTE", to_ms(window.start))
    body = {"filterGroups": [{"filters": [since]}], "properties": ["email"], "limit": 1}
    page = client.call(
        "search contacts", client.search_api.do_search, "contacts", body, search=True
    )
    return bool(page.get("total") or page.get("results"))


def _forms(client: HubSpotClient) -> dict[str, str | None]:
    """Every form of the portal: id → name."""
    forms: dict[str, str | None] = {}
    after = None
    while True:
        page = client.call("list forms", client.forms.get_page, limit=100, **_after(after))
        forms |= {str(f["id"]): f.get("name") for f in page.get("results") or []}
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return forms


def _submissions(
    client: HubSpotClient, form_id: str, name: str | None, window: Window
) -> Iterator[RawRecord]:
    params: dict[str, Any] = {"limit": client.settings.form_page_size}
    path = f"/form-integrations/v1/submissions/forms/{form_id}"
    while True:
        page = client.get("read form submissions", path, params)
        records = [_submission(form_id, name, s) for s in page.get("results") or []]
        yield from (r for r in records if admits(window, r))
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        # Newest first: once a page reaches before the window, older pages cannot matter.
        reached_start = window.start is not None and any(
            r.modified_at < window.start for r in records
        )
        if not after or reached_start:
            return
        params["after"] = after


def _submission(form_id: str, name: str | None, submission: dict[str, Any]) -> RawRecord:
    values = {v.get("name"): v.get("value") for v in submission.get("values") or []}
    data = {**submission, "form_id": form_id, "form_name": name, "email": values.get("email")}
    moment = parse_time(submission["submittedAt"])
    return record("form_submissions", submission["conversionId"], moment, data)


def email_events(client: HubSpotClient, window: Window) -> Iterator[RawRecord]:
    """Marketing email events (sent, open, click, …) inside the window, ascending (a
    full-history read streams in the API's order, as for form submissions)."""
    params: dict[str, Any] = {
        "endTimestamp": to_ms(window.end),
        "limit": client.settings.email_events_page_size,
    }
    if window.start is not None:
        params["startTimestamp"] = to_ms(window.start)
    found = _email_event_pages(client, window, params)
    yield from found if window.start is None else sorted(found, key=order)


def _email_event_pages(
    client: HubSpotClient, window: Window, params: dict[str, Any]
) -> Iterator[RawRecord]:
    while True:
        page = client.get("read email events", "/email/public/v1/events", params)
        yield from (r for r in map(_email_event, page.get("events") or []) if admits(window, r))
        if not page.get("hasMore") or not page.get("offset"):
            return
        params["offset"] = page["offset"]


def _email_event(event: dict[str, Any]) -> RawRecord:
    data = {**event, "email": event.get("recipient")}
    return record("email_events", str(event["id"]), parse_time(event["created"]), data)


def _after(after: str | None) -> dict[str, str]:
    return {"after": after} if after else {}
