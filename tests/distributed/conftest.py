"""A fleet for tests: a fresh PostgreSQL database, its own Celery queue on the local RabbitMQ,
Redis for shared pacing, sandboxes as tenants, and `leadsync worker` processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from leadsync.distributed import registry
from leadsync.distributed.settings import FleetSettings
from leadsync.sync.cli import _register, cli
from tests.conftest import fresh_postgres_database

from ..sync.conftest import World, start_world

_register()
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/0"
SERVICES = {"RabbitMQ": 5672, "Redis": 6379}


def _closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


@pytest.fixture(scope="session")
def services(postgres_server) -> str:
    """The PostgreSQL server's URL once every service answers (skips naming the missing one)."""
    for name, port in SERVICES.items():
        if _closed(port):
            pytest.skip(
                f"{name} is not running on 127.0.0.1:{port} (`bash .ci/services` starts it)"
            )
    return postgres_server


def wait_for(predicate: Callable[[], Any], seconds: float = 180.0, what: str = "it") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Fleet:
    url: str
    queue: str
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen] = field(default_factory=list)
    worlds: dict[str, World] = field(default_factory=dict)

    @property
    def control(self):
        return registry.open_registry(self.url)

    def leadsync(self, *args: str) -> Any:
        """Run a `leadsync` command in this process, with the fleet's environment."""
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)

    def add(self, name: str, world: World, *, token: str | None = None) -> None:
        """Register `world` as tenant `name`; its tokens go to the workers' environment."""
        prefix = f"LEADSYNC_TENANT_{name.upper()}__"
        for key, value in world.env.items():
            self.env[key.replace("LEADSYNC_", prefix, 1)] = value
        if token is not None:
            self.env[f"{prefix}HUBSPOT__ACCESS_TOKEN"] = token
        done = self.leadsync("tenants", "add", name, "--config", str(world.config))
        assert done.exit_code == 0, done.output
        self.worlds[name] = world

    def start_worker(self, label: str, **extra: str) -> subprocess.Popen:
        return self._start(f"worker-{label}", "worker", "--concurrency", "1",
                           "--hostname", f"{label}-{self.queue}@%h", **extra)  # fmt: skip

    def start_beat(self) -> subprocess.Popen:
        return self._start("beat", "beat")

    def _start(self, label: str, *command: str, **extra: str) -> subprocess.Popen:
        log = (self.tmp / f"{label}.log").open("w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")}
        env.update({**self.env, "LEADSYNC_METRICS_PORT": "0", **extra})
        process = subprocess.Popen(
            [sys.executable, "-m", "leadsync", *command],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.workers.append(process)
        return process

    def wait_ready(self) -> None:
        """Until every worker started so far takes tasks."""
        for log in self.tmp.glob("worker-*.log"):
            wait_for(lambda log=log: " ready." in log.read_text(), 60, f"{log.name} ready")

    def send(self, task: str, *args: Any) -> None:
        from leadsync.distributed.app import make_app

        app = make_app(FleetSettings(broker_url=BROKER, queue=self.queue))
        app.send_task(task, args=list(args), queue=self.queue)

    def tenant(self, name: str) -> registry.Tenant:
        return registry.get(self.control, name)

    def runs(self, name: str) -> list[dict[str, Any]]:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            rows = conn.execute(text(
                f'SELECT id, kind, status, started_at, finished_at FROM "tenant_{name}".runs '
                "ORDER BY id"
            )).mappings().all()  # fmt: skip
        engine.dispose()
        return [dict(row) for row in rows]

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for world in self.worlds.values():
            world.box.stop()
        _delete_queue(self.queue)


def _delete_queue(queue: str) -> None:
    from kombu import Connection

    # A queue never declared (no task sent) has nothing to clean up.
    with Connection(BROKER) as conn, contextlib.suppress(Exception):
        conn.default_channel.queue_delete(queue)


@pytest.fixture
def fleet(services, tmp_path) -> Iterator[Fleet]:
    for url in fresh_postgres_database(services):
        made = Fleet(url, f"leadsync-test-{uuid.uuid4().hex[:8]}", tmp_path)
        made.env.update(LEADSYNC_TENANTS_DATABASE_URL=url, LEADSYNC_BROKER_URL=BROKER,
                        LEADSYNC_QUEUE=made.queue, LEADSYNC_REDIS_URL=REDIS)  # fmt: skip
        try:
            yield made
        finally:
            made.stop()


def tenant_world(fleet: Fleet, name: str, contacts: int, seed: int, world: Any = None) -> World:
    """A sandbox for one tenant (its config's database_url is ignored: the fleet's schema)."""
    return start_world(fleet.tmp / name, "sqlite:///unused.db", contacts, seed, world)
