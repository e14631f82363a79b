"""Score dirty persons, decide their stage, append the ledger, and plan the write-backs.

One transaction per chunk of persons holds the new canonical state (score, stage, ledger
entry) and the outbox rows that follow from it, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.mapping.model import (
    EngagementEvent,
    EventKind,
    Person,
    RecordKind,
    Stage,
    StageEvidence,
    System,
)
from leadsync.mapping.normalize import stage_evidence
from leadsync.mapping.stages import Cause
from leadsync.mapping.transforms import EPOCH
from leadsync.mapping.writeback import Outputs, Planned, planned_properties
from leadsync.scoring.decide import Decision, Transition, decide_stage
from leadsync.scoring.engine import Score, score
from leadsync.scoring.explain import explain, top_reasons
from leadsync.sync.outbox import enqueue
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import (
    EchoRow,
    EventRow,
    LedgerRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
    ScoreRow,
)

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
                for person in persons:
                    self.person(session, person, plan=plan)
            if len(persons) < CHUNK:
                return self.counts

    def person(self, session: Session, row: PersonRow, *, plan: bool) -> Decision:
        links = list(session.scalars(select(LinkRow).where(LinkRow.person_id == row.id)))
        events = _events(session, row.id)
        last = _last_transition(session, row.id)
        result = score(_person(row), events, self.rt.rules, self.now)
        decision = decide_stage(
            last, result, self._evidence(session, links), self.rt.rules, self.now
        )
        reasons = top_reasons(result)
        self._store_score(session, row, result, decision, reasons)
        if decision.moved:
            self._append_ledger(session, row, decision)
        if plan:
            self._plan(session, row, links, decision.stage, result, reasons)
        row.dirty = False
        self.counts.scored += 1
        return decision

    # --- evidence ----------------------------------------------------------------------

    def _evidence(self, session: Session, links: list[LinkRow]) -> list[StageEvidence]:
        found: list[StageEvidence] = []
        echoes = _echoes(session, links)
        for link in links:
            if link.deleted or not link.snapshot:
                continue
            system, obj = _OBJECT[RecordKind(link.kind)]
            found += stage_evidence(
                self.rt.vocabularies, system, obj, link.snapshot,
                record=f"{system.value} {obj} {link.record_id}",
                observed_at=_since(link), echoes=echoes.get(link.record_id, {}),
                include_silent=True,
            )  # fmt: skip
        return found + _opportunity_evidence(session, links, self.rt.vocabularies)

    # --- state -------------------------------------------------------------------------

    def _store_score(
        self, session: Session, row: PersonRow, result: Score, decision: Decision, reasons: str
    ) -> None:
        session.merge(
            ScoreRow(
                person_id=row.id, fit=result.fit, engagement=result.engagement,
                total=result.total, grade=result.grade, explanation=explain(result, decision),
                reasons=reasons, computed_at=self.now,
            )
        )  # fmt: skip

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
        self, session: Session, row: PersonRow, links: list[LinkRow], stage: Stage,
        result: Score, reasons: str,
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
                self._enqueue(session, row, system, obj, link.record_id, planned, stage)
        if self._needs_handoff(links, stage):
            self._handoff(session, row, outputs)

    def _needs_handoff(self, links: list[LinkRow], stage: Stage) -> bool:
        sync = self.rt.settings.sync
        if not sync.create_salesforce_leads or stage is Stage.SUSPECT:
            return False
        if stage.rank < sync.handoff_stage.rank:
            return False
        return not any(link.kind.startswith("salesforce") for link in links)

    def _handoff(self, session: Session, row: PersonRow, outputs: Outputs) -> None:
        fields = row.fields or {}
        if not row.email:
            return
        planned = planned_properties(
            outputs, system=System.SALESFORCE, obj="Lead", held={},
            vocabularies=self.rt.vocabularies,
            names=self.rt.outbound.get(("salesforce", "Lead"), {}),
        )  # fmt: skip
        identity = {
            "Email": row.email,
            "FirstName": fields.get("first_name"),
            # Salesforce requires LastName and Company on a Lead.
            "LastName": fields.get("last_name") or row.email.split("@")[0],
            "Company": fields.get("company") or row.email.split("@")[1],
            "Title": fields.get("title"),
            "LeadSource": "Web",
        }
        properties = {k: v for k, v in identity.items() if v} | planned.properties
        self._enqueue(
            session, row, System.SALESFORCE, "Lead", None, Planned(properties), outputs.stage
        )
        self.counts.handoffs += 1

    def _enqueue(
        self, session: Session, row: PersonRow, system: System, obj: str, record_id: str | None,
        planned: Planned, stage: Stage,
    ) -> None:  # fmt: skip
        enqueue(
            session, run_id=self.run_id, person_id=row.id, system=system.value, obj=obj,
            record_id=record_id, planned=planned, reason=f"stage {stage.value}", now=self.now,
        )  # fmt: skip
        self.counts.planned += 1


def _person(row: PersonRow) -> Person:
    return Person(id=str(row.id), email=row.email, fields=row.fields or {})


def _events(session: Session, person_id: int) -> list[EngagementEvent]:
    rows = session.scalars(select(EventRow).where(EventRow.person_id == person_id))
    return [
        EngagementEvent(
            System(r.source), r.source_id, EventKind(r.kind), r.occurred_at, r.attributes or {}
        )
        for r in rows
    ]


def _last_transition(session: Session, person_id: int) -> Transition | None:
    row = session.scalars(
        select(LedgerRow).where(LedgerRow.person_id == person_id).order_by(LedgerRow.id.desc())
    ).first()
    if row is None:
        return None
    return Transition(
        str(person_id), Stage(row.from_stage) if row.from_stage else None, Stage(row.to_stage),
        row.at, Cause(row.cause), row.actor, row.reason, tuple(row.rule_ids or ()),
    )  # fmt: skip


def _echoes(session: Session, links: list[LinkRow]) -> dict[str, dict[str, str | None]]:
    ids = [link.record_id for link in links]
    found: dict[str, dict[str, str | None]] = {}
    for echo in session.scalars(select(EchoRow).where(EchoRow.record_id.in_(ids))):
        found.setdefault(echo.record_id, {})[echo.prop] = echo.value
    return found


def _since(link: LinkRow) -> datetime:
    """When the stage values of this record were first seen (falls back to its modification)."""
    return link.modified_at or EPOCH


def _converted(link: LinkRow) -> bool:
    """Converted Leads are read-only in Salesforce; their Contact takes the writes."""
    return link.kind == RecordKind.SALESFORCE_LEAD.value and bool(link.snapshot.get("IsConverted"))


def _opportunity_evidence(
    session: Session, links: list[LinkRow], vocabularies: Iterable
) -> list[StageEvidence]:
    record_ids = [link.record_id for link in links if link.kind.startswith("salesforce")]
    if not record_ids:
        return []
    opportunity_ids = select(OpportunityRoleRow.opportunity_id).where(
        OpportunityRoleRow.record_id.in_(record_ids), OpportunityRoleRow.deleted.is_(False)
    )
    rows = session.scalars(
        select(OpportunityRow).where(
            OpportunityRow.id.in_(opportunity_ids), OpportunityRow.deleted.is_(False)
        )
    )
    found = []
    for opp in rows:
        found += stage_evidence(
            vocabularies, System.SALESFORCE, "Opportunity", {"StageName": opp.stage_name},
            record=f"salesforce Opportunity {opp.id}", observed_at=opp.modified_at,
            include_silent=True,
        )  # fmt: skip
    return found
