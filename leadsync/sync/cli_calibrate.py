"""`leadsync calibrate`: which attributes go with reaching the outcome, and better rules.

Reads the store only (people, events, the ledger with the reconstructed history): no lock, no
CRM, no secrets. `--write-rules FILE` writes the current config with the suggested `[scoring]`
section, for `leadsync preview --config FILE` and then for adopting by hand.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import tomlkit
from rich.console import Console
from rich.table import Table

from leadsync.errors import UsageError
from leadsync.scoring.calibrate import Calibration
from leadsync.scoring.evidence import field_evidence
from leadsync.scoring.thresholds import Target
from leadsync.sync.calibration import OUTCOMES, run_calibration
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.config import Settings
from leadsync.sync.runtime import build_runtime

console = Console(highlight=False)
SHOWN = 30  # attribute rows in the human output, furthest from the base rate first


@click.command("calibrate")
@config_option
@click.option("--outcome", default="won", show_default=True,
              help=f"What counts as success: {', '.join(OUTCOMES)}.")  # fmt: skip
@click.option("--since", default=None, help="Only people created on or after DATE (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--plot", type=click.Path(file_okay=False), default=None,
              help="Write lift.png, scores.png and roc.png into DIR.")  # fmt: skip
@click.option("--write-rules", type=click.Path(dir_okay=False), default=None,
              help="Write the config with the suggested [scoring] section to FILE.")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite the --write-rules file if it exists.")
@click.option("--target-mql-rate", type=float, default=None, help="Share of people to make MQL.")
@click.option("--target-sql-precision", type=float, default=None,
              help="Share of SQLs that should reach the outcome.")  # fmt: skip
@click.option("--mql-per-month", type=float, default=None, help="MQL volume per month to aim at.")
@report_errors
def calibrate_command(
    config_path: str | None, outcome: str, since: str | None, as_json: bool, plot: str | None,
    write_rules: str | None, force: bool, target_mql_rate: float | None,
    target_sql_precision: float | None, mql_per_month: float | None,
) -> None:  # fmt: skip
    """Learn from won (or qualified) people which rules predict the outcome; suggest rules."""
    if outcome not in OUTCOMES:
        raise UsageError(f"--outcome {outcome!r} is not known; use one of: {', '.join(OUTCOMES)}")
    target = _target(target_mql_rate, target_sql_precision, mql_per_month)
    start = _since(since)
    out = Path(write_rules) if write_rules else None
    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to overwrite it, or name another file")
    settings = load(config_path, secrets=False)
    rt = build_runtime(settings)
    # The JSON goes to stdout alone: the spinner then talks to stderr.
    spinner = Console(stderr=True) if as_json else console
    with spinner.status("calibrating") as status:
        result = run_calibration(rt, outcome, since=start, target=target,
                                 progress=lambda step: status.update(step))  # fmt: skip
    if out is not None:
        out.write_text(candidate_config(settings, result), encoding="utf-8")
    charts = _plots(result, Path(plot)) if plot else []
    data = as_data(result)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    _print(result, data, outcome)
    for path in [*charts, *([out] if out else [])]:
        console.print(f"wrote {path}")


def _target(rate: float | None, precision: float | None, per_month: float | None) -> Target:
    try:
        return Target(mql_rate=rate, mql_per_month=per_month, sql_precision=precision)
    except ValueError as exc:
        raise UsageError(f"targets: {exc}") from None


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise UsageError(
            f"--since {text!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-31"
        ) from None
    return day.replace(tzinfo=UTC)


def as_data(result: Calibration) -> dict[str, Any]:
    """The `--json` output: the calibration's own, plus the fit fields ranked by evidence."""
    fields = field_evidence(result.lifts, result.people)
    return {**result.to_json(), "fields": [f.as_dict() for f in fields]}


def candidate_config(settings: Settings, result: Calibration) -> str:
    """The config file's own text with its `[scoring]` section replaced by the suggestion."""
    source = settings.source
    document = tomlkit.parse(source.text if source is not None else "")
    suggested = tomlkit.parse(result.rules_toml())
    document["scoring"] = suggested["scoring"]
    header = (
        "# Candidate written by `leadsync calibrate`: the [scoring] section is the suggestion.\n"
        "# Try it with `leadsync preview --config THIS_FILE` before adopting it.\n"
    )
    return header + tomlkit.dumps(document)


