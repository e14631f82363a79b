"""`leadsync demo`: the whole story against the bundled sandbox, no accounts needed.

Starts both CRM emulators with a synthetic company's contacts, backfills, runs one sync cycle,
and prints what happened: records pulled, stage changes, API calls per system, the funnel,
the MQL->SQL rate and three explanations a sales rep can read. The sandbox stops at the end.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import requests
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from leadsync.sync.backfill import backfill
from leadsync.sync.cli import report_errors
from leadsync.sync.cli_report import explanation, funnel_data, print_funnel
from leadsync.sync.cli_sync import print_cycle
from leadsync.sync.config import load_settings
from leadsync.sync.cycle import run_cycle
from leadsync.sync.progress import StreamProgress
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import LedgerRow, PersonRow, ScoreRow
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


def _sandbox(contacts: int, seed: int):
    # Imported here: production code paths never load the sandbox.
    from leadsync.sandbox.server import Sandbox

    return Sandbox(contacts=contacts, seed=seed, tier="professional")


def _configure(info: dict[str, Any], workdir: Path) -> Path:
    from leadsync.sandbox.cli import sandbox_config, token_environment

    path = workdir / "config.toml"
    path.write_text(sandbox_config(info, "professional", workdir), encoding="utf-8")
    for line in token_environment(info):
        name, _, value = line.partition("=")
        os.environ[name] = value
    return path


def _stats(info: dict[str, Any]) -> dict[str, Any]:
    return requests.get(f"{info['sandbox_url']}/_sandbox/stats", timeout=10).json()


def _calls(stats: dict[str, Any]) -> Table:
    table = Table(title="API calls per system")
    for column in ("system", "requests", "reads", "writes", "throttled", "errors"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system in ("hubspot", "salesforce"):
        s = stats.get(system, {})
        table.add_row(system, *(str(s.get(k, 0)) for k in ("requests", "reads", "writes",
                                                           "throttled", "errors")))  # fmt: skip
    return table


def _examples(rt: Runtime) -> list[str]:
    """The strongest SQL and MQL that scoring promoted, and a person scoring disqualified."""
    picks = []
    with rt.sessions() as session:
        for stage, strongest in (("sql", True), ("mql", True), ("suspect", False)):
            by_scoring = select(LedgerRow.person_id).where(
                LedgerRow.cause == "score", LedgerRow.to_stage == stage
            )
            total = ScoreRow.total.desc() if strongest else ScoreRow.total
            email = session.scalars(
                select(PersonRow.email)
                .join(ScoreRow, ScoreRow.person_id == PersonRow.id)
                .where(PersonRow.stage == stage, PersonRow.id.in_(by_scoring))
                .order_by(total, PersonRow.id)
            ).first()
            if email:
                picks.append(email)
    return picks


def _print_example(rt: Runtime, email: str) -> None:
    data = explanation(rt, email)
    score = data["score"] or {}
    console.rule(f"{email}: {data['stage']}")
    console.print(f"fit {score.get('fit')} + engagement {score.get('engagement')} = "
                  f"{score.get('total')}  (grade {score.get('grade')})")  # fmt: skip
    for c in score.get("contributions", [])[:6]:
        console.print(f"  {c['points']:+6g}  {c['label']}  [dim]{c['evidence']}[/dim]")
    if data["trail"]:
        last = data["trail"][-1]
        console.print(f"  stage: {last['from'] or 'new'} -> {last['to']} by {last['actor']}: "
                      f"{last['reason']}")  # fmt: skip
    console.print(f"  CRM top reasons: [italic]{data['reasons']}[/italic]")


@click.command()
@click.option("--contacts", type=click.IntRange(min=10), default=1500, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@report_errors
def demo(contacts: int, seed: int) -> None:
    """Start the sandbox with sample data, backfill, run one cycle, print the result."""
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="leadsync-demo-") as tmp,
        _sandbox(contacts, seed) as box,
    ):
        info = box.info()
        console.print(f"sandbox up: HubSpot {info['hubspot_url']}, "
                      f"Salesforce {info['salesforce_url']} ({contacts} contacts)")  # fmt: skip
        rt = build_runtime(load_settings(_configure(box.info(), Path(tmp))))
        connectors = build_connectors(rt)
        console.rule("backfill")
        with StreamProgress() as progress:
            pulled = backfill(rt, connectors, progress=progress.advance)
        console.print(f"backfill: {pulled.ingest.pulled} records, "
                      f"{pulled.ingest.quarantined} to the error queue")  # fmt: skip
        console.rule("sync cycle: score, decide, write back")
        result = run_cycle(rt, connectors)
        print_cycle(result)
        console.print(_calls(_stats(box.info())))
        console.rule("funnel")
        print_funnel(funnel_data(rt))
        console.rule("why: three people")
        for email in _examples(rt):
            _print_example(rt, email)
        console.rule("a second cycle right after")
        again = run_cycle(rt, connectors)
        console.print(f"second cycle: {again.ingest.pulled} pulled, {again.decide.moved} moves, "
                      f"{again.apply.done} writes")  # fmt: skip
    console.print(f"demo finished in {time.monotonic() - started:.1f} s; sandbox stopped")


COMMANDS = [demo]
