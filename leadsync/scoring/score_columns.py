"""What the kernel gives back: everyone's numbers as arrays, anyone's `Score` on request.

The arrays are what a rescore, a preview or a plan needs for everyone; `score(i)` rebuilds
person `i`'s full `Score` (contributions, evidence, `last_at` of each rule) from the same
arrays with the engine's own pieces, for the people whose explanation is stored or shown and
for `decide_stage` on people with a history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from leadsync.mapping.model import Stage
from leadsync.scoring.columns import EventColumns, PeopleColumns, microseconds, to_datetime
from leadsync.scoring.engagement_kernel import NEVER, Engagement
from leadsync.scoring.engine import assemble, engagement_part
from leadsync.scoring.explain import CRM_TEXT_LIMIT, reasons_text, top_reasons
from leadsync.scoring.model import Contribution, Score

if TYPE_CHECKING:
    from leadsync.scoring.kernel import Kernel

STAGES: tuple[Stage, ...] = tuple(Stage)  # `ScoreColumns.stage` holds indexes into this
_GRADES = np.array([f + e for f in "ABCD" for e in "1234"])


@dataclass(frozen=True, slots=True)
class Fit:
    """A chunk's fit: which rules each person matched, their sum, and any disqualifier."""

    hits: np.ndarray  # people × fit rules, rules in the order of `Kernel.fit_fields`
    tenths: np.ndarray  # int64
    disqualified: np.ndarray  # bool


@dataclass(frozen=True, eq=False)
class ScoreColumns:
    """Scores of a chunk of people at `now`; person `i` is row `i` of the people columns.

    `fit`, `engagement`, `total` and `grade` equal the engine's; `stage` holds, as indexes
    into `STAGES`, the stage of `gates.verdict` (for a person with no ledger entry and no
    CRM evidence, `decide_stage`'s decision too). `engaged` holds what `decide_stage` reads
    of an engagement contribution for everyone: `last_engaged_at`, and per (person, rule)
    the rule, count, points and `last_at`.
    """

    kernel: Kernel
    people: PeopleColumns
    events: EventColumns
    now: datetime
    fit_part: Fit
    engaged: Engagement
    stage: np.ndarray  # int8

    @cached_property
    def fit(self) -> np.ndarray:
        return self.fit_part.tenths / 10

    @cached_property
    def engagement(self) -> np.ndarray:
        return self.engaged.tenths / 10

    @cached_property
    def total(self) -> np.ndarray:
        return (self.fit_part.tenths + self.engaged.tenths) / 10

    @cached_property
    def grade(self) -> np.ndarray:
        """'A1'..'D4', as `engine` grades: the first band (best first) whose floor is reached."""
        rules = self.kernel.rules
        fit = _band(self.fit, rules.fit_bands)
        engagement = _band(self.engagement, rules.engagement_bands)
        return _GRADES[fit * 4 + engagement]

    def stage_of(self, i: int) -> Stage:
        return STAGES[self.stage[i]]

    def score(self, i: int) -> Score:
        """Person `i`'s `Score`, equal to what `engine.score` gives for the same person."""
        rules, at, now = self.kernel.rules, self._at, self.now
        parts: list[Contribution] = []
        for (_, match), (distinct, codes) in zip(rules.fit, at.values, strict=True):
            parts += match(distinct[codes[i]]).parts
        for row in range(at.start[i], at.start[i + 1]):
            kind, attributes = self.events.shapes[at.shape[row]]
            newest = to_datetime(at.newest[row])
            check = rules.checks[at.check[row]]
            parts.append(engagement_part(check, at.points[row], kind, attributes, newest,
                                         at.count[row], now))  # fmt: skip
        return assemble(parts, at.fit[i], at.engagement[i], self.last_engaged_at(i),
                        at.no_intent[i], rules)  # fmt: skip

    def last_engaged_at(self, i: int) -> datetime | None:
        """Person `i`'s `Score.last_engaged_at`, without the rest of the score."""
        at = self._at
        engaged = at.last_engaged_at[i]
        return None if engaged == NEVER else self.now if engaged == at.now else to_datetime(engaged)

    @cached_property
    def _at(self) -> _Lists:
        return _Lists.of(self)

    def top_reasons(self, i: int, limit: int = 3, max_chars: int = CRM_TEXT_LIMIT) -> str:
        return top_reasons(self.score(i), limit, max_chars)

    def reasons(self, limit: int = 3, max_chars: int = CRM_TEXT_LIMIT) -> list[str]:
        """Everyone's "top reasons" text, as `top_reasons(self.score(i))` gives it.

        Contributions rank as in a `Score`: largest |points| first, ties in rule order
        (fit rules field by field, then engagement rules).
        """
        tenths = self._tenths_by_rule()
        order = np.argsort(-np.abs(tenths), axis=1, kind="stable")[:, :limit]
        top = np.take_along_axis(tenths, order, axis=1).tolist()
        labels = self._labels
        totals = (self.fit_part.tenths + self.engaged.tenths).tolist()
        rows = zip(totals, self.grade.tolist(), order.tolist(), top, strict=True)
        return [
            reasons_text(total / 10, grade, _reasons(labels, rules, ts), max_chars)
            for total, grade, rules, ts in rows
        ]

    def _tenths_by_rule(self) -> np.ndarray:
        """people × rules: each contribution in tenths, fit rules first; 0 where none."""
        fit = self.fit_part.hits * self.kernel.fit_tenths
        engaged = np.zeros((fit.shape[0], len(self.kernel.rules.checks)), np.int64)
        engaged[self.engaged.person, self.engaged.check] = self.engaged.points
        return np.hstack([fit, engaged])

    @cached_property
    def _labels(self) -> list[str]:
        fit = [r.label for f in self.kernel.fit_fields for r in f.rules]
        return fit + [c.label for c in self.kernel.rules.checks]


@dataclass(frozen=True, slots=True)
class _Lists:
    """A chunk's results as Python lists, made once: explanations read them one by one."""

    values: list[tuple[tuple[Any, ...], list[int]]]  # per fit field: distinct values, codes
    fit: list[int]
    engagement: list[int]
    last_engaged_at: list[int]
    no_intent: list[bool]
    now: int
    start: list[int]  # person i's engagement rows are start[i]:start[i + 1]
    check: list[int]
    points: list[int]
    count: list[int]
    shape: list[int]  # of the newest matching event
    newest: list[int]  # its time

    @classmethod
    def of(cls, scored: ScoreColumns) -> _Lists:
        found, events = scored.engaged, scored.events
        columns = [scored.people.fields[name] for name, _ in scored.kernel.rules.fit]
        people = np.arange(scored.people.size + 1)
        return cls(
            [(c.distinct, c.codes.tolist()) for c in columns],
            scored.fit_part.tenths.tolist(), found.tenths.tolist(),
            found.last_engaged_at.tolist(), found.no_intent.tolist(),
            int(microseconds([scored.now])[0]),
            np.searchsorted(found.person, people).tolist(), found.check.tolist(),
            found.points.tolist(), found.count.tolist(), events.shape[found.newest].tolist(),
            events.at[found.newest].tolist(),
        )  # fmt: skip


def _reasons(labels: list[str], rules: list[int], tenths: list[int]) -> list[tuple[float, str]]:
    return [(t / 10, labels[r]) for r, t in zip(rules, tenths, strict=True)]


def _band(values: np.ndarray, bands: tuple[float, float, float]) -> np.ndarray:
    """0 where `values` reach the first floor, 1 the second, 2 the third, else 3."""
    a, b, c = bands
    return (values < a).astype(np.int64) + (values < b) + (values < c)
