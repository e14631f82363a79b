"""The Rules page's tables: fit and engagement rules, stage gates, recycle rules, grades, decay.

Conditions are shown in words ("industry in software, saas") from the validated config, so
the page reads like the agreement it encodes rather than like TOML.
"""

from __future__ import annotations

from typing import Any

from leadsync.scoring.rules import Condition, EngagementRule, Gate, Op, ScoringConfig

_WORDS = {
    Op.EQUALS: "is",
    Op.NOT_EQUALS: "is not",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.CONTAINS: "contains",
    Op.REGEX: "matches",
    Op.GLOB: "looks like",
    Op.DOMAIN_IN: "domain in",
}


def _num(value: float) -> str:
    """10,000,000 rather than 1e+07: thresholds are read by people."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def condition(subject: str, c: Condition) -> str:
    """One condition in words, e.g. 'employees from 50 below 200'."""
    if c.op is Op.PRESENT:
        return f"{subject} is present"
    if c.op is Op.ABSENT:
        return f"{subject} is empty"
    if c.op is Op.RANGE:
        bounds = [
            f"from {_num(c.at_least)}" if c.at_least is not None else "",
            f"below {_num(c.below)}" if c.below is not None else "",
        ]
        return f"{subject} {' '.join(b for b in bounds if b)}"
    if c.op is Op.DOMAIN_IN and c.list_name:
        return f"{subject} domain in list {c.list_name}"
    return f"{subject} {_WORDS[c.op]} {', '.join(str(v) for v in c.values)}"


def fit_rules(cfg: ScoringConfig) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "label": r.label,
            "when": condition(r.field, r),
            "points": r.points,
            "disqualifying": r.disqualifying,
        }
        for r in cfg.fit
    ]


def engagement_rules(cfg: ScoringConfig) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "label": r.label,
            "kinds": ", ".join(k.value for k in r.kind),
            "when": "; ".join(condition(c.attribute, c) for c in r.when) or "any",
            "points": r.points,
            "max_times": r.max_times,
            "decay": _decay(r),
        }
        for r in cfg.engagement
    ]


def _decay(rule: EngagementRule) -> str:
    if not rule.decay:
        return "never"
    if rule.half_life_days is not None:
        return f"half-life {rule.half_life_days:g} days"
    if rule.window_days is not None:
        return f"window {rule.window_days:g} days"
    return "default"


def gates(cfg: ScoringConfig) -> list[dict[str, Any]]:
    return [_gate("mql", cfg.stages.mql), _gate("sql", cfg.stages.sql)]


def _gate(stage: str, gate: Gate) -> dict[str, Any]:
    needs = [
        f"{axis} ≥ {_num(value)}"
        for axis, value in (
            ("fit", gate.fit_at_least),
            ("engagement", gate.engagement_at_least),
            ("total", gate.total_at_least),
        )
        if value is not None
    ]
    if gate.requires_any:
        within = f" within {gate.within_days:g} days" if gate.within_days else ""
        needs.append(f"one of {', '.join(gate.requires_any)}{within}")
    return {"stage": stage, "needs": needs}


def suspect(cfg: ScoringConfig) -> list[str]:
    rules = cfg.stages.suspect
    out = [f"fit rule {r.id} matches" for r in cfg.fit if r.disqualifying]
    if rules.fit_below is not None:
        out.append(f"fit below {rules.fit_below:g}")
    if rules.only_engagement:
        out.append(f"engagement only from {', '.join(rules.only_engagement)}")
    return out


def recycle(cfg: ScoringConfig) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "label": r.label,
            "from": ", ".join(s.value for s in r.from_stages),
            "to": r.to.value,
            "system": r.system or "any",
            "raw_values": ", ".join(r.raw_values),
            "engagement": ", ".join(r.engagement),
            "after_days": r.after_days,
        }
        for r in cfg.recycle
    ]


def scale(cfg: ScoringConfig) -> dict[str, Any]:
    """Grades and default decay: how scores turn into the A1-D4 grid and fade."""
    decay = cfg.decay
    fade = (
        f"half-life {decay.half_life_days:g} days"
        if decay.half_life_days is not None
        else f"window {decay.window_days:g} days"
    )
    return {
        "fit": cfg.grades.fit,
        "engagement": cfg.grades.engagement,
        "decay": fade,
        "lists": {name: len(domains) for name, domains in cfg.domain_lists.items()},
    }
