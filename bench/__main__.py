"""`make bench`: API economy, speed against the rate-limit floor, and memory of leadsync.

    .venv/bin/python -m bench                     # 100,000 contacts, 1,000,000-lead rescore
    .venv/bin/python -m bench --quick             # 5,000 contacts, 100,000 leads: a few minutes
    .venv/bin/python -m bench --postgres URL      # PostgreSQL server (default: see below)
    .venv/bin/python -m bench --no-postgres       # SQLite only

Against the sandbox (a child process) with HubSpot Professional limits (190 requests per 10 s,
search 5 per second) and a Salesforce daily allowance, it runs: the backfill; the first cycle
(everyone scored and written back); the cycle after it (leadsync's own writes come back); a
cycle after 1% of the records were edited elsewhere; two cycles with nothing changed; a preview
of a rule change and the rescore review, which call no CRM. It runs them on SQLite, then on
PostgreSQL when the server of `--postgres`, $LEADSYNC_BENCH_POSTGRES_URL or
postgresql+psycopg://postgres@127.0.0.1:5432/test answers (in a database of its own, dropped
afterwards), each against a fresh sandbox of the same seed; then the rescore of N leads on
columns (`bench.scoring`), and `leadsync calibrate` over each store's backfilled history and
on as many synthetic people (`bench.calibrate`). Each prints calls next to the minimum the
batch sizes allow, wall time next to the floor the rate limits allow (see `bench.minimum`) and
CPU seconds of leadsync (the host is shared: CPU is the stable figure), and everything goes
to `bench/results.json`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from bench import calibrate, postgres, report
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
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help=f"PostgreSQL server (default ${postgres.URL_ENV}, else "
                             f"{postgres.DEFAULT_URL})")  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    args.contacts = args.contacts or (5_000 if args.quick else 100_000)
    args.leads = args.leads or (100_000 if args.quick else 1_000_000)
    args.output = args.output or HERE / ("results-quick.json" if args.quick else "results.json")
    return args


def _phases(bench: Bench) -> Iterator[Phase]:
    yield bench.backfill()
    yield bench.cycle("write-back", "First cycle: everyone scored, decided and written back")
    yield bench.cycle("echoes", "Next cycle: leadsync's own writes come back through the cursor")
    changed = bench.change_one_percent()
    report.console.print(f"edited outside leadsync ({bench.store}): "
                         f"{', '.join(f'{s}.{o} {n:,}' for (s, o), n in changed.items())}")  # fmt: skip
    yield bench.cycle("change-1pct", "Cycle after 1% of the records changed", changed)
    yield bench.cycle("quiet-1", "Cycle with nothing changed but its own last writes coming back")
    yield bench.cycle("quiet-2", "Second cycle with nothing changed")
    yield bench.preview()
    yield bench.rescore()


def _interleaved(benches: list[Bench]) -> list[Phase]:
    """Each phase on every store in turn: one store's cycle runs while the other's waits out
    its look-back, so two stores take little longer than one. One phase runs at a time, so
    each one's CPU seconds are its own."""
    phases: list[Phase] = []
    runs = [_phases(bench) for bench in benches]
    while runs:
        for run in list(runs):
            phase = next(run, None)
            if phase is None:
                runs.remove(run)
                continue
            report.print_phase(phase)
            phases.append(phase)
    return phases


def _stores(args: argparse.Namespace, stack: ExitStack) -> list[str | None]:
    """None (SQLite), then a fresh PostgreSQL database when a server answers."""
    if args.no_postgres:
        return [None]
    server = postgres.server_url(args.postgres)
    why = postgres.reachable(server)
    if why is not None:
        report.console.print(f"PostgreSQL skipped: {why} (--postgres URL or "
                             f"${postgres.URL_ENV} names a server)")  # fmt: skip
        return [None]
    return [None, stack.enter_context(postgres.fresh_database(server))]


def _all_stores(args: argparse.Namespace) -> tuple[list[Phase], Bench]:
    """Every phase on every store, each store against a fresh sandbox of the same seed."""
    with ExitStack() as stack:
        benches = []
        for url in _stores(args, stack):
            started = time.perf_counter()
            report.console.print(f"starting a sandbox: {args.contacts:,} contacts, seed "
                                 f"{args.seed} (HubSpot {HUBSPOT_LIMITS}, Salesforce daily "
                                 f"allowance {SALESFORCE_DAILY_ALLOWANCE:,})")  # fmt: skip
            sandbox = stack.enter_context(SandboxProcess(args.contacts, args.seed))
            bench = Bench(sandbox, url)
            stack.callback(bench.close)
            report.console.print(f"{bench.store}: sandbox up in "
                                 f"{time.perf_counter() - started:.0f} s; records: {bench.records}")  # fmt: skip
            benches.append(bench)
        report.console.print(benches[0].limits.formula())
        phases = _interleaved(benches)
        for bench in benches:  # issue 12: calibrate over each store's backfilled history
            calibrate.on_store(bench.rt)
        return phases, benches[0]


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    started = time.perf_counter()
    phases, bench = _all_stores(args)
    report.print_stores(phases)
    rescored = rescore(args.leads, args.seed)
    report.print_rescore(rescored)
    calibrate.section(args.contacts, args.seed)  # issue 12: calibrate on as many people
    targets = check(phases)
    report.print_targets(targets)
    report.write_results(
        args.output, {k: str(v) for k, v in vars(args).items() if k != "postgres"},
        bench.records, bench.limits.formula(), phases, rescored, targets,
    )  # fmt: skip
    report.console.print(f"wrote {args.output}; {time.perf_counter() - started:,.0f} s in all")


if __name__ == "__main__":
    main()
