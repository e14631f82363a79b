"""Tenants on two Celery workers over RabbitMQ, PostgreSQL schemas and Redis pacing.

Each tenant's CRMs must end as a single-process run leaves them (a twin sandbox with the same
world, synced by `run_cycle` in this process); a worker killed mid-cycle loses and doubles
nothing; a tenant's cycles never overlap; a tenant with a revoked token is reported while the
others sync.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from kombu import Connection

from leadsync.sandbox.world import generate

from ..sync.test_recovery_e2e import crm_state
from .conftest import BROKER, Fleet, tenant_world, wait_for

pytestmark = [pytest.mark.services, pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _twins(fleet: Fleet, name: str, contacts: int, seed: int):
    """The tenant's sandbox and a twin of it (same world) for the single-process reference."""
    world = generate(contacts, seed)
    served = tenant_world(fleet, name, contacts, seed, world)
    twin = tenant_world(fleet, f"{name}-twin", contacts, seed, world)
    twin.config.write_text(
        twin.config.read_text().replace("sqlite:///unused.db",
                                        f"sqlite:///{fleet.tmp / (name + '-twin.db')}"),
    )  # fmt: skip
    return served, twin


def _finished(fleet: Fleet, names: list[str]) -> bool:
    return all(fleet.tenant(n).last_status not in (None, "busy") for n in names)


def test_tenants_on_two_workers_converge_and_a_revoked_one_is_reported(fleet):
    # Five tenants: four that sync, one whose token was revoked.
    named = (("acme", 1), ("globex", 2), ("initech", 3), ("umbrella", 9))
    pairs = {name: _twins(fleet, name, 200, seed) for name, seed in named}
    now = max(served.now for served, _ in pairs.values())
    for name, (served, twin) in pairs.items():
        served.now = twin.now = now
        fleet.add(name, served)
    fleet.add("revoked", tenant_world(fleet, "revoked", 20, 4), token="pat-na1-revoked-0000")
    ports = [_free_port(), _free_port()]
    for label, port in zip(("one", "two"), ports, strict=True):
        fleet.start_worker(label, LEADSYNC_NOW=now.isoformat(), LEADSYNC_METRICS_PORT=str(port))

    names = [*pairs, "revoked"]
    for name in names:
        fleet.send("leadsync.cycle", name)
    wait_for(lambda: _finished(fleet, names), what="every tenant's cycle")

    status = {row["tenant"]: row for row in json.loads(fleet.leadsync("tenants", "status", "--json").output)}  # fmt: skip
    assert status["revoked"]["status"] == "auth", status["revoked"]
    assert "credentials" in status["revoked"]["advice"]
    assert "pat-na1-revoked-0000" not in json.dumps(status)
    tokens = [v for k, v in fleet.env.items() if k.endswith("ACCESS_TOKEN")]
    for log in fleet.tmp.glob("worker-*.log"):
        assert not [token for token in tokens if token in log.read_text()], log.name
    for name, (served, twin) in pairs.items():
        assert status[name]["status"] == "ok", status[name]
        twin.cycle()
        assert crm_state(served) == crm_state(twin), f"tenant {name} differs from a single run"

    # Whichever worker ran a tenant counted it; both report every tenant's last good cycle.
    scraped = [requests.get(f"http://127.0.0.1:{p}/metrics", timeout=10).text for p in ports]
    assert all('leadsync_seconds_since_last_good_cycle{tenant="acme"}' in s for s in scraped)
    assert any('leadsync_errors_total{crm="hubspot",tenant="revoked",type="auth"} 1.0' in s
               for s in scraped), scraped  # fmt: skip
    assert any('leadsync_records_pulled_total{crm="salesforce",tenant="globex"}' in s
               for s in scraped)  # fmt: skip
    assert requests.get(f"http://127.0.0.1:{ports[0]}/healthz", timeout=10).status_code == 200


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


