"""`leadsync sync | plan | apply | status`: run a cycle, inspect and drain the outbox."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from leadsync.sync.cli import EXIT_QUARANTINE, config_option, load, report_errors
from leadsync.sync.cycle import CycleResult, run_cycle
from leadsync.sync.errorq import open_errors
from leadsync.sync.lock import cycle_lock
from leadsync.sync.outbox import Applier, pending_rows
from leadsync.sync.progress import StreamProgress
from leadsync.sync.provision import ensure_provisioned
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import CursorRow, OutboxRow, PersonRow, RunRow
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


def _open(config_path: str | None) -> Runtime:
    return build_runtime(load(config_path))


def _exit_for_errors(rt: Runtime) -> None:
    with rt.sessions() as session:
        if open_errors(session):
            sys.exit(EXIT_QUARANTINE)


@click.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Pull, score and plan; write nothing to the CRMs.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@report_errors
def sync(config_path: str | None, dry_run: bool, as_json: bool) -> None:
    """Run one incremental cycle. Exit 3 when records are left in the error queue."""
    rt = _open(config_path)
    connectors = build_connectors(rt)
    with cycle_lock(rt.sessions.kw["bind"]), StreamProgress(disable=as_json) as progress:
        result = run_cycle(rt, connectors, apply=not dry_run, progress=progress.advance)
    if as_json:
        print(json.dumps(result.as_dict(), default=str, indent=2))
    else:
        print_cycle(result, dry_run=dry_run)
        if dry_run:
            _print_plan(rt)
    _exit_for_errors(rt)


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@report_errors
def plan(config_path: str | None, as_json: bool) -> None:
    """Pull, score and plan; show the writes `leadsync apply` would make."""
    rt = _open(config_path)
    with cycle_lock(rt.sessions.kw["bind"]), StreamProgress(disable=as_json) as progress:
        run_cycle(rt, build_connectors(rt), apply=False, kind="plan", progress=progress.advance)
    if as_json:
        print(json.dumps(_plan_rows(rt), default=str, indent=2))
    else:
        _print_plan(rt)


@click.command()
@config_option
@report_errors
def apply(config_path: str | None) -> None:
    """Send exactly the pending writes `leadsync plan` showed."""
    rt = _open(config_path)
    connectors = build_connectors(rt)
    applier = Applier(rt.sessions, max_attempts=rt.settings.sync.max_attempts, run_id=None,
                      clock=rt.clock)  # fmt: skip
    with cycle_lock(rt.sessions.kw["bind"]):
        ensure_provisioned(rt, connectors)
        for name, connector in connectors.items():
            applier.drain(name, connector)
    counts = applier.counts
    console.print(
        f"applied {counts.done} writes in {counts.calls_batches} batches; "
        f"{counts.failed} failed, {counts.retrying} to retry"
    )
    _exit_for_errors(rt)


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@report_errors
def status(config_path: str | None, as_json: bool) -> None:
    """Cursors, last runs, counts and the error queue."""
    rt = _open(config_path)
    data = _status(rt)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    _print_status(data)


# --- rendering -------------------------------------------------------------------------


def print_cycle(result: CycleResult, *, dry_run: bool = False) -> None:
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
    written = "not applied (dry run)" if dry_run else (
        f"{apply.done} written in {apply.calls_batches} batches, {apply.failed} failed"
    )  # fmt: skip
    console.print(
        f"run {result.run_id}: {result.ingest.pulled} pulled, {result.ingest.changed} changed, "
        f"{result.ingest.events} new events, {result.decide.scored} scored, "
        f"{result.decide.moved} stage changes, {result.decide.planned} writes planned; "
        f"{written}; {result.ingest.quarantined} records to the error queue"
    )


def _plan_rows(rt: Runtime) -> list[dict[str, Any]]:
    with rt.sessions() as session:
        return [
            {"id": r.id, "system": r.system, "object": r.obj, "record_id": r.record_id,
             "properties": r.properties, "clear_first": r.clear_first, "reason": r.reason}
            for r in pending_rows(session)
        ]  # fmt: skip


def _print_plan(rt: Runtime, limit: int = 30) -> None:
    rows = _plan_rows(rt)
    table = Table(title=f"planned writes ({len(rows)})")
    for column in ("id", "system", "object", "record", "properties"):
        table.add_column(column)
    for row in rows[:limit]:
        props = ", ".join(f"{k}={v}" for k, v in row["properties"].items())
        if row["clear_first"]:
            props = f"[yellow]clear {', '.join(row['clear_first'])} first;[/yellow] {props}"
        table.add_row(
            str(row["id"]), row["system"], row["object"], row["record_id"] or "(new)", props
        )
    if len(rows) > limit:
        table.caption = f"... and {len(rows) - limit} more (--json lists all)"
    console.print(table)


def _status(rt: Runtime) -> dict[str, Any]:
    with rt.sessions() as session:
        stages = dict(
            session.execute(select(PersonRow.stage, func.count()).group_by(PersonRow.stage)).all()
        )
        outbox = dict(
            session.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all()
        )
        runs = session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(5)).all()
        cursor_rows = session.scalars(
            select(CursorRow).order_by(CursorRow.system, CursorRow.stream)
        ).all()
        errors = open_errors(session)
        return {
            "persons": {str(k): v for k, v in stages.items()},
            "outbox": outbox,
            "cursors": [
                {"system": c.system, "stream": c.stream, "position": c.position_at,
                 "id": c.position_id}
                for c in cursor_rows
            ],
            "runs": [
                {"id": r.id, "kind": r.kind, "started": r.started_at, "finished": r.finished_at,
                 "status": r.status, "message": r.message}
                for r in runs
            ],
            "errors": [
                {"id": e.id, "system": e.system, "stage": e.stage, "record": e.record,
                 "code": e.code, "retry": e.retry, "attempts": e.attempts, "message": e.message}
                for e in errors
            ],
        }  # fmt: skip


def _print_status(data: dict[str, Any]) -> None:
    people = Table(title="people by canonical stage")
    people.add_column("stage")
    people.add_column("people", justify="right")
    for stage, count in sorted(data["persons"].items()):
        people.add_row(stage, str(count))
    console.print(people)
    cursors = Table(title="cursors")
    for column in ("system", "stream", "position", "last id"):
        cursors.add_column(column)
    for c in data["cursors"]:
        cursors.add_row(c["system"], c["stream"], str(c["position"]), str(c["id"]))
    console.print(cursors)
    runs = Table(title="last runs")
    for column in ("id", "kind", "started", "status", "message"):
        runs.add_column(column)
    for r in data["runs"]:
        runs.add_row(str(r["id"]), r["kind"], str(r["started"]), r["status"], r["message"] or "")
    console.print(runs)
    console.print(f"outbox: {data['outbox'] or 'empty'}")
    errors = Table(title=f"error queue ({len(data['errors'])} open)")
    for column in ("record", "code", "retry", "tries", "message"):
        errors.add_column(column)
    for e in data["errors"][:30]:
        errors.add_row(e["record"], e["code"], e["retry"], str(e["attempts"]), e["message"])
    console.print(errors)


COMMANDS = [sync, plan, apply, status]
