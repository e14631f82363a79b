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
from functools import partial
from typing import Any

from leadsync.errors import MappingError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import Person, Stage, StageEvidence
from leadsync.mapping.normalize import Seen, stage_evidence
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Cause, Vocabulary
from leadsync.mapping.transforms import EPOCH
from leadsync.mapping.writeback import Outputs, Planner
from leadsync.scoring.compile import Ruleset
from leadsync.scoring.decide import Decision, Transition, decide_stage, may_follow, stays
from leadsync.scoring.engine import Score, score
from leadsync.scoring.explain import top_reasons
from leadsync.scoring.gates import verdict
from leadsync.scoring.kernel import Kernel
from leadsync.scoring.score_columns import STAGES, ScoreColumns
from leadsync.sync.chunk import ChunkContext
from leadsync.sync.chunk_scores import Scored, chunk_columns
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
    """One person's decision; `error` set when a stored value no longer maps (nothing else is).

    A person decided in bulk (`Decider.outcomes`, on columns) stays where they were: their
    `score` and `decision` are made on first read, as `Decider.outcome` would make them. Counts,
    plans and previews read only the stage, the totals and the writes of most people.
    """

    person_id: int
    email: str | None
    stage_before: Stage | None
    score_: Score | None = field(default=None, repr=False)
    decision_: Decision | None = field(default=None, repr=False)
    entries: list[Transition] = field(default_factory=list)
    reasons: str = ""
    writes: list[Write] = field(default_factory=list)
    error: MappingError | None = None
    verdict: Stage | None = None  # what the score alone says, whatever history allows
    deferred: bool = False  # a handoff held back by the daily cap: decide again next cycle
    # Decided in bulk: the stage kept, the totals, and how to make the score and decision.
    kept: Stage | None = field(default=None, repr=False)
    totals_: tuple[float, float, float] | None = field(default=None, repr=False)
    later: Callable[[], tuple[Score, Decision]] | None = field(default=None, repr=False)

    @property
    def score(self) -> Score | None:
        self._make()
        return self.score_

    @score.setter
    def score(self, value: Score | None) -> None:
        self.score_ = value

    @property
    def decision(self) -> Decision | None:
        self._make()
        return self.decision_

    @decision.setter
    def decision(self, value: Decision | None) -> None:
        self.decision_ = value

    @property
    def stage(self) -> Stage | None:
        if self.later is not None:
            return self.kept
        return self.decision.stage if self.decision else self.stage_before

    @property
    def totals(self) -> tuple[float, float, float] | None:
        """(fit, engagement, total), None when nothing was scored."""
        if self.totals_ is not None:
            return self.totals_
        score = self.score
        return None if score is None else (score.fit, score.engagement, score.total)

    def _make(self) -> None:
        if self.later is not None:
            self.score_, self.decision_ = self.later()
            self.later = None


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
    _planners: dict[tuple[str, str], Planner] = field(default_factory=dict, repr=False,
                                                      compare=False)  # fmt: skip

    @property
    def on_columns(self) -> bool:
        """Whether chunks are scored by the kernel: `ChunkContext.load(columns=...)`."""
        return self.kernel is not None

    def outcomes(self, persons: list[PersonRow], ctx: ChunkContext, now: datetime) -> list[Outcome]:
        """A chunk's outcomes, equal to `outcome` for each person; scored on columns when
        `ctx` holds the events as columns, else one by one by the engine.

        On columns, whoever `scoring.decide.stays` says stays put is decided from the
        kernel's arrays alone (their score and decision made only if read); the rest by
        `outcome`, as the engine would decide them.
        """
        fields = [self._fields(row, ctx.links.get(row.id, [])) for row in persons]
        scored = chunk_columns(self.kernel, persons, fields, ctx, now) if self.kernel else None
        if scored is None:
            return [self.outcome(row, ctx, now, fields=f) for row, f in zip(persons, fields,
                                                                            strict=True)]  # fmt: skip
        bulk = _Bulk.of(scored)
        return [self._bulk(row, ctx, now, f, bulk, i)
                for i, (row, f) in enumerate(zip(persons, fields, strict=True))]  # fmt: skip

    def _bulk(
        self, row: PersonRow, ctx: ChunkContext, now: datetime, fields: Mapping[str, Any],
        bulk: _Bulk, i: int,
    ) -> Outcome:  # fmt: skip
        """Person `i` of a chunk scored on columns: in bulk when they stay put, else in full."""
        links = ctx.links.get(row.id, [])
        last, verdict = ctx.last.get(row.id), STAGES[bulk.stage[i]]
        try:
            evidence: list[StageEvidence] | None = self._evidence_of(ctx, row.id, links)
        except MappingError:
            evidence = None  # `outcome` reports it
        if (
            last is None
            or evidence is None
            or not stays(last, verdict, bulk.columns.last_engaged_at(i), evidence, self.rules, now)
        ):
            scored = Scored(bulk.columns.score(i), bulk.reasons[i], verdict)
            return self.outcome(row, ctx, now, fields=fields, scored=scored)
        before = Stage(row.stage) if row.stage else None
        totals = (bulk.fit[i], bulk.engagement[i], bulk.total[i])
        out = Outcome(row.id, row.email, before, reasons=bulk.reasons[i], verdict=verdict,
                      kept=last.dst, totals_=totals)  # fmt: skip
        outputs = Outputs(last.dst, *totals, bulk.grade[i], bulk.reasons[i])
        out.writes = self._planned(ctx, row, links, outputs)
        out.later = partial(self._later, row.id, last, bulk.columns, i, evidence, now)
        return out

    def _later(
        self, person_id: int, last: Transition, columns: ScoreColumns, i: int,
        evidence: list[StageEvidence], now: datetime,
    ) -> tuple[Score, Decision]:  # fmt: skip
        """The score and decision of a person decided in bulk, as `outcome` makes them."""
        result = columns.score(i)
        decision, entries = self._decide(person_id, last, result, evidence, now)
        assert not entries and decision.stage is last.dst, "decide_stage moved who stays put"
        return result, decision

    def outcome(
        self, row: PersonRow, ctx: ChunkContext, now: datetime, *,
        fields: Mapping[str, Any] | None = None, scored: Scored | None = None,
    ) -> Outcome:  # fmt: skip
        before = Stage(row.stage) if row.stage else None
        out = Outcome(row.id, row.email, before)
        links = ctx.links.get(row.id, [])
        try:
            evidence = self._evidence_of(ctx, row.id, links)
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
        result = out.score
        assert result is not None and out.decision is not None
        outputs = Outputs(out.decision.stage, result.fit, result.engagement, result.total,
                          result.grade, out.reasons)  # fmt: skip
        out.writes = self._planned(ctx, row, links, outputs)
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

    def _evidence_of(
        self, ctx: ChunkContext, person_id: int, links: list[LinkRow]
    ) -> list[StageEvidence]:
        """`_evidence`, read once per chunk and vocabularies: a preview's two configs usually
        share them, and whoever may move is decided in full after the bulk look."""
        key = (person_id, id(self.vocabularies))
        found = ctx.evidence.get(key)
        if found is None:
            try:
                found = self._evidence(ctx, links)
            except MappingError as exc:
                found = exc
            ctx.evidence[key] = found
        if isinstance(found, MappingError):
            raise found
        return found

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

    def _planned(
        self, ctx: ChunkContext, row: PersonRow, links: list[LinkRow], outputs: Outputs
    ) -> list[Write]:
        writes = list(self._records(ctx, row, links, outputs))
        if self._needs_handoff(row, links, outputs.stage):
            writes.append(self._handoff(row, outputs))
        return writes

    def _records(
        self, ctx: ChunkContext, row: PersonRow, links: list[LinkRow], outputs: Outputs
    ) -> list[Write]:
        """The writes to the person's records, planned once per chunk for equal outputs under
        the same vocabularies and names: a preview's second config plans again only for the
        people whose stage or score it changes."""
        key = (row.id, outputs, id(self.vocabularies), id(self.outbound))
        planned = ctx.planned.get(key)
        if planned is None:
            planned = ctx.planned[key] = self._plan(row, links, outputs)
        return planned

    def _plan(self, row: PersonRow, links: list[LinkRow], outputs: Outputs) -> list[Write]:
        stage = outputs.stage
        writes = []
        for link in links:
            if link.deleted or _converted(link):
                continue
            system, obj = catalog().object_of(link.kind)
            planned = self._planner(system, obj).plan(outputs, link.snapshot or {})
            if planned:
                writes.append(Write(row.id, system, obj, link.record_id,
                                    planned.properties, planned.clear_first,
                                    f"stage {stage.value}"))  # fmt: skip
        return writes

    def _planner(self, system: str, obj: str) -> Planner:
        planner = self._planners.get((system, obj))
        if planner is None:
            planner = self._planners[(system, obj)] = Planner.of(
                system=system, obj=obj, vocabularies=self.vocabularies,
                names=self.outbound.get((system, obj), {}),
            )  # fmt: skip
        return planner

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
        planned = self._planner(decl.name, person.obj).plan(outputs, {})
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


@dataclass(frozen=True, slots=True)
class _Bulk:
    """A chunk's kernel results as Python lists, read person by person."""

    columns: ScoreColumns
    stage: list[int]
    fit: list[float]
    engagement: list[float]
    total: list[float]
    grade: list[str]
    reasons: list[str]

    @classmethod
    def of(cls, scored: ScoreColumns) -> _Bulk:
        return cls(scored, scored.stage.tolist(), scored.fit.tolist(), scored.engagement.tolist(),
                   scored.total.tolist(), scored.grade.tolist(), scored.reasons())  # fmt: skip
