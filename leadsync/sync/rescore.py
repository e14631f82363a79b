"""Rescoring everyone with the current config: reviewed first unless the admin said otherwise.

A config change reaches people without new activity only through a rescore. The nightly job
rescores for real only when `sync.auto_apply_rescore` is true; otherwise it leaves a reviewed
plan (a `rescore-plan` run holding what it would do) that `status` reports, and
`leadsync rescore --apply` sends.
"""

from __future__ import annotations

from collections.abc import Mapping

from leadsync.connectors.base import Connector
from leadsync.sync.cycle import CycleResult, mark_all_dirty, run_cycle
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import RunRow


def review_rescore(
    rt: Runtime, connectors: Mapping[str, Connector], *, kind: str, keep_rows: bool = False
) -> PlanSummary:
    """A dry rescore of everyone; its run keeps the plan's totals for `status`."""
    summary = PlanSummary(keep_rows=keep_rows)
    result = run_cycle(rt, connectors, dry=True, everyone=True, pull_data=False, kind=kind,
                       summary=summary)  # fmt: skip
    limits = {name: c.batch_limit for name, c in connectors.items()}
    with rt.sessions.begin() as session:
        row = session.get(RunRow, result.run_id)
        row.counts = {**row.counts, "plan": summary.as_dict(limits)}
    return summary


def apply_rescore(rt: Runtime, connectors: Mapping[str, Connector]) -> CycleResult:
    """Rescore everyone for real and send the writes."""
    mark_all_dirty(rt)
    return run_cycle(rt, connectors, pull_data=False, kind="rescore")
