"""`leadsync errors [--type T] [--json]`, `errors retry [ID | --type T]`, `errors dismiss ID`.

The error queue as an admin works it, like a CRM integration's sync-health tab: open entries grouped by
type, each naming the person, the record, the field and what to do.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.errors import UsageError
from leadsync.sync import triage
from leadsync.sync.audit import shell_actor
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.errorq import TYPES
from leadsync.sync.runtime import Runtime, build_runtime

console = Console(highlight=False)

TYPE_HELP = f"Only entries of this type: {', '.join(TYPES)}."


def _open(config_path: str | None) -> Runtime:
    return build_runtime(load(config_path))


@click.group(invoke_without_command=True)
@config_option
@click.option("--type", "type_", metavar="T", help=TYPE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the open entries as JSON.")
@click.pass_context
@report_errors
def errors(ctx: click.Context, config_path: str | None, type_: str | None, as_json: bool) -> None:
    """Open error-queue entries, grouped by type; `retry` and `dismiss` act on them."""
    if ctx.invoked_subcommand is not None:
        return
    rt = _open(config_path)
    with rt.sessions() as session:
        found = [triage.view(e) for e in triage.entries(session, type_=type_)]
    if as_json:
        by_type = defaultdict(int)
        for entry in found:
            by_type[entry["type"]] += 1
        data = {"open": len(found), "by_type": dict(by_type), "entries": found}
        print(json.dumps(data, default=str, indent=2))
        return
    _print(found)


def _print(found: list[dict[str, Any]]) -> None:
    if not found:
        console.print("no open errors")
        return
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in found:
        groups[entry["type"]].append(entry)
    table = Table(title=f"open errors ({len(found)})")
    table.add_column("type")
    table.add_column("entries", justify="right")
    for type_, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        table.add_row(type_, str(len(group)))
    console.print(table)
    for type_, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        console.print(f"\n[bold]{type_}[/bold] ({len(group)})")
        for entry in group:
            _print_entry(entry)


def _print_entry(e: dict[str, Any]) -> None:
    field = e["field"] or (f"writing {', '.join(e['properties'])}" if e["properties"] else "-")
    next_retry = f"{e['next_retry_at']:%Y-%m-%d %H:%M}" if e["next_retry_at"] else "-"
    lines = [
        f"[bold]#{e['id']}[/bold]  {e['created_at']:%Y-%m-%d %H:%M}  "
        f"{escape(e['email'] or '(no email)')}",
        f"record {escape(e['record'])} · field {escape(field)} · {e['code']}",
        escape(e["message"]),
        f"what to do: {escape(e['hint'] or '')}",
        f"retry: {e['retry_policy']} · attempts {e['attempts']} · next retry {next_retry}",
    ]
    console.print(lines[0])
    for line in lines[1:]:
        console.print(f"     {line}", soft_wrap=True)


@errors.command()
@click.argument("entry_id", metavar="[ID]", type=int, required=False)
@click.option("--type", "type_", metavar="T", help=TYPE_HELP)
@config_option
@report_errors
def retry(entry_id: int | None, type_: str | None, config_path: str | None) -> None:
    """Retry one entry, one type, or (with neither) every open entry, on the next run.

    A failed write goes back to the outbox at once: the next `leadsync apply` or cycle sends it.
    """
    if entry_id is not None and type_ is not None:
        raise UsageError("give an entry ID or --type T, not both")
    rt = _open(config_path)
    with rt.sessions.begin() as session:
        chosen = triage.retry(session, entry_id=entry_id, type_=type_, actor=shell_actor(),
                              now=rt.clock())  # fmt: skip
        ids = [e.id for e in chosen]
    console.print(f"{len(ids)} entries due for retry: {', '.join(f'#{i}' for i in ids) or '-'}")


@errors.command()
@click.argument("entry_id", metavar="ID", type=int)
@click.option("--why", required=True, help="Why the entry needs no action (kept in the audit).")
@config_option
@report_errors
def dismiss(entry_id: int, why: str, config_path: str | None) -> None:
    """Take an entry off the open list (audited, with your reason)."""
    rt = _open(config_path)
    with rt.sessions.begin() as session:
        triage.dismiss(session, entry_id, why=why, actor=shell_actor(), now=rt.clock())
    console.print(f"dismissed #{entry_id}")


COMMANDS = [errors]
