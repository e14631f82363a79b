"""Gates for suggested rules that reach what the admin asks for, measured on training people.

The MQL gate becomes one total threshold: the multiple of `step` whose share of people ever
reaching it (or the SQL gate) comes closest to the target MQL rate, or to the rate that gives
the target MQL volume per month. The SQL gate keeps the current hand-raiser rules and window
and gets the lowest fit threshold whose SQLs reach the target precision, so as many buyers as
possible reach sales at that precision. Unset targets follow what the current rules did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadsync.mapping.model import Stage
from leadsync.scoring.cases import Case
from leadsync.scoring.gates import verdict
from leadsync.scoring.replay import Replay
from leadsync.scoring.rules import ScoringConfig

_MONTH_DAYS = 365.25 / 12
_FALLBACK_PRECISION = 0.5  # when the current rules made no SQL to learn a precision from
# Replaying the current rules is the slow part; a rate measured on 20,000 people is within
# about half a percentage point, far finer than a threshold step moves it.
_SAMPLE = 20_000


@dataclass(frozen=True, slots=True)
class Target:
    """What the suggested gates should reach; set at most one of the two MQL targets."""

    mql_rate: float | None = None
    mql_per_month: float | None = None
    sql_precision: float | None = None

    def __post_init__(self) -> None:
        if self.mql_rate is not None and self.mql_per_month is not None:
            raise ValueError("set a target MQL rate or an MQL volume per month, not both")
        for name in ("mql_rate", "sql_precision"):
            value = getattr(self, name)
            if value is not None and not 0 < value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value}")


@dataclass(frozen=True, slots=True)
class Gates:
    """The suggested `stages.mql` and `stages.sql` tables, the targets and what they reached."""

    mql: dict[str, Any]
    sql: dict[str, Any]
    mql_rate: float
    mql_rate_reached: float
    sql_precision: float
    sql_precision_reached: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"mql": self.mql, "sql": self.sql}


def resolve(target: Target, cases: Sequence[Case], current: ScoringConfig) -> tuple[float, float]:
    """(MQL rate, SQL precision) to aim for: the admin's, or else the current rules' on
    `cases` (every n-th of them when there are more than `_SAMPLE`)."""
    rate, precision = target.mql_rate, target.sql_precision
    if target.mql_per_month is not None:
        rate = min(1.0, target.mql_per_month / _people_per_month(cases))
    if rate is None or precision is None:
        replay = Replay.of(current)
        sample = cases[:: max(1, len(cases) // _SAMPLE)]
        reached = [replay.reached(c) for c in sample]
        outcome = np.array([c.outcome for c in sample])
        sql = np.array([r.sql_at is not None for r in reached])
        rate = rate if rate is not None else float(np.mean([r.mql_at is not None for r in reached]))
        current_precision = float(outcome[sql].mean()) if sql.any() else _FALLBACK_PRECISION
        precision = precision if precision is not None else current_precision
    return rate, precision


def _people_per_month(cases: Sequence[Case]) -> float:
    created = sorted(c.created_at for c in cases)
    days = max((created[-1] - created[0]).total_seconds() / 86_400, _MONTH_DAYS)
    return len(cases) / (days / _MONTH_DAYS)


def provisional(current: ScoringConfig) -> dict[str, Any]:
    """Stages for the draft of the suggested rules, before their thresholds are known.

    The SQL gate keeps the current hand-raiser rules and their window: which signals mean
    "talk to sales" is the agreement with sales, not something to learn.
    """
    sql = current.stages.sql
    intent = {"requires_any": list(sql.requires_any)} if sql.requires_any else {}
    window = {"within_days": sql.within_days} if sql.within_days and sql.requires_any else {}
    kind = "fit_at_least" if sql.requires_any else "total_at_least"
    return {"mql": {"total_at_least": 0}, "sql": {kind: 0, **intent, **window}}


def choose(
    draft: ScoringConfig, cases: Sequence[Case], rate: float, precision: float, step: float
) -> Gates:
    """Gates for `draft` (the suggested rules) reaching `rate` and `precision` on `cases`."""
    replay = Replay.of(draft)
    bounds = [replay.bound(c) for c in cases]
    outcome = np.array([c.outcome for c in cases], dtype=bool)
    peaks = _Peaks(replay, cases, np.array([b.total for b in bounds]))
    sql_gate = provisional(draft)["sql"]
    if draft.stages.sql.requires_any:
        intent = _hand_raisers(draft, replay, cases, bounds)
        fit = np.array([b.fit for b in bounds])
        threshold, reached = _lowest(fit[intent], outcome[intent], precision, step)
        sql = intent & (fit >= threshold)
        sql_gate["fit_at_least"] = _plain(threshold)
    else:  # no hand-raiser rules: a total threshold, from everyone's peak (rarely needed)
        values = peaks.every()
        scored = np.isfinite(values)
        threshold, reached = _lowest(values[scored], outcome[scored], precision, step)
        sql = peaks.at_least(threshold)
        sql_gate["total_at_least"] = _plain(threshold)
    total, share = _mql_total(peaks, sql, rate, step)
    return Gates({"total_at_least": _plain(total)}, sql_gate, rate, share, precision, reached)


def _hand_raisers(
    draft: ScoringConfig, replay: Replay, cases: Sequence[Case], bounds: Sequence[Any]
) -> np.ndarray:
    """Who matched an SQL intent rule before their cutoff and was never disqualified.

    At the moment of the intent event it is within any window, and disqualification by fit
    holds at every moment, so the fit threshold alone decides who of them becomes an SQL.
    """
    ids = set(draft.stages.sql.requires_any)
    return np.array(
        [
            verdict(b, replay.ceiling, c.cutoff)[0] is not Stage.SUSPECT
            and any(p.rule_id in ids for p in b.contributions)
            for b, c in zip(bounds, cases, strict=True)
        ],
        dtype=bool,
    )


def _lowest(
    values: np.ndarray, outcome: np.ndarray, precision: float, step: float
) -> tuple[float, float | None]:
    """The lowest multiple of `step` whose people at or above it reach `precision`, else
    the most precise one: as many buyers as possible at the precision asked for."""
    if not len(values):
        return 0.0, None
    low, high = math.floor(values.min() / step), math.floor(values.max() / step)
    candidates = np.arange(low, high + 1) * step
    precisions = np.array([outcome[values >= c].mean() for c in candidates])
    meeting = np.flatnonzero(precisions >= precision)
    best = int(meeting[0]) if len(meeting) else int(np.argmax(precisions))
    return float(candidates[best]), float(precisions[best])


def _mql_total(peaks: _Peaks, sql: np.ndarray, rate: float, step: float) -> tuple[float, float]:
    """The multiple of `step` whose MQL share (SQLs count) comes closest to `rate`."""
    total = math.ceil(peaks.highest / step) * step + step
    previous: tuple[float, float] | None = None
    while True:
        share = float(np.mean(peaks.at_least(total) | sql)) if len(sql) else 0.0
        if share >= rate or total <= peaks.lowest:
            if previous and abs(previous[1] - rate) < abs(share - rate):
                return previous
            return total, share
        previous = (total, share)
        total -= step


class _Peaks:
    """Each person's highest non-suspect total, computed only down to the threshold asked for.

    People are visited from the highest ceiling down; nobody below a threshold's value can
    reach it, so most of them are never replayed.
    """

    def __init__(self, replay: Replay, cases: Sequence[Case], ceilings: np.ndarray) -> None:
        self._replay, self._cases, self._ceilings = replay, cases, ceilings
        self._order = np.argsort(-ceilings, kind="stable")
        self._peaks = np.full(len(cases), -np.inf)
        self._done = 0
        self.highest = float(ceilings.max()) if len(cases) else 0.0
        self.lowest = float(ceilings.min()) if len(cases) else 0.0

    def at_least(self, total: float) -> np.ndarray:
        while self._done < len(self._order) and self._ceilings[self._order[self._done]] >= total:
            i = self._order[self._done]
            peak = self._replay.peak(self._cases[i])
            self._peaks[i] = -np.inf if peak is None else peak
            self._done += 1
        return self._peaks >= total

    def every(self) -> np.ndarray:
        """Everyone's peak (-inf for lifelong suspects), replaying whoever is left."""
        self.at_least(-np.inf)
        return self._peaks


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)