@pytest.mark.parametrize("victim", ["worker", "pool process"])
def test_a_worker_killed_mid_cycle_is_redelivered_and_nothing_is_lost_or_doubled(fleet, victim):
    served, twin = _twins(fleet, "acme", 200, 5)
    served.now = twin.now
    fleet.add("acme", served)
    # Slow every write down so the kill lands mid-apply, after some batches went through.
    for route in ("POST /crm/v3/objects/contacts/batch/*", "*/composite/sobjects"):
        served.admin("POST", "faults", system="*", status=0, delay=0.4, route=route)
    first = fleet.start_worker("first", LEADSYNC_NOW=served.now.isoformat())
    fleet.send("leadsync.cycle", "acme")
    wait_for(lambda: served.stats()["hubspot"]["writes"] >= 2, what="the first writes")
    if victim == "worker":  # the whole worker: its broker connection drops with it
        fleet.start_worker("second", LEADSYNC_NOW=served.now.isoformat())
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    else:  # only the process running the cycle: the worker rejects the task back to the queue
        (child,) = _children(first.pid)
        os.kill(child, signal.SIGKILL)
    served.admin("DELETE", "faults")

    wait_for(lambda: fleet.tenant("acme").last_status == "ok", what="the redelivered cycle")
    runs = fleet.runs("acme")
    assert [r["status"] for r in runs if r["kind"] == "sync"][-1] == "ok"
    assert any(r["status"] == "running" for r in runs), "the kill landed after the cycle ended"
    twin.cycle()
    assert crm_state(served) == crm_state(twin)


def _queue_empty(queue: str) -> bool:
    with Connection(BROKER) as conn:
        declared = conn.default_channel.queue_declare(queue, passive=True)
    return declared.message_count == 0


def _cycles(fleet: Fleet, name: str) -> list[dict]:
    return sorted((r for r in fleet.runs(name) if r["kind"] == "sync"), key=lambda r: r["id"])


def test_cycles_of_one_tenant_never_overlap_across_workers(fleet):
    world = tenant_world(fleet, "acme", 60, 6)
    fleet.add("acme", world)
    world.admin("POST", "faults", system="*", status=0, delay=0.05, route="*")
    fleet.start_worker("one")
    fleet.start_worker("two")
    fleet.wait_ready()
    for round_ in (1, 2):
        # Two cycles at once, one for each idle worker: one runs, the other ends quietly.
        fleet.send("leadsync.cycle", "acme")
        fleet.send("leadsync.cycle", "acme")
        wait_for(lambda r=round_: len(_cycles(fleet, "acme")) >= r and _queue_empty(fleet.queue)
                 and all(c["finished_at"] for c in _cycles(fleet, "acme")), what="the cycles")  # fmt: skip

    cycles = _cycles(fleet, "acme")
    # Usually two ran and two ended at once; on a slow host a late one may find the lock free.
    assert len(cycles) >= 2, cycles
    for earlier, later in itertools.pairwise(cycles):
        assert earlier["finished_at"] <= later["started_at"], cycles


def test_beat_runs_each_registered_tenants_first_cycle_at_once(fleet):
    fleet.add("acme", tenant_world(fleet, "acme", 20, 7))
    fleet.start_worker("one")
    fleet.start_beat()
    wait_for(lambda: fleet.tenant("acme").last_status == "ok", 120, "beat's first cycle")
    assert fleet.runs("acme")[0]["kind"] == "sync"


def test_a_backfill_and_the_nightly_rescore_run_as_chains_of_tasks(fleet):
    world = tenant_world(fleet, "acme", 20, 8)
    world.config.write_text(world.config.read_text() + "[sync]\nauto_apply_rescore = true\n")
    fleet.add("acme", world)
    fleet.start_worker("one")
    fleet.start_worker("two")
    since = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
    done = fleet.leadsync("tenants", "backfill", "acme", "--since", since)
    assert done.exit_code == 0, done.output
    windows = int(done.output.split()[1])

    def kinds(kind: str) -> list[dict]:
        return [r for r in fleet.runs("acme") if r["kind"] == kind and r["finished_at"]]

    wait_for(lambda: len(kinds("backfill-window")) == windows, what="every backfill window")
    assert {r["status"] for r in kinds("backfill-window")} == {"ok"}
    fleet.send("leadsync.nightly", "acme")
    wait_for(lambda: len(kinds("rescore")) == 4, what="the four rescore shards")
    assert {r["status"] for r in kinds("rescore")} == {"ok"}
