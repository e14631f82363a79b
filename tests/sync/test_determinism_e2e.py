"""Interrupted runs end where an uninterrupted run ends: decisions use the CRMs' own clocks.

Each scenario runs one seeded world twice: once cleanly, once killed (kill -9) part-way and
restarted minutes later. Stage decisions used to compare a HubSpot-set and a Salesforce-set
stage by when leadsync first read each record, so an interruption between the two reads
changed who won, and those stages were written to both CRMs.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadsync.sandbox.world import generate
from leadsync.sync.schema import CursorRow, OutboxRow, ScoreRow

from .conftest import start_world
from .test_recovery_e2e import crm_state, sync_process, wait_for

CONTACTS = 150


def _hubspot_committed(world) -> bool:
    with world.runtime().sessions() as session:
        streams = session.scalar(
            select(func.count()).select_from(CursorRow).where(CursorRow.system == "hubspot")
        )
    # Pages commit people streams first, every CRM's in turn: waiting for more of HubSpot's
    # streams could wait past Salesforce's reads, into the decisions.
    return streams >= 1


def _nobody_decided(world) -> bool:
    with world.runtime().sessions() as session:
        return not session.scalar(select(func.count()).select_from(ScoreRow))


def _kill_during_salesforce_reads(world, *args: str) -> None:
    """Run a command and kill it once HubSpot is in and Salesforce is being read."""
    world.admin("POST", "faults", system="salesforce", status=0, delay=0.5, route="GET *")
    process = sync_process(world, *args)
    try:
        wait_for(lambda: _hubspot_committed(world) or process.poll() is not None)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    world.admin("DELETE", "faults")
    assert _nobody_decided(world), "killed too late: the run had begun deciding"


@pytest.fixture
def twins(tmp_path, database_url):
    """The interrupted world on SQLite and PostgreSQL; the clean one on SQLite."""
    seeded = generate(CONTACTS, 23)
    crashed = start_world(tmp_path / "a", database_url, world=seeded)
    clean = start_world(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", world=seeded)
    clean.now = crashed.now
    yield crashed, clean
    crashed.box.stop()
    clean.box.stop()


def _later(*worlds) -> None:
    for world in worlds:
        world.now += timedelta(minutes=7)


def test_a_first_sync_killed_between_the_two_crms_ends_as_a_clean_one(twins):
    crashed, clean = twins
    _kill_during_salesforce_reads(crashed, "sync")
    _later(crashed, clean)
    crashed.cycle()
    clean.cycle()
    assert crm_state(crashed) == crm_state(clean)


def test_a_killed_backfill_run_again_from_the_start_ends_as_a_clean_one(twins):
    crashed, clean = twins
    _kill_during_salesforce_reads(crashed, "backfill")
    _later(crashed, clean)
    for world in (crashed, clean):
        process = sync_process(world, "backfill")
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()[-2000:]
        world.cycle()
    assert crm_state(crashed) == crm_state(clean)


def test_a_kill_after_hubspot_took_a_batch_but_before_it_was_recorded_ends_as_a_clean_one(twins):
    crashed, clean = twins
    crashed.admin("POST", "faults", system="hubspot", status=0, delay=5, after=True,
                  route="POST /crm/v3/objects/contacts/batch/update")  # fmt: skip
    process = sync_process(crashed, "sync")
    wait_for(lambda: _sending(crashed))
    time.sleep(1.0)  # the sandbox applies the batch at once, then holds its answer for 5 s
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert _sending(crashed)  # HubSpot took the batch; leadsync never recorded the answer
    crashed.admin("DELETE", "faults")
    _later(crashed, clean)
    crashed.cycle()  # pulls leadsync's own, unrecorded write back: it must know it for its own
    clean.cycle()
    _later(crashed, clean)
    crashed.cycle()
    clean.cycle()
    assert crm_state(crashed) == crm_state(clean)


def _sending(world) -> bool:
    with world.runtime().sessions() as session:
        return bool(session.scalars(
            select(OutboxRow.id).where(OutboxRow.state == "sending", OutboxRow.system == "hubspot")
        ).first())  # fmt: skip
