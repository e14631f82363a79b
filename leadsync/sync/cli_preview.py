"""`leadsync preview` and `leadsync rescore`: see what a config would do before it moves anyone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.cli_config import why_option
from leadsync.sync.cli_sync import batch_limits, exit_for_errors, show_plan
from leadsync.sync.config import load_settings
from leadsync.sync.lock import cycle_lock
from leadsync.sync.plan_view import print_moves, print_writes
from leadsync.sync.preview import AXES, preview
from leadsync.sync.remap import remap
from leadsync.sync.rescore import apply_rescore, review_rescore
from leadsync.sync.runtime import build_runtime
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


@click.command("preview")
@click.option("--config", "candidate", required=True, type=click.Path(dir_okay=False),
              help="The candidate config to try.")  # fmt: skip
@click.option("--current", "current", type=click.Path(dir_okay=False), default=None,
              help="The config in use (default ./config.toml, then $LEADSYNC_CONFIG).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Example people per move.")  # fmt: skip
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write the score distributions before and after (PNG or SVG).")  # fmt: skip
@report_errors
def preview_command(
    candidate: str, current: str | None, as_json: bool, examples: int, plot: str | None
) -> None:
    """What CANDIDATE would do if it replaced the current config. Writes nothing anywhere."""
    rt = build_runtime(load(current, secrets=False))
    proposed = load_settings(Path(candidate), secrets=False)
    result = preview(rt, proposed, now=rt.clock(), examples=examples)
    data = result.as_dict(batch_limits(build_connectors(rt)))
    if plot:
        from leadsync.sync.plots import score_histograms

        score_histograms({a: result.scores[a]["before"] for a in AXES},
                         {a: result.scores[a]["after"] for a in AXES}, Path(plot))  # fmt: skip
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    _print_preview(data, candidate)


def _print_preview(data: dict[str, Any], candidate: str) -> None:
    console.print(
        f"[bold]preview of {candidate}[/bold] over {data['people']} people: "
        f"{sum(data['moves'].values())} would move, {sum(data['writes'].values())} writes, "
        f"{data['creates']} records to create, {sum(data['api_calls'].values())} API calls"
    )
    print_moves(data)
    for move, shown in data["examples"].items():
        for example in shown:
            rules = ", ".join(f"{rule} {d['before']:+g}→{d['after']:+g}"
                              for rule, d in example["rules_that_differ"].items())  # fmt: skip
            console.print(f"  {move}: {example['email']} {example['score_before']:g} → "
                          f"{example['score_after']:g}  [dim]{rules or example['why']}[/dim]")  # fmt: skip
    if data["holds"]:
        held = ", ".join(f"{k} {n}" for k, n in data["holds"].items())
        console.print(f"would no longer qualify but stay (scoring never demotes): {held}")
    print_writes(data, data["api_calls"])
    console.print(_distribution_table(data["distribution"]))
    console.print("nothing was stored or written; adopt it by replacing the config, then "
                  "`leadsync rescore` to review and `leadsync rescore --apply` to send")  # fmt: skip


def _distribution_table(distribution: dict[str, Any]) -> Table:
    table = Table(title="score distribution (p25 / median / p75)")
    for column in ("score", "before", "after"):
        table.add_column(column, justify="left" if column == "score" else "right")
    for axis, data in distribution.items():
        cells = [
            "/".join(f"{data[side].get(q, 0):g}" for q in ("p25", "median", "p75"))
            for side in ("before", "after")
        ]
        table.add_row(axis, *cells)
    return table


@click.command()
@config_option
@click.option(
    "--apply", "send", is_flag=True, help="Rescore everyone for real and send the writes."
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", type=click.IntRange(min=0), default=30, show_default=True)
@why_option
@report_errors
def rescore(config_path: str | None, send: bool, as_json: bool, limit: int, why: str) -> None:
    """Rescore everyone with the current config: show the plan, or with --apply send it."""
    rt = build_runtime(load(config_path), why=why)
    connectors = build_connectors(rt)
    with cycle_lock(rt.sessions.kw["bind"]):
        if not send:
            summary = review_rescore(rt, connectors, kind="rescore-plan", keep_rows=True)
            show_plan(rt, connectors, summary, as_json=as_json, limit=limit, title="rescore")
            return
        result = apply_rescore(rt, connectors)
    console.print(f"rescored {result.decide.scored} people: {result.decide.moved} stage changes, "
                  f"{result.apply.done} writes sent, {result.apply.failed} failed")  # fmt: skip
    exit_for_errors(rt, result)


@click.command("remap")
@config_option
@click.option("--dry-run", is_flag=True, help="Count what would change; store nothing.")
@click.option("--json", "as_json", is_flag=True)
@report_errors
def remap_command(config_path: str | None, dry_run: bool, as_json: bool) -> None:
    """Apply the config's field maps and source rules to every stored record; no CRM calls."""
    rt = build_runtime(load(config_path, secrets=False))
    with cycle_lock(rt.sessions.kw["bind"]):
        result = remap(rt, dry_run=dry_run)
    data = {"people": result.people, "changed": result.changed, "fields": dict(result.fields)}
    if as_json:
        print(json.dumps(data, indent=2))
        return
    verb = "would change" if dry_run else "changed"
    console.print(f"{result.people} people remapped: {verb} the fields of {result.changed}"
                  + (f" ({', '.join(f'{k} {n}' for k, n in result.fields.most_common())})"
                     if result.fields else ""))  # fmt: skip
    if result.changed and not dry_run:
        console.print("they are rescored at the next cycle (`leadsync plan` shows what follows)")


COMMANDS = [preview_command, rescore, remap_command]
