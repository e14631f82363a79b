"""What a candidate config would do if it replaced the current one, over every stored person.

Two dry decisions of everyone at one instant, chunk by chunk from one read of each chunk: the
current config, and the candidate's vocabularies, field maps (re-applied to the records' held
snapshots when they differ), write-back names and rules. Both score on columns with the kernel
when their rules allow (`sync.chunk_scores`). Nothing is stored and no CRM is called. The difference is the preview: who
would move where (with examples and the rules that differ), what would be written and created,
the API calls, and the score distributions before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.mapping.model import Stage
from leadsync.scoring.compile import compile_rules
from leadsync.scoring.model import Score
from leadsync.sync import event_packs
from leadsync.sync.chunk import PERSON, ChunkContext, values
from leadsync.sync.chunk_scores import kernel_of
from leadsync.sync.config import Settings
from leadsync.sync.config_mapping import (
    build_field_maps,
    build_outbound,
    build_source_rules,
)
from leadsync.sync.decide_step import CHUNK, Example, decider_for, handoff_of
from leadsync.sync.handoff import HandoffBudget
from leadsync.sync.outcome import Decider, Outcome
from leadsync.sync.plan_summary import PlanSummary, transition
from leadsync.sync.runtime import Runtime, configured, configured_vocabularies
from leadsync.sync.schema import PersonRow

AXES = ("fit", "engagement", "total")


@dataclass(frozen=True, slots=True)
class Before:
    stage: Stage | None
    fit: float
    engagement: float
    total: float


@dataclass
class Preview:
    """The candidate's effect; `as_dict` is the JSON `leadsync preview --json` prints."""

    examples_per_move: int
    before: dict[int, Before] = field(default_factory=dict)
    moves: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    holds: Counter[str] = field(default_factory=Counter)
    hold_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    after: PlanSummary = field(default_factory=PlanSummary)
    current: PlanSummary = field(default_factory=PlanSummary)
    scores: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {axis: {"before": [], "after": []} for axis in AXES}
    )
    # The current chunk's outcomes under the current config: an example reads their points.
    chunk: dict[int, Outcome] = field(default_factory=dict, repr=False)

    def remember(self, out: Outcome) -> dict[str, Any]:
        totals = out.totals
        if totals is not None:
            self.before[out.person_id] = Before(out.stage, *totals)
            self.chunk[out.person_id] = out
            for axis, value in zip(AXES, totals, strict=True):
                self.scores[axis]["before"].append(value)
        return {}

    def compare(self, out: Outcome) -> dict[str, Any]:
        was = self.before.get(out.person_id)
        totals = out.totals
        if totals is None or was is None:
            return {}
        for axis, value in zip(AXES, totals, strict=True):
            self.scores[axis]["after"].append(value)
        if out.stage is not was.stage and out.stage is not None:
            self._note(self.moves, self.examples, transition(was.stage, out.stage), out, was)
        elif _held(out):
            self._note(self.holds, self.hold_examples, transition(out.stage, out.verdict), out,
                       was)  # fmt: skip
        return {}

    def _note(
        self, counts: Counter[str], examples: dict[str, list[dict[str, Any]]], key: str,
        out: Outcome, was: Before,
    ) -> None:  # fmt: skip
        counts[key] += 1
        shown = examples.setdefault(key, [])
        if len(shown) < self.examples_per_move:
            before = self.chunk[out.person_id].score
            assert before is not None
            shown.append(_example(out, was, _points(before)))

    def as_dict(self, limits: Mapping[str, int]) -> dict[str, Any]:
        after = self.after.as_dict(limits)
        return {
            "people": len(self.before),
            "moves": dict(self.moves.most_common()),
            "examples": self.examples,
            # Stay where they are, though the candidate's rules alone would place them lower:
            # scoring never demotes (a recycle rule or `leadsync move` does).
            "holds": dict(self.holds.most_common()),
            "hold_examples": self.hold_examples,
            "writes": after["writes"],
            "writes_by_object": after["writes_by_object"],
            "creates": after["creates"],
            "creates_by_object": after["creates_by_object"],
            "api_calls": after["api_calls"],
            "writes_under_current_config": self.current.as_dict(limits)["writes"],
            "errors": after["errors"],
            "distribution": {axis: _distribution(self.scores[axis]) for axis in AXES},
        }


