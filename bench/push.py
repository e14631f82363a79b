"""Speed to lead: from a demo request submitted in the sandbox to both CRMs showing it.

    .venv/bin/python -m bench.push            # 100 trials
    .venv/bin/python -m bench.push --quick    # 10 trials

The sandbox runs in this process (its state is read directly, so watching costs no API call
and no rate limit); `leadsync push serve` runs as a child process, as in production, after one
polling cycle set the cursors. The sandbox pushes its changes as signed webhooks. Each trial
submits the demo request form for a new, well-fitting visitor and measures until the HubSpot
contact shows the lifecycle stage the config writes for `sql`, and until a Salesforce Lead
with that email exists. Then, over Salesforce Change Data Capture, a sales rep closes that
Lead as not converted and the trial measures until the HubSpot contact's lead status shows it
(the value the config writes for `suspect`). Prints p50 and p95 (and the worst) of each.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from leadsync.mapping.model import Stage
from leadsync.sandbox.cli import sandbox_config, token_environment
from leadsync.sandbox.hubspot.webhooks import Subscription
from leadsync.sandbox.server import Sandbox
from leadsync.sync.config import load_settings
from leadsync.sync.cycle import run_cycle
from leadsync.sync.runtime import build_runtime
from leadsync.sync.wiring import build_connectors
from tests.sync.push_support import (
    DEMO_FIELDS,
    SECRET_ENV,
    demo_form,
    free_port,
    hubspot_contact,
    salesforce_lead,
    submit_form,
    wait_for,
)

TARGET_P95 = 10.0
TRIAL_TIMEOUT = 60.0
console = Console(highlight=False)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.push", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--trials", type=int, default=None, help="default 100 (quick: 10)")
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    args.trials = args.trials or (10 if args.quick else 100)
    return args


def _setup(box: Sandbox, directory: Path) -> tuple[Path, dict[str, str], str, str]:
    """Config and environment for the sandbox, one polling cycle done; the expected values."""
    config = directory / "config.toml"
    text = sandbox_config(box.info(), "professional", directory)
    config.write_text(text + "\n[push]\nchange_streams = true\n", encoding="utf-8")
    env = dict(line.split("=", 1) for line in token_environment(box.info()))
    env[SECRET_ENV] = "bench-" + uuid.uuid4().hex
    os.environ.update(env)
    rt = build_runtime(load_settings(config))
    run_cycle(rt, build_connectors(rt))
    stage = next(v for v in rt.vocabularies if v.prop == "lifecyclestage").to_system(Stage.SQL)
    status = next(v for v in rt.vocabularies if v.prop == "hs_lead_status").to_system(Stage.SUSPECT)
    rt.close()
    return config, env, stage or "", status or ""


def _serve(config: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "leadsync", "push", "serve", "--config", str(config),
               "--port", str(port)]  # fmt: skip
    child = subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("wb"),
                             stderr=subprocess.STDOUT)  # fmt: skip

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    if not wait_for(listening, timeout=60, every=0.2):
        child.terminate()
        raise SystemExit(f"`leadsync push serve` did not start; see {log}")
    return child


def _closed_by_rep(box: Sandbox, rep: str, email: str, status: str) -> float | None:
    """A sales rep closes the Lead; seconds until HubSpot shows the contact's new status."""
    lead = salesforce_lead(box.salesforce, email)
    if lead is None:
        return None
    started = time.perf_counter()
    url = f"{box.info()['salesforce_url']}/services/data/v59.0/sobjects/Lead/{lead['Id']}"
    answer = requests.patch(url, json={"Status": "Closed - Not Converted"}, timeout=10,
                            headers={"Authorization": f"Bearer {rep}"},
                            verify=box.info()["ca_bundle"])  # fmt: skip
    answer.raise_for_status()
    shown = wait_for(
        lambda: (hubspot_contact(box.hubspot, email) or {}).get("hs_lead_status") == status,
        timeout=TRIAL_TIMEOUT, every=0.02,
    )  # fmt: skip
    return time.perf_counter() - started if shown else None


def _rep_token(box: Sandbox) -> str:
    with box.salesforce.locked():
        users = box.salesforce.rows("User", include_deleted=False)
        rep = next(u for u in users if "integration" not in (u["Username"] or "").lower())
    return box.salesforce.issue_token(rep["Id"])


def _trial(box: Sandbox, form: str, stage: str) -> tuple[float | None, float | None, str]:
    email = f"demo.{uuid.uuid4().hex[:10]}@northwind-outfitters.com"
    started = time.perf_counter()
    submit_form(box.info()["hubspot_url"], box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    seen: dict[str, float] = {}

    def arrived() -> bool:
        now = time.perf_counter() - started
        if (
            "hubspot" not in seen
            and (hubspot_contact(box.hubspot, email) or {}).get("lifecyclestage") == stage
        ):
            seen["hubspot"] = now
        if "salesforce" not in seen and salesforce_lead(box.salesforce, email):
            seen["salesforce"] = now
        return len(seen) == 2

    wait_for(arrived, timeout=TRIAL_TIMEOUT, every=0.02)
    return seen.get("hubspot"), seen.get("salesforce"), email


def _row(table: Table, name: str, values: list[float | None]) -> None:
    done = sorted(v for v in values if v is not None)
    if not done:
        table.add_row(name, "-", "-", "-", f"0/{len(values)}")
        return
    p95 = done[min(len(done) - 1, round(0.95 * (len(done) - 1)))]
    table.add_row(name, f"{statistics.median(done):.2f}", f"{p95:.2f}", f"{done[-1]:.2f}",
                  f"{len(done)}/{len(values)}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    with (
        tempfile.TemporaryDirectory(prefix="leadsync-bench-push-") as tmp,
        Sandbox(contacts=args.contacts, seed=args.seed) as box,
    ):
        directory = Path(tmp)
        config, env, stage, status = _setup(box, directory)
        port = free_port()
        child = _serve(config, env, port, directory / "push.log")
        try:
            url = f"http://127.0.0.1:{port}/webhooks/hubspot"
            box.hubspot.webhooks.subscribe(Subscription(url, env[SECRET_ENV]))
            form = demo_form(box.hubspot)
            console.print(f"{args.trials} demo requests; waiting for lifecyclestage={stage!r} "
                          "in HubSpot and a Lead in Salesforce")  # fmt: skip
            rep = _rep_token(box)
            results, closed = [], []
            for _ in range(args.trials):
                hubspot, salesforce, email = _trial(box, form, stage)
                results.append((hubspot, salesforce))
                closed.append(_closed_by_rep(box, rep, email, status))
        finally:
            child.terminate()
            child.wait(timeout=30)
    table = Table(
        title=f"speed to lead over push ({args.trials} trials; target p95 <= {TARGET_P95:.0f} s)"
    )
    for column in ("change -> what shows it", "p50 s", "p95 s", "worst s", "arrived"):
        table.add_column(column, justify="left" if column.startswith("change") else "right")
    _row(table, f"demo request -> HubSpot lifecyclestage = {stage}", [h for h, _ in results])
    _row(table, "demo request -> Salesforce Lead exists", [s for _, s in results])
    both = [None if h is None or s is None else max(h, s) for h, s in results]
    _row(table, "demo request -> both", both)
    _row(table, f"rep closes the Lead (CDC) -> HubSpot lead status = {status}", closed)
    console.print(table)


if __name__ == "__main__":
    main()
