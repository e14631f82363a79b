"""Ingest engagement: events from HubSpot and Salesforce activity, resolved to people.

A page at a time: one query per reference kind resolves a page's people, one query finds
the events already stored, so a backfill of millions of events keeps pace with the API.
An event whose person has not arrived yet is parked (retried each cycle), never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, tuple_

from leadsync.connectors.base import RawRecord
from leadsync.errors import MappingError
from leadsync.mapping.model import RecordKind
from leadsync.mapping.normalize import (
    Engagement,
    hubspot_contact_events,
    hubspot_engagement,
    salesforce_engagement,
)
from leadsync.sync.errorq import Retry, resolve
from leadsync.sync.schema import EventRow, LinkRow
from leadsync.sync.values import SOURCE_ID_MAX, too_long

if TYPE_CHECKING:  # the ingest calls into this module; no import cycle at run time
    from leadsync.sync.ingest import Ingest


def ingest_contact_events(
    ingest: Ingest, records: Sequence[RawRecord], links: dict[str, LinkRow]
) -> None:
    """Events the contact records themselves tell of (arriving from a paid ad)."""
    found = [
        (links[raw.id].person_id, event)
        for raw in records if raw.id in links
        for event in hubspot_contact_events(raw.id, raw.data)
    ]  # fmt: skip
    if not found:
        return
    known = _stored(ingest, [(e.source.value, e.source_id) for _, e in found])
    fresh = [(pid, e) for pid, e in found if (e.source.value, e.source_id) not in known]
    _insert(ingest, [_event_row(pid, Engagement((), e)) for pid, e in fresh])
    ingest.counts.events += len(fresh)
    ingest.mark_dirty({pid for pid, _ in fresh})


def ingest_engagements(ingest: Ingest, records: Sequence[RawRecord]) -> None:
    parsed: list[tuple[RawRecord, Engagement]] = []
    for raw in records:
        try:
            found = _engagement(raw)
        except (MappingError, KeyError) as exc:
            ingest.quarantine_record(raw, "INVALID_VALUE", str(exc), Retry.FIX)
            continue
        if found is None:
            continue
        problem = too_long(found.event.source_id, SOURCE_ID_MAX, f"{ingest.label(raw)}: event id")
        if problem:
            ingest.quarantine_record(raw, "INVALID_VALUE", problem, Retry.FIX)
            continue
        parsed.append((raw, found))
    if not parsed:
        return
    known = _stored(ingest, [(e.event.source.value, e.event.source_id) for _, e in parsed])
    resolved: list[str] = []
    resolver = _resolver(ingest, [found for _, found in parsed])
    dirty: set[int] = set()
    rows: list[dict[str, Any]] = []
    for raw, found in parsed:
        key = (found.event.source.value, found.event.source_id)
        if key in known:
            resolved.append(ingest.label(raw))
            continue
        person_id = resolver(found)
        if person_id is None:
            ingest.quarantine_record(
                raw, "UNKNOWN_PERSON",
                f"{ingest.label(raw)}: no person with "
                f"{', '.join(r.value for r in found.refs) or 'any reference'} yet; "
                "retried when that record is pulled", Retry.AUTO,
            )  # fmt: skip
            continue
        rows.append(_event_row(person_id, found))
        ingest.counts.events += 1
        dirty.add(person_id)
        known.add(key)
        resolved.append(ingest.label(raw))
    _insert(ingest, rows)
    ingest.mark_dirty(dirty)
    resolve(
        ingest.session, system=records[0].system, stage="ingest", records=resolved, now=ingest.now
    )


def _resolver(ingest: Ingest, found: Sequence[Engagement]) -> Callable[[Engagement], int | None]:
    """One query per reference kind for a whole page, then lookups in memory."""
    by_kind: dict[RecordKind | None, set[str]] = {}
    for engagement in found:
        for ref in engagement.refs:
            by_kind.setdefault(ref.kind, set()).add(ref.value)
    links = {
        (kind, record_id): link.person_id
        for kind, ids in by_kind.items() if kind is not None
        for record_id, link in ingest.links(kind, sorted(ids)).items()
    }  # fmt: skip
    emails = ingest.people_by_email(sorted(by_kind.get(None, ())))

    def person_of(engagement: Engagement) -> int | None:
        for ref in engagement.refs:
            person_id = links.get((ref.kind, ref.value)) if ref.kind else emails.get(ref.value)
            if person_id is not None:
                return person_id
        return None

    return person_of


def _stored(ingest: Ingest, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The `(source, source_id)` keys among `keys` already in the store: one query."""
    rows = ingest.session.execute(
        select(EventRow.source, EventRow.source_id).where(
            tuple_(EventRow.source, EventRow.source_id).in_(keys)
        )
    )
    return {(source, source_id) for source, source_id in rows}


def _insert(ingest: Ingest, rows: list[dict[str, Any]]) -> None:
    # One executemany per page: events are never read back in the ingest, so the ORM's
    # per-object bookkeeping (about a fifth of a backfill's CPU) buys nothing here.
    if rows:
        ingest.session.execute(insert(EventRow), rows)


def _event_row(person_id: int, found: Engagement) -> dict[str, Any]:
    event = found.event
    return {
        "person_id": person_id, "source": event.source.value, "source_id": event.source_id,
        "kind": event.kind.value, "occurred_at": event.occurred_at,
        "attributes": dict(event.attributes),
    }  # fmt: skip


def _engagement(raw: RawRecord) -> Engagement | None:
    if raw.system == "hubspot":
        return hubspot_engagement(raw.stream, raw.id, raw.data)
    return salesforce_engagement(raw.stream, raw.id, raw.data)
