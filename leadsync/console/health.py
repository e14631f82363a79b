"""The Health page's numbers: last runs, API use, the open error queue, cursors, pending plan.

`leadsync status` and `leadsync errors` print much of this; the error queue comes from the same
functions (`errorq.summary`, `triage.entries`), the rest from bounded queries (GROUP BY and
LIMIT over indexed columns) so the page stays fast on a large store. API use is read from each run's counts under `"api"`:
`{"hubspot": {"calls": n, "used": u, "limit": l, "share": s}, ...}` (`used`/`limit`: the
daily allowance as the CRM's headers last reported it; `share`: `daily_budget_share`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.sync import triage
from leadsync.sync.errorq import TYPES, summary
from leadsync.sync.outbox import DUE
from leadsync.sync.schema import CursorRow, OutboxRow, RunRow


def last_runs(session: Session, limit: int = 10) -> list[RunRow]:
    return list(session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(limit)))


def run_summary(run: RunRow) -> dict[str, Any]:
    """The counts an admin scans for: pulled, changed, scored, moved, written, failed."""
    counts = run.counts or {}
    ingest, decide, apply = (counts.get(k) or {} for k in ("ingest", "decide", "apply"))
    return {
        "pulled": ingest.get("pulled"),
        "changed": ingest.get("changed"),
        "quarantined": ingest.get("quarantined"),
        "scored": decide.get("scored"),
        "moved": decide.get("moved"),
        "planned": decide.get("planned"),
        "written": apply.get("done"),
        "failed": apply.get("failed"),
    }


@dataclass(frozen=True)
class Usage:
    """API calls one CRM's recent runs made, and the daily allowance last reported."""

    system: str
    calls: list[tuple[int, int]]  # (run id, calls), oldest first
    used: int | None
    limit: int | None
    share: float | None

    @property
    def allowed(self) -> int | None:
        if self.limit is None or self.share is None:
            return None
        return int(self.limit * self.share)


def api_usage(runs: list[RunRow]) -> list[Usage]:
    """Per CRM, from runs that recorded their API use; empty when none did."""
    by_system: dict[str, dict[str, Any]] = {}
    for run in sorted(runs, key=lambda r: r.id):
        for system, seen in ((run.counts or {}).get("api") or {}).items():
            entry = by_system.setdefault(
                system, {"calls": [], "used": None, "limit": None, "share": None}
            )
            entry["calls"].append((run.id, int(seen.get("calls") or 0)))
            for key in ("used", "limit", "share"):
                if seen.get(key) is not None:
                    entry[key] = seen[key]
    return [Usage(system, **entry) for system, entry in sorted(by_system.items())]


def error_types(session: Session) -> list[dict[str, Any]]:
    """Open entries (unresolved, not dismissed) per type, most first, with what to do."""
    return [{"type": type_, "count": count, "hint": TYPES.get(type_, "")}
            for type_, count in summary(session).items()]  # fmt: skip


def open_entries(session: Session, type_: str, limit: int = 25) -> tuple[list[dict[str, Any]], int]:
    """The newest open entries of one type as `leadsync errors` shows them, and how many."""
    found = triage.entries(session, type_=type_)
    return [triage.view(entry) for entry in reversed(found[-limit:])], len(found)


def cursors(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Each stream's position and how far it trails `now` (lag), in seconds."""
    rows = session.scalars(select(CursorRow).order_by(CursorRow.system, CursorRow.stream))
    return [
        {
            "system": c.system,
            "stream": c.stream,
            "position": c.position_at,
            "read_until": c.read_until,
            "updated": c.updated_at,
            "lag": (now - c.read_until).total_seconds() if c.read_until else None,
        }
        for c in rows
    ]


def pending_plan(session: Session) -> list[dict[str, Any]]:
    """Queued writes per CRM and object (`apply` sends them: planned ones and those sent without
    a recorded answer): updates of existing records and creates."""
    creates = OutboxRow.record_id.is_(None)
    query = (
        select(OutboxRow.system, OutboxRow.obj, creates.label("create"), func.count())
        .where(OutboxRow.state.in_(DUE))
        .group_by(OutboxRow.system, OutboxRow.obj, creates)
        .order_by(OutboxRow.system, OutboxRow.obj)
    )
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for system, obj, create, count in session.execute(query):
        row = table.setdefault(
            (system, obj), {"system": system, "object": obj, "updates": 0, "creates": 0}
        )
        row["creates" if create else "updates"] += count
    return list(table.values())
