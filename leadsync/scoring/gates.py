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
    gates = [(stage, gate, _intent(gate, score, now))
             for stage, gate in ((Stage.SQL, rules.sql), (Stage.MQL, rules.mql))]  # fmt: skip
    for stage, gate, intent in gates:
        if intent is not None and _thresholds_met(gate, score):
            rest = (c for c in parts if c not in intent)
            return stage, _met(gate, score, intent), _ids(intent) + _ids(rest)
    misses = (f"{stage} needs {_unmet(gate, score, intent)}" for stage, gate, intent in gates)
    return Stage.LEAD, "; ".join(misses), ()


def _thresholds(gate: StageGate, score: Score) -> tuple[tuple[str, float, float | None], ...]:
    return (
        ("fit", score.fit, gate.fit_at_least),
        ("engagement", score.engagement, gate.engagement_at_least),
        ("total", score.total, gate.total_at_least),
    )


def _thresholds_met(gate: StageGate, score: Score) -> bool:
    fit, engagement, total = gate.fit_at_least, gate.engagement_at_least, gate.total_at_least
    return (
        (fit is None or score.fit >= fit)
        and (engagement is None or score.engagement >= engagement)
        and (total is None or score.total >= total)
    )


def _intent(gate: StageGate, score: Score, now: datetime) -> list[Contribution] | None:
    """The gate's intent contributions recent enough ([] when it asks for none), or None."""
    if not gate.requires_any:
        return []
    oldest = now - gate.within if gate.within else None
    intent = [
        c
        for c in score.contributions
        if c.rule_id in gate.requires_any
        and c.last_at is not None
        and (oldest is None or c.last_at >= oldest)
    ]
    return intent or None


def _met(gate: StageGate, score: Score, intent: list[Contribution]) -> str:
    met = [f"{intent[0].label} on {intent[0].last_at:%Y-%m-%d}"] if intent else []
    met += [
        f"{n} {have:g} ≥ {need:g}" for n, have, need in _thresholds(gate, score) if need is not None
    ]
    return "; ".join(met)


def _unmet(gate: StageGate, score: Score, intent: list[Contribution] | None) -> str:
    unmet = []
    if intent is None:
        days = f" in the last {gate.within.total_seconds() / 86_400:g} days" if gate.within else ""
        unmet.append(f"one of {', '.join(gate.requires_any)}{days}")
    unmet += [
        f"{name} ≥ {need:g} (has {have:g})"
        for name, have, need in _thresholds(gate, score)
        if need is not None and have < need
    ]
    return " and ".join(unmet)


def _labels(prefix: str, parts: Iterable[Contribution]) -> str:
    return f"{prefix}: {', '.join(c.label for c in parts)}"


def _ids(parts: Iterable[Contribution]) -> tuple[str, ...]:
    return tuple(c.rule_id for c in parts)
