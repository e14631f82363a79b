"""Benchmark: what shadow mode adds to a decide step over everyone.

    .venv/bin/python -m bench.shadow                  # 2,000 contacts
    .venv/bin/python -m bench.shadow --contacts 10000 --rounds 3

A sandbox of `--contacts` people is pulled into a SQLite store once (a cycle that decides and
stores, sending nothing). Then the decide step decides everyone (the nightly rescore's work),
alternately without and with `[scoring] shadow` naming a candidate with a lower MQL bar, and
prints the CPU and wall time of each: the shadow's cost is the difference. Then the time of
`shadow report` over what was stored.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leadsync.sandbox.cli import sandbox_config, token_environment
from leadsync.sandbox.server import Sandbox
from leadsync.sync.config import load_settings
from leadsync.sync.cycle import run_cycle
from leadsync.sync.decide_step import DecideStep
from leadsync.sync.runtime import build_runtime
from leadsync.sync.shadow_report import shadow_report
from leadsync.sync.wiring import build_connectors

RULES = Path(__file__).resolve().parents[1] / "leadsync" / "scoring" / "example_rules.toml"


def _configs(directory: Path, info: dict) -> tuple[Path, Path]:
    plain = directory / "config.toml"
    plain.write_text(sandbox_config(info, "professional", directory) + "\n")
    candidate = directory / "candidate.toml"
    lower = RULES.read_text().replace("total_at_least = 50", "total_at_least = 20")
    candidate.write_text(plain.read_text() + lower)
    shadowed = directory / "shadowed.toml"
    shadowed.write_text(plain.read_text() + '\n[scoring]\nshadow = "candidate.toml"\n')
    return plain, shadowed


def _decide_everyone(config: Path) -> tuple[int, float, float]:
    rt = build_runtime(load_settings(config))
    cpu, wall = time.process_time(), time.perf_counter()
    counts = DecideStep(rt, run_id=None, now=rt.clock()).run(everyone=True)
    result = counts.scored, time.process_time() - cpu, time.perf_counter() - wall
    rt.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp, Sandbox(contacts=args.contacts, seed=7) as box:
        info = box.info()
        os.environ.update(dict(line.split("=", 1) for line in token_environment(info)))
        plain, shadowed = _configs(Path(tmp), info)
        rt = build_runtime(load_settings(plain))
        with console.status("pulling the sandbox into the store"):
            run_cycle(rt, build_connectors(rt), apply=False)
        table = Table(title=f"decide step over everyone, {args.contacts:,} contacts")
        for column in ("round", "shadow", "people", "cpu s", "wall s", "people/s"):
            table.add_column(column, justify="left" if column == "shadow" else "right")
        for round_ in range(1, args.rounds + 1):
            for label, config in (("off", plain), ("on", shadowed)):
                people, cpu, wall = _decide_everyone(config)
                table.add_row(str(round_), label, f"{people:,}", f"{cpu:.2f}", f"{wall:.2f}",
                              f"{people / wall:,.0f}")  # fmt: skip
        console.print(table)
        rt = build_runtime(load_settings(shadowed))
        wall = time.perf_counter()
        with rt.reading() as session:
            report = shadow_report(session)
        console.print(f"shadow report over {report['people']:,} people: "
                      f"{time.perf_counter() - wall:.2f} s wall")  # fmt: skip


if __name__ == "__main__":
    main()
