"""Applying writes to a slow CRM leaves the local database free for everyone else."""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import select

from leadsync.sync.schema import OutboxRow


def _hammer(path: str, stop: threading.Event, failures: list[str]) -> None:
    """Take SQLite's write lock over and over, as `status` or the scheduler's job store does."""
    while not stop.is_set():
        conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            failures.append(str(exc))
        finally:
            conn.close()
        time.sleep(0.05)


def test_a_slow_crm_write_does_not_hold_the_sqlite_write_lock(sqlite_world, tmp_path):
    world = sqlite_world
    world.cycle(apply=False)  # plan first: the cycle below only drains
    for route in ("POST /crm/v3/objects/contacts/batch/*", "*/composite/sobjects"):
        world.admin("POST", "faults", system="*", status=0, delay=1.5, route=route)
    stop, failures = threading.Event(), []
    hammer = threading.Thread(target=_hammer, args=(str(tmp_path / "leadsync.db"), stop, failures))
    hammer.start()
    try:
        world.tick()
        result = world.cycle(pull_data=False)
    finally:
        stop.set()
        hammer.join()
    assert result.apply.calls_batches >= 2  # several slow writes happened meanwhile
    assert failures == []
    with world.runtime().sessions() as session:
        assert session.scalars(select(OutboxRow).where(OutboxRow.state != "done")).all() == []
