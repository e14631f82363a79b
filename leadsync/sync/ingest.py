"""Ingest pulled records into the store: resolve identity, keep snapshots, dedupe events.

Works a page at a time (one query per page for links and event keys, not one per record), so a
backfill keeps pace with the API. Idempotent: ingesting the same record twice changes nothing,
which is what makes cursor look-back and crash recovery safe. A person is marked `dirty` only
when something that could change their score or stage arrived; leadsync's own writes coming
back (echoes) do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadsync.connectors.base import Actor, RawRecord
from leadsync.errors import MappingError
from leadsync.mapping.fields import FieldMap, map_fields
from leadsync.mapping.model import RecordKind, System
from leadsync.mapping.normalize import stage_evidence, value_set_at
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.errorq import Retry, quarantine, resolve
from leadsync.sync.ingest_events import ingest_contact_events, ingest_engagements
from leadsync.sync.outbox import adopt_created, known_writes
from leadsync.sync.person_fields import merged_fields, stored
from leadsync.sync.schema import (
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
)
from leadsync.sync.values import RECORD_ID_MAX, overflow, storable, too_long

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
    source_rules: Mapping[str, SourceRule] = field(default_factory=dict)
    default_source: SourceRule = DEFAULT_RULE


@dataclass
class IngestCounts:
    pulled: int = 0
    changed: int = 0
    quarantined: int = 0
    events: int = 0
    by_stream: dict[str, int] = field(default_factory=dict)


class Ingest:
    """One run's ingest into an open session; the caller commits per page."""

    def __init__(
        self, session: Session, mapping: Mapping_, *, run_id: int | None, now: datetime,
        actors: Callable[[RawRecord], Actor | None] | None = None,
    ) -> None:  # fmt: skip
        self.session = session
        self.mapping = mapping
        self.run_id = run_id
        self.now = now
        # Who changed a record, as its CRM names them (see `Connector.changed_by`).
        self.actors = actors
        self.counts = IngestCounts()

    # --- entry point -------------------------------------------------------------------

    def page(self, records: Sequence[RawRecord], *, retry: bool = False) -> None:
        """Ingest one page of records of one stream (`retry`: parked records, not counted)."""
        if not records:
            return
        system, stream = records[0].system, records[0].stream
        if not retry:
            for raw in records:
                self.count_pulled(raw)
        records = self._storable(records)
        if not records:
            return
        if (system, stream) in PEOPLE_STREAMS:
            self._people(records)
        elif (system, stream) == ("salesforce", "Opportunity"):
            self._opportunities(records)
        elif (system, stream) == ("salesforce", "OpportunityContactRole"):
            self._roles(records)
        else:
            ingest_engagements(self, records)

    def count_pulled(self, raw: RawRecord) -> None:
        self.counts.pulled += 1
        key = f"{raw.system}.{raw.stream}"
        self.counts.by_stream[key] = self.counts.by_stream.get(key, 0) + 1

    def _storable(self, records: Sequence[RawRecord]) -> list[RawRecord]:
        """Records cleaned for the store; one whose id no column can hold is quarantined."""
        kept = []
        for raw in records:
            problem = too_long(raw.id, RECORD_ID_MAX, f"{raw.system} {raw.stream} id")
            cleaned = replace(raw, id=raw.id[:RECORD_ID_MAX], data=storable(raw.data))
            if problem:
                self.quarantine_record(cleaned, "INVALID_VALUE", problem, Retry.FIX)
            else:
                kept.append(cleaned)
        return kept

    # --- people ------------------------------------------------------------------------

    def _people(self, records: Sequence[RawRecord]) -> None:
        obj, kind = PEOPLE_STREAMS[(records[0].system, records[0].stream)]
        links = self.links(kind, [r.id for r in records])
        echoes = known_writes(self.session, [r.id for r in records])
        done = []
        for raw in records:
            if self._person_record(raw, obj, kind, links, echoes.get(raw.id, {})):
                done.append(self.label(raw))
        resolve(self.session, system=records[0].system, stage="ingest", records=done, now=self.now)
        if kind is RecordKind.HUBSPOT_CONTACT:
            ingest_contact_events(self, records, links)

    def _person_record(
        self, raw: RawRecord, obj: str, kind: RecordKind, links: dict[str, LinkRow],
        echoes: Mapping[str, str | None],
    ) -> bool:  # fmt: skip
        label = self.label(raw)
        system = System(raw.system)
        maps = self.mapping.field_maps.get((raw.system, obj), ())
        try:
            fields = map_fields(maps, raw.data, record=label)
            stage_evidence(self.mapping.vocabularies, system, obj, raw.data,
                           record=label, observed_at=raw.modified_at)  # fmt: skip
        except MappingError as exc:
            self.quarantine_record(raw, "INVALID_VALUE", str(exc), Retry.FIX, field=exc.field)
            return False
        link = links.get(raw.id)
        if link is None:
            link = self._new_link(raw, kind, fields.get("email"))
            if link is None:
                return False
            links[raw.id] = link
            adopt_created(self.session, link.person_id, kind, raw.id)
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
                    self.quarantine_record(
                        raw, "DUPLICATE_EMAIL",
                        f"{self.label(raw)}: {email} already belongs to {kind.value} "
                        f"{twin.record_id}; merge the records in {raw.system} or set "
                        "sync.on_duplicate_email = \"flag\"", Retry.FIX,
                    )  # fmt: skip
                    return None
                flag = f"{kind.value} {twin.record_id} and {raw.id} share {email}"
                person.duplicate_flag = flag[:200]
        if person is None:
            person = PersonRow(email=email, fields={}, created_at=self.now, updated_at=self.now)
            self.session.add(person)
            self.session.flush()
        link = LinkRow(person_id=person.id, kind=kind.value, record_id=raw.id, snapshot={})
        self.session.add(link)
        return link

    def _update_link(self, link: LinkRow, raw: RawRecord) -> None:
        link.seen = self._seen(link, raw)
        link.snapshot = dict(raw.data)
        link.modified_at = raw.modified_at
        link.deleted = raw.deleted

    def _seen(self, link: LinkRow, raw: RawRecord) -> dict[str, Any]:
        """Per stage property: when its current value was set (CRM clock) and first pulled."""
        seen = dict(link.seen or {})
        held = link.snapshot or {}
        who: Any = False  # looked up once, and only when a stage value changed
        for vocab in self._stage_vocabularies(raw.system, link.kind):
            if vocab.prop in seen and held.get(vocab.prop) == raw.data.get(vocab.prop):
                continue
            if who is False:
                who = self.actors(raw) if self.actors else None
            at = value_set_at(vocab, raw.data, raw.modified_at)
            seen[vocab.prop] = {
                "at": at.isoformat(), "known": self.now.isoformat(),
                "by": str(who) if who else "", "integration": bool(who and who.integration),
            }  # fmt: skip
        return seen

    def _stage_vocabularies(self, system: str, kind: str) -> list[Vocabulary]:
        obj = next(obj for obj, k in PEOPLE_STREAMS.values() if k.value == kind)
        return [v for v in self.mapping.vocabularies if v.system.value == system and v.obj == obj]

    def _refresh_person(self, person_id: int, fields: Mapping[str, Any]) -> None:
        """Merge the person's fields afresh from all their records (a value cleared in a CRM
        is cleared here too, unless another CRM has one)."""
        person = self.session.get(PersonRow, person_id)
        links = self.session.scalars(select(LinkRow).where(LinkRow.person_id == person_id)).all()
        m = self.mapping
        person.fields = stored(merged_fields(links, m.field_maps, m.source_rules, m.default_source))
        if person.email is None and fields.get("email"):
            person.email = fields["email"]
        person.dirty = True
        person.updated_at = self.now

    def _lead_conversion(self, raw: RawRecord, person_id: int) -> None:
        """A converted Lead ties its Contact and Opportunity to the same person."""
        contact_id = raw.data.get("ConvertedContactId")
        if contact_id:
            exists = self.links(RecordKind.SALESFORCE_CONTACT, [contact_id])
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
            self._merge(raw, OpportunityRow, {
                "id": raw.id, "stage_name": data.get("StageName"),
                "is_closed": bool(data.get("IsClosed")), "is_won": bool(data.get("IsWon")),
                "close_date": data.get("CloseDate"), "modified_at": raw.modified_at,
                "deleted": raw.deleted,
            })  # fmt: skip
        self._dirty_by_opportunity([r.id for r in records])

    def _roles(self, records: Sequence[RawRecord]) -> None:
        for raw in records:
            self._merge(raw, OpportunityRoleRow, {
                "id": raw.id, "opportunity_id": str(raw.data.get("OpportunityId")),
                "record_id": str(raw.data.get("ContactId")), "deleted": raw.deleted,
            })  # fmt: skip
        self._dirty_by_opportunity([str(r.data.get("OpportunityId")) for r in records])

    def _merge(self, raw: RawRecord, row_class: type, values: dict[str, Any]) -> None:
        problem = overflow(row_class, values)
        if problem:
            self.quarantine_record(raw, "INVALID_VALUE", f"{self.label(raw)}: {problem}", Retry.FIX)
            return
        self.session.merge(row_class(**values))

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

    def mark_dirty(self, person_ids: set[int]) -> None:
        if person_ids:
            self.session.execute(
                update(PersonRow).where(PersonRow.id.in_(person_ids)).values(dirty=True)
            )

    # --- lookups -----------------------------------------------------------------------

    def links(self, kind: RecordKind, ids: list[str]) -> dict[str, LinkRow]:
        rows = self.session.scalars(
            select(LinkRow).where(LinkRow.kind == kind.value, LinkRow.record_id.in_(ids))
        )
        return {row.record_id: row for row in rows}

    def people_by_email(self, emails: list[str]) -> dict[str, int]:
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

    def label(self, raw: RawRecord) -> str:
        return f"{raw.system} {raw.stream} {raw.id}"

    def quarantine_record(
        self, raw: RawRecord, code: str, message: str, retry: Retry, *, field: str | None = None
    ) -> None:
        self.counts.quarantined += 1
        quarantine(
            self.session, run_id=self.run_id, system=raw.system, stage="ingest",
            record=self.label(raw), code=code, message=message, retry=retry, now=self.now,
            payload=_payload(raw), field=field,
        )  # fmt: skip


def _payload(raw: RawRecord) -> dict[str, Any]:
    """Enough to ingest the record again later, exactly as it was pulled."""
    return {
        "system": raw.system,
        "stream": raw.stream,
        "id": raw.id,
        "modified_at": raw.modified_at.isoformat(),
        "data": storable(raw.data),
        "deleted": raw.deleted,
    }


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
