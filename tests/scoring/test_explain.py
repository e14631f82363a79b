"""Explanations: the structured breakdown `leadsync explain` renders and the CRM text."""

from __future__ import annotations

import json

from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Cause
from leadsync.scoring import Transition, decide_stage, explain, score, top_reasons
from leadsync.scoring.model import FIT, Contribution, Score
from tests.scoring.factories import NOW, ago, example_rules, form, good_fit, page


def test_explanation_lists_every_reason_and_the_stage_decision() -> None:
    result = score(good_fit(), [form("Demo request", 3), page("/careers", 1)], example_rules(), NOW)
    decision = decide_stage(
        Transition("p1", None, Stage.LEAD, ago(9), Cause.SCORE), result, (), example_rules(), NOW
    )
    out = json.loads(json.dumps(explain(result, decision)))
    assert (out["fit"], out["engagement"], out["total"], out["grade"]) == (70.0, 19.4, 89.4, "A3")
    assert out["contributions"][0] == {
        "rule_id": "demo-request",
        "label": "Requested a demo",
        "axis": "engagement",
        "points": 29.3,
        "evidence": "submitted Demo request (2026-09-29)",
        "last_at": "2026-09-29T12:00:00+00:00",
        "count": 1,
    }
    assert round(sum(c["points"] for c in out["contributions"]), 1) == out["total"]
    assert out["stage"] | {"rule_ids": []} == {
        "stage": "sql",
        "previous": "lead",
        "moved": True,
        "cause": "score",
        "reason": "Requested a demo on 2026-09-29; fit 70 ≥ 40",
        "rule_ids": [],
        "actor": "scoring:sql",
        "at": NOW.isoformat(),
    }


def test_top_reasons_name_the_heaviest_rules_with_their_points() -> None:
    result = score(good_fit(), [form("Demo request", 3), page("/careers", 1)], example_rules(), NOW)
    assert top_reasons(result) == (
        "89.4 (A3): +29.3 Requested a demo; +15 Core industry (commerce); +15 200-999 employees"
    )
    assert top_reasons(score(good_fit(), [], example_rules(), NOW), limit=0) == "70 (A4)"


def test_top_reasons_fit_a_crm_text_field() -> None:
    long = [Contribution(f"r{i}", "a very long reason " * 6, FIT, 10.0 - i, "") for i in range(3)]
    result = Score(30, 0, 30, "B4", tuple(long))
    text = top_reasons(result)
    assert len(text) <= 255 and text.count(";") == 1  # the third reason did not fit
    huge = Score(10, 0, 10, "C4", (Contribution("r", "x" * 400, FIT, 10.0, ""),))
    text = top_reasons(huge)
    assert len(text) == 255 and text.startswith("10 (C4): +10 xxx") and text.endswith("…")
