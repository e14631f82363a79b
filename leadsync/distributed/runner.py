"""One tenant's piece of work, run the same way whichever worker picks it up.

Every task opens the tenant's runtime, takes the tenant's cycle lock (a PostgreSQL advisory
lock on the tenant's schema: at most one cycle per tenant at once, across all workers), does
its work, and records how it ended in the registry. One tenant's failure ends that task
only: bad credentials, a spent quota or a bug are recorded and counted, never raised into the
worker, so no other tenant's work is touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Engine, text

from leadsync.connectors.base import Connector, Window
from leadsync.distributed import metrics, registry
from leadsync.distributed.logs import log
from leadsync.distributed.tenant import tenant_runtime
from leadsync.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    LeadsyncError,
    QuotaExhausted,
    RateLimited,
    StoreError,
)
from leadsync.sync import cycle
from leadsync.sync.ingest import Ingest
from leadsync.sync.lock import Busy, cycle_lock
from leadsync.sync.rescore import review_rescore
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.wiring import build_connectors

# The first matching class names the outcome; a subclass comes before its base.
KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (SoftTimeLimitExceeded, "timed_out"),
    (AuthError, "auth"),
    (QuotaExhausted, "quota"),
    (RateLimited, "rate_limited"),
    (ConnectorError, "crm"),
    (ConfigError, "config"),
    (StoreError, "store"),
    (cycle.Stopped, "stopped"),
    (LeadsyncError, "failed"),
)


@dataclass
class Outcome:
    tenant: str
    status: str  # ok, busy, gone, or a failure kind from KINDS, or "crashed" (a bug)
    run_id: int | None = None
    error: str | None = None
    pulled: int = 0
    written: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def kind_of(exc: BaseException) -> str:
    return next((kind for cls, kind in KINDS if isinstance(exc, cls)), "crashed")


Work = Callable[[Runtime, Mapping[str, Connector]], Any]


def run_locked(engine: Engine, base_url: str, name: str, what: str, work: Work) -> Outcome:
    """Run `work` for tenant `name` under its cycle lock, and record how it ended."""
    tenant = registry.find(engine, name)
    if tenant is None:
        return Outcome(name, "gone")  # removed after the task was queued: nothing to do
    started = time.monotonic()
    outcome = Outcome(name, "ok")
    connectors: Mapping[str, Connector] = {}
    try:
        with _runtime(tenant, base_url) as rt, cycle_lock(rt.sessions.kw["bind"]):
            connectors = build_connectors(rt)
            result = work(rt, connectors)
            _take_counts(outcome, result)
    except Busy:
        return Outcome(name, "busy")
    except Exception as exc:
        outcome.status, outcome.error = kind_of(exc), f"{type(exc).__name__}: {exc}"
        metrics.count_error(name, outcome.status, getattr(exc, "system", "") or "")
    outcome.seconds = time.monotonic() - started
    metrics.count_calls(name, connectors)
    metrics.CYCLE_SECONDS.labels(name, what).observe(outcome.seconds)
    registry.record(engine, name, status=outcome.status, at=datetime.now(UTC),
                    run_id=outcome.run_id, error=outcome.error)  # fmt: skip
    _log(what, outcome)
    return outcome


@contextmanager
def _runtime(tenant: registry.Tenant, base_url: str) -> Iterator[Runtime]:
    rt = tenant_runtime(tenant, base_url)
    try:
        yield rt
    finally:
        rt.close()


def _take_counts(outcome: Outcome, result: Any) -> None:
    if result is None:
        return
    outcome.run_id = result.run_id
    outcome.pulled = result.ingest.pulled
    outcome.written = result.apply.done if result.apply is not None else 0
    metrics.count_cycle(outcome.tenant, result)


def _log(what: str, outcome: Outcome) -> None:
    event = log.bind(tenant=outcome.tenant, run_id=outcome.run_id, work=what,
                     status=outcome.status, pulled=outcome.pulled, written=outcome.written,
                     seconds=round(outcome.seconds, 3))  # fmt: skip
    if outcome.status == "ok":
        event.info("done")
    else:
        event.warning("failed", error=outcome.error)


# --- the pieces of work ------------------------------------------------------------------


def sync_cycle(rt: Runtime, connectors: Mapping[str, Connector]) -> cycle.CycleResult:
    return cycle.run_cycle(rt, connectors, kind="sync")


def nightly_review(rt: Runtime, connectors: Mapping[str, Connector]) -> None:
    """Without `auto_apply_rescore` the nightly rescore only leaves a plan to review."""
    review_rescore(rt, connectors, kind="rescore-plan")


def mark_shard(rt: Runtime, shard: int, shards: int) -> int:
    """Have the next decide step rescore the people of one shard (by id); return how many."""
    with rt.sessions.begin() as session:
        done = session.execute(
            text("UPDATE persons SET dirty = true WHERE id % :n = :k"), {"n": shards, "k": shard}
        )
        return done.rowcount or 0


def rescore_shard(shard: int, shards: int) -> Work:
    """Rescore and re-plan one shard's people, then send the writes (a cycle without a pull)."""

    def work(rt: Runtime, connectors: Mapping[str, Connector]) -> cycle.CycleResult:
        mark_shard(rt, shard, shards)
        return cycle.run_cycle(rt, connectors, pull_data=False, kind="rescore")

    return work


@dataclass
class WindowResult:
    """What one backfill window pulled; shaped like a cycle's result for the counts."""

    run_id: int
    ingest: Any
    apply: Any = None


def backfill_window(system: str, stream: str, start: datetime | None, end: datetime) -> Work:
    """Pull one stream of one CRM over [start, end) into the store; never moves a live cursor.

    Ingest is idempotent, so a window that is redelivered after a crash is simply read again.
    """

    def work(rt: Runtime, connectors: Mapping[str, Connector]) -> WindowResult:
        run_id = start_run(rt.sessions, "backfill-window", rt.clock())
        ingest = Ingest(rt.mapping, run_id=run_id, now=end,
                        actors=cycle.actors_of(connectors))  # fmt: skip
        try:
            cycle.pull_stream(rt, ingest, connectors[system], stream, Window(start, end))
        except BaseException as exc:
            finish_run(rt.sessions, run_id, {"error": str(exc), **ingest.counts.__dict__},
                       rt.clock(), status="failed")  # fmt: skip
            raise
        finish_run(rt.sessions, run_id, ingest.counts.__dict__, rt.clock())
        return WindowResult(run_id, ingest.counts)

    return work
