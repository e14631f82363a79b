"""Score dirty persons, decide their stage, append the ledger, and plan the write-backs.

One transaction per chunk of persons holds the new canonical state (score, stage, ledger
entry) and the outbox rows that follow from it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.mapping.model import Person, RecordKind, Stage, StageEvidence, System
from leadsync.mapping.normalize import Seen, stage_evidence
from leadsync.mapping.stages import Cause
from leadsync.mapping.transforms import EPOCH
from leadsync.mapping.writeback import Outputs, Planned, planned_properties
from leadsync.scoring.decide import Decision, Transition, decide_stage
from leadsync.scoring.engine import Score, score
from leadsync.scoring.explain import explain, top_reasons
from leadsync.sync.chunk import ChunkContext
from leadsync.sync.outbox import PENDING
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LedgerRow, LinkRow, OutboxRow, PersonRow, ScoreRow

CHUNK = 500
_OBJECT = {
    RecordKind.HUBSPOT_CONTACT: (System.HUBSPOT, "contact"),
    RecordKind.SALESFORCE_LEAD: (System.SALESFORCE, "Lead"),
    RecordKind.SALESFORCE_CONTACT: (System.SALESFORCE, "Contact"),
}


@dataclass
class DecideCounts:
    scored: int = 0
    moved: int = 0
    planned: int = 0
    handoffs: int = 0
    transitions: dict[str, int] = field(default_factory=dict)


class DecideStep:
    def __init__(self, rt: Runtime, *, run_id: int | None, now: datetime) -> None:
        self.rt = rt
        self.run_id = run_id
        self.now = now
        self.counts = DecideCounts()

    def run(self, *, plan: bool = True) -> DecideCounts:
        """Process every dirty person, a chunk per transaction."""
        while True:
            with self.rt.sessions.begin() as session:
                persons = list(
                    session.scalars(
                        select(PersonRow).where(PersonRow.dirty).order_by(PersonRow.id).limit(CHUNK)
                    )
                )
                ctx = ChunkContext.load(session, [p.id for p in persons])
                for person in persons:
                    self.person(session, ctx, person, plan=plan)
            if len(persons) < CHUNK:
                return self.counts

    def person(
        self, session: Session, ctx: ChunkContext, row: PersonRow, *, plan: bool
    ) -> Decision:
        links = ctx.links.get(row.id, [])
        person = Person(id=str(row.id), email=row.email, fields=row.fields or {})
        result = score(person, ctx.events.get(row.id, []), self.rt.rules, self.now)
        evidence = self._evidence(ctx, links)
        decision = self._decide(session, row, ctx.last.get(row.id), result, evidence)
        reasons = top_reasons(result)
        self._store_score(session, ctx, row, result, decision, reasons)
        if plan:
            self._plan(session, ctx, row, links, decision.stage, result, reasons)
        row.dirty = False
        self.counts.scored += 1
        return decision

    def _decide(
        self, session: Session, row: PersonRow, last: Transition | None, result: Score,
        evidence: list[StageEvidence],
    ) -> Decision:  # fmt: skip
        """Decide, and append each move to the ledger.

        A move made by CRM evidence or a person sets where the person stands; the rules then
        get their say from there in the same cycle (see `_follows`): a contact HubSpot holds at
        `lead` whose score says `mql` is placed at lead, then promoted: two ledger entries.
        """
        decision = decide_stage(last, result, evidence, self.rt.rules, self.now)
        if not decision.moved:
            return decision
        self._append_ledger(session, row, decision)
        if decision.cause not in (Cause.EVIDENCE, Cause.HUMAN):
            return decision
        then = decide_stage(decision.entry(str(row.id)), result, evidence, self.rt.rules, self.now)
        if then.moved and then.cause is Cause.SCORE and _follows(decision.stage, then.stage):
            self._append_ledger(session, row, then)
            return then
        return decision

    # --- evidence ----------------------------------------------------------------------

    def _evidence(self, ctx: ChunkContext, links: list[LinkRow]) -> list[StageEvidence]:
        found: list[StageEvidence] = []
        for link in links:
            if link.deleted or not link.snapshot:
                continue
            system, obj = _OBJECT[RecordKind(link.kind)]
            found += stage_evidence(
                self.rt.vocabularies, system, obj, link.snapshot,
                record=f"{system.value} {obj} {link.record_id}",
                observed_at=link.modified_at or EPOCH, seen=_first_seen(link),
                echoes=ctx.echoes.get(link.record_id, {}), include_silent=True,
            )  # fmt: skip
            for opp in ctx.opportunities.get(link.record_id, []):
                found += stage_evidence(
                    self.rt.vocabularies, System.SALESFORCE, "Opportunity",
                    {"StageName": opp.stage_name}, record=f"salesforce Opportunity {opp.id}",
                    observed_at=opp.modified_at or EPOCH, include_silent=True,
                )  # fmt: skip
        return found

    # --- state -------------------------------------------------------------------------

    def _store_score(
        self, session: Session, ctx: ChunkContext, row: PersonRow, result: Score,
        decision: Decision, reasons: str,
    ) -> None:  # fmt: skip
        values = {
            "fit": result.fit, "engagement": result.engagement, "total": result.total,
            "grade": result.grade, "explanation": explain(result, decision), "reasons": reasons,
            "computed_at": self.now,
        }  # fmt: skip
        existing = ctx.scores.get(row.id)
        if existing is None:
            session.add(ScoreRow(person_id=row.id, **values))
            return
        for name, value in values.items():
            setattr(existing, name, value)

    def _append_ledger(self, session: Session, row: PersonRow, decision: Decision) -> None:
        entry = decision.entry(str(row.id))
        session.add(
            LedgerRow(
                person_id=row.id, from_stage=entry.src.value if entry.src else None,
                to_stage=entry.dst.value, at=entry.at, actor=entry.actor or entry.cause.value,
                cause=entry.cause.value, reason=entry.reason, rule_ids=list(entry.rule_ids),
                score={"fit": entry.fit, "engagement": entry.engagement, "total": entry.total},
            )
        )  # fmt: skip
        row.stage = decision.stage.value
        row.stage_since = entry.at
        if decision.stage is Stage.SUSPECT:
            row.disqualified_at = entry.at
        key = f"{entry.src.value if entry.src else 'new'} -> {entry.dst.value}"
        self.counts.transitions[key] = self.counts.transitions.get(key, 0) + 1
        self.counts.moved += 1

    # --- plan --------------------------------------------------------------------------

    def _plan(
        self, session: Session, ctx: ChunkContext, row: PersonRow, links: list[LinkRow],
        stage: Stage, result: Score, reasons: str,
    ) -> None:  # fmt: skip
        outputs = Outputs(stage, result.fit, result.engagement, result.total, result.grade, reasons)
        for link in links:
            if link.deleted or _converted(link):
                continue
            system, obj = _OBJECT[RecordKind(link.kind)]
            planned = planned_properties(
                outputs, system=system, obj=obj, held=link.snapshot or {},
                vocabularies=self.rt.vocabularies,
                names=self.rt.outbound.get((system.value, obj), {}),
            )  # fmt: skip
            if planned:
                self._enqueue(session, ctx, row, (system, obj, link.record_id), planned, stage)
        if self._needs_handoff(links, stage) and row.email:
            self._handoff(session, ctx, row, outputs)

    def _needs_handoff(self, links: list[LinkRow], stage: Stage) -> bool:
        sync = self.rt.settings.sync
        if not sync.create_salesforce_leads or stage is Stage.SUSPECT:
            return False
        if stage.rank < sync.handoff_stage.rank:
            return False
        return not any(link.kind.startswith("salesforce") for link in links)

    def _handoff(
        self, session: Session, ctx: ChunkContext, row: PersonRow, outputs: Outputs
    ) -> None:
        fields = row.fields or {}
        planned = planned_properties(
            outputs, system=System.SALESFORCE, obj="Lead", held={},
            vocabularies=self.rt.vocabularies,
            names=self.rt.outbound.get(("salesforce", "Lead"), {}),
        )  # fmt: skip
        local, _, domain = row.email.partition("@")
        identity = {
            "Email": row.email,
            "FirstName": fields.get("first_name"),
            # Salesforce requires LastName and Company on a Lead.
            "LastName": fields.get("last_name") or local,
            "Company": fields.get("company") or domain,
            "Title": fields.get("title"),
            "LeadSource": "Web",
        }
        properties = {k: v for k, v in identity.items() if v} | planned.properties
        target = (System.SALESFORCE, "Lead", None)
        self._enqueue(session, ctx, row, target, Planned(properties), outputs.stage)
        self.counts.handoffs += 1

    def _enqueue(
        self, session: Session, ctx: ChunkContext, row: PersonRow,
        target: tuple[System, str, str | None], planned: Planned, stage: Stage,
    ) -> None:  # fmt: skip
        """Add a write, folding it into the person's pending row for the same record."""
        system, obj, record_id = target
        key = (row.id, system.value, obj, record_id)
        pending = ctx.pending.get(key)
        if pending is not None:
            pending.properties = {**pending.properties, **planned.properties}
            pending.clear_first = sorted(set(pending.clear_first) | set(planned.clear_first))
            pending.reason, pending.updated_at, pending.run_id = (
                f"stage {stage.value}",
                self.now,
                self.run_id,
            )
        else:
            pending = OutboxRow(
                run_id=self.run_id, person_id=row.id, system=system.value, obj=obj,
                record_id=record_id, properties=dict(planned.properties),
                clear_first=list(planned.clear_first), reason=f"stage {stage.value}",
                state=PENDING, created_at=self.now, updated_at=self.now,
            )  # fmt: skip
            session.add(pending)
            ctx.pending[key] = pending
        self.counts.planned += 1


def _first_seen(link: LinkRow) -> dict[str, Seen]:
    """Per stage property: when its value was set in the CRM and first pulled by leadsync."""
    found = {}
    for prop, when in (link.seen or {}).items():
        if isinstance(when, str):  # stored before CRM times were kept: one time for both
            found[prop] = Seen(datetime.fromisoformat(when), datetime.fromisoformat(when))
        else:
            found[prop] = Seen(datetime.fromisoformat(when["at"]),
                               datetime.fromisoformat(when["known"]))  # fmt: skip
    return found


def _follows(placed: Stage, scored: Stage) -> bool:
    """May the rules move on from a stage a person or CRM record just set, in the same cycle?

    Up the ladder, yes. Out of plain `lead` into `suspect` too: `lead` is where CRMs put
    everyone by default, not a judgment. Never to contradict a judgment in the same breath.
    """
    if scored is Stage.SUSPECT:
        return placed is Stage.LEAD
    return scored.rank > placed.rank


def _converted(link: LinkRow) -> bool:
    """Converted Leads are read-only in Salesforce; their Contact takes the writes."""
    return link.kind == RecordKind.SALESFORCE_LEAD.value and bool(link.snapshot.get("IsConverted"))
