"""The tasks a worker runs: a tenant's cycle, its nightly rescore (in shards), a backfill
window. Each returns its outcome as a dict; none raises for one tenant's trouble (see
`runner`), so a tenant with revoked credentials costs one short task, nothing more."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import structlog
from celery import Task, chain
from sqlalchemy import Engine

from leadsync.distributed import registry, runner
from leadsync.distributed.app import app
from leadsync.distributed.settings import FleetSettings, fleet_settings
from leadsync.distributed.tenant import tenant_settings

FLEET = FleetSettings()
# A lock still held when a redelivered cycle starts is most likely the dead worker's session,
# which PostgreSQL ends within seconds: try again a few times before giving up quietly.
REDELIVERED_RETRIES, REDELIVERED_WAIT = 12, 5
# A rescore shard or backfill window must not be lost to a running cycle: it waits its turn.
BUSY_WAIT = 30

LIMITS = {"soft_time_limit": FLEET.cycle_soft_limit, "time_limit": FLEET.cycle_hard_limit}
OPTIONS: dict[str, Any] = {"bind": True, "acks_late": True, "reject_on_worker_lost": True,
                           **LIMITS}  # fmt: skip


@functools.cache
def control() -> Engine:
    """The registry's engine, one per worker process."""
    return registry.open_registry(fleet_settings().tenants_database_url)


def _run(task: Task, name: str, what: str, work: runner.Work) -> runner.Outcome:
    # Every log line of this task, Celery's and ours, names the tenant and the task.
    with structlog.contextvars.bound_contextvars(tenant=name, task_id=task.request.id):
        return runner.run_locked(control(), FLEET.tenants_database_url, name, what, work)


def _redelivered(task: Task) -> bool:
    return bool((task.request.delivery_info or {}).get("redelivered"))


@app.task(name="leadsync.cycle", **OPTIONS)
def cycle(self: Task, name: str) -> dict[str, Any]:
    """One incremental cycle; a cycle of the same tenant already running means none now."""
    outcome = _run(self, name, "cycle", runner.sync_cycle)
    patient = _redelivered(self) or self.request.retries > 0
    if outcome.status == "busy" and patient and self.request.retries < REDELIVERED_RETRIES:
        raise self.retry(countdown=REDELIVERED_WAIT, max_retries=REDELIVERED_RETRIES)
    return outcome.as_dict()


@app.task(name="leadsync.nightly", **OPTIONS)
def nightly(self: Task, name: str) -> dict[str, Any]:
    """The nightly rescore: in shards over the workers when it applies, else a plan to review."""
    tenant = registry.find(control(), name)
    if tenant is None:
        return runner.Outcome(name, "gone").as_dict()
    settings = tenant_settings(tenant, FLEET.tenants_database_url, secrets=False)
    if not settings.sync.auto_apply_rescore:
        return _run(self, name, "rescore-plan", runner.nightly_review).as_dict()
    shards = FLEET.rescore_shards
    # One after another (they share the tenant's lock), each on whichever worker is free.
    chain(rescore_shard.si(name, k, shards) for k in range(shards)).apply_async()
    return {"tenant": name, "status": "sharded", "shards": shards}


@app.task(name="leadsync.rescore_shard", **OPTIONS)
def rescore_shard(self: Task, name: str, shard: int, shards: int) -> dict[str, Any]:
    """Rescore one shard of a tenant's people and send the writes; waits its turn on the lock."""
    outcome = _run(self, name, f"rescore-{shard}/{shards}", runner.rescore_shard(shard, shards))
    if outcome.status == "busy":
        raise self.retry(countdown=BUSY_WAIT, max_retries=None)
    return outcome.as_dict()


@app.task(name="leadsync.backfill_window", **OPTIONS)
def backfill_window(
    self: Task, name: str, system: str, stream: str, start: str | None, end: str
) -> dict[str, Any]:
    """Pull one stream over one window (ISO 8601 bounds); waits its turn on the tenant's lock."""
    since = datetime.fromisoformat(start) if start else None
    work = runner.backfill_window(system, stream, since, datetime.fromisoformat(end))
    outcome = _run(self, name, f"backfill {system}.{stream}", work)
    if outcome.status == "busy":
        raise self.retry(countdown=BUSY_WAIT, max_retries=None)
    return outcome.as_dict()
