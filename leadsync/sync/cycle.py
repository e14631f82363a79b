"""One sync cycle (DESIGN §5): pull -> ingest -> decide -> plan -> apply -> advance cursors.

Pulled pages are committed as they arrive; a stream's cursor moves once the whole stream is
committed, to the furthest position read (a list API may return records by id, not by
modification time, so only the end of a read is a safe point). A crash anywhere loses nothing:
the next cycle re-reads from the old cursor (ingest is idempotent) and drains what the outbox
still holds.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from leadsync.connectors.base import Actor, Connector, RawRecord, Window, id_order
from leadsync.errors import LeadsyncError
from leadsync.mapping.catalog import catalog
from leadsync.sync import cursors
from leadsync.sync.decide_step import DecideCounts, DecideStep
from leadsync.sync.errorq import due_for_retry, requeue_failed_writes
from leadsync.sync.ingest import Ingest, IngestCounts
from leadsync.sync.isolate import commit_page
from leadsync.sync.outbox import Applier, ApplyCounts
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.prefetch import ReadAhead, prefetched
from leadsync.sync.provision import ensure_provisioned
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import PersonRow

PAGE = 500
# Records one CRM may have read ahead of the commits (`ReadAhead`): 40 pages, tens of MB.
READ_AHEAD = 20_000

Progress = Callable[[str, int], None]

# Set by a signal handler: finish the current page or batch, then stop.
STOP = threading.Event()


class Stopped(LeadsyncError):
    """The run stopped early on request; everything committed so far stands."""


@dataclass
class CycleResult:
    run_id: int
    started_at: datetime
    ingest: IngestCounts
    decide: DecideCounts
    apply: ApplyCounts = field(default_factory=ApplyCounts)
    applied: bool = True
    error: str | None = None
    open_errors: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        return out


def ordered_streams(connector: Connector) -> list[str]:
    """The connector's streams in its declared dependency order (people first, then what ties
    to them: an event for a person not pulled yet would be parked); others after, as listed."""
    declared = catalog()[connector.name].streams if connector.name in catalog() else ()
    rank = {name: i for i, name in enumerate(declared)}
    return sorted(connector.streams, key=lambda s: rank.get(s, len(rank)))


# When a stream's pages commit among all CRMs' (`ReadAhead` steps): people first, so every CRM's
# records of a person find the same one whichever CRM is read faster; then deals and the roles
# tying people to them; then everything that refers to both.
PEOPLE, DEALS, OTHERS = 0, 1, 2


def commit_steps(connectors: Mapping[str, Connector]) -> list[tuple[int, str, Connector, str]]:
    """(step, system, connector, stream) for every stream, CRM by CRM in `ordered_streams` order.

    A stream's step never comes before that of a stream its CRM lists ahead of it, so each CRM's
    declared dependency order holds within the steps.
    """
    steps = []
    for name, connector in connectors.items():
        step = PEOPLE
        for stream in ordered_streams(connector):
            step = max(step, _step_of(name, stream))
            steps.append((step, name, connector, stream))
    return steps


def _step_of(system: str, stream: str) -> int:
    if catalog().people_stream(system, stream) is not None:
        return PEOPLE
    deals = catalog()[system].deals if system in catalog() else None
    if deals is not None and stream in (deals.stream, deals.roles_stream):
        return DEALS
    return OTHERS


Checkpoint = Callable[[Session, RawRecord], None]


class StreamRead:
    """One stream's read over a window, committed page by page as the pages come.

    `checkpoint(session, last)` runs in each page's transaction with the record a resumed read
    may start after: the page's last one while the read comes in `position` order or carries
    resume tokens; never again once it does neither. `furthest`: the furthest position read;
    `pulled`: the records its pages brought in (others' pages commit between them).
    """

    def __init__(
        self, rt: Runtime, ingest: Ingest, connector: Connector, stream: str, *,
        progress: Progress | None = None, checkpoint: Checkpoint | None = None,
    ) -> None:  # fmt: skip
        self.rt, self.ingest, self.connector, self.stream = rt, ingest, connector, stream
        self.progress, self.checkpoint = progress, checkpoint
        self.furthest: tuple[datetime, str] | None = None
        self.ordered, self.previous = True, None
        self.pulled = 0

    def commit(self, page: list[RawRecord]) -> None:
        """Ingest one page in its own transaction; raise `Stopped` after it if a stop was asked."""
        self.ordered = self.ordered and _in_order(self.previous, page)
        self.previous = page[-1]
        last = max(page, key=lambda r: r.position)
        furthest = self.furthest
        if furthest is None or (last.modified_at, id_order(last.id)) > (
            furthest[0],
            id_order(furthest[1]),
        ):
            self.furthest = (last.modified_at, last.id)
        mark = None
        if self.checkpoint is not None and (self.ordered or page[-1].resume is not None):
            mark = functools.partial(self.checkpoint, last=page[-1])
        before = self.ingest.counts.pulled
        commit_page(self.rt.sessions, self.ingest, page, on_commit=mark)
        self.pulled += self.ingest.counts.pulled - before
        if self.progress:
            self.progress(f"{self.connector.name}.{self.stream}", len(page))
        if STOP.is_set():
            raise Stopped("stopped on request; the stream's cursor stays where it was")


def pull_stream(
    rt: Runtime,
    ingest: Ingest,
    connector: Connector,
    stream: str,
    window: Window,
    *,
    progress: Progress | None = None,
) -> tuple[datetime, str] | None:
    """Read one stream over `window` into the store; return the furthest position read."""
    read = StreamRead(rt, ingest, connector, stream, progress=progress)
    for page in prefetched(connector.read(stream, window), page=PAGE):
        read.commit(page)
    return read.furthest


def _in_order(previous: RawRecord | None, page: list[RawRecord]) -> bool:
    records = [previous, *page] if previous is not None else page
    return all(a.position <= b.position for a, b in itertools.pairwise(records))


def pull(
    rt: Runtime, connectors: Mapping[str, Connector], ingest: Ingest, *, run_start: datetime,
    progress: Progress | None = None,
) -> None:  # fmt: skip
    """Incremental read of every stream from its cursor; cursors advance per finished stream.

    The CRMs are read at once (`ReadAhead`); their pages commit in `commit_steps` order.
    """
    reads = []
    with rt.sessions() as session:
        for step, name, connector, stream in commit_steps(connectors):
            # Each CRM's own lag: a search index may trail writes more than a query API does.
            lookback = getattr(connector, "lookback", timedelta(0))
            window = cursors.next_window(session, name, stream, run_start=run_start,
                                         lookback=lookback)  # fmt: skip
            reads.append((step, name, connector, stream, window))
    streams = [StreamRead(rt, ingest, c, stream, progress=progress) for _, _, c, stream, _ in reads]
    with ReadAhead(
        [(step, name, functools.partial(c.read, stream, w)) for step, name, c, stream, w in reads],
        page=PAGE, limit=READ_AHEAD,
    ) as ahead:  # fmt: skip
        for i, page in ahead.turns():
            if page is not None:
                streams[i].commit(page)
                continue
            _, name, _, stream, window = reads[i]
            with rt.sessions.begin() as session:
                cursors.advance(session, name, stream, streams[i].furthest,
                                read_until=window.end, now=rt.clock())  # fmt: skip
    retry_parked(rt, ingest)


def retry_parked(rt: Runtime, ingest: Ingest) -> None:
    """Ingest again the parked records whose retry is due (backoff over, or an admin asked)."""
    with rt.sessions() as session:
        parked = [e.payload for e in due_for_retry(session, ingest.now, stage="ingest")]
    by_stream: dict[tuple[str, str], list[RawRecord]] = {}
    for payload in parked:
        raw = _raw_from_payload(payload)
        if raw is not None:
            by_stream.setdefault((raw.system, raw.stream), []).append(raw)
    for page in by_stream.values():
        commit_page(rt.sessions, ingest, page, retry=True)


def _raw_from_payload(payload: Mapping[str, Any]) -> RawRecord | None:
    try:
        return RawRecord(
            system=payload["system"], stream=payload["stream"], id=payload["id"],
            modified_at=datetime.fromisoformat(payload["modified_at"]), data=payload["data"],
            deleted=payload.get("deleted", False),
        )  # fmt: skip
    except (KeyError, ValueError):
        return None


def actors_of(connectors: Mapping[str, Connector]) -> Callable[[RawRecord], Actor | None]:
    """Who changed a record, asked of the connector that read it (None where it cannot say)."""

    def changed_by(raw: RawRecord) -> Actor | None:
        ask = getattr(connectors.get(raw.system), "changed_by", None)
        return ask(raw) if ask is not None else None

    return changed_by


def warnings_of(connectors: Mapping[str, Connector]) -> list[str]:
    """What the connectors could not read this run, in sentences an admin can act on."""
    return [line for c in connectors.values() for line in getattr(c, "warnings", list)()]


def mark_all_dirty(rt: Runtime) -> None:
    """Have the next decide step rescore and re-plan everyone (nightly rescore and reconcile)."""
    with rt.sessions.begin() as session:
        session.execute(update(PersonRow).values(dirty=True))


def run_cycle(
    rt: Runtime,
    connectors: Mapping[str, Connector],
    *,
    apply: bool = True,
    dry: bool = False,
    pull_data: bool = True,
    everyone: bool = False,
    kind: str = "sync",
    progress: Progress | None = None,
    apply_progress: Callable[[int], None] | None = None,
    summary: PlanSummary | None = None,
) -> CycleResult:
    """One full cycle.

    `dry`: pull, then decide without storing anything but the pulled data (plan, dry run,
    rescore review); `summary` receives what the decisions would do. `apply=False`: decide and
    store, leaving the writes queued. `everyone`: decide every person, not only the changed.
    """
    run_start = rt.clock()
    run_id = start_run(rt.sessions, kind, run_start)
    ingest = Ingest(rt.mapping, run_id=run_id, now=run_start,
                    actors=actors_of(connectors))  # fmt: skip
    applies = apply and not dry
    result = CycleResult(run_id, run_start, ingest.counts, DecideCounts(), applied=applies)
    try:
        if pull_data:
            pull(rt, connectors, ingest, run_start=run_start, progress=progress)
            result.warnings = warnings_of(connectors)
        step = DecideStep(rt, run_id=run_id, now=run_start)
        result.decide = step.run(everyone=everyone, dry=dry, summary=summary)
        if applies:
            with rt.sessions.begin() as session:
                requeue_failed_writes(session, run_start)
            result.apply = drain_all(rt, connectors, run_id=run_id, progress=apply_progress)
    except Stopped as exc:
        result.error = str(exc)
        finish_run(rt.sessions, run_id, result, rt.clock(), status="stopped")
        raise
    except Exception as exc:
        result.error = str(exc)
        finish_run(rt.sessions, run_id, result, rt.clock(), status="failed")
        raise
    if applies and STOP.is_set():
        finish_run(rt.sessions, run_id, result, rt.clock(), status="stopped")
        raise Stopped("stopped on request after the current batch")
    finish_run(rt.sessions, run_id, result, rt.clock())
    return result


def drain_all(
    rt: Runtime, connectors: Mapping[str, Connector], *, run_id: int | None,
    progress: Callable[[int], None] | None = None, person_ids: list[int] | None = None,
) -> ApplyCounts:  # fmt: skip
    """Send everything due in the outbox (only `person_ids`' writes when given), CRM by CRM."""
    ensure_provisioned(rt, connectors)
    applier = Applier(rt.sessions, max_attempts=rt.settings.sync.max_attempts, run_id=run_id,
                      clock=rt.clock)  # fmt: skip
    for name, connector in connectors.items():
        applier.drain(name, connector, progress=progress, stop=STOP, person_ids=person_ids)
    return applier.counts
