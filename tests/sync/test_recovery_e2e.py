"""Crashes and the scheduler: kill -9 mid-apply loses nothing; runs never overlap."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from leadsync.sandbox.world import generate
from leadsync.sync.lock import cycle_lock
from leadsync.sync.schema import OutboxRow, RunRow

from .conftest import start_world, subprocess_env

HS = ["lifecyclestage", "hs_lead_status", "leadsync_stage", "leadsync_fit_score",
      "leadsync_engagement_score", "leadsync_score", "leadsync_grade", "leadsync_top_reasons"]  # fmt: skip
SF = "SELECT Id, Email, Status, Leadsync_Stage__c, Leadsync_Score__c, Leadsync_Grade__c FROM Lead"


def crm_state(world) -> tuple[dict, list]:
    leads = sorted(
        ({k: v for k, v in lead.items() if k not in ("attributes", "Id")} for lead in world.sf_query(SF)),
        key=lambda lead: (lead["Email"] or "", lead["Status"] or ""),
    )  # fmt: skip
    contacts = {cid: {k: props.get(k) for k in HS} for cid, props in world.hs_contacts(HS).items()}
    return contacts, leads


def wait_for(predicate, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def sync_process(world, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "leadsync", *args, "--config", str(world.config)],
        env=subprocess_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_kill_9_during_apply_then_sync_again_ends_as_an_uninterrupted_run(tmp_path):
    seeded = generate(60, 11)
    crashed = start_world(tmp_path / "a", f"sqlite:///{tmp_path / 'a.db'}", world=seeded)
    clean = start_world(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", world=seeded)
    clean.now = crashed.now
    try:
        # Slow every write down so the kill lands mid-apply, after some batches went through.
        for route in ("POST /crm/v3/objects/contacts/batch/*", "*/composite/sobjects"):
            crashed.admin("POST", "faults", system="*", status=0, delay=0.4, route=route)
        process = sync_process(crashed, "sync")
        wait_for(lambda: crashed.stats()["hubspot"]["writes"] >= 2)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        crashed.admin("DELETE", "faults")
        with crashed.runtime().sessions() as session:
            left = session.scalars(select(OutboxRow).where(OutboxRow.state == "pending")).all()
        assert left, "the kill landed after apply finished; slow the writes down further"

        crashed.cycle()
        clean.cycle()
        assert crm_state(crashed) == crm_state(clean)
    finally:
        crashed.box.stop()
        clean.box.stop()


def test_a_scheduled_cycle_skips_while_another_cycle_holds_the_lock(sqlite_world, caplog):
    from leadsync.sync.scheduler import scheduled_cycle

    rt = sqlite_world.runtime()
    with cycle_lock(rt.sessions.kw["bind"]):
        scheduled_cycle(str(sqlite_world.config))
    assert "another leadsync cycle is running" in caplog.text
    with rt.sessions() as session:
        assert session.scalars(select(RunRow).where(RunRow.kind == "sync")).all() == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_cleanly_on_a_signal_after_the_current_batch(sqlite_world, signum):
    sqlite_world.admin("POST", "faults", system="hubspot", status=0, delay=0.3, route="GET *")
    process = sync_process(sqlite_world, "run")
    try:
        wait_for(lambda: sqlite_world.stats()["hubspot"]["requests"] >= 2)
    except AssertionError:
        process.kill()
        raise AssertionError(process.communicate()[1].decode()[-3000:]) from None
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    with sqlite_world.runtime().sessions() as session:
        runs = session.scalars(select(RunRow)).all()
    assert runs and all(run.status in ("ok", "stopped") for run in runs)
    assert any(run.status == "stopped" for run in runs)
