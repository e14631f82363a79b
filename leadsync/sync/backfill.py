"""Backfill: the same readers as a sync, over explicit windows, with progress per window.

At the end, the people seen for the first time get their past stage moves in the ledger,
from the CRMs' own dates (`history`). Each finished (system, stream, window) is recorded, so `--resume` repeats the interrupted
backfill's windows and skips the finished ones. A bounded backfill (`--since`) never moves
the live cursor; a full-history backfill sets it, when the stream has none yet, to the
backfill's start: everything modified before that moment has been read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Connector, RawRecord, Window
from leadsync.errors import LeadsyncError
from leadsync.sync import cursors
from leadsync.sync.cycle import (
    PAGE,
    READ_AHEAD,
    Progress,
    Stopped,
    StreamRead,
    actors_of,
    commit_steps,
    retry_parked,
)
from leadsync.sync.history import Dates, record_history
from leadsync.sync.ingest import Ingest, IngestCounts
from leadsync.sync.prefetch import ReadAhead
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import BackfillWindowRow, RunRow


@dataclass
class BackfillResult:
    run_id: int
    since: datetime | None
    end: datetime
    ingest: IngestCounts
    windows_done: int = 0
    windows_skipped: int = 0
    streams: dict[str, int] = field(default_factory=dict)
    history: int = 0  # ledger entries reconstructed from the CRMs' own dates

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "since": self.since.isoformat() if self.since else None,
            "end": self.end.isoformat(),
            "pulled": self.ingest.pulled,
            "quarantined": self.ingest.quarantined,
            "windows_done": self.windows_done,
            "windows_skipped": self.windows_skipped,
            "by_stream": self.ingest.by_stream,
            "history": self.history,
        }


def month_windows(since: datetime | None, end: datetime) -> list[Window]:
    """One window for full history; calendar months from `since` otherwise."""
    if since is None:
        return [Window(None, end)]
    windows, start = [], since
    while start < end:
        first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (first + timedelta(days=32)).replace(day=1)
        windows.append(Window(start, min(nxt, end)))
        start = nxt
    return windows


def _window_row(session: Session, system: str, stream: str, window: Window) -> BackfillWindowRow:
    """The window's progress row, made when the window is first begun."""
    row = _stored_row(session, system, stream, window)
    if row is None:
        row = BackfillWindowRow(system=system, stream=stream, start=window.start, end=window.end,
                                records=0)  # fmt: skip
        session.add(row)
    return row


def _stored_row(
    session: Session, system: str, stream: str, window: Window
) -> BackfillWindowRow | None:
    return session.scalars(
        select(BackfillWindowRow).where(
            BackfillWindowRow.system == system,
            BackfillWindowRow.stream == stream,
            BackfillWindowRow.start.is_(None)
            if window.start is None
            else BackfillWindowRow.start == window.start,
            BackfillWindowRow.end == window.end,
        )
    ).first()


def _resumed(row: BackfillWindowRow, window: Window) -> Window:
    """Where a begun window goes on: after its last committed page."""
    if row.checkpoint_token is not None:
        return replace(window, resume=row.checkpoint_token)
    if row.checkpoint_at is not None:
        return Window(row.checkpoint_at, window.end, after_id=row.checkpoint_id)
    return window


def _checkpoint(row_id: int, session: Session, last: RawRecord) -> None:
    row = session.get(BackfillWindowRow, row_id)
    if last.resume is not None:
        row.checkpoint_token = last.resume
    else:
        row.checkpoint_at, row.checkpoint_id = last.modified_at, last.id


def _interrupted(rt: Runtime) -> tuple[datetime | None, datetime]:
    """The window plan of the last backfill, if it did not finish."""
    with rt.sessions() as session:
        rows = session.scalars(
            select(RunRow).where(RunRow.kind == "backfill").order_by(RunRow.id.desc())
        ).all()
    planned = [row for row in rows if "end" in (row.counts or {})]
    if not planned or planned[0].status == "ok":
        raise LeadsyncError(
            "nothing to resume: the last backfill finished (or none ran); run `leadsync "
            "backfill` without --resume to start one"
        )
    since = planned[0].counts.get("since")
    return (
        datetime.fromisoformat(since) if since else None,
        datetime.fromisoformat(planned[0].counts["end"]),
    )


