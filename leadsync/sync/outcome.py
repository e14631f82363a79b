"""What deciding one person comes to: score, stage moves and the writes that follow.

`Decider.outcome` reads a chunk's loaded context and changes nothing, so the same code serves a
real cycle (whose `DecideStep` then stores the outcome), a dry run, a plan and a preview of a
candidate config (which store nothing). `Decider.outcomes` decides a whole chunk, scored on
columns by the kernel when the decider has one (see `sync.chunk_scores`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.errors import MappingError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import Person, Stage, StageEvidence
from leadsync.mapping.normalize import Seen, stage_evidence
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Cause, Vocabulary
from leadsync.mapping.transforms import EPOCH
from leadsync.mapping.writeback import Outputs, planned_properties
from leadsync.scoring.compile import Ruleset
from leadsync.scoring.decide import Decision, Transition, decide_stage, may_follow
from leadsync.scoring.engine import Score, score
from leadsync.scoring.explain import top_reasons
from leadsync.scoring.gates import verdict
from leadsync.scoring.kernel import Kernel
from leadsync.sync.chunk import ChunkContext
from leadsync.sync.chunk_scores import Scored, score_chunk
from leadsync.sync.person_fields import merged_fields, stored
from leadsync.sync.schema import LinkRow, PersonRow

HANDOFF = "handoff"  # the reason of a write that creates a sales lead for a qualified person


@dataclass(frozen=True, slots=True)
class Write:
    """One planned write of one CRM record (`record_id` None: create it)."""

    person_id: int
    system: str
    obj: str
    record_id: str | None
    properties: Mapping[str, Any]
    clear_first: tuple[str, ...]
    reason: str


@dataclass
class Outcome:
    """One person's decision; `error` set when a stored value no longer maps (nothing else is)."""

    person_id: int
    email: str | None
    stage_before: Stage | None
    score: Score | None = None
    decision: Decision | None = None
    entries: list[Transition] = field(default_factory=list)
    reasons: str = ""
    writes: list[Write] = field(default_factory=list)
    error: MappingError | None = None
    verdict: Stage | None = None  # what the score alone says, whatever history allows
    deferred: bool = False  # a handoff held back by the daily cap: decide again next cycle

    @property
    def stage(self) -> Stage | None:
        return self.decision.stage if self.decision else self.stage_before


@dataclass(frozen=True)
class Handoff:
    """When a person gets a lead made for them in the sales CRM: from `stage` on, when every test
    of `when` holds (a canonical field's value, or "stage" for the stage's name)."""

    enabled: bool
    stage: Stage
    when: tuple[tuple[str, Callable[[Any], bool]], ...] = ()

    def admits(self, fields: Mapping[str, Any], stage: Stage) -> bool:
        return all(
            test(stage.value if name == "stage" else fields.get(name)) for name, test in self.when
        )


