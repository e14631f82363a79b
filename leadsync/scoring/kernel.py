"""Scoring on columns: the rules compiled to array operations over a chunk of people.

    kernel = compile_kernel(config)                  # once per config
    people = PeopleColumns.from_rows(rows, kernel.fields)
    events = EventColumns.from_rows(event_rows)
    scored = kernel.score(people, events, now)       # arrays: fit, engagement, total, grade, stage
    scored.score(i)                                  # person i's `Score`, as `engine.score` gives it

The pure-Python engine stays the reference: the kernel gives the same numbers, grades and
verdicts (`gates.verdict`), and `ScoreColumns.score` the same `Score`, contributions and
evidence included. It stays exact by testing each distinct field value and each distinct
event with the engine's own compiled tests, by counting points in integer tenths, and by
recomputing with the engine's arithmetic the rare contribution whose decayed points lie
within rounding noise of a half tenth (numpy's `exp` and sums may differ from Python's in
the last bit). `compile_kernel` raises `Unsupported` for rules it cannot score exactly;
callers then score with the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from leadsync.mapping.model import Stage
from leadsync.scoring.columns import EventColumns, PeopleColumns, Values, microseconds
from leadsync.scoring.compile import (
    Ruleset,
    StageGate,
    Test,
    compile_rules,
    fit_fields,
    fit_tenths,
    predicate,
)
from leadsync.scoring.engagement_kernel import Engagement, Unsupported, engagement
from leadsync.scoring.rules import FitRule, ScoringConfig
from leadsync.scoring.score_columns import STAGES, Fit, ScoreColumns

__all__ = ["Kernel", "Unsupported", "compile_kernel"]

_MICROSECOND = timedelta(microseconds=1)
_CODE = {stage: np.int8(code) for code, stage in enumerate(STAGES)}


@dataclass(frozen=True, slots=True)
class FitField:
    """The fit rules on one field, and their tests."""

    name: str
    rules: tuple[FitRule, ...]
    tests: tuple[Test, ...]

    def hits(self, values: Values) -> np.ndarray:
        """people × rules: which rules each person's value matches."""
        rows = [[test(v) for test in self.tests] for v in values.distinct]
        table = np.array(rows, bool).reshape(len(rows), len(self.tests))
        return table[values.codes]


@dataclass(frozen=True, slots=True)
class Kernel:
    """Compiled rules: `rules` is the engine's `Ruleset` for the same config; fit rules are
    numbered field by field (`fit_fields`), as explanations list them."""

    rules: Ruleset
    fit_fields: tuple[FitField, ...]
    fit_tenths: np.ndarray  # int64 per fit rule: what a match adds
    disqualifying: np.ndarray  # bool per fit rule

    @property
    def fields(self) -> tuple[str, ...]:
        """The person fields the fit rules read: what `PeopleColumns` must hold."""
        return tuple(f.name for f in self.fit_fields)

    def score(self, people: PeopleColumns, events: EventColumns, now: datetime) -> ScoreColumns:
        """Score everyone in the chunk at `now`, with each one's verdict (`gates.verdict`).

        While it runs it holds about 100 bytes per event and 10 per person and rule: chunks
        of 10,000 to 50,000 people keep that small.
        """
        now_us = int(microseconds([now])[0])
        fit = self._fit(people)
        found = engagement(self.rules, events, people.size, now_us)
        return ScoreColumns(
            kernel=self, people=people, events=events, now=now, fit_part=fit,
            engaged=found, stage=self._verdicts(fit, found, now_us),
        )  # fmt: skip

    def _fit(self, people: PeopleColumns) -> Fit:
        missing = [name for name in self.fields if name not in people.fields]
        if missing:
            raise KeyError(f"the people columns lack fields the fit rules read: {missing}")
        hits = [f.hits(people.fields[f.name]) for f in self.fit_fields]
        matrix = np.hstack(hits) if hits else np.zeros((people.size, 0), bool)
        return Fit(
            hits=matrix,
            tenths=matrix.astype(np.int64) @ self.fit_tenths,
            disqualified=matrix[:, self.disqualifying].any(axis=1),
        )

    def _verdicts(self, fit: Fit, found: Engagement, now_us: int) -> np.ndarray:
        """`gates.verdict`'s stage for everyone: suspect, else sql, else mql, else lead."""
        rules = self.rules
        fit_points = fit.tenths / 10
        eng_points = found.tenths / 10
        total = (fit.tenths + found.tenths) / 10
        suspect = fit.disqualified | found.no_intent
        if rules.fit_below is not None:
            suspect |= fit_points < rules.fit_below
        stage = np.full(fit.tenths.shape, _CODE[Stage.LEAD])
        for target, gate in ((Stage.MQL, rules.mql), (Stage.SQL, rules.sql)):
            passed = self._intent(gate, found, now_us)
            for have, need in (
                (fit_points, gate.fit_at_least),
                (eng_points, gate.engagement_at_least),
                (total, gate.total_at_least),
            ):
                if need is not None:
                    passed &= have >= need
            stage[passed] = _CODE[target]  # sql after mql: it wins where both pass
        stage[suspect] = _CODE[Stage.SUSPECT]
        return stage

    def _intent(self, gate: StageGate, found: Engagement, now_us: int) -> np.ndarray:
        """Who has a contribution of one of the gate's rules recent enough."""
        if not gate.requires_any:
            return np.ones(found.tenths.shape, bool)
        wanted = [c.order for c in self.rules.checks if c.id in gate.requires_any]
        recent = np.isin(found.check, wanted)
        if gate.within is not None:
            recent &= found.last_at >= now_us - gate.within // _MICROSECOND
        return np.bincount(found.person[recent], minlength=found.tenths.size) > 0


def compile_kernel(config: ScoringConfig) -> Kernel:
    """Compile once per config; raises `Unsupported` when the kernel cannot be exact."""
    points = [r.points for r in config.fit] + [r.points for r in config.engagement]
    if not all(map(math.isfinite, points)):
        raise Unsupported("points must be finite numbers")
    rules = compile_rules(config)
    fields = tuple(
        FitField(name, group, tuple(predicate(r, config.domain_lists) for r in group))
        for name, group in fit_fields(config)
    )
    ordered = [r for field in fields for r in field.rules]
    return Kernel(
        rules=rules,
        fit_fields=fields,
        fit_tenths=np.array([fit_tenths(r) for r in ordered], np.int64),
        disqualifying=np.array([r.id in rules.disqualifying for r in ordered], bool),
    )
