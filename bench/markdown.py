"""Print `bench/results.json` as the Markdown table of the README's Performance section.

.venv/bin/python -m bench.markdown [bench/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = (
    "| phase | store | system | calls (reads, writes) | minimum + overhead | ratio | wall s "
    "| CPU s | floor s | records/s | peak RSS MB |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def rows(results: dict[str, Any]) -> list[str]:
    lines = [HEADER]
    for phase in results["phases"]:
        lines += _phase_rows(phase)
    rescore = results.get("rescore")
    if rescore:
        lines.append(
            f"| rescore {rescore['leads']:,} leads on columns | - | - | 0 | 0 | | "
            f"{rescore['wall']:,.0f} | {rescore['cpu']:,.0f} | | "
            f"{rescore['leads_per_second']:,.0f} | {rescore['peak_rss_mb']:,.0f} |"
        )
    return lines


def _phase_rows(phase: dict[str, Any]) -> list[str]:
    usage, store = phase["usage"], phase.get("store", "sqlite")
    head = f"| {phase['key']} | {store} |"
    rss = f"{usage['peak_rss_mb']:,.0f}"
    if not phase["systems"]:  # preview and rescore: no CRM called; records/s is people per CPU-s
        rate = phase["extra"]["people_per_cpu_second"]
        return [f"{head} - | 0 | 0 | | {usage['wall']:,.1f} | {usage['cpu']:,.1f} | | "
                f"{rate:,.0f} per CPU-s | {rss} |"]  # fmt: skip
    lines = []
    for system, cost in phase["systems"].items():
        rate = cost["records_per_second"]
        lines.append(
            f"{head} {system} | {cost['calls']:,} ({cost['reads']:,}, {cost['writes']:,}) | "
            f"{cost['minimum']:,} + {cost['overhead']:,} | {cost['ratio']:.2f} | "
            f"{cost['wall']:,.0f} | | {cost['floor']:,.0f} | "
            f"{f'{rate:,.0f}' if rate else ''} | {rss} |"
        )
    lines.append(f"{head} total | | | | {usage['wall']:,.0f} | {usage['cpu']:,.0f} | "
                 f"{phase['floor']:,.0f} | | |")  # fmt: skip
    return lines


def stores(results: dict[str, Any]) -> list[str]:
    """Each phase on both stores side by side: wall and CPU seconds, peak RSS."""
    by = {(p.get("store", "sqlite"), p["key"]): p for p in results["phases"]}
    lines = ["| phase | floor s | SQLite wall s | SQLite CPU s | PostgreSQL wall s | "
             "PostgreSQL CPU s | CPU PostgreSQL / SQLite | peak RSS MB |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]  # fmt: skip
    for key in dict.fromkeys(p["key"] for p in results["phases"]):
        pair = [by.get((store, key)) for store in ("sqlite", "postgresql")]
        cells = []
        for p in pair:
            cells += [f"{p['usage']['wall']:,.1f}", f"{p['usage']['cpu']:,.1f}"] if p else ["", ""]
        cpu = [p["usage"]["cpu"] for p in pair if p]
        ratio = f"{cpu[1] / cpu[0]:.2f}" if len(cpu) == 2 and cpu[0] else ""
        rss = " / ".join(f"{p['usage']['peak_rss_mb']:,.0f}" for p in pair if p)
        first = next(p for p in pair if p)
        floor = f"{first['floor']:,.1f}" if first["systems"] else "-"
        lines.append(f"| {key} | {floor} | {' | '.join(cells)} | {ratio} | {rss} |")
    return lines


def main(path: str = "bench/results.json") -> None:
    results = json.loads(Path(path).read_text(encoding="utf-8"))
    machine = results["machine"]
    load = machine.get("load")
    print(f"Measured {results['generated_at'][:16].replace('T', ' ')} UTC on {machine['cores']} "
          f"cores, Python {machine['python']} ({machine['platform']})"
          + (f", load average {' '.join(f'{x:.1f}' for x in load)} at the end" if load else "")
          + ".\n")  # fmt: skip
    print("\n".join(rows(results)))
    print()
    print("\n".join(stores(results)))


if __name__ == "__main__":
    main(*sys.argv[1:2])
