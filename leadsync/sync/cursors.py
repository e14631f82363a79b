"""Stream cursors: a closed lower bound plus the id read last at it.

Reads start `lookback` before the stored position (search indexes and replication lag behind
writes) and end at the run's start, never later; re-read records are harmless because ingest
is idempotent. A cursor only moves forward, and only after the pulled data is committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadsync.connectors.base import Window, id_order
from leadsync.sync.schema import CursorRow


def position(session: Session, system: str, stream: str) -> tuple[datetime, str] | None:
    row = session.get(CursorRow, (system, stream))
    if row is None or row.position_at is None:
        return None
    return row.position_at, row.position_id or ""


def next_window(
    session: Session, system: str, stream: str, *, run_start: datetime, lookback: timedelta
) -> Window:
    """The window for an incremental read; from the beginning when the stream is new."""
    at = position(session, system, stream)
    if at is None:
        return Window(None, run_start)
    if lookback:
        return Window(min(at[0] - lookback, run_start), run_start)
    return Window(at[0], run_start, after_id=at[1])


def advance(
    session: Session, system: str, stream: str, to: tuple[datetime, str], *, now: datetime
) -> None:
    """Move the cursor to `to` if that is further; call inside the transaction of the data."""
    row = session.get(CursorRow, (system, stream))
    if row is None:
        session.add(CursorRow(system=system, stream=stream, position_at=to[0],
                              position_id=to[1], updated_at=now))  # fmt: skip
        return
    held = (row.position_at, id_order(row.position_id or "")) if row.position_at else None
    if held is None or (to[0], id_order(to[1])) > held:
        row.position_at, row.position_id = to
    row.updated_at = now
