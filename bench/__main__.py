"""`make bench`: API economy, speed against the rate-limit floor, and memory of leadsync.

    .venv/bin/python -m bench                     # 100,000 contacts, 1,000,000-lead rescore
    .venv/bin/python -m bench --quick             # 5,000 contacts, 100,000 leads: a few minutes

Against the sandbox (a child process) with HubSpot Professional limits (190 requests per 10 s,
search 5 per second) and a Salesforce daily allowance, it runs: the backfill; the first cycle
(everyone scored and written back); the cycle after it (leadsync's own writes come back); a
cycle after 1% of the records were edited elsewhere; two cycles with nothing changed; the
full rescore (`bench.scoring`); and `leadsync calibrate` on as many people (`bench.calibrate`). Each prints calls next to the minimum the batch sizes allow and
wall time next to the floor the rate limits allow (see `bench.minimum`), and everything goes to
`bench/results.json`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import calibrate, report
from bench.phases import Bench, Phase
from bench.rescore import rescore
from bench.sandbox import HUBSPOT_LIMITS, SALESFORCE_DAILY_ALLOWANCE, SandboxProcess
from bench.targets import check

HERE = Path(__file__).resolve().parent


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=None, help="default 100,000 (quick: 5,000)")
    parser.add_argument("--leads", type=int, default=None,
                        help="leads to rescore, default 1,000,000 (quick: 100,000)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="a small run to check the benchmark")
    parser.add_argument("--output", type=Path, default=None,
                        help="default bench/results.json (quick: bench/results-quick.json)")  # fmt: skip
    args = parser.parse_args(argv)
    args.contacts = args.contacts or (5_000 if args.quick else 100_000)
    args.leads = args.leads or (100_000 if args.quick else 1_000_000)
    args.output = args.output or HERE / ("results-quick.json" if args.quick else "results.json")
    return args


def _sync_phases(bench: Bench) -> list[Phase]:
    phases = []

    def run(phase: Phase) -> None:
        report.print_phase(phase)
        phases.append(phase)

    run(bench.backfill())
    run(bench.cycle("write-back", "First cycle: everyone scored, decided and written back"))
    run(bench.cycle("echoes", "Next cycle: leadsync's own writes come back through the cursor"))
    changed = bench.change_one_percent()
    report.console.print(f"edited outside leadsync: {', '.join(f'{s}.{o} {n:,}' for (s, o), n in changed.items())}")  # fmt: skip
    run(bench.cycle("change-1pct", "Cycle after 1% of the records changed", changed))
    run(bench.cycle("quiet-1", "Cycle with nothing changed but its own last writes coming back"))
    run(bench.cycle("quiet-2", "Second cycle with nothing changed"))
    return phases


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    started = time.perf_counter()
    report.console.print(f"starting the sandbox: {args.contacts:,} contacts, seed {args.seed} "
                         f"(HubSpot {HUBSPOT_LIMITS}, Salesforce daily allowance "
                         f"{SALESFORCE_DAILY_ALLOWANCE:,})")  # fmt: skip
    with SandboxProcess(args.contacts, args.seed) as sandbox:
        bench = Bench(sandbox)
        try:
            report.console.print(f"sandbox up in {time.perf_counter() - started:.0f} s; records: "
                                 f"{bench.records}")  # fmt: skip
            report.console.print(bench.limits.formula())
            phases = _sync_phases(bench)
            calibrate.on_store(bench.rt)  # issue 12: calibrate over the backfilled history
        finally:
            bench.close()
    rescored = rescore(args.leads, args.seed)
    report.print_rescore(rescored)
    calibrate.section(args.contacts, args.seed)  # issue 12: calibrate on as many people
    targets = check(phases)
    report.print_targets(targets)
    report.write_results(
        args.output, {k: str(v) for k, v in vars(args).items()}, bench.records,
        bench.limits.formula(), phases, rescored, targets,
    )  # fmt: skip
    report.console.print(f"wrote {args.output}; {time.perf_counter() - started:,.0f} s in all")


if __name__ == "__main__":
    main()
