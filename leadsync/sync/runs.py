"""The runs table: one row per cycle, backfill or apply, with its counts and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from leadsync.sync.redact import redact
from leadsync.sync.schema import RunRow


def start_run(sessions: sessionmaker[Session], kind: str, at: datetime) -> int:
    with sessions.begin() as session:
        row = RunRow(kind=kind, started_at=at, status="running", counts={})
        session.add(row)
        session.flush()
        return row.id


def finish_run(
    sessions: sessionmaker[Session], run_id: int, result: Any, at: datetime, *, status: str = "ok"
) -> None:
    """Record how a run ended: ok, failed, or stopped (on request, after the current batch)."""
    with sessions.begin() as session:
        row = session.get(RunRow, run_id)
        row.finished_at = at
        row.status = status
        counts = result.as_dict() if hasattr(result, "as_dict") else dict(result)
        counts.pop("started_at", None)
        message = counts.pop("error", None)
        row.message = None if message is None else redact(str(message))
        row.counts = counts
