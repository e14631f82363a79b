"""Derive the lead definition from won and lost history, with the evidence (issue 12).

    result = calibrate(cases, current_config, Target(mql_rate=0.15))
    result.to_json()        # base_rate, attributes, suggested_rules, thresholds, backtest
    result.rules_toml()     # the suggestion as a [scoring] section, each rule with its lift

Steps: measure every attribute on all people (`attributes`, `lift`); split them by creation
time; learn points on the earlier people (`suggest`) and thresholds that reach the target
(`thresholds`); then replay the current and the suggested rules over the later people
(`backtest`). Pure: the caller builds the cases (see `cases.case_at`) and writes the files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from leadsync.scoring.attributes import discover
from leadsync.scoring.backtest import Backtest, backtest
from leadsync.scoring.cases import Case, split_by_time
from leadsync.scoring.lift import Lift, lift_table
from leadsync.scoring.probe import features
from leadsync.scoring.rules import ScoringConfig, load_scoring
from leadsync.scoring.suggest import learn_points, render, rule_table
from leadsync.scoring.thresholds import Gates, Target, choose, provisional, resolve


@dataclass(frozen=True, slots=True)
class Calibration:
    """Everything `calibrate` found; `to_json` is the `--json` output."""

    base_rate: float
    people: int
    outcomes: int
    train: int
    test: int
    split_at: datetime | None
    lifts: tuple[Lift, ...]
    points: tuple[float, ...]  # suggested points per lift row, 0 when none
    suggested_rules: dict[str, Any]
    gates: Gates
    current: Backtest
    suggested: Backtest

    def to_json(self) -> dict[str, Any]:
        return {
            "base_rate": self.base_rate,
            "people": self.people,
            "outcomes": self.outcomes,
            "split": {
                "train": self.train,
                "test": self.test,
                "test_from": self.split_at.isoformat() if self.split_at else None,
            },
            "attributes": [_row(lift, p) for lift, p in zip(self.lifts, self.points, strict=True)],
            "suggested_rules": self.suggested_rules,
            "thresholds": {
                "mql_rate_target": self.gates.mql_rate,
                "mql_rate_train": self.gates.mql_rate_reached,
                "sql_precision_target": self.gates.sql_precision,
                "sql_precision_train": self.gates.sql_precision_reached,
            },
            "backtest": {"current": self.current.as_dict(), "suggested": self.suggested.as_dict()},
        }

    def rules_toml(self) -> str:
        """The suggested `[scoring]` section, each learned rule under a comment of its lift."""
        notes = {lift.attribute.id: _note(lift) for lift in self.lifts}
        return render(self.suggested_rules, notes)


def calibrate(
    cases: Sequence[Case],
    current: ScoringConfig,
    target: Target | None = None,
    *,
    fields: Sequence[str] | None = None,
    test_share: float = 0.3,
    min_people: int = 30,
    points_per_doubling: float = 10.0,
    step: float = 5.0,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Measure, suggest and backtest; see the module docstring.

    Raises ValueError, saying why, when the history cannot teach anything: nobody (or
    everybody) reached the outcome, or too few people to split by time.

    Attributes seen on fewer than `min_people` people are flagged and learn no points.
    `progress`, when given, hears the name of each step as it starts (for a CLI or a bench).
    """
    outcome = np.array([c.outcome for c in cases], dtype=bool)
    if outcome.all() or not outcome.any():
        raise ValueError(
            f"{outcome.sum():,} of {len(cases):,} people reached the outcome: calibration "
            "needs some who did and some who did not"
        )
    train, test = split_by_time(cases, test_share)
    if not train or not test:
        raise ValueError(f"{len(cases):,} people are too few to split into earlier and later")
    say = progress or (lambda step: None)
    say("measuring attributes")
    attributes = discover(cases, current, fields)
    found = features(cases, attributes, current)
    lifts = lift_table(found.present, outcome, attributes, min_people=min_people)
    say("learning points")
    earlier = [cases[i] for i in train]
    created = np.array([c.created_at.timestamp() for c in earlier])
    usable = np.asarray(found.present[train].sum(axis=0)).ravel() >= min_people
    points, learned = learn_points(found.amount[train], outcome[train], created, attributes,
                                   usable, points_per_doubling=points_per_doubling, step=step)  # fmt: skip
    say("choosing thresholds")
    draft = _config(rule_table(current, attributes, points, provisional(current), learned))
    gates = choose(draft, earlier, *resolve(target or Target(), earlier, current), step)
    table = rule_table(current, attributes, points, gates.as_dict(), learned)
    say("backtesting")
    later = [cases[i] for i in test]
    return Calibration(
        base_rate=float(outcome.mean()),
        people=len(cases),
        outcomes=int(outcome.sum()),
        train=len(train),
        test=len(test),
        split_at=later[0].created_at if later else None,
        lifts=tuple(lifts),
        points=tuple(float(p) for p in points),
        suggested_rules=table,
        gates=gates,
        current=backtest(later, current),
        suggested=backtest(later, _config(table)),
    )


def _config(table: dict[str, Any]) -> ScoringConfig:
    """Validated like an admin's file: a suggestion the loader refuses is a bug here."""
    return load_scoring(table, source="suggested rules")


def _row(lift: Lift, points: float) -> dict[str, Any]:
    a = lift.attribute
    return {
        "field": a.field,
        "value": a.value,
        "axis": a.axis,
        "rule_id": a.id,
        "label": a.label,
        "people": lift.people,
        "outcomes": lift.outcomes,
        "rate": lift.rate,
        "lift": lift.lift,
        "low": lift.low,
        "high": lift.high,
        "few": lift.few,
        "points": points,
        "current_points": a.was,
    }


def _note(lift: Lift) -> str:
    was = lift.attribute.was
    if lift.lift is None or lift.low is None or lift.high is None or lift.rate is None:
        return f"nobody in this history matched it; kept at {was or 0:g} points"
    return "; ".join(
        part
        for part in (
            f"lift {lift.lift:.2f}x (95% {lift.low:.2f}-{lift.high:.2f})",
            f"{lift.people:,} people, {lift.rate:.1%} reached the outcome",
            "few people: a guess" if lift.few else "",
            f"was {was:g} points" if was is not None else "",
        )
        if part
    )
