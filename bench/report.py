"""Printing the phases as tables and writing them to `bench/results.json`."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.phases import Phase, SystemCost
from bench.targets import Target

# Wide enough for the tables when the output goes to a log file.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def print_phase(phase: Phase) -> None:
    u = phase.usage
    console.rule(f"{phase.title} ({phase.store})")
    io = sum(s.wall for s in phase.systems.values())
    # The CRMs are read at once: their API times may add up to more than the wall time.
    rest = (f"{u.wall - io:,.1f} s of it scoring, deciding and planning" if io <= u.wall
            else "the CRMs read at once")  # fmt: skip
    console.print(
        f"{u.wall:,.1f} s wall ({rest}), "
        f"{u.cpu:,.1f} s CPU leadsync + {u.sandbox_cpu:,.1f} s CPU sandbox, "
        f"peak RSS {u.peak_rss_mb:,.0f} MB, load {' '.join(f'{x:.1f}' for x in u.load)}"
    )
    if not phase.systems:
        console.print(f"{phase.records:,} people, {phase.extra['people_per_cpu_second']:,.0f} "
                      f"per CPU-second, {phase.extra['moves']:,} would move; no CRM called")  # fmt: skip
        return
    table = Table(show_lines=False)
    for column in ("system", "calls (reads, writes)", "minimum + overhead", "ratio", "wall s",
                   "floor s", "ratio", "records", "records/s", "throttled"):  # fmt: skip
        table.add_column(column, justify="left" if column == "system" else "right")
    for system, cost in phase.systems.items():
        table.add_row(
            system, f"{cost.calls:,} ({cost.reads:,}, {cost.writes:,})",
            f"{cost.minimum:,} + {cost.overhead:,}", f"{cost.ratio:.2f}", f"{cost.wall:,.1f}",
            f"{cost.floor:,.1f}", _ratio(cost.wall, cost.floor), f"{cost.records:,}",
            f"{cost.records / cost.wall:,.0f}" if cost.wall else "-", str(cost.throttled),
        )  # fmt: skip
    console.print(table)
    console.print(_streams(phase.systems))
    for note in phase.notes:
        console.print(f"  note: {note}")


def _streams(systems: dict[str, SystemCost]) -> Table:
    table = Table(title="by stream", title_justify="left", show_lines=False)
    for column in ("stream", "calls", "minimum + overhead", "records read", "records needed",
                   "read + ingest s"):  # fmt: skip
        table.add_column(column, justify="left" if column == "stream" else "right")
    for system, cost in systems.items():
        for s in cost.streams:
            table.add_row(f"{system}.{s.stream}", f"{s.calls:,}", f"{s.minimum:,} + {s.overhead}",
                          f"{s.records:,}", f"{s.needed:,}", f"{s.seconds:,.1f}")  # fmt: skip
        sent = ", ".join(f"{n:,} {kind}s" for kind, n in sorted(cost.sent.items()) if n)
        table.add_row(f"{system} writes", f"{cost.write_calls:,}", f"{cost.write_minimum:,}",
                      f"{sent}" if sent else "", "")  # fmt: skip
        if cost.other_calls:
            listed = ", ".join(f"{route} {n}" for route, n in cost.other_calls.items())
            table.add_row(f"{system} overhead", str(sum(cost.other_calls.values())), listed, "", "")
    return table


STORES = ("sqlite", "postgresql")


def print_stores(phases: list[Phase]) -> None:
    """Each phase on each store side by side: wall and CPU next to the floor, and memory."""
    by = {(p.store, p.key): p for p in phases}
    stores = [s for s in STORES if any(p.store == s for p in phases)]
    table = Table(title="phases by store (CPU: leadsync's process, the sandbox's apart)",
                  title_justify="left")  # fmt: skip
    table.add_column("phase")
    table.add_column("floor s", justify="right")
    for store in stores:
        for column in ("wall s", "CPU s", "wall/floor", "peak RSS MB"):
            table.add_column(f"{store} {column}", justify="right")
    if len(stores) == 2:
        table.add_column("CPU pg/sqlite", justify="right")
    for key in dict.fromkeys(p.key for p in phases):
        first = next(by[(s, key)] for s in stores if (s, key) in by)
        row = [key, f"{first.floor:,.1f}" if first.systems else "-"]
        for store in stores:
            p = by.get((store, key))
            row += _store_cells(p) if p else ["", "", "", ""]
        if len(stores) == 2:
            pair = [by.get((s, key)) for s in stores]
            row.append(_ratio(pair[1].usage.cpu, pair[0].usage.cpu) if all(pair) else "")
        table.add_row(*row)
    console.print(table)


def _store_cells(p: Phase) -> list[str]:
    u = p.usage
    return [f"{u.wall:,.1f}", f"{u.cpu:,.1f}",
            _ratio(u.wall, p.floor) if p.systems else "-", f"{u.peak_rss_mb:,.0f}"]  # fmt: skip


def print_rescore(result: dict[str, Any]) -> None:
    console.rule(f"Full rescore of {result['leads']:,} leads (bench.scoring, no API calls)")
    console.print(
        f"{result['wall']:,.1f} s wall, {result['cpu']:,.1f} s CPU, "
        f"{result['leads_per_second']:,.0f} leads/s wall (generation included), scoring alone "
        f"{' / '.join(f'{r:,}' for r in result['scoring_leads_per_second'])} leads/s, "
        f"peak RSS {result['peak_rss_mb']:,.0f} MB"
    )


def print_targets(targets: list[Target]) -> None:
    table = Table(title="targets", title_justify="left")
    for column in ("phase", "target", "limit", "measured", "met", "why"):
        table.add_column(column)
    for t in targets:
        met = "[green]met[/green]" if t.met else "[red]missed[/red]"
        table.add_row(t.phase, t.name, t.limit, t.value, met, t.why)
    console.print(table)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.machine(),
        "load": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def phase_data(phase: Phase) -> dict[str, Any]:
    data = asdict(phase)
    data["floor"] = phase.floor
    for system, cost in phase.systems.items():
        data["systems"][system]["ratio"] = cost.ratio
        data["systems"][system]["records_per_second"] = (
            cost.records / cost.wall if cost.wall else None
        )
    return data


def write_results(path: Path, args: dict[str, Any], sandbox: dict[str, Any], formula: str,
                  phases: list[Phase], rescore: dict[str, Any] | None,
                  targets: list[Target]) -> None:  # fmt: skip
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "arguments": args,
        "sandbox": sandbox,
        "floor_formula": formula,
        "phases": [phase_data(p) for p in phases],
        "rescore": rescore,
        "targets": [asdict(t) for t in targets],
    }
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
