"""What a score alone says about the stage: suspect rules, then the sql and mql gates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadsync.mapping.model import Stage
from leadsync.scoring.compile import Ruleset, StageGate
from leadsync.scoring.model import Contribution, Score


def verdict(score: Score, rules: Ruleset, now: datetime) -> tuple[Stage, str, tuple[str, ...]]:
    """(stage, reason, rule ids that decided it) from the score alone, ignoring history.

    Suspect when a disqualifying fit rule matched, fit is below `fit_below`, or all
    engagement is no-intent; else sql, then mql, when every condition of its gate holds;
    else lead, with the reason saying what each gate still needs.
    """
    parts = score.contributions
    disqualifiers = [c for c in parts if c.rule_id in rules.disqualifying]
    if disqualifiers:
        return Stage.SUSPECT, _labels("disqualified", disqualifiers), _ids(disqualifiers)
    if rules.fit_below is not None and score.fit < rules.fit_below:
        return Stage.SUSPECT, f"fit {score.fit:g} < {rules.fit_below:g}", ()
    if score.no_intent:
        seen = [c for c in parts if c.rule_id in rules.no_intent]
        return Stage.SUSPECT, _labels("only engagement", seen), _ids(seen)
    misses = []
    for stage, gate in ((Stage.SQL, rules.sql), (Stage.MQL, rules.mql)):
        met, unmet, intent = _check(gate, score, now)
        if not unmet:
            rest = (c for c in parts if c not in intent)
            return stage, "; ".join(met), _ids(intent) + _ids(rest)
        misses.append(f"{stage.value} needs {' and '.join(unmet)}")
    return Stage.LEAD, "; ".join(misses), ()


def _check(
    gate: StageGate, score: Score, now: datetime
) -> tuple[list[str], list[str], list[Contribution]]:
    """(conditions met, conditions unmet, recent intent contributions) for one gate."""
    met, unmet = [], []
    for name, have, need in (
        ("fit", score.fit, gate.fit_at_least),
        ("engagement", score.engagement, gate.engagement_at_least),
        ("total", score.total, gate.total_at_least),
    ):
        if need is None:
            continue
        if have >= need:
            met.append(f"{name} {have:g} ≥ {need:g}")
        else:
            unmet.append(f"{name} ≥ {need:g} (has {have:g})")
    if not gate.requires_any:
        return met, unmet, []
    oldest = now - gate.within if gate.within else None
    intent = [
        c
        for c in score.contributions
        if c.rule_id in gate.requires_any
        and c.last_at is not None
        and (oldest is None or c.last_at >= oldest)
    ]
    if intent:
        met.insert(0, f"{intent[0].label} on {intent[0].last_at:%Y-%m-%d}")
    else:
        days = f" in the last {gate.within.total_seconds() / 86_400:g} days" if gate.within else ""
        unmet.insert(0, f"one of {', '.join(gate.requires_any)}{days}")
    return met, unmet, intent


def _labels(prefix: str, parts: Iterable[Contribution]) -> str:
    return f"{prefix}: {', '.join(c.label for c in parts)}"


def _ids(parts: Iterable[Contribution]) -> tuple[str, ...]:
    return tuple(c.rule_id for c in parts)
