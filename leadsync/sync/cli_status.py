"""`leadsync status`: cursors, last runs, people by stage, what is queued and what failed."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.errorq import open_errors, summary
from leadsync.sync.outbox import DUE
from leadsync.sync.push import health as push_health
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import CursorRow, OutboxRow, PersonRow, RunRow, ShadowCandidateRow
from leadsync.sync.shadow import candidate_text

console = Console(highlight=False)


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@report_errors
def status(config_path: str | None, as_json: bool) -> None:
    """Cursors, last runs, counts, the pending plan and the error queue."""
    rt = build_runtime(load(config_path, secrets=False))
    data = status_data(rt)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    _print_status(data)


def status_data(rt: Runtime) -> dict[str, Any]:
    with rt.reading() as session:
        stages = session.execute(select(PersonRow.stage, func.count()).group_by(PersonRow.stage))
        outbox = session.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))
        cursor_rows = session.scalars(
            select(CursorRow).order_by(CursorRow.system, CursorRow.stream)
        )
        runs = session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(5))
        errors = open_errors(session)
        return {
            "shadow": shadow_status(rt, session),
            "persons": {str(k): v for k, v in stages.all()},
            "outbox": dict(outbox.all()),
            "pending": pending_plan(session),
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
            "errors_by_type": summary(session),
            "push": push_health.summary(session, rt.settings, rt.clock()),
            "errors": [
                {"id": e.id, "system": e.system, "stage": e.stage, "record": e.record,
                 "code": e.code, "retry": e.retry, "attempts": e.attempts, "message": e.message}
                for e in errors
            ],
        }  # fmt: skip


def shadow_status(rt: Runtime, session: Any) -> dict[str, Any] | None:
    """Whether shadow mode is on, with which candidate, and since when (None: off)."""
    candidate = rt.settings.shadow
    if candidate is None or candidate.source is None:
        return None
    digest = candidate_text(candidate.source.text)[1]
    ran = session.scalars(
        select(ShadowCandidateRow).where(ShadowCandidateRow.hash == digest)
    ).first()
    return {"candidate": str(candidate.source.path), "since": ran.since if ran else None}


def pending_plan(session: Any) -> dict[str, Any]:
    """What the next `apply` (or cycle) would act on without pulling anything new."""
    queued = session.execute(
        select(OutboxRow.system, func.count()).where(OutboxRow.state.in_(DUE))
        .group_by(OutboxRow.system)
    )  # fmt: skip
    undecided = session.scalar(select(func.count()).select_from(PersonRow).where(PersonRow.dirty))
    rescore = session.scalars(
        select(RunRow).where(RunRow.kind.in_(("rescore-plan", "rescore")), RunRow.status == "ok")
        .order_by(RunRow.id.desc())
    ).first()  # fmt: skip
    waiting = rescore if rescore is not None and rescore.kind == "rescore-plan" else None
    return {
        "queued_writes": dict(queued.all()),
        "people_to_decide": undecided,
        "rescore_waiting": (waiting.counts.get("plan", {}) | {"run": waiting.id})
        if waiting
        else None,
    }


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
    _print_pending(data["pending"])
    console.print(push_health.describe(data["push"]))
    if data["shadow"]:
        since = data["shadow"]["since"]
        console.print(
            f"shadow mode is on: {data['shadow']['candidate']} decides beside the live config "
            + (f"since {since:%Y-%m-%d %H:%M}" if since else "from the next cycle")
            + "; `leadsync shadow report` compares them",
            soft_wrap=True,  # a path folded mid-name cannot be copied
        )
    errors = Table(title=f"error queue ({len(data['errors'])} open)")
    for column in ("type", "open"):
        errors.add_column(column)
    for code, count in data["errors_by_type"].items():
        errors.add_row(code, str(count))
    errors.caption = "details: `leadsync errors`"
    console.print(errors)


def _print_pending(pending: dict[str, Any]) -> None:
    queued = pending["queued_writes"]
    console.print(
        f"pending plan: {sum(queued.values())} queued writes "
        f"({', '.join(f'{k} {v}' for k, v in queued.items()) or 'none'}), "
        f"{pending['people_to_decide']} people to decide; review with `leadsync plan`"
    )
    waiting = pending["rescore_waiting"]
    if waiting:
        console.print(
            f"[yellow]a rescore is waiting for review[/yellow] (run {waiting['run']}): it would "
            f"move {sum(waiting.get('moves', {}).values())} people and make "
            f"{sum(waiting.get('writes', {}).values())} writes; `leadsync rescore` shows it, "
            "`leadsync rescore --apply` sends it"
        )


COMMANDS = [status]
