"""Benchmark: `leadsync calibrate` on a synthetic history of 100,000 people.

    .venv/bin/python -m bench.calibrate                  # 100,000 people, ~19 events each
    .venv/bin/python -m bench.calibrate --people 20000   # a quick look
    .venv/bin/python -m bench.calibrate --quick          # 5,000 people: CI-sized

`make bench` (`python -m bench`) runs it too, after the sync phases, on as many people as the
bench has contacts (`section`).

The history comes from the test suite's generator (`tests.scoring.synthetic`: a known model
of who wins); generating it is not timed. Prints the time of each step of the calibration,
the whole, people per second, the peak memory, and what the calibration found, so a faster
run that finds worse rules shows up too.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import resource
import time
from typing import NamedTuple

from leadsync.scoring.calibrate import Calibration, calibrate
from leadsync.sync.calibration import run_calibration
from leadsync.sync.runtime import Runtime
from tests.scoring import synthetic
from tests.scoring.factories import example_config


def run(people: int, seed: int, busy: float) -> tuple[Calibration, list[Step]]:
    """Calibrate a fresh world; (result, the time each step took)."""
    cases = synthetic.world(people, seed, busy=busy)
    events = sum(len(c.events) for c in cases)
    print(f"{people:,} people, {events:,} events before their cutoffs "
          f"({events / people:.1f} each), base rate {sum(c.outcome for c in cases) / people:.1%}")  # fmt: skip
    gc.collect()
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    marks = [("splitting", time.perf_counter(), time.process_time())]
    result = calibrate(cases, example_config(), progress=lambda step: marks.append(
        (step, time.perf_counter(), time.process_time())))  # fmt: skip
    marks.append(("done", time.perf_counter(), time.process_time()))
    return result, [Step(a[0], b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(marks)]


class Step(NamedTuple):
    name: str
    wall: float
    cpu: float


def report(result: Calibration, steps: list[Step]) -> None:
    for step in steps:
        print(f"  {step.name:<22} {step.wall:7.1f} s wall {step.cpu:7.1f} s cpu")
    wall, cpu = sum(s.wall for s in steps), sum(s.cpu for s in steps)
    print(f"  {'total':<22} {wall:7.1f} s wall {cpu:7.1f} s cpu, "
          f"{result.people / wall:,.0f} people/s ({result.people / cpu:,.0f} per CPU-second)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB (the history itself included)")
    rules = result.suggested_rules
    print(f"attributes measured {len(result.lifts)}, suggested rules "
          f"{len(rules.get('fit', []))} fit + {len(rules.get('engagement', []))} engagement")  # fmt: skip
    for name, side in (("current", result.current), ("suggested", result.suggested)):
        print(f"{name:>9}: AUC {side.auc:.3f}, MQL precision {side.mql.precision:.3f} "
              f"recall {side.mql.recall:.3f} ({side.mql.people:,} MQLs of {side.people:,})")  # fmt: skip


def on_store(rt: Runtime, outcome: str = "won") -> Calibration:
    """`leadsync calibrate` over a backfilled store: reading people, events and the ledger
    (with the history the backfill rebuilt) is timed with the rest."""
    print(f"\n== calibrate --outcome {outcome} over the bench's store ==")
    marks = [("starting", time.perf_counter(), time.process_time())]
    result = run_calibration(rt, outcome, progress=lambda step: marks.append(
        (step, time.perf_counter(), time.process_time())))  # fmt: skip
    marks.append(("done", time.perf_counter(), time.process_time()))
    report(result, [Step(a[0], b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(marks)])
    return result


def section(people: int, seed: int) -> Calibration:
    """The calibrate part of `make bench`: a heading, then `run` and `report`."""
    print(f"\n== calibrate: {people:,} people with their history ==")
    result, steps = run(people, seed, busy=2.5)
    report(result, steps)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="default 100,000 (quick: 5,000)")
    parser.add_argument("--quick", action="store_true", help="5,000 people: checks the bench")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--busy", type=float, default=2.5, help="decoy activity multiplier")
    args = parser.parse_args(argv)
    people = args.people or (5_000 if args.quick else 100_000)
    report(*run(people, args.seed, args.busy))


if __name__ == "__main__":
    main()
