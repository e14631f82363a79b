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
    """The window for an incremental read; from the beginning when the stream is new.

    A record modified within `lookback` before the last read's end may have been invisible
    to it (search index lag). When the cursor lies inside that stretch, the stretch is read
    again; otherwise the read resumes right after the cursor, tie-broken by id. So a quiet
    stream costs one call, not a re-read of its last `lookback` every cycle.
    """
    row = session.get(CursorRow, (system, stream))
    if row is None or (row.position_at is None and row.read_until is None):
        return Window(None, run_start)
    lag_start = row.read_until - lookback if row.read_until is not None else None
    if row.position_at is None:
        return Window(min(lag_start, run_start), run_start)
    if lag_start is not None and lag_start <= row.position_at:
        return Window(min(lag_start, run_start), run_start)
    if lag_start is None and lookback:
        return Window(min(row.position_at - lookback, run_start), run_start)
    return Window(row.position_at, run_start, after_id=row.position_id)


def advance(
    session: Session,
    system: str,
    stream: str,
    to: tuple[datetime, str] | None,
    *,
    read_until: datetime,
    now: datetime,
) -> None:
    """Record a finished read up to `read_until`, and move the position to `to` if further.

    Call inside the transaction that committed the read's data. The position never moves back.
    """
    row = session.get(CursorRow, (system, stream))
    if row is None:
        row = CursorRow(system=system, stream=stream, position_at=None, position_id=None,
                        read_until=None, updated_at=now)  # fmt: skip
        session.add(row)
    held = (row.position_at, id_order(row.position_id or "")) if row.position_at else None
    if to is not None and (held is None or (to[0], id_order(to[1])) > held):
        row.position_at, row.position_id = to
    if row.read_until is None or read_until > row.read_until:
        row.read_until = read_until
    row.updated_at = now