def _plots(result: Calibration, directory: Path) -> list[Path]:
    from leadsync.sync.plots import write_charts

    return write_charts(result, directory)


def _print(result: Calibration, data: dict[str, Any], outcome: str) -> None:
    console.print(
        f"[bold]calibration on {outcome!r}[/bold]: {result.people:,} people, "
        f"{result.outcomes:,} reached it (base rate {result.base_rate:.1%}); learned on "
        f"{result.train:,}, tested on the {result.test:,} created from "
        f"{data['split']['test_from'] or '-'}"
    )
    console.print(_fields(data["fields"]))
    console.print(_attributes(data["attributes"]))
    console.print(_rules(data["suggested_rules"]))
    console.print(_thresholds(data))
    console.print(_backtest(data["backtest"]))


def _fields(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="fit fields by evidence that they matter (chi-square across values)")
    for column in ("field", "values", "people", "chi-square", "p-value"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for r in rows:
        table.add_row(r["field"], str(r["values"]), f"{r['people']:,}", f"{r['chi2']:.1f}",
                      f"{r['p_value']:.2g}")  # fmt: skip
    return table


def _attributes(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"attributes furthest from the base rate (top {SHOWN})")
    for column in ("field", "value", "people", "rate", "lift", "95% interval", "points", ""):
        table.add_column(column, justify="left" if column in ("field", "value", "") else "right")
    ranked = sorted((r for r in rows if r["lift"]), key=lambda r: -abs(_log(r["lift"])))
    for r in ranked[:SHOWN]:
        interval = "-" if r["low"] is None else f"{r['low']:.2f}-{r['high']:.2f}"
        table.add_row(r["field"], str(r["value"]), f"{r['people']:,}", f"{r['rate']:.1%}",
                      f"{r['lift']:.2f}x", interval, f"{r['points']:+g}" if r["points"] else "",
                      "[yellow]too few to trust[/yellow]" if r["few"] else "")  # fmt: skip
    return table


def _log(value: float) -> float:
    return math.log(value) if value > 0 else -10.0


def _rules(table: dict[str, Any]) -> Table:
    shown = Table(title="suggested rules")
    for column in ("axis", "rule", "points"):
        shown.add_column(column, justify="right" if column == "points" else "left")
    for axis in ("fit", "engagement"):
        for rule in table.get(axis, []):
            shown.add_row(axis, rule.get("label") or rule["id"], f"{rule['points']:+g}")
    return shown


def _thresholds(data: dict[str, Any]) -> Table:
    stages = data["suggested_rules"].get("stages", {})
    table = Table(title="suggested thresholds")
    for column in ("stage", "gate", "target", "reached on the earlier people"):
        table.add_column(column)
    t = data["thresholds"]
    table.add_row("mql", _gate(stages.get("mql", {})), _pct(t["mql_rate_target"]),
                  _pct(t["mql_rate_train"]))  # fmt: skip
    table.add_row("sql", _gate(stages.get("sql", {})), _pct(t["sql_precision_target"]),
                  _pct(t["sql_precision_train"]))  # fmt: skip
    return table


def _gate(gate: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in gate.items() if not isinstance(v, dict | list))


def _backtest(sides: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="backtest on the held-out (later) people")
    for column in ("rules", "AUC", "MQL precision", "MQL recall", "MQL→SQL",
                   "customers MQL first", "median days MQL→opportunity"):  # fmt: skip
        table.add_column(column, justify="left" if column == "rules" else "right")
    for name in ("current", "suggested"):
        s = sides[name]
        days = s["median_days_mql_to_opportunity"]
        table.add_row(name, "-" if s["auc"] is None else f"{s['auc']:.3f}", _pct(s["precision"]),
                      _pct(s["recall"]), _pct(s["mql_to_sql"]), _pct(s["mql_before_outcome"]),
                      "-" if days is None else f"{days:.0f}")  # fmt: skip
    return table


def _pct(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.1%}"


COMMANDS = [calibrate_command]
