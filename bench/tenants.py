"""Many tenants on Celery workers: throughput with 1 and 2 worker processes.

    .venv/bin/python -m bench.tenants                  # 6 tenants of 200 contacts, 1 and 2 workers
    .venv/bin/python -m bench.tenants --tenants 4 --contacts 100 --workers 1

Needs RabbitMQ, Redis and PostgreSQL on 127.0.0.1 (`bash .ci/services` starts them as root).
Each tenant is a sandbox in its own process (one portal + one org). For each worker count, a
fresh fleet database gets every tenant, `leadsync worker` processes start (prefork, one child
each, pacing through Redis), and two rounds of one cycle per tenant are sent: the first cycle
(everyone pulled, scored and written back) and a quiet cycle (nothing changed: what most
5-minute cycles are). Printed per round: tenants per hour, records per second, worker CPU per
tenant-cycle, PostgreSQL CPU and transactions per tenant-cycle, broker deliveries per cycle.
Results go to bench/results-tenants.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.sandbox import SandboxProcess
from leadsync.distributed import registry, schemas
from leadsync.sandbox.cli import sandbox_config, token_environment

HERE = Path(__file__).resolve().parent
SERVER = os.environ.get("LEADSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # fmt: skip
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/0"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    workers: int
    round: str
    tenants: int
    wall_seconds: float
    tenants_per_hour: float
    records: int
    records_per_second: float
    worker_cpu_per_cycle: float
    postgres_cpu_per_cycle: float
    transactions_per_cycle: float
    deliveries_per_cycle: float


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def _session_pids(sid: int) -> list[int]:
    """Every process in a worker's session: the worker and its pool's children."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[3]) == sid:
                found.append(int(entry.name))
    return found