def backfill(
    rt: Runtime,
    connectors: Mapping[str, Connector],
    *,
    since: datetime | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> BackfillResult:
    if resume:
        since, end = _interrupted(rt)
    else:
        end = rt.clock()
    run_id = start_run(rt.sessions, "backfill", rt.clock())
    ingest = Ingest(rt.mapping, run_id=run_id, now=end,
                    actors=actors_of(connectors))  # fmt: skip
    result = BackfillResult(run_id, since, end, ingest.counts)
    _save_plan(rt, run_id, result)
    try:
        _pull(rt, connectors, ingest, month_windows(since, end), result, progress)
        retry_parked(rt, ingest)
        result.history = record_history(rt, history_dates(connectors))
    except (Stopped, KeyboardInterrupt):
        finish_run(rt.sessions, run_id, result, rt.clock(), status="stopped")
        raise
    except BaseException:
        finish_run(rt.sessions, run_id, result, rt.clock(), status="failed")
        raise
    finish_run(rt.sessions, run_id, result, rt.clock())
    return result


def history_dates(connectors: Mapping[str, Connector]) -> Dates:
    """Where each CRM keeps its records' creation and stage dates (connector data)."""
    return Dates(
        created={name: getattr(c, "created_fields", {}) for name, c in connectors.items()},
        entered={name: getattr(c, "entered_fields", {}) for name, c in connectors.items()},
    )


def _save_plan(rt: Runtime, run_id: int, result: BackfillResult) -> None:
    # The window plan goes in first, so an interrupted backfill can be resumed exactly.
    with rt.sessions.begin() as session:
        session.get(RunRow, run_id).counts = result.as_dict()


@dataclass(frozen=True)
class _Read:
    step: int
    system: str
    connector: Connector
    stream: str
    window: Window  # as planned: the key of its progress row
    read: Window  # where the read starts: after the last committed page when resumed


def _plan(
    rt: Runtime, connectors: Mapping[str, Connector], windows: Sequence[Window],
    result: BackfillResult,
) -> list[_Read]:  # fmt: skip
    """The windows still to read, each with the step its pages commit in (`commit_steps`)."""
    reads = []
    with rt.sessions() as session:
        for step, name, connector, stream in commit_steps(connectors):
            for window in windows:
                row = _stored_row(session, name, stream, window)
                if row is not None and row.finished_at is not None:
                    result.windows_skipped += 1
                    continue
                read = window if row is None else _resumed(row, window)
                reads.append(_Read(step, name, connector, stream, window, read))
    return reads


def _pull(
    rt: Runtime, connectors: Mapping[str, Connector], ingest: Ingest, windows: Sequence[Window],
    result: BackfillResult, progress: Progress | None,
) -> None:  # fmt: skip
    """Every window of every stream; the CRMs are read at once, their pages commit in the fixed
    order of `ReadAhead.turns`, so the store ends the same whichever CRM answers first."""
    reads = _plan(rt, connectors, windows, result)
    begun: dict[int, tuple[int, StreamRead]] = {}  # read -> (its progress row, its commits)
    with ReadAhead(
        [(r.step, r.system, functools.partial(r.connector.read, r.stream, r.read)) for r in reads],
        page=PAGE, limit=READ_AHEAD,
    ) as ahead:  # fmt: skip
        for i, page in ahead.turns():
            if i not in begun:
                begun[i] = _begin(rt, ingest, reads[i], progress)
            if page is not None:
                begun[i][1].commit(page)
                continue
            row_id, stream = begun.pop(i)
            _finish_window(rt, reads[i].system, reads[i].stream, row_id, windows, stream.pulled)
            result.windows_done += 1


def _begin(
    rt: Runtime, ingest: Ingest, r: _Read, progress: Progress | None
) -> tuple[int, StreamRead]:
    """The window's progress row and the read that commits its pages, at its first page."""
    with rt.sessions.begin() as session:
        row = _window_row(session, r.system, r.stream, r.window)
        session.flush()
        row_id = row.id
    stream = StreamRead(rt, ingest, r.connector, r.stream, progress=progress,
                        checkpoint=functools.partial(_checkpoint, row_id))  # fmt: skip
    return row_id, stream


def _finish_window(
    rt: Runtime, name: str, stream: str, row_id: int, windows: Sequence[Window], records: int
) -> None:
    with rt.sessions.begin() as session:
        row = session.get(BackfillWindowRow, row_id)
        row.records += records
        row.finished_at = rt.clock()
        if windows[0].start is None and cursors.position(session, name, stream) is None:
            end = windows[0].end
            cursors.advance(session, name, stream, (end, ""), read_until=end, now=rt.clock())
