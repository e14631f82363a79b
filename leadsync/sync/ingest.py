"""Ingest pulled records into the store: resolve identity, keep snapshots, dedupe events.

Works a page at a time, set-based: a handful of statements per page, never one per record (see
`ingest_people`, `ingest_events`, `ingest_sales`), so a backfill keeps pace with the API.
Idempotent: ingesting the same record twice changes nothing, which is what makes cursor
look-back and crash recovery safe. A person is marked `dirty` only when something that could
change their score or stage arrived; leadsync's own writes coming back (echoes) do not count.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Actor, RawRecord
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import RecordKind
from leadsync.mapping.normalize import value_set_at
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.bulk import among
from leadsync.sync.errorq import Retry, quarantine
from leadsync.sync.ingest_events import ingest_engagements
from leadsync.sync.ingest_people import Held, ingest_people
from leadsync.sync.ingest_sales import ingest_deals, ingest_roles
from leadsync.sync.schema import LinkRow, PersonRow
from leadsync.sync.values import RECORD_ID_MAX, storable, too_long


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
    """One run's ingest. Each transaction works on `ingest.on(session)`: a copy bound to that
    session that shares the run's counts; the caller commits per page."""

    session: Session

    def __init__(
        self, mapping: Mapping_, *, run_id: int | None, now: datetime,
        actors: Callable[[RawRecord], Actor | None] | None = None,
    ) -> None:  # fmt: skip
        self.mapping = mapping
        self.run_id = run_id
        self.now = now
        # Who changed a record, as its CRM names them (see `Connector.changed_by`).
        self.actors = actors
        self.counts = IngestCounts()

    def on(self, session: Session) -> Ingest:
        """This run's ingest inside one transaction (the counts stay the run's)."""
        bound = copy.copy(self)
        bound.session = session
        return bound

    def page(self, records: Sequence[RawRecord], *, retry: bool = False) -> None:
        """Ingest one page of records of one stream (`retry`: parked records, not counted)."""
        if not records:
            return
        if not retry:
            for raw in records:
                self.count_pulled(raw)
        records = self._storable(records)
        if not records:
            return
        system, stream = records[0].system, records[0].stream
        person = catalog().people_stream(system, stream)
        deals = catalog()[system].deals
        if person is not None:
            ingest_people(self, person, records)
        elif deals is not None and stream == deals.stream:
            ingest_deals(self, deals, records)
        elif deals is not None and stream == deals.roles_stream:
            ingest_roles(self, deals, records)
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

    # --- stage values: when they were set and by whom ----------------------------------

    def seen(self, link: Held, raw: RawRecord) -> dict[str, Any]:
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
        obj = catalog().person_of(kind).obj
        return [v for v in self.mapping.vocabularies if v.system == system and v.obj == obj]

    # --- lookups -----------------------------------------------------------------------

    def links(self, kind: RecordKind, ids: list[str]) -> dict[str, int]:
        """Person id by record id, for the records of `kind` already linked."""
        rows = self.session.execute(
            select(LinkRow.record_id, LinkRow.person_id).where(
                LinkRow.kind == kind, among(self.session, LinkRow.record_id, ids)
            )
        )
        return dict(rows.all())

    def people_by_email(self, emails: list[str]) -> dict[str, int]:
        """The first (oldest) person holding each email."""
        found: dict[str, int] = {}
        if not emails:
            return found
        rows = self.session.execute(
            select(PersonRow.email, PersonRow.id)
            .where(among(self.session, PersonRow.email, emails))
            .order_by(PersonRow.id)
        )
        for email, person_id in rows:
            found.setdefault(email, person_id)
        return found

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
