"""How a plan reads on a terminal: the summary first, then the writes themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from leadsync.sync.plan_summary import PlanSummary

console = Console(highlight=False)


def print_summary(summary: PlanSummary, limits: Mapping[str, int], *, title: str) -> None:
    data = summary.as_dict(limits)
    calls = data["api_calls"]
    console.print(
        f"[bold]{title}[/bold]: {data['people']} people decided, "
        f"{sum(data['moves'].values())} stage changes, {sum(data['writes'].values())} writes "
        f"({_per(data['writes'])}), {data['creates']} records to create, "
        f"{sum(calls.values())} API calls ({_per(calls)})"
    )
    print_moves(data)
    print_writes(data, calls)
    if data["errors"]:
        console.print(f"[yellow]{len(data['errors'])} people cannot be decided[/yellow]: "
                      f"{data['errors'][0]['error']}")  # fmt: skip


def print_moves(data: Mapping[str, Any]) -> None:
    table = Table(title="stage moves")
    for column in ("move", "people", "for example"):
        table.add_column(column, justify="right" if column == "people" else "left")
    for move, count in data["moves"].items():
        examples = ", ".join(str(e.get("email")) for e in data["examples"].get(move, []))
        table.add_row(move, str(count), examples)
    console.print(table)


def print_writes(data: Mapping[str, Any], calls: Mapping[str, int]) -> None:
    table = Table(title="writes")
    for column in ("CRM object", "updates", "creates"):
        table.add_column(column, justify="left" if column == "CRM object" else "right")
    objects = sorted({*data["writes_by_object"], *data["creates_by_object"]})
    for obj in objects:
        table.add_row(obj, str(data["writes_by_object"].get(obj, 0)),
                      str(data["creates_by_object"].get(obj, 0)))  # fmt: skip
    table.caption = f"API calls: {_per(calls) or 'none'}"
    console.print(table)


def print_rows(rows: list[dict[str, Any]], total: int, *, title: str) -> None:
    table = Table(title=f"{title} ({total})")
    for column in ("person", "CRM", "object", "record", "properties"):
        table.add_column(column)
    for row in rows:
        props = ", ".join(f"{k}={v}" for k, v in row["properties"].items())
        if row["clear_first"]:
            props = f"[yellow]clear {', '.join(row['clear_first'])} first;[/yellow] {props}"
        table.add_row(str(row["email"] or ""), row["system"], row["object"],
                      row["record_id"] or "(new)", props)  # fmt: skip
    if total > len(rows):
        table.caption = f"... and {total - len(rows)} more (--limit N, or --json for all)"
    console.print(table)


def _per(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()) if n)