def _postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server: its live processes, plus the backends that have
    ended (the postmaster reaps them, and the kernel adds their time to its children's)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("postgres"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
        if int(fields[1]) == 1 or (entry / "cmdline").read_bytes().find(b"-D") >= 0:
            total += int(fields[13]) + int(fields[14])  # the postmaster: its reaped children
    return total / TICK


class Fleet:
    """A fresh fleet database, its own queue, the tenants registered, workers started."""

    def __init__(self, boxes: list[SandboxProcess], directory: Path) -> None:
        self.name = f"leadsync_bench_{uuid.uuid4().hex[:8]}"
        self.url = make_url(SERVER).set(database=self.name).render_as_string(hide_password=False)
        self.queue = f"leadsync-bench-{uuid.uuid4().hex[:8]}"
        self.boxes, self.directory = boxes, directory
        self.env: dict[str, str] = {}
        self.workers: list[subprocess.Popen] = []
        self.admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> Fleet:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.control = registry.open_registry(self.url)
        for i, box in enumerate(self.boxes):
            self._add(f"t{i}", box)
        return self

    def _add(self, name: str, box: SandboxProcess) -> None:
        config = self.directory / f"{name}.toml"
        config.write_text(sandbox_config(box.info, "professional", self.directory))
        for line in token_environment(box.info):
            key, value = line.split("=", 1)
            self.env[key.replace("LEADSYNC_", f"LEADSYNC_TENANT_{name.upper()}__", 1)] = value
        tenant = registry.Tenant(name, str(config), config.read_text(), None, datetime.now(UTC))
        schemas.create(self.control, tenant.schema)
        registry.add(self.control, tenant)

    def start_workers(self, count: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")}
        env.update(self.env, LEADSYNC_TENANTS_DATABASE_URL=self.url, LEADSYNC_BROKER_URL=BROKER,
                   LEADSYNC_QUEUE=self.queue, LEADSYNC_REDIS_URL=REDIS, LEADSYNC_METRICS_PORT="0")  # fmt: skip
        for i in range(count):
            log = (self.directory / f"worker-{i}.log").open("w")
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "leadsync", "worker", "-c", "1", "-n", f"bench{i}@%h"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        for i in range(count):
            log = self.directory / f"worker-{i}.log"
            while " ready." not in log.read_text():
                time.sleep(0.2)

    def worker_cpu(self) -> float:
        return sum(_cpu(_session_pids(w.pid)) for w in self.workers)

    def deliveries(self) -> int:
        return sum(
            log.read_text().count("] received") for log in self.directory.glob("worker-*.log")
        )

    def transactions(self) -> int:
        with self.admin.connect() as conn:
            return conn.execute(sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                        "WHERE datname = :n"), {"n": self.name}).scalar() or 0  # fmt: skip

    def pulled(self) -> int:
        """Records pulled by every tenant's cycles so far (from each schema's runs)."""
        total = 0
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            for tenant in registry.all_tenants(self.control):
                rows = conn.execute(sa.text(
                    f"SELECT counts FROM {tenant.schema}.runs WHERE kind = 'sync'"
                )).scalars()  # fmt: skip
                total += sum((row or {}).get("ingest", {}).get("pulled", 0) for row in rows)
        engine.dispose()
        return total

    def __exit__(self, *exc: object) -> None:
        for worker in self.workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        self.control.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": self.name})  # fmt: skip
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        _delete_queue(self.queue)


def _delete_queue(queue: str) -> None:
    from kombu import Connection

    with Connection(BROKER) as conn:
        conn.default_channel.queue_delete(queue)


def one_round(fleet: Fleet, workers: int, label: str) -> Round:
    """One cycle per tenant, sent at once; measured until every tenant's cycle ended."""
    from leadsync.distributed.app import make_app
    from leadsync.distributed.settings import FleetSettings

    app = make_app(FleetSettings(broker_url=BROKER, queue=fleet.queue))
    tenants = registry.all_tenants(fleet.control)
    cpu, pg, txn = fleet.worker_cpu(), _postgres_cpu(), fleet.transactions()
    delivered, pulled = fleet.deliveries(), fleet.pulled()
    sent, started = datetime.now(UTC), time.monotonic()
    for tenant in tenants:
        app.send_task("leadsync.cycle", args=[tenant.name], queue=fleet.queue)
    while not all((t.last_finished_at or sent) > sent for t in registry.all_tenants(fleet.control)):
        time.sleep(0.2)
    wall, n = time.monotonic() - started, len(tenants)
    records = fleet.pulled() - pulled
    return Round(
        workers, label, n, round(wall, 2), round(n / wall * 3600), records,
        round(records / wall, 1), round((fleet.worker_cpu() - cpu) / n, 3),
        round((_postgres_cpu() - pg) / n, 3), round((fleet.transactions() - txn) / n, 1),
        round((fleet.deliveries() - delivered) / n, 2),
    )  # fmt: skip


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tenants", description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("--tenants", type=int, default=6)
    parser.add_argument("--contacts", type=int, default=200, help="contacts per tenant")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--output", type=Path, default=HERE / "results-tenants.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    rounds: list[Round] = []
    with ExitStack() as stack:
        boxes = [stack.enter_context(SandboxProcess(args.contacts, seed)) for seed in range(args.tenants)]  # fmt: skip
        for count in args.workers:
            for box in boxes:  # every fleet meets the same CRMs: as generated, nothing written
                box.admin("POST", "reset", {"data": True})
            with tempfile.TemporaryDirectory() as tmp, Fleet(boxes, Path(tmp)) as fleet:
                # Each fleet starts from empty stores, so its first round pulls everything again.
                fleet.start_workers(count)
                for label in ("first", "quiet"):
                    rounds.append(one_round(fleet, count, label))
                    _print(rounds[-1])
    args.output.write_text(json.dumps({"tenants": args.tenants, "contacts": args.contacts,
                                       "rounds": [asdict(r) for r in rounds]}, indent=2) + "\n")  # fmt: skip
    print(f"written to {args.output}")


def _print(r: Round) -> None:
    print(
        f"{r.workers} worker(s), {r.round:5} cycle: {r.tenants} tenants in {r.wall_seconds:6.1f} s "
        f"= {r.tenants_per_hour:>6} tenant-cycles/h, {r.records:>6} records = "
        f"{r.records_per_second:7.1f}/s; per tenant-cycle: worker CPU {r.worker_cpu_per_cycle:.2f} s, "
        f"PostgreSQL CPU {r.postgres_cpu_per_cycle:.2f} s, {r.transactions_per_cycle:.0f} transactions, "
        f"{r.deliveries_per_cycle:.2f} broker deliveries",
        flush=True,
    )


if __name__ == "__main__":
    main()
