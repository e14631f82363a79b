"""A chunk decided in bulk reads exactly as each of its people decided in full.

On columns, whoever `scoring.decide.stays` vouches for keeps their stage without a `Score` or
a `Decision` of their own, made only when something reads them. The reference is the runtime
without its kernel: the engine scores each person and `decide_stage` decides them. Over a
sandbox population after a cycle (most people staying put, some moved by CRM evidence, people
and recycle rules), at once and weeks later, every outcome, dry rescore and stored
explanation must be the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from leadsync.scoring.explain import explain
from leadsync.sync.chunk import ChunkContext, values
from leadsync.sync.decide_step import DecideStep, decider_for
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import PersonRow

LIMITS = {"hubspot": 100, "salesforce": 200}


def _decided(rt: Runtime, now: datetime) -> tuple[dict[int, Any], dict[int, Any], int]:
    """Everyone's outcome as counts and plans read it, then as a stored explanation reads it
    (score and decision made), and how many were decided in bulk."""
    decider = decider_for(rt)
    with rt.reading() as session:
        persons = list(values(session, select(PersonRow.__table__).order_by(PersonRow.id)))
        ctx = ChunkContext.load(session, [p.id for p in persons], columns=decider.on_columns)
        outcomes = decider.outcomes(persons, ctx, now)
    bulk = sum(out.later is not None for out in outcomes)
    plain = {
        out.person_id: (out.stage_before, out.stage, out.verdict, out.reasons, out.totals,
                        out.writes, out.entries, str(out.error))
        for out in outcomes
    }  # fmt: skip
    full = {
        out.person_id: explain(out.score, out.decision) if out.score else None for out in outcomes
    }
    return plain, full, bulk


def _dry_rescore(rt: Runtime, now: datetime) -> tuple[Any, ...]:
    summary = PlanSummary(keep_rows=True)
    counts = DecideStep(rt, run_id=None, now=now).run(everyone=True, dry=True, summary=summary)
    return summary.as_dict(LIMITS), summary.rows_as_dicts(), counts


@pytest.mark.parametrize("later", [timedelta(0), timedelta(days=40)])
def test_people_decided_in_bulk_are_decided_as_the_engine_and_decide_stage_decide_them(
    world, later
):
    world.cycle()
    rt, now = world.runtime(), world.now + later
    assert rt.kernel is not None  # the shipped rules score on columns

    plain, full, bulk = _decided(rt, now)
    want_plain, want_full, none = _decided(replace(rt, kernel=None), now)

    assert none == 0 and bulk > len(plain) // 2  # most stay put: the bulk path ran
    assert plain == want_plain
    assert full == want_full
    assert _dry_rescore(rt, now) == _dry_rescore(replace(rt, kernel=None), now)
