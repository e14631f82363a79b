"""How a ruleset would have done on held-out people, replayed through the engine.

Each case is replayed up to its cutoff (`replay`): its highest total before then ranks it for
the AUC against the outcome, and the first moments the rules made it an MQL and an SQL give
precision and recall of each. With the funnel history the caller supplies, the backtest also
measures MQL→SQL conversion against the SQLs that really happened (`Case.sql_at`), plain and
by month of becoming an MQL, and the days from MQL to an opportunity (`Case.opportunity_at`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from leadsync.scoring.cases import Case
from leadsync.scoring.replay import Reached, Replay
from leadsync.scoring.rules import ScoringConfig


@dataclass(frozen=True, slots=True)
class Quality:
    """How well being an MQL (or an SQL) predicts the outcome; None when undefined."""

    people: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True, slots=True)
class Cohort:
    """The rules' MQLs of one month and how many of them became SQLs in the history."""

    month: str
    mqls: int
    converted: int


@dataclass(frozen=True, slots=True)
class Backtest:
    """One ruleset on held-out people; `peaks` and `outcome` (one per case) feed the charts.

    `peaks` holds each person's highest total before the cutoff, `nan` for someone the rules
    kept a suspect throughout. `mql_before_outcome` is the share of people who reached the
    outcome that the rules had made MQLs before it (the MQL recall, by another name).
    """

    people: int
    auc: float | None
    mql: Quality
    sql: Quality
    conversion: float | None
    cohorts: tuple[Cohort, ...]
    mql_before_outcome: float | None
    median_days_to_opportunity: float | None
    peaks: np.ndarray = field(repr=False)
    outcome: np.ndarray = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-able figures: `auc`, `precision` and `recall` (of MQL) first."""
        return {
            "people": self.people,
            "auc": self.auc,
            "precision": self.mql.precision,
            "recall": self.mql.recall,
            "mql": _quality(self.mql),
            "sql": _quality(self.sql),
            "mql_to_sql": self.conversion,
            "cohorts": [_cohort(c) for c in self.cohorts],
            "mql_before_outcome": self.mql_before_outcome,
            "median_days_mql_to_opportunity": self.median_days_to_opportunity,
        }


def backtest(cases: Sequence[Case], config: ScoringConfig) -> Backtest:
    """Replay `config` over `cases` and measure it against their outcomes."""
    replay = Replay.of(config)
    followed = [replay.follow(c) for c in cases]
    reached = [r for r, _ in followed]
    peaks = np.array([np.nan if p is None else p for _, p in followed], dtype=float)
    outcome = np.array([c.outcome for c in cases], dtype=bool)
    mql = np.array([r.mql_at is not None for r in reached], dtype=bool)
    sql = np.array([r.sql_at is not None for r in reached], dtype=bool)
    conversion, cohorts = _conversion(cases, reached)
    return Backtest(
        people=len(cases),
        auc=_auc(outcome, peaks),
        mql=_quality_of(mql, outcome),
        sql=_quality_of(sql, outcome),
        conversion=conversion,
        cohorts=cohorts,
        mql_before_outcome=float(mql[outcome].mean()) if outcome.any() else None,
        median_days_to_opportunity=_days_to_opportunity(cases, reached),
        peaks=peaks,
        outcome=outcome,
    )


def _auc(outcome: np.ndarray, peaks: np.ndarray) -> float | None:
    """Area under the ROC curve of the peaks; lifelong suspects rank below everyone."""
    if outcome.all() or not outcome.any():
        return None
    finite = peaks[~np.isnan(peaks)]
    floor = (finite.min() - 1.0) if len(finite) else 0.0
    return float(roc_auc_score(outcome, np.where(np.isnan(peaks), floor, peaks)))


def _quality_of(chosen: np.ndarray, outcome: np.ndarray) -> Quality:
    precision = float(outcome[chosen].mean()) if chosen.any() else None
    recall = float(chosen[outcome].mean()) if outcome.any() else None
    return Quality(int(chosen.sum()), precision, recall)


def _conversion(
    cases: Sequence[Case], reached: Sequence[Reached]
) -> tuple[float | None, tuple[Cohort, ...]]:
    """MQL→SQL against the history's SQLs; (None, ()) when the caller gave no SQL times."""
    if all(c.sql_at is None for c in cases):
        return None, ()
    months: dict[str, list[bool]] = defaultdict(list)
    for case, r in zip(cases, reached, strict=True):
        if r.mql_at is not None:
            months[f"{r.mql_at:%Y-%m}"].append(case.sql_at is not None)
    if not months:
        return None, ()
    cohorts = tuple(Cohort(m, len(v), sum(v)) for m, v in sorted(months.items()))
    return sum(c.converted for c in cohorts) / sum(c.mqls for c in cohorts), cohorts


def _days_to_opportunity(cases: Sequence[Case], reached: Sequence[Reached]) -> float | None:
    """Median days from the rules' MQL to the opportunity, over MQLs that came first."""
    days = [
        (c.opportunity_at - r.mql_at).total_seconds() / 86_400
        for c, r in zip(cases, reached, strict=True)
        if r.mql_at is not None and c.opportunity_at is not None and c.opportunity_at >= r.mql_at
    ]
    return statistics.median(days) if days else None


def _quality(q: Quality) -> dict[str, Any]:
    return {"people": q.people, "precision": q.precision, "recall": q.recall}


def _cohort(c: Cohort) -> dict[str, Any]:
    return {
        "month": c.month,
        "mqls": c.mqls,
        "converted": c.converted,
        "rate": c.converted / c.mqls,
    }
