"""`leadsync sync | plan | apply`: run a cycle, review what it would do, send it.

`sync --dry-run` and `plan` pull (the CRMs' data is committed: it is true whatever happens
next), then decide without storing a decision: no ledger rows, no scores, no outbox rows. The
plan is printed, summary first. `apply` decides for real what `plan` showed (the same store
gives the same decisions) and sends it with everything already queued.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadsync.connectors.base import Connector
from leadsync.sync import audit
from leadsync.sync.cli import EXIT_QUARANTINE, config_option, load, report_errors
from leadsync.sync.cli_config import why_option
from leadsync.sync.cycle import CycleResult, run_cycle
from leadsync.sync.errorq import raised_in_run
from leadsync.sync.lock import cycle_lock
from leadsync.sync.outbox import discard as discard_queued
from leadsync.sync.outbox import queued
from leadsync.sync.outcome import Write
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.plan_view import print_rows, print_summary
from leadsync.sync.progress import StreamProgress
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


def _open(config_path: str | None, why: str = "") -> Runtime:
    return build_runtime(load(config_path), why=why)


def batch_limits(connectors: Mapping[str, Connector]) -> dict[str, int]:
    return {name: connector.batch_limit for name, connector in connectors.items()}


def exit_for_errors(rt: Runtime, result: CycleResult) -> None:
    """Exit 3 when this run put records in the error queue (older entries do not count)."""
    with rt.sessions() as session:
        if raised_in_run(session, result.run_id):
            sys.exit(EXIT_QUARANTINE)


@click.command()
@config_option
@click.option(
    "--dry-run", is_flag=True, help="Pull, score and plan; store no decision, write nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@why_option
@report_errors
def sync(config_path: str | None, dry_run: bool, as_json: bool, why: str) -> None:
    """Run one incremental cycle. Exit 3 when this run put records in the error queue."""
    rt = _open(config_path, why)
    connectors = build_connectors(rt)
    summary = PlanSummary(keep_rows=True) if dry_run else None
    with cycle_lock(rt.sessions.kw["bind"]), StreamProgress(disable=as_json) as progress:
        result = run_cycle(rt, connectors, dry=dry_run, progress=progress.advance,
                           summary=summary, kind="dry-run" if dry_run else "sync")  # fmt: skip
    if summary is not None:
        if not as_json:
            print_warnings(result.warnings)
        show_plan(rt, connectors, summary, as_json=as_json, limit=30, title="dry run")
    elif as_json:
        print(json.dumps(result.as_dict(), default=str, indent=2))
    else:
        print_cycle(result)
    exit_for_errors(rt, result)


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="The whole plan as JSON.")
@click.option("--limit", type=click.IntRange(min=0), default=30, show_default=True,
              help="Writes to list after the summary.")  # fmt: skip
@click.option("--discard", is_flag=True, help="Drop the writes queued by earlier runs.")
@click.option("--why", default="", help="Why (recorded with --discard in the audit log).")
@report_errors
def plan(config_path: str | None, as_json: bool, limit: int, discard: bool, why: str) -> None:
    """Pull, score and plan; show what `leadsync apply` would send. Stores no decision."""
    rt = _open(config_path)
    if discard:
        _discard(rt, why)
        return
    connectors = build_connectors(rt)
    summary = PlanSummary(keep_rows=True)
    with cycle_lock(rt.sessions.kw["bind"]), StreamProgress(disable=as_json) as progress:
        run_cycle(rt, connectors, dry=True, kind="plan", progress=progress.advance,
                  summary=summary)  # fmt: skip
    show_plan(rt, connectors, summary, as_json=as_json, limit=limit, title="plan")


def _discard(rt: Runtime, why: str) -> None:
    with cycle_lock(rt.sessions.kw["bind"]), rt.sessions.begin() as session:
        dropped = discard_queued(session, actor=audit.shell_actor(), why=why, now=rt.clock())
    console.print(f"discarded {dropped} queued writes (recorded in the audit log)")


def show_plan(
    rt: Runtime, connectors: Mapping[str, Connector], summary: PlanSummary, *, as_json: bool,
    limit: int | None, title: str,
) -> None:  # fmt: skip
    """The plan: new decisions and the writes queued by earlier runs, which `apply` also sends."""
    limits = batch_limits(connectors)
    with rt.sessions() as session:
        earlier = [(email, _as_write(row)) for email, row in queued(session)]
    summary.add_writes([w for _, w in earlier])
    rows = summary.rows_as_dicts()
    queued_rows = [
        {"email": email, "system": w.system, "object": w.obj, "record_id": w.record_id,
         "properties": dict(w.properties), "clear_first": list(w.clear_first),
         "reason": w.reason}
        for email, w in earlier
    ]  # fmt: skip
    if as_json:
        out = summary.as_dict(limits) | {"rows": rows, "queued": queued_rows}
        print(json.dumps(out, default=str, indent=2))
        return
    print_summary(summary, limits, title=title)
    print_rows(rows[:limit], len(rows), title="new writes")
    if queued_rows:
        print_rows(queued_rows[:limit], len(queued_rows), title="queued by earlier runs")
    console.print("send it with `leadsync apply`; nothing was stored or written")


def _as_write(row: Any) -> Write:
    return Write(row.person_id, row.system, row.obj, row.record_id, row.properties,
                 tuple(row.clear_first), row.reason)  # fmt: skip


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@why_option
@report_errors
def apply(config_path: str | None, as_json: bool, why: str) -> None:
    """Decide what `leadsync plan` showed, for real, and send it with the queued writes."""
    rt = _open(config_path, why)
    connectors = build_connectors(rt)
    with cycle_lock(rt.sessions.kw["bind"]), _apply_bar(disable=as_json) as bar:
        task = bar.add_task("writes sent", total=None)
        result = run_cycle(rt, connectors, pull_data=False, kind="apply",
                           apply_progress=lambda n: bar.advance(task, n))  # fmt: skip
    if as_json:
        print(json.dumps(result.as_dict(), default=str, indent=2))
    else:
        counts = result.apply
        console.print(
            f"{result.decide.moved} stage changes stored; applied {counts.done} writes in "
            f"{counts.calls_batches} batches; {counts.failed} failed, {counts.retrying} to retry"
        )
    exit_for_errors(rt, result)


def _apply_bar(*, disable: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), disable=disable)  # fmt: skip


def print_warnings(lines: list[str]) -> None:
    for line in lines:
        console.print(f"[yellow]warning[/yellow] {escape(line)}", soft_wrap=True)


def print_cycle(result: CycleResult) -> None:
    print_warnings(result.warnings)
    pulled = Table(title="pulled")
    pulled.add_column("stream")
    pulled.add_column("records", justify="right")
    for stream, count in sorted(result.ingest.by_stream.items()):
        pulled.add_row(stream, str(count))
    console.print(pulled)
    moves = Table(title="stage changes")
    moves.add_column("transition")
    moves.add_column("people", justify="right")
    for transition, count in sorted(result.decide.transitions.items(), key=lambda kv: -kv[1]):
        moves.add_row(transition, str(count))
    console.print(moves)
    apply = result.apply
    console.print(
        f"run {result.run_id}: {result.ingest.pulled} pulled, {result.ingest.changed} changed, "
        f"{result.ingest.events} new events, {result.decide.scored} scored, "
        f"{result.decide.moved} stage changes, {result.decide.planned} writes planned; "
        f"{apply.done} written in {apply.calls_batches} batches, {apply.failed} failed; "
        f"{result.ingest.quarantined + result.decide.unmapped} records to the error queue"
    )


COMMANDS = [sync, plan, apply]