def candidate_decider(rt: Runtime, candidate: Settings) -> Decider:
    """The candidate's compiled mapping and rules; fields re-mapped when its maps differ.
    Scored as the current config is: on columns, unless the runtime scores with the engine."""
    maps = configured(build_field_maps(candidate.fields), candidate)
    rules, default = build_source_rules(candidate.sources)
    remap = maps != dict(rt.field_maps) or (rules, default) != (rt.source_rules, rt.default_source)
    vocabularies = configured_vocabularies(candidate)
    outbound = configured(build_outbound(candidate.writeback), candidate)
    return Decider(
        # The current config's own when equal: writes planned for it then serve both.
        vocabularies=rt.vocabularies if vocabularies == rt.vocabularies else vocabularies,
        outbound=rt.outbound if outbound == rt.outbound else outbound,
        rules=compile_rules(candidate.rules),
        handoff=handoff_of(candidate.sync),
        field_maps=maps if remap else None, source_rules=rules, default_source=default,
        kernel=kernel_of(candidate.rules) if rt.kernel is not None else None,
    )  # fmt: skip


@dataclass
class _Pass:
    """One config's dry decisions: as `DecideStep.run(everyone=True, dry=True)` makes them."""

    decider: Decider
    summary: PlanSummary
    example: Example
    budget: HandoffBudget

    def decide(self, persons: list[PersonRow], ctx: ChunkContext, now: datetime) -> None:
        for out in self.decider.outcomes(persons, ctx, now):
            self.budget.take(out)
            self.summary.add(out, self.example(out) if out.error is None else None)


def preview(rt: Runtime, candidate: Settings, *, now: datetime, examples: int = 3) -> Preview:
    """Everyone decided at `now` by the current config, then by the candidate; stores nothing.

    Each chunk of people is read once for both: the reads cost as much as the decisions.
    """
    result = Preview(examples)
    with rt.reading() as session:
        # Each pass under its own config's daily cap, counted as `DecideStep` counts it.
        budgets = [HandoffBudget.load(session, s.handoff, s.timezone, now)
                   for s in (rt.settings.sync, candidate.sync)]  # fmt: skip
    passes = (
        _Pass(decider_for(rt), result.current, result.remember, budgets[0]),
        _Pass(candidate_decider(rt, candidate), result.after, result.compare, budgets[1]),
    )
    columns = any(p.decider.on_columns for p in passes)
    shapes = event_packs.Shapes()
    after = 0
    while True:
        with rt.reading() as session:
            persons = _chunk(session, after)
            if not persons:
                return result
            result.chunk.clear()
            ctx = ChunkContext.load(session, [p.id for p in persons], columns=columns,
                                    stale=[p.id for p in persons if p.dirty],
                                    shapes=shapes)  # fmt: skip
            for one in passes:
                one.decide(persons, ctx, now)
        after = persons[-1].id


def _chunk(session: Session, after: int) -> list[PersonRow]:
    persons = PersonRow.__table__
    query = select(*PERSON).where(persons.c.id > after).order_by(persons.c.id).limit(CHUNK)
    return list(values(session, query))


def _held(out: Outcome) -> bool:
    """The candidate's rules alone would place the person below where they stay."""
    if out.stage is None or out.verdict is None or out.verdict is out.stage:
        return False
    if out.stage is Stage.SUSPECT or out.verdict is Stage.SUSPECT:
        return out.verdict is Stage.SUSPECT
    return out.verdict.rank < out.stage.rank


def _points(score: Score) -> dict[str, float]:
    return {c.rule_id: c.points for c in score.contributions}


def _example(out: Outcome, was: Before, points: Mapping[str, float]) -> dict[str, Any]:
    assert out.score is not None
    now_points = _points(out.score)
    differ = {
        rule: {"before": points.get(rule, 0.0), "after": now_points.get(rule, 0.0)}
        for rule in sorted(set(points) | set(now_points))
        if points.get(rule, 0.0) != now_points.get(rule, 0.0)
    }
    return {
        "email": out.email,
        "score_before": was.total,
        "score_after": out.score.total,
        "rules_that_differ": differ,
        "why": out.decision.reason if out.decision else "",
    }


def _distribution(values: Mapping[str, list[float]]) -> dict[str, Any]:
    """Quartiles and a shared-bin histogram of the before and after scores."""
    both = np.array(values["before"] + values["after"], dtype=float)
    if both.size == 0:
        return {"before": {}, "after": {}, "bins": []}
    bins = np.histogram_bin_edges(both, bins=10)
    out: dict[str, Any] = {"bins": [round(float(b), 1) for b in bins]}
    for side in ("before", "after"):
        data = np.array(values[side], dtype=float)
        quartiles = np.percentile(data, [25, 50, 75]) if data.size else [0.0, 0.0, 0.0]
        out[side] = {
            "p25": round(float(quartiles[0]), 1), "median": round(float(quartiles[1]), 1),
            "p75": round(float(quartiles[2]), 1),
            "histogram": np.histogram(data, bins=bins)[0].tolist(),
        }  # fmt: skip
    return out
