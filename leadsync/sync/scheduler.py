"""`leadsync run`: APScheduler drives the incremental cycle and the nightly full rescore.

Jobs live in the same database (SQLAlchemyJobStore), never overlap (`max_instances=1`, plus
the cycle lock against manual runs), and coalesce missed runs into one. SIGTERM or SIGINT
stops the scheduler after the current page or batch: data committed so far stays, cursors of
unfinished streams stay where they were.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from leadsync.errors import LeadsyncError
from leadsync.sync import cycle
from leadsync.sync.cli import load
from leadsync.sync.lock import Busy, cycle_lock
from leadsync.sync.push.health import poll_due
from leadsync.sync.rescore import review_rescore
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.store import make_engine
from leadsync.sync.wiring import build_connectors

log = logging.getLogger("leadsync.run")
CYCLE_JOB, NIGHTLY_JOB = "leadsync-cycle", "leadsync-nightly"


def scheduled_cycle(config_path: str | None, full: bool = False) -> None:
    """One cycle as a scheduled job: one log line for how it went, never a traceback.

    A cycle already running elsewhere means skip this one; a failed cycle (a CRM down, a config
    edited into a mistake) is logged and the schedule goes on.
    """
    try:
        result = _cycle(config_path, full)
        if result is None:
            log.info("skipped: push is healthy; the next reconciliation poll comes later")
            return
    except Busy as exc:
        log.warning("skipped: %s", exc)
        return
    except cycle.Stopped:
        log.warning("stopped after the current batch")
        return
    except LeadsyncError as exc:
        log.error("cycle failed: %s", exc)
        return
    except Exception as exc:  # a bug; the next cycle still runs
        log.error("cycle failed unexpectedly: %s: %s (set LEADSYNC_DEBUG=1 for the traceback)",
                  type(exc).__name__, exc)  # fmt: skip
        log.debug("traceback", exc_info=True)
        return
    for line in result.warnings:
        log.warning("%s", line)
    log.info(
        "run %s: %s pulled, %s stage changes, %s written, %s failed",
        result.run_id, result.ingest.pulled, result.decide.moved,
        result.apply.done, result.apply.failed,
    )  # fmt: skip


def _cycle(config_path: str | None, full: bool) -> cycle.CycleResult | None:
    rt = build_runtime(load(config_path), actor="scheduler")
    try:
        if not full and not _poll_due(rt):
            return None
        with cycle_lock(rt.sessions.kw["bind"]):
            connectors = build_connectors(rt, long_lived=True)
            if full and rt.settings.sync.auto_apply_rescore:
                cycle.mark_all_dirty(rt)
                return cycle.run_cycle(rt, connectors, kind="nightly")
            result = cycle.run_cycle(rt, connectors, kind="sync")
            if full:
                _leave_rescore_plan(rt, connectors)
            return result
    finally:
        # Each job opens its own engines (the config may have changed); a long-running
        # scheduler must not keep connection pools of past cycles.
        rt.close()


def _poll_due(rt: Runtime) -> bool:
    with rt.reading() as session:
        return poll_due(session, rt.settings, rt.clock())


def _leave_rescore_plan(rt: Runtime, connectors: Any) -> None:
    plan = review_rescore(rt, connectors, kind="rescore-plan")
    if plan.moves or plan.writes or plan.creates:
        log.warning(
            "the nightly rescore would move %s people and make %s writes; it waits for review: "
            "`leadsync rescore` shows it, `leadsync rescore --apply` sends it "
            "(or set sync.auto_apply_rescore = true)",
            sum(plan.moves.values()), sum(plan.writes.values()) + sum(plan.creates.values()),
        )  # fmt: skip


def build_scheduler(config_path: str | None) -> BlockingScheduler:
    settings = load(config_path)
    sync = settings.sync
    scheduler = BlockingScheduler(
        # Our engine, not one of APScheduler's making: it carries the SQLite locking rules.
        jobstores={"default": SQLAlchemyJobStore(engine=make_engine(settings.database_url))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        timezone=sync.timezone,
    )
    hour, minute = (int(part) for part in sync.full_rescore_at.split(":"))
    scheduler.add_job(
        scheduled_cycle, "interval", minutes=sync.interval_minutes, args=[config_path],
        id=CYCLE_JOB, replace_existing=True, next_run_time=_soon(scheduler),
    )  # fmt: skip
    scheduler.add_job(
        scheduled_cycle, "cron", hour=hour, minute=minute, args=[config_path, True],
        id=NIGHTLY_JOB, replace_existing=True,
    )  # fmt: skip
    return scheduler


def _soon(scheduler: BlockingScheduler) -> datetime:
    return datetime.now(scheduler.timezone) + timedelta(seconds=1)


def run_forever(config_path: str | None) -> None:
    scheduler = build_scheduler(config_path)

    def stop(signum: int, _frame: object) -> None:
        log.warning("%s: stopping after the current batch", signal.Signals(signum).name)
        cycle.STOP.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
