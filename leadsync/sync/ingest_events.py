"""Ingest engagement: events from each CRM's activity (its declaration's `engagement`
reader), resolved to people.

A page at a time: one query per reference kind resolves a page's people, and one
`INSERT ... ON CONFLICT DO NOTHING RETURNING` stores the events not stored yet and says which
were new (no read of the events table first), so a backfill of millions of events keeps pace
with the API. An event whose person has not arrived yet is parked (retried each cycle), never
dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from leadsync.connectors.base import RawRecord
from leadsync.errors import MappingError
from leadsync.mapping.catalog import Declaration, catalog
from leadsync.mapping.model import RecordKind
from leadsync.mapping.normalize import Engagement
from leadsync.sync.bulk import among, insert_new
from leadsync.sync.errorq import Retry, resolve
from leadsync.sync.schema import EventRow, PersonRow
from leadsync.sync.values import SOURCE_ID_MAX, too_long

if TYPE_CHECKING:  # the ingest calls into this module; no import cycle at run time
    from leadsync.sync.ingest import Ingest

_KEY = ("source", "source_id")


def ingest_contact_events(
    ingest: Ingest, decl: Declaration, records: Sequence[RawRecord], person_of: Mapping[str, int]
) -> None:
    """Events the person records themselves tell of (arriving from a paid ad, say)."""
    assert decl.person_events is not None
    rows = [
        _event_row(person_of[raw.id], Engagement((), event))
        for raw in records if raw.id in person_of
        for event in decl.person_events(raw.id, raw.data)
    ]  # fmt: skip
    _store(ingest, rows)


def ingest_engagements(ingest: Ingest, records: Sequence[RawRecord]) -> None:
    parsed = _parsed(ingest, records)
    if not parsed:
        return
    resolver = _resolver(ingest, [found for _, found in parsed])
    rows: list[dict[str, Any]] = []
    resolved: list[str] = []
    for raw, found in parsed:
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
        resolved.append(ingest.label(raw))
    _store(ingest, rows)
    resolve(ingest.session, system=records[0].system, stage="ingest", records=resolved,
            now=ingest.now)  # fmt: skip


def _parsed(ingest: Ingest, records: Sequence[RawRecord]) -> list[tuple[RawRecord, Engagement]]:
    parsed = []
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
    return parsed


def _store(ingest: Ingest, rows: list[dict[str, Any]]) -> None:
    """Insert the events not stored yet; mark the people who got a new one for a decision."""
    new = insert_new(ingest.session, EventRow.__table__, rows, _KEY, returning=["person_id"])
    people = {row.person_id for row in new}
    ingest.counts.events += len(new)
    if people:
        ingest.session.execute(
            update(PersonRow)
            .where(among(ingest.session, PersonRow.id, sorted(people)))
            .values(dirty=True),
            execution_options={"synchronize_session": False},  # the ingest holds no PersonRow
        )


def _resolver(ingest: Ingest, found: Sequence[Engagement]) -> Callable[[Engagement], int | None]:
    """One query per reference kind for a whole page, then lookups in memory."""
    by_kind: dict[RecordKind | None, set[str]] = {}
    for engagement in found:
        for ref in engagement.refs:
            by_kind.setdefault(ref.kind, set()).add(ref.value)
    links = {
        (kind, record_id): person_id
        for kind, ids in by_kind.items() if kind is not None
        for record_id, person_id in ingest.links(kind, sorted(ids)).items()
    }  # fmt: skip
    emails = ingest.people_by_email(sorted(by_kind.get(None, ())))

    def person_of(engagement: Engagement) -> int | None:
        for ref in engagement.refs:
            person_id = links.get((ref.kind, ref.value)) if ref.kind else emails.get(ref.value)
            if person_id is not None:
                return person_id
        return None

    return person_of


def _event_row(person_id: int, found: Engagement) -> dict[str, Any]:
    event = found.event
    return {
        "person_id": person_id, "source": event.source, "source_id": event.source_id,
        "kind": event.kind.value, "occurred_at": event.occurred_at,
        "attributes": dict(event.attributes),
    }  # fmt: skip


def _engagement(raw: RawRecord) -> Engagement | None:
    read = catalog()[raw.system].engagement
    return read(raw.stream, raw.id, raw.data) if read else None
