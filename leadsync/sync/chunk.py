"""Everything the decide step reads about a chunk of persons, in one query per table.

Scoring 100,000 people one query at a time would cost a million round trips; loading a chunk's
links, events, last ledger entries, echoes, opportunities and pending outbox rows
together keeps the decide step bound by scoring, not by the database. Persons, links and
ledger entries come as plain rows (`values`: the columns of `PersonRow`, `LinkRow`, ...
read as attributes), not ORM objects: a decision only reads them, and the ORM's bookkeeping
per row cost more than the decision. Pending outbox rows, which the step folds new writes
into, come as dicts of their columns and go back in one bulk statement.

Events come as columns for the scoring kernel (`columns=True`: a row per person from their
event packs, `sync.event_packs`, or the events table for those whose pack cannot be trusted;
no object per event) or as `EngagementEvent` objects for
the engine, which `engine_events` also reads afterwards when the kernel gives up on a chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.mapping.model import EngagementEvent, EventKind, Stage, System
from leadsync.mapping.stages import Cause
from leadsync.scoring.columns import EventColumns
from leadsync.scoring.decide import Transition
from leadsync.sync import event_packs
from leadsync.sync.outbox import PENDING, known_writes
from leadsync.sync.reads import among, values
from leadsync.sync.schema import (
    HISTORY_CAUSE,
    EventRow,
    LedgerRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    OutboxRow,
    PersonRow,
)

OutboxKey = tuple[int, str, str, str | None]
# What a decision reads of a person, and of their last ledger entry: the other columns (times,
# the score snapshot) would cost a conversion per row for nothing.
PERSON = tuple(
    PersonRow.__table__.c[name] for name in ("id", "email", "fields", "sources", "stage", "dirty")
)
_PENDING = ("id", "person_id", "system", "obj", "record_id", "properties", "clear_first")
_LAST = ("person_id", "from_stage", "to_stage", "at", "cause", "actor", "reason", "rule_ids")


@dataclass
class ChunkContext:
    links: dict[int, list[LinkRow]] = field(default_factory=lambda: defaultdict(list))
    events: dict[int, list[EngagementEvent]] = field(default_factory=lambda: defaultdict(list))
    last: dict[int, Transition] = field(default_factory=dict)
    echoes: dict[str, dict[str, str | None]] = field(default_factory=lambda: defaultdict(dict))
    opportunities: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    # Pending outbox rows as column dicts, which the decide step folds new writes into.
    pending: dict[OutboxKey, dict[str, Any]] = field(default_factory=dict)
    # A person's stage evidence and the writes planned for their records, by what they were
    # read or planned from (`Decider`): kept for the chunk, not read from the store.
    evidence: dict[Any, Any] = field(default_factory=dict)
    planned: dict[Any, list[Any]] = field(default_factory=dict)
    event_columns: EventColumns | None = None  # loaded with `columns=True`
    # The events read from the events table for people whose packs could not be trusted:
    # a decide step that stores its outcomes packs them (`sync.event_packs`).
    fresh: event_packs.Fresh | None = None
    session: Session | None = None
    ids: list[int] = field(default_factory=list)
    _events_loaded: bool = False

    @classmethod
    def load(
        cls, session: Session, person_ids: Sequence[int], *, columns: bool = False,
        stale: Iterable[int] | None = None, shapes: event_packs.Shapes | None = None,
    ) -> ChunkContext:  # fmt: skip
        """What the decide step reads of these persons; `columns`: their events as columns
        for the scoring kernel instead of objects for the engine, from their event packs
        except for the `stale` persons (the dirty ones; None: everyone); `shapes`, the
        event shapes earlier chunks read."""
        ids = list(person_ids)
        ctx = cls(session=session, ids=ids)
        links = LinkRow.__table__
        for link in values(session, select(links).where(among(links.c.person_id, ids))):
            ctx.links[link.person_id].append(link)
        record_ids = [link.record_id for links in ctx.links.values() for link in links]
        if columns:
            ctx.event_columns, ctx.fresh = event_packs.read(
                session, ids, ids if stale is None else stale, shapes
            )
        else:
            ctx.engine_events()
        ctx._last(session, ids)
        ctx._echoes(session, record_ids)
        ctx._opportunities(session, record_ids)
        outbox = OutboxRow.__table__
        pending = select(*(outbox.c[name] for name in _PENDING)).where(
            outbox.c.state == PENDING, among(outbox.c.person_id, ids)
        )
        for row in values(session, pending).mappings():
            ctx.pending[(row["person_id"], row["system"], row["obj"], row["record_id"])] = dict(row)
        return ctx

    def engine_events(self) -> dict[int, list[EngagementEvent]]:
        """Each person's events as the engine takes them, read on first use."""
        if not self._events_loaded:
            assert self.session is not None, "a context made by `load` reads its events"
            self._events_loaded = True
            rows = self.session.execute(
                select(EventRow.person_id, EventRow.source, EventRow.source_id, EventRow.kind,
                       EventRow.occurred_at, EventRow.attributes)
                .where(among(EventRow.person_id, self.ids))
                .order_by(EventRow.person_id, EventRow.id)
            )  # fmt: skip
            for person_id, source, source_id, kind, at, attributes in rows:
                self.events[person_id].append(EngagementEvent(
                    System(source), source_id, EventKind(kind), at, attributes or {}
                ))  # fmt: skip
        return self.events

    def _last(self, session: Session, ids: list[int]) -> None:
        # Reconstructed history describes the past; decisions go on from leadsync's own moves.
        newest = (
            select(func.max(LedgerRow.id))
            .where(among(LedgerRow.person_id, ids), LedgerRow.cause != HISTORY_CAUSE)
            .group_by(LedgerRow.person_id)
        )
        ledger = LedgerRow.__table__
        read = select(*(ledger.c[name] for name in _LAST)).where(ledger.c.id.in_(newest))
        for row in values(session, read):
            self.last[row.person_id] = Transition(
                str(row.person_id), Stage(row.from_stage) if row.from_stage else None,
                Stage(row.to_stage), row.at, Cause(row.cause), row.actor, row.reason,
                tuple(row.rule_ids or ()),
            )  # fmt: skip

    def _echoes(self, session: Session, record_ids: list[str]) -> None:
        self.echoes.update(known_writes(session, record_ids))

    def _opportunities(self, session: Session, record_ids: list[str]) -> None:
        """Each record's deals, as plain rows of what stage evidence reads of them."""
        roles = values(session,
            select(OpportunityRoleRow.record_id, OpportunityRow.id, OpportunityRow.stage_name,
                   OpportunityRow.modified_at)
            .join(OpportunityRow, OpportunityRow.id == OpportunityRoleRow.opportunity_id)
            .where(
                OpportunityRoleRow.record_id.in_(record_ids),
                OpportunityRoleRow.deleted.is_(False),
                OpportunityRow.deleted.is_(False),
            )
        )  # fmt: skip
        for role in roles:
            self.opportunities[role.record_id].append(role)
