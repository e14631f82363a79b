"""Starting a worker or beat: logs, metrics, shared pacing, then Celery's own main loop."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile


def _prepare() -> None:
    # prometheus-client picks its multiprocess mode when first imported: before any metric.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = tempfile.mkdtemp(prefix="leadsync-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
        atexit.register(shutil.rmtree, made, True)
    from leadsync.distributed import logs, pacing
    from leadsync.distributed.settings import fleet_settings

    logs.configure()
    fleet = fleet_settings()
    if fleet.redis_url:
        pacing.share_through(fleet.redis_url)


def run_worker(*, concurrency: int | None, pool: str, metrics_port: int | None,
               hostname: str | None) -> None:  # fmt: skip
    _prepare()
    from leadsync.distributed import health, metrics, registry
    from leadsync.distributed.app import app
    from leadsync.distributed.settings import fleet_settings

    fleet = fleet_settings()
    control = registry.open_registry(fleet.tenants_database_url)
    port = fleet.metrics_port if metrics_port is None else metrics_port
    if port:
        health.serve(port, lambda: metrics.exposition(lambda: last_ok(control)),
                     lambda: answers(control))  # fmt: skip
    # Mingle and gossip serve features a fleet does not use; they only slow the start.
    argv = [
        "worker",
        "--loglevel=INFO",
        "-Q",
        fleet.queue,
        "--pool",
        pool,
        "--without-mingle",
        "--without-gossip",
    ]
    argv += ["--concurrency", str(concurrency)] if concurrency else []
    argv += ["--hostname", hostname] if hostname else []
    app.worker_main(argv=argv)


def last_ok(control) -> dict:
    from leadsync.distributed.registry import all_tenants

    return {tenant.name: tenant.last_ok_at for tenant in all_tenants(control)}


def answers(control) -> bool:
    """Healthy while the fleet's database answers: without it no task can do anything."""
    from sqlalchemy import text

    try:
        with control.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def run_beat() -> None:
    _prepare()
    from leadsync.distributed.app import app

    schedule = os.path.join(tempfile.gettempdir(), f"leadsync-beat-{os.getpid()}")
    app.start(argv=["beat", "--loglevel=INFO", "--schedule", schedule])
