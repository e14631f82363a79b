"""`leadsync shadow report`: how the shadow candidate's decisions compare with the live ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.runtime import build_runtime
from leadsync.sync.shadow_report import OUTCOMES, shadow_report

console = Console(highlight=False)

SIDES = {
    "live": "live config",
    "candidate": "candidate",
    "both": "MQL on both",
    "only_live": "only live",
    "only_candidate": "only candidate",
}


@click.group()
def shadow() -> None:
    """Shadow mode: a candidate config decides beside the live one and writes nothing."""


@shadow.command("report")
@config_option
@click.option("--json", "as_json", is_flag=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              default=None, help="Only decisions and MQLs from this date (YYYY-MM-DD, UTC).")  # fmt: skip
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Example emails per divergence.")  # fmt: skip
@report_errors
def report(config_path: str | None, as_json: bool, since: datetime | None, examples: int) -> None:
    """Agreement, divergence by transition, and how each side's MQLs converted. Read-only."""
    rt = build_runtime(load(config_path, secrets=False))
    start = since.replace(tzinfo=UTC) if since else None
    with rt.reading() as session:
        data = shadow_report(session, since=start, examples=examples)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    if data["candidate"] is None:
        console.print("no shadow decisions yet: set \\[scoring] shadow = \"candidate.toml\" in the "
                      "config; every cycle from then on decides with it too")  # fmt: skip
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    cand = data["candidate"]
    rate = data["agreement"]
    console.print(
        f"[bold]shadow candidate[/bold] {cand['path']} ({cand['hash']}), shadowing since "
        f"{_day(cand['since'])}, last run {_day(cand['last_run_at'])}; from {_day(data['since'])}",
        soft_wrap=True,  # a path folded mid-name cannot be copied
    )
    console.print(
        f"{data['people']} people decided by both: {data['agree']} agree"
        + (f" ({rate:.1%})" if rate is not None else "")
    )
    console.print(_divergence_table(data["divergence"]))
    console.print(_moves_table(data["moves"]))
    console.print(_conversion_table(data["conversion"]))
    console.print(
        f"to promote it: `leadsync preview --config {cand['path']}`, then make it the config "
        "(edit config.toml or copy it over) and `leadsync rescore` to review, `--apply` to send; "
        "to go back: `leadsync config rollback REV` and `leadsync revert --revision REV`",
        soft_wrap=True,
    )


def _divergence_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="where they differ (latest decision per person)")
    for column in ("live", "candidate", "people", "examples"):
        table.add_column(column, justify="right" if column == "people" else "left")
    for row in rows:
        table.add_row(row["live"] or "new", row["candidate"], str(row["people"]),
                      ", ".join(row["examples"]))  # fmt: skip
    if not rows:
        table.caption = "no differences"
    return table


def _moves_table(moves: dict[str, dict[str, int]]) -> Table:
    table = Table(title="stage moves in the period")
    for column in ("move", "live", "candidate"):
        table.add_column(column, justify="left" if column == "move" else "right")
    for move, counts in moves.items():
        table.add_row(move, str(counts["live"]), str(counts["candidate"]))
    return table


def _conversion_table(conversion: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="what became of each side's MQLs (live ledger and opportunities)")
    table.add_column("MQLs of")
    table.add_column("people", justify="right")
    for outcome in OUTCOMES:
        table.add_column(f"→ {outcome}", justify="right")
    for side, label in SIDES.items():
        row = conversion[side]
        cells = [f"{row[o]} ({row[f'{o}_rate']:.0%})" if row["mqls"] else "-" for o in OUTCOMES]
        table.add_row(label, str(row["mqls"]), *cells)
    return table


def _day(value: datetime | str) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)


COMMANDS = [shadow]
