"""Ingest pulled records into the store: resolve identity, keep snapshots, dedupe events.

Works a page at a time (one query per page for links and event keys, not one per record), so a
backfill keeps pace with the API. Idempotent: ingesting the same record twice changes nothing,
which is what makes cursor look-back and crash recovery safe. A person is marked `dirty` only
when something that could change their score or stage arrived; leadsync's own writes coming
back (echoes) do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from leadsync.connectors.base import RawRecord
from leadsync.errors import MappingError
from leadsync.mapping.fields import FieldMap, map_fields
from leadsync.mapping.model import RecordKind, System
from leadsync.mapping.normalize import (
    Engagement,
    hubspot_contact_events,
    hubspot_engagement,
    salesforce_engagement,
    stage_evidence,
)
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.errorq import Retry, quarantine, resolve
from leadsync.sync.schema import (
    EchoRow,
    EventRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
)

# (system, stream) -> (object name in field maps / vocabularies, link kind)
PEOPLE_STREAMS: Mapping[tuple[str, str], tuple[str, RecordKind]] = {
    ("hubspot", "contacts"): ("contact", RecordKind.HUBSPOT_CONTACT),
    ("salesforce", "Lead"): ("Lead", RecordKind.SALESFORCE_LEAD),
    ("salesforce", "Contact"): ("Contact", RecordKind.SALESFORCE_CONTACT),
}


@dataclass(frozen=True)
class Mapping_:
    """The compiled mapping the ingest needs (built once per run from the config)."""

    field_maps: Mapping[tuple[str, str], tuple[FieldMap, ...]]
    vocabularies: tuple[Vocabulary, ...]
    on_duplicate_email: str = "flag"


@dataclass
class IngestCounts:
    pulled: int = 0
    changed: int = 0
    quarantined: int = 0
    events: int = 0
    by_stream: dict[str, int] = field(default_factory=dict)


class Ingest:
    """One run's ingest into an open session; the caller commits per page."""

    def __init__(self, session: Session, mapping: Mapping_, *, run_id: int | None, now: datetime):
        self.session = session
        self.mapping = mapping
        self.run_id = run_id
        self.now = now
        self.counts = IngestCounts()

    # --- entry point -------------------------------------------------------------------

    def page(self, records: Sequence[RawRecord], *, retry: bool = False) -> None:
        """Ingest one page of records of one stream (`retry`: parked records, not counted)."""
        if not records:
            return
        system, stream = records[0].system, records[0].stream
        if not retry:
            self.counts.pulled += len(records)
            key = f"{system}.{stream}"
            self.counts.by_stream[key] = self.counts.by_stream.get(key, 0) + len(records)
        if (system, stream) in PEOPLE_STREAMS:
            self._people(records)
        elif (system, stream) == ("salesforce", "Opportunity"):
            self._opportunities(records)
        elif (system, stream) == ("salesforce", "OpportunityContactRole"):
            self._roles(records)
        else:
            self._engagements(records)

    # --- people ------------------------------------------------------------------------

    def _people(self, records: Sequence[RawRecord]) -> None:
        obj, kind = PEOPLE_STREAMS[(records[0].system, records[0].stream)]
        links = self._links(kind, [r.id for r in records])
        echoes = self._echoes(records[0].system, [r.id for r in records])
        done = []
        for raw in records:
            if self._person_record(raw, obj, kind, links, echoes.get(raw.id, {})):
                done.append(self._label(raw))
        resolve(self.session, system=records[0].system, stage="ingest", records=done, now=self.now)
        if kind is RecordKind.HUBSPOT_CONTACT:
            self._contact_events(records, links)

    def _contact_events(self, records: Sequence[RawRecord], links: dict[str, LinkRow]) -> None:
        """Events the contact records themselves tell of (arriving from a paid ad)."""
        found = [
            (links[raw.id].person_id, event)
            for raw in records if raw.id in links
            for event in hubspot_contact_events(raw.id, raw.data)
        ]  # fmt: skip
        if not found:
            return
        keys = [(e.source.value, e.source_id) for _, e in found]
        known = set(self.session.execute(
            select(EventRow.source, EventRow.source_id).where(
                tuple_(EventRow.source, EventRow.source_id).in_(keys))).all())  # fmt: skip
        fresh = [(pid, e) for pid, e in found if (e.source.value, e.source_id) not in known]
        self.session.add_all(_event_row(pid, Engagement((), e)) for pid, e in fresh)
        self.counts.events += len(fresh)
        self._mark_dirty({pid for pid, _ in fresh})

    def _person_record(
        self, raw: RawRecord, obj: str, kind: RecordKind, links: dict[str, LinkRow],
        echoes: Mapping[str, str | None],
    ) -> bool:  # fmt: skip
        label = self._label(raw)
        system = System(raw.system)
        maps = self.mapping.field_maps.get((raw.system, obj), ())
        try:
            fields = map_fields(maps, raw.data, record=label)
            stage_evidence(self.mapping.vocabularies, system, obj, raw.data,
                           record=label, observed_at=raw.modified_at)  # fmt: skip
        except MappingError as exc:
            self._quarantine(raw, "INVALID_VALUE", str(exc), Retry.FIX)
            return False
        link = links.get(raw.id)
        if link is None:
            link = self._new_link(raw, kind, fields.get("email"))
            if link is None:
                return False
            links[raw.id] = link
        elif _same_snapshot(link.snapshot, raw.data, echoes) and link.deleted == raw.deleted:
            link.snapshot = dict(raw.data)
            return True
        self._update_link(link, raw)
        self._refresh_person(link.person_id, fields)
        if kind is RecordKind.SALESFORCE_LEAD:
            self._lead_conversion(raw, link.person_id)
        self.counts.changed += 1
        return True

    def _new_link(self, raw: RawRecord, kind: RecordKind, email: str | None) -> LinkRow | None:
        person = self._person_by_email(email) if email else None
        if person is not None:
            twin = self.session.scalars(
                select(LinkRow).where(LinkRow.person_id == person.id, LinkRow.kind == kind.value)
            ).first()
            if twin is not None:
                if self.mapping.on_duplicate_email == "skip":
                    self._quarantine(
                        raw, "DUPLICATE_EMAIL",
                        f"{self._label(raw)}: {email} already belongs to {kind.value} "
                        f"{twin.record_id}; merge the records in {raw.system} or set "
                        "sync.on_duplicate_email = \"flag\"", Retry.FIX,
                    )  # fmt: skip
                    return None
                person.duplicate_flag = f"{kind.value} {twin.record_id} and {raw.id} share {email}"
        if person is None:
            person = PersonRow(email=email, fields={}, created_at=self.now, updated_at=self.now)
            self.session.add(person)
            self.session.flush()
        link = LinkRow(person_id=person.id, kind=kind.value, record_id=raw.id, snapshot={})
        self.session.add(link)
        return link

    def _update_link(self, link: LinkRow, raw: RawRecord) -> None:
        seen = dict(link.seen or {})
        for prop in self._stage_props(raw.system, link.kind):
            if prop not in seen or (link.snapshot or {}).get(prop) != raw.data.get(prop):
                seen[prop] = self.now.isoformat()
        link.seen = seen
        link.snapshot = dict(raw.data)
        link.modified_at = raw.modified_at
        link.deleted = raw.deleted

    def _stage_props(self, system: str, kind: str) -> list[str]:
        obj = {
            "hubspot_contact": "contact",
            "salesforce_lead": "Lead",
            "salesforce_contact": "Contact",
        }[kind]
        return [
            v.prop for v in self.mapping.vocabularies if v.system.value == system and v.obj == obj
        ]

    def _refresh_person(self, person_id: int, fields: Mapping[str, Any]) -> None:
        person = self.session.get(PersonRow, person_id)
        merged = dict(person.fields or {})
        merged.update({k: _jsonable(v) for k, v in fields.items() if v is not None})
        person.fields = merged
        if person.email is None and fields.get("email"):
            person.email = fields["email"]
        person.dirty = True
        person.updated_at = self.now

    def _lead_conversion(self, raw: RawRecord, person_id: int) -> None:
        """A converted Lead ties its Contact and Opportunity to the same person."""
        contact_id = raw.data.get("ConvertedContactId")
        if contact_id:
            exists = self._links(RecordKind.SALESFORCE_CONTACT, [contact_id])
            if not exists:
                self.session.add(LinkRow(person_id=person_id, kind="salesforce_contact",
                                         record_id=contact_id, snapshot={}))  # fmt: skip
        opportunity_id = raw.data.get("ConvertedOpportunityId")
        if opportunity_id:
            self.session.merge(OpportunityRoleRow(id=f"converted:{raw.id}",
                                                  opportunity_id=opportunity_id,
                                                  record_id=raw.id))  # fmt: skip

    # --- opportunities -----------------------------------------------------------------

    def _opportunities(self, records: Sequence[RawRecord]) -> None:
        for raw in records:
            data = raw.data
            self.session.merge(
                OpportunityRow(
                    id=raw.id, stage_name=data.get("StageName"),
                    is_closed=bool(data.get("IsClosed")), is_won=bool(data.get("IsWon")),
                    close_date=data.get("CloseDate"), modified_at=raw.modified_at,
                    deleted=raw.deleted,
                )
            )  # fmt: skip
        self._dirty_by_opportunity([r.id for r in records])

    def _roles(self, records: Sequence[RawRecord]) -> None:
        for raw in records:
            self.session.merge(
                OpportunityRoleRow(id=raw.id, opportunity_id=str(raw.data.get("OpportunityId")),
                                   record_id=str(raw.data.get("ContactId")), deleted=raw.deleted)
            )  # fmt: skip
        self._dirty_by_opportunity([str(r.data.get("OpportunityId")) for r in records])

    def _dirty_by_opportunity(self, opportunity_ids: list[str]) -> None:
        self.session.flush()
        record_ids = select(OpportunityRoleRow.record_id).where(
            OpportunityRoleRow.opportunity_id.in_(opportunity_ids)
        )
        person_ids = select(LinkRow.person_id).where(LinkRow.record_id.in_(record_ids))
        for person in self.session.scalars(select(PersonRow).where(PersonRow.id.in_(person_ids))):
            person.dirty = True
        self.counts.changed += len(opportunity_ids)

    # --- engagement --------------------------------------------------------------------

    def _engagements(self, records: Sequence[RawRecord]) -> None:
        parsed: list[tuple[RawRecord, Engagement]] = []
        for raw in records:
            try:
                found = _engagement(raw)
            except (MappingError, KeyError) as exc:
                self._quarantine(raw, "INVALID_VALUE", str(exc), Retry.FIX)
                continue
            if found is not None:
                parsed.append((raw, found))
        if not parsed:
            return
        keys = [(e.event.source.value, e.event.source_id) for _, e in parsed]
        known = set(
            self.session.execute(
                select(EventRow.source, EventRow.source_id).where(
                    tuple_(EventRow.source, EventRow.source_id).in_(keys)
                )
            ).all()
        )
        resolved: list[str] = []
        resolver = self._resolver([found for _, found in parsed])
        dirty: set[int] = set()
        for raw, found in parsed:
            key = (found.event.source.value, found.event.source_id)
            if key in known:
                resolved.append(self._label(raw))
                continue
            person_id = resolver(found)
            if person_id is None:
                self._quarantine(
                    raw, "UNKNOWN_PERSON",
                    f"{self._label(raw)}: no person with "
                    f"{', '.join(r.value for r in found.refs) or 'any reference'} yet; "
                    "retried when that record is pulled", Retry.AUTO,
                )  # fmt: skip
                continue
            self.session.add(_event_row(person_id, found))
            self.counts.events += 1
            dirty.add(person_id)
            known.add(key)
            resolved.append(self._label(raw))
        self._mark_dirty(dirty)
        resolve(
            self.session, system=records[0].system, stage="ingest", records=resolved, now=self.now
        )

    def _resolver(self, found: Sequence[Engagement]) -> Callable[[Engagement], int | None]:
        """One query per reference kind for a whole page, then lookups in memory."""
        by_kind: dict[RecordKind | None, set[str]] = {}
        for engagement in found:
            for ref in engagement.refs:
                by_kind.setdefault(ref.kind, set()).add(ref.value)
        links = {
            (kind, record_id): link.person_id
            for kind, ids in by_kind.items() if kind is not None
            for record_id, link in self._links(kind, sorted(ids)).items()
        }  # fmt: skip
        emails = self._people_by_email(sorted(by_kind.get(None, ())))

        def person_of(engagement: Engagement) -> int | None:
            for ref in engagement.refs:
                person_id = links.get((ref.kind, ref.value)) if ref.kind else emails.get(ref.value)
                if person_id is not None:
                    return person_id
            return None

        return person_of

    def _mark_dirty(self, person_ids: set[int]) -> None:
        if person_ids:
            self.session.execute(
                update(PersonRow).where(PersonRow.id.in_(person_ids)).values(dirty=True)
            )

    # --- lookups -----------------------------------------------------------------------

    def _links(self, kind: RecordKind, ids: list[str]) -> dict[str, LinkRow]:
        rows = self.session.scalars(
            select(LinkRow).where(LinkRow.kind == kind.value, LinkRow.record_id.in_(ids))
        )
        return {row.record_id: row for row in rows}

    def _echoes(self, system: str, ids: list[str]) -> dict[str, dict[str, str | None]]:
        rows = self.session.scalars(
            select(EchoRow).where(EchoRow.system == system, EchoRow.record_id.in_(ids))
        )
        found: dict[str, dict[str, str | None]] = {}
        for row in rows:
            found.setdefault(row.record_id, {})[row.prop] = row.value
        return found

    def _people_by_email(self, emails: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        if not emails:
            return found
        rows = self.session.execute(
            select(PersonRow.email, PersonRow.id)
            .where(PersonRow.email.in_(emails))
            .order_by(PersonRow.id)
        )
        for email, person_id in rows:
            found.setdefault(email, person_id)
        return found

    def _person_by_email(self, email: str) -> PersonRow | None:
        return self.session.scalars(
            select(PersonRow).where(PersonRow.email == email).order_by(PersonRow.id)
        ).first()

    def _label(self, raw: RawRecord) -> str:
        return f"{raw.system} {raw.stream} {raw.id}"

    def _quarantine(self, raw: RawRecord, code: str, message: str, retry: Retry) -> None:
        self.counts.quarantined += 1
        quarantine(
            self.session, run_id=self.run_id, system=raw.system, stage="ingest",
            record=self._label(raw), code=code, message=message, retry=retry, now=self.now,
            payload=_payload(raw),
        )  # fmt: skip


def _event_row(person_id: int, found: Engagement) -> EventRow:
    event = found.event
    return EventRow(
        person_id=person_id, source=event.source.value, source_id=event.source_id,
        kind=event.kind.value, occurred_at=event.occurred_at, attributes=dict(event.attributes),
    )  # fmt: skip


def _payload(raw: RawRecord) -> dict[str, Any]:
    """Enough to ingest the record again later, exactly as it was pulled."""
    return {
        "system": raw.system,
        "stream": raw.stream,
        "id": raw.id,
        "modified_at": raw.modified_at.isoformat(),
        "data": _jsonable(dict(raw.data)),
        "deleted": raw.deleted,
    }


def _engagement(raw: RawRecord) -> Engagement | None:
    if raw.system == "hubspot":
        return hubspot_engagement(raw.stream, raw.id, raw.data)
    return salesforce_engagement(raw.stream, raw.id, raw.data)


def _same_snapshot(
    held: Mapping[str, Any], pulled: Mapping[str, Any], echoes: Mapping[str, str | None]
) -> bool:
    """Nothing but leadsync's own writes (and modification stamps) changed."""
    ignored = {"lastmodifieddate", "LastModifiedDate", "SystemModstamp", "updatedAt"}
    for key in set(held) | set(pulled):
        if key in ignored or held.get(key) == pulled.get(key):
            continue
        if key in echoes and str(pulled.get(key) or "") == str(echoes[key] or ""):
            continue
        return False
    return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