@dataclass
class Decider:
    """The compiled config a decision reads; `field_maps` set: re-map fields from snapshots."""

    vocabularies: tuple[Vocabulary, ...]
    outbound: Mapping[tuple[str, str], Mapping[str, str]]
    rules: Ruleset
    handoff: Handoff
    field_maps: Mapping[tuple[str, str], tuple[FieldMap, ...]] | None = None
    source_rules: Mapping[str, SourceRule] = field(default_factory=dict)
    default_source: SourceRule = DEFAULT_RULE
    # The same rules compiled for columns; None when they cannot be scored exactly that way.
    kernel: Kernel | None = None

    @property
    def on_columns(self) -> bool:
        """Whether chunks are scored by the kernel: `ChunkContext.load(columns=...)`."""
        return self.kernel is not None

    def outcomes(self, persons: list[PersonRow], ctx: ChunkContext, now: datetime) -> list[Outcome]:
        """A chunk's outcomes, equal to `outcome` for each person; scored on columns when
        `ctx` holds the events as columns, else one by one by the engine."""
        fields = [self._fields(row, ctx.links.get(row.id, [])) for row in persons]
        scored = score_chunk(self.kernel, persons, fields, ctx, now) if self.kernel else None
        if scored is None:
            return [self.outcome(row, ctx, now, fields=f) for row, f in zip(persons, fields,
                                                                            strict=True)]  # fmt: skip
        return [
            self.outcome(row, ctx, now, fields=f, scored=s)
            for row, f, s in zip(persons, fields, scored, strict=True)
        ]

    def outcome(
        self, row: PersonRow, ctx: ChunkContext, now: datetime, *,
        fields: Mapping[str, Any] | None = None, scored: Scored | None = None,
    ) -> Outcome:  # fmt: skip
        before = Stage(row.stage) if row.stage else None
        out = Outcome(row.id, row.email, before)
        links = ctx.links.get(row.id, [])
        try:
            evidence = self._evidence(ctx, links)
        except MappingError as exc:
            out.error = exc
            return out
        if scored is None:
            person = Person(id=str(row.id), email=row.email,
                            fields=self._fields(row, links) if fields is None else fields)  # fmt: skip
            scored = self._engine(person, ctx.engine_events().get(row.id, []), now)
        out.score = scored.score
        out.decision, out.entries = self._decide(row.id, ctx.last.get(row.id), out.score,
                                                 evidence, now)  # fmt: skip
        out.verdict = scored.verdict
        out.reasons = scored.reasons
        out.writes = self._writes(row, links, out)
        return out

    def _engine(self, person: Person, events: list[Any], now: datetime) -> Scored:
        result = score(person, events, self.rules, now)
        return Scored(result, top_reasons(result), verdict(result, self.rules, now)[0])

    # --- deciding ----------------------------------------------------------------------

    def _decide(
        self, person_id: int, last: Transition | None, result: Score,
        evidence: list[StageEvidence], now: datetime,
    ) -> tuple[Decision, list[Transition]]:  # fmt: skip
        """Decide, and list each move for the ledger.

        A move made by CRM evidence or a person sets where the person stands; the rules then
        get their say from there in the same cycle (see `scoring.decide.may_follow`): a
        record a CRM holds at `lead` whose score says `mql` is placed at lead, then
        promoted: two ledger entries.
        """
        decision = decide_stage(last, result, evidence, self.rules, now)
        if not decision.moved:
            return decision, []
        first = decision.entry(str(person_id))
        if decision.cause not in (Cause.EVIDENCE, Cause.HUMAN):
            return decision, [first]
        then = decide_stage(first, result, evidence, self.rules, now)
        if (
            then.moved
            and then.cause is Cause.SCORE
            and may_follow(decision.stage, then.stage, decision.cause)
        ):
            return then, [first, then.entry(str(person_id))]
        return decision, [first]

    def _evidence(self, ctx: ChunkContext, links: list[LinkRow]) -> list[StageEvidence]:
        found: list[StageEvidence] = []
        for link in links:
            if link.deleted or not link.snapshot:
                continue
            system, obj = catalog().object_of(link.kind)
            found += stage_evidence(
                self.vocabularies, system, obj, link.snapshot,
                record=f"{system} {obj} {link.record_id}",
                observed_at=link.modified_at or EPOCH, seen=first_seen(link),
                echoes=ctx.echoes.get(link.record_id, {}), include_silent=True,
            )  # fmt: skip
            found += self._deal_evidence(ctx.opportunities.get(link.record_id, []))
        return found

    def _deal_evidence(self, deals: list[Any]) -> list[StageEvidence]:
        kept = catalog().deals() if deals else None
        if kept is None:
            return []
        system, spec = kept
        return [
            e for deal in deals for e in stage_evidence(
                self.vocabularies, system, spec.obj, {spec.stage_field: deal.stage_name},
                record=f"{system} {spec.obj} {deal.id}", observed_at=deal.modified_at or EPOCH,
                include_silent=True,
            )
        ]  # fmt: skip

    def _fields(self, row: PersonRow, links: list[LinkRow]) -> Mapping[str, Any]:
        if self.field_maps is None:
            return row.fields or {}
        return stored(merged_fields(links, self.field_maps, self.source_rules,
                                    self.default_source))  # fmt: skip

    # --- planning ----------------------------------------------------------------------

    def _writes(self, row: PersonRow, links: list[LinkRow], out: Outcome) -> list[Write]:
        assert out.score is not None and out.decision is not None
        result, stage = out.score, out.decision.stage
        outputs = Outputs(stage, result.fit, result.engagement, result.total, result.grade,
                          out.reasons)  # fmt: skip
        writes = []
        for link in links:
            if link.deleted or _converted(link):
                continue
            system, obj = catalog().object_of(link.kind)
            planned = planned_properties(
                outputs, system=system, obj=obj, held=link.snapshot or {},
                vocabularies=self.vocabularies, names=self.outbound.get((system, obj), {}),
            )  # fmt: skip
            if planned:
                writes.append(Write(row.id, system, obj, link.record_id,
                                    planned.properties, planned.clear_first,
                                    f"stage {stage.value}"))  # fmt: skip
        if self._needs_handoff(row, links, stage):
            writes.append(self._handoff(row, outputs))
        return writes

    def _needs_handoff(self, row: PersonRow, links: list[LinkRow], stage: Stage) -> bool:
        if not self.handoff.enabled or stage is Stage.SUSPECT or not row.email:
            return False
        if stage.rank < self.handoff.stage.rank:
            return False
        target = catalog().handoff_target()
        if target is None:
            return False
        sales = target[0].name
        if any(catalog().system_of(link.kind) == sales for link in links):
            return False
        return self.handoff.admits(row.fields or {}, stage)

    def _handoff(self, row: PersonRow, outputs: Outputs) -> Write:
        target = catalog().handoff_target()
        assert target is not None  # `_needs_handoff` said so
        decl, person = target
        planned = planned_properties(
            outputs, system=decl.name, obj=person.obj, held={}, vocabularies=self.vocabularies,
            names=self.outbound.get((decl.name, person.obj), {}),
        )  # fmt: skip
        identity = decl.handoff_fields(row.email, row.fields or {}) if decl.handoff_fields else {}
        properties = {k: v for k, v in identity.items() if v} | planned.properties
        return Write(row.id, decl.name, person.obj, None, properties, (),
                     f"stage {outputs.stage.value}: {HANDOFF}")  # fmt: skip


def first_seen(link: LinkRow) -> dict[str, Seen]:
    """Per stage property: when its value was set in the CRM and first pulled by leadsync."""
    found = {}
    for prop, when in (link.seen or {}).items():
        if isinstance(when, str):  # stored before CRM times were kept: one time for both
            found[prop] = Seen(datetime.fromisoformat(when), datetime.fromisoformat(when))
        else:
            found[prop] = Seen(datetime.fromisoformat(when["at"]),
                               datetime.fromisoformat(when["known"]), when.get("by", ""),
                               not when.get("integration", False))  # fmt: skip
    return found


def _converted(link: LinkRow) -> bool:
    """A retired record (a converted lead) is read-only; its successor takes the writes."""
    flag = catalog().person_of(link.kind).retired_flag
    return flag is not None and bool((link.snapshot or {}).get(flag))
