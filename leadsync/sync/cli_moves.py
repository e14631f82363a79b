"""`leadsync move` and `leadsync revert`: deliberate, audited stage changes in both CRMs."""

from __future__ import annotations

import json

import click
from rich.console import Console

from leadsync.mapping.model import Stage
from leadsync.sync import audit, revisions
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.lock import cycle_lock
from leadsync.sync.moves import move_people
from leadsync.sync.revert import revert as undo
from leadsync.sync.runtime import build_runtime
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


@click.command()
@click.argument("emails", nargs=-1, required=True)
@click.option("--to", "to", required=True, type=click.Choice([s.value for s in Stage]),
              help="The stage to move them to.")  # fmt: skip
@click.option("--why", required=True, help="Recorded in the ledger and the audit log.")
@click.option("--dry-run", is_flag=True, help="Check the moves are allowed; change nothing.")
@config_option
@report_errors
def move(
    emails: tuple[str, ...], to: str, why: str, dry_run: bool, config_path: str | None
) -> None:
    """Move people to a stage on purpose: recorded, audited, written to both CRMs."""
    rt = build_runtime(load(config_path), why=why)
    connectors = build_connectors(rt)
    with cycle_lock(rt.sessions.kw["bind"]):
        moves, written = move_people(rt, connectors, emails, Stage(to), why=why,
                                     actor=audit.shell_actor(), dry_run=dry_run)  # fmt: skip
    for m in moves:
        console.print(f"{m.email}: {m.src.value if m.src else 'new'} -> {m.dst.value}")
    if dry_run:
        console.print(f"{len(moves)} moves allowed; nothing was changed (--dry-run)")
        return
    console.print(f"moved {len(moves)} people; {written.done} writes sent, {written.failed} failed")


@click.command()
@click.option(
    "--revision", "ref", required=True, help="The revision to undo: r12, 12 or a hash prefix."
)
@click.option(
    "--dry-run", is_flag=True, help="Show who would move back and which Leads go; change nothing."
)
@click.option("--why", default="", help="Recorded with the moves back (default: revert of REV).")
@click.option("--json", "as_json", is_flag=True)
@config_option
@report_errors
def revert(ref: str, dry_run: bool, why: str, as_json: bool, config_path: str | None) -> None:
    """Move back everyone a revision's rules moved, and withdraw the Leads it made untouched."""
    rt = build_runtime(load(config_path))
    connectors = build_connectors(rt)
    with cycle_lock(rt.sessions.kw["bind"]):
        with rt.sessions() as session:
            row = revisions.find(session, ref)
            label = revisions.label(row)
        plan = undo(rt, connectors, row.id, label, actor=audit.shell_actor(), why=why,
                    dry_run=dry_run)  # fmt: skip
    if as_json:
        print(json.dumps(plan.as_dict(), indent=2))
        return
    _print_revert(plan.as_dict(), dry_run)


def _print_revert(data: dict, dry_run: bool) -> None:
    verb = "would move back" if dry_run else "moved back"
    console.print(f"{data['revision']}: {verb} {len(data['moved_back'])} people, "
                  f"{'would withdraw' if dry_run else 'withdrew'} "
                  f"{len(data['leads_withdrawn'])} Leads")  # fmt: skip
    for m in data["moved_back"]:
        console.print(f"  {m['email']}: {m['from']} -> {m['to']}")
    for kept in data["left_alone"]:
        console.print(f"  [yellow]left alone[/yellow] {kept['email']}: {kept['why']}")
    for lead in data["leads_listed"]:
        console.print(f"  [yellow]Lead kept[/yellow] {lead['record_id']} ({lead['email']}): "
                      f"{lead['why']}; remove it in the CRM if it should go")  # fmt: skip


COMMANDS = [move, revert]
