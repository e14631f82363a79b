"""A score's reasons as `leadsync explain` shows them, and as the CRMs' "top reasons" text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadsync.scoring.decide import Decision
from leadsync.scoring.model import Score

CRM_TEXT_LIMIT = 255  # the narrowest CRM text field; every CRM gets the same text
_ELLIPSIS = "…"


def explain(score: Score, decision: Decision | None = None) -> dict[str, Any]:
    """A JSON-ready explanation: totals, grade, every contribution, and the stage decision.

    Contributions keep the score's order (largest |points| first) and sum to the totals.
    """
    out: dict[str, Any] = {
        "fit": score.fit,
        "engagement": score.engagement,
        "total": score.total,
        "grade": score.grade,
        "contributions": [
            {
                "rule_id": c.rule_id,
                "label": c.label,
                "axis": c.axis,
                "points": c.points,
                "evidence": c.evidence,
                "last_at": c.last_at.isoformat() if c.last_at else None,
                "count": c.count,
            }
            for c in score.contributions
        ],
    }
    if decision is not None:
        out["stage"] = {
            "stage": decision.stage.value,
            "previous": decision.previous.value if decision.previous else None,
            "moved": decision.moved,
            "cause": decision.cause.value if decision.cause else None,
            "reason": decision.reason,
            "rule_ids": list(decision.rule_ids),
            "actor": decision.actor,
            "at": decision.at.isoformat(),
        }
    return out


def top_reasons(score: Score, limit: int = 3, max_chars: int = CRM_TEXT_LIMIT) -> str:
    """'62.5 (A2): +30 Requested a demo; +15 Core industry; -10 Viewed the careers page'.

    At most `limit` reasons with non-zero points, largest first, never longer than
    `max_chars`: reasons that do not fit are left out, a first reason that does not fit is
    shortened with '…'.
    """
    reasons = ((c.points, c.label) for c in score.contributions[:limit])
    return reasons_text(score.total, score.grade, reasons, max_chars)


def reasons_text(
    total: float, grade: str, reasons: Iterable[tuple[float, str]], max_chars: int = CRM_TEXT_LIMIT
) -> str:
    """`top_reasons` from the total, the grade and the (points, label) of the reasons to
    show, largest first (shared with `ScoreColumns.reasons`)."""
    text = f"{total:g} ({grade})"
    separator = ": "
    for points, label in reasons:
        if not points:
            break  # sorted by weight: the rest are zero too
        joined = f"{text}{separator}{points:+g} {label}"
        if len(joined) > max_chars:
            if separator == ": ":
                text = joined[: max_chars - len(_ELLIPSIS)] + _ELLIPSIS
            break
        text, separator = joined, "; "
    return text[:max_chars]
