"""`leadsync move`: a deliberate, audited stage change written to both CRMs."""

from __future__ import annotations

import click
from rich.console import Console

from leadsync.mapping.model import Stage
from leadsync.sync import audit
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.lock import cycle_lock
from leadsync.sync.moves import move_people
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


COMMANDS = [move]
