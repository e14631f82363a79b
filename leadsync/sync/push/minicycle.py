"""A targeted cycle for what a push named: read those records by id -> ingest -> decide -> apply.

The same machinery as a full cycle (`cycle.py`), over a handful of records instead of every
stream: the records are read by id (one batch read per 100), ingested like any pulled page,
the persons they make dirty are decided, and their writes are sent. Run only under the cycle
lock, so a push and a poll never decide or write the same person at the same time.

Cursors of the record streams do not move (the next poll reads the same records again and
finds nothing new: ingest is idempotent). A conversion (a form submission) also reads the
configured event streams from their cursors, as a poll would, so the hand-raise scores now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy import select

from leadsync.connectors.base import Connector
from leadsync.mapping.model import RecordKind
from leadsync.sync import cursors
from leadsync.sync.cycle import CycleResult, actors_of, drain_all, pull_stream
from leadsync.sync.decide_step import DecideCounts, DecideStep
from leadsync.sync.ingest import Ingest
from leadsync.sync.isolate import commit_page
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LinkRow

KIND = "push"


def mini_cycle(
    rt: Runtime, connectors: Mapping[str, Connector], *, system: str, stream: str,
    kind: RecordKind | None, record_ids: Sequence[str], streams: Sequence[str] = (),
) -> CycleResult:  # fmt: skip
    """Sync the records `record_ids` of `system`'s `stream` (and `streams` from their cursors).

    `kind`: the person records `stream` holds; their writes are sent. None (opportunities):
    every write due is sent, since the persons an opportunity moves are not known up front.

    Raises what a cycle raises; the run is recorded as failed first.
    """
    run_start = rt.clock()
    run_id = start_run(rt.sessions, KIND, run_start)
    ingest = Ingest(rt.mapping, run_id=run_id, now=run_start,
                    actors=actors_of(connectors))  # fmt: skip
    result = CycleResult(run_id, run_start, ingest.counts, DecideCounts())
    connector = connectors[system]
    try:
        records = list(connector.read_ids(stream, record_ids)) if record_ids else []  # type: ignore[attr-defined]
        if records:
            commit_page(rt.sessions, ingest, records)
        for name in streams:
            _pull_from_cursor(rt, ingest, connector, name)
        result.decide = DecideStep(rt, run_id=run_id, now=run_start).run()
        people = persons_of(rt, kind, record_ids) if kind is not None else None
        if people is None or people:
            result.apply = drain_all(rt, connectors, run_id=run_id, person_ids=people)
    except Exception as exc:
        result.error = str(exc)
        finish_run(rt.sessions, run_id, result, rt.clock(), status="failed")
        raise
    finish_run(rt.sessions, run_id, result, rt.clock())
    return result


def _pull_from_cursor(rt: Runtime, ingest: Ingest, connector: Connector, stream: str) -> None:
    """Read `stream` on from its cursor and advance it, as a poll would. A stream never read
    yet is left to the poll (its first read is the whole history)."""
    if stream not in connector.streams:
        return
    lookback = getattr(connector, "lookback", None)
    with rt.sessions() as session:
        if cursors.position(session, connector.name, stream) is None:
            return
        window = cursors.next_window(session, connector.name, stream, run_start=ingest.now,
                                     lookback=lookback or timedelta(0))  # fmt: skip
    furthest = pull_stream(rt, ingest, connector, stream, window)
    with rt.sessions.begin() as session:
        cursors.advance(session, connector.name, stream, furthest, read_until=window.end,
                        now=rt.clock())  # fmt: skip


def persons_of(rt: Runtime, kind: RecordKind, record_ids: Sequence[str]) -> list[int]:
    """The persons linked to these records: whose writes the mini-cycle sends."""
    if not record_ids:
        return []
    with rt.sessions() as session:
        found = session.scalars(
            select(LinkRow.person_id).where(
                LinkRow.kind == kind, LinkRow.record_id.in_(list(record_ids))
            )
        )
        return sorted(set(found))
