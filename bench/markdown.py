"""Print `bench/results.json` as the Markdown table of the README's Performance section.

.venv/bin/python -m bench.markdown [bench/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = (
    "| phase | system | calls (reads, writes) | minimum + overhead | ratio | wall s | floor s "
    "| records/s | peak RSS MB |\n|---|---|--:|--:|--:|--:|--:|--:|--:|"
)


def rows(results: dict[str, Any]) -> list[str]:
    lines = [HEADER]
    for phase in results["phases"]:
        usage = phase["usage"]
        for system, cost in phase["systems"].items():
            rate = cost["records_per_second"]
            lines.append(
                f"| {phase['key']} | {system} | {cost['calls']:,} ({cost['reads']:,}, "
                f"{cost['writes']:,}) | {cost['minimum']:,} + {cost['overhead']:,} | "
                f"{cost['ratio']:.2f} | {cost['wall']:,.0f} | {cost['floor']:,.0f} | "
                f"{rate:,.0f} | {usage['peak_rss_mb']:,.0f} |"
                if rate
                else f"| {phase['key']} | {system} | {cost['calls']:,} | {cost['minimum']:,} | "
                f"{cost['ratio']:.2f} | | | | {usage['peak_rss_mb']:,.0f} |"
            )
        lines.append(
            f"| {phase['key']} | total | | | | {usage['wall']:,.0f} (CPU {usage['cpu']:,.0f}) "
            f"| {phase['floor']:,.0f} | | |"
        )
    rescore = results.get("rescore")
    if rescore:
        lines.append(
            f"| rescore {rescore['leads']:,} leads | - | 0 | 0 | | "
            f"{rescore['wall']:,.0f} (CPU {rescore['cpu']:,.0f}) | | "
            f"{rescore['leads_per_second']:,.0f} | {rescore['peak_rss_mb']:,.0f} |"
        )
    return lines


def main(path: str = "bench/results.json") -> None:
    results = json.loads(Path(path).read_text(encoding="utf-8"))
    machine = results["machine"]
    print(f"Measured {results['generated_at'][:10]} on {machine['cores']} cores, "
          f"Python {machine['python']} ({machine['platform']}).\n")  # fmt: skip
    print("\n".join(rows(results)))


if __name__ == "__main__":
    main(*sys.argv[1:2])
