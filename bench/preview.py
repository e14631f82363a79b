"""Benchmark: `leadsync preview` of a rule change, and the rescore with stage decisions, on a store.

    .venv/bin/python -m bench.preview                       # 100,000 people on SQLite
    .venv/bin/python -m bench.preview --people 20000 --postgres postgresql+psycopg://...

The store is seeded directly (not timed): people with the fields the rules read, a HubSpot
contact each (a third with a Salesforce Lead too), 10-30 engagement events each (the rows
`bench.scoring` generates), one ledger entry placing each where the shipped rules put
them a week ago, and their event packs, as the cycle that decided them would have written
them. Then, in this process, timed in CPU seconds and wall with the peak RSS:
- the preview of a candidate that lowers the MQL bar from a total of 50 to 40 (both dry
  passes over everyone, as `leadsync preview` runs them);
- the dry rescore of everyone with the current config (score, stage decision and plan per
  person, as `leadsync rescore` reviews it): leads per second.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from bench import postgres
from bench.meter import Stopwatch, Usage
from bench.scoring import NOW, RULES_FILE, chunk, shapes
from leadsync.scoring.columns import EventColumns, PeopleColumns
from leadsync.scoring.kernel import compile_kernel
from leadsync.sync import event_packs
from leadsync.sync.config import Settings, load_settings
from leadsync.sync.decide_step import DecideStep
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.preview import preview
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import EventRow, LedgerRow, LinkRow, PersonRow

SEED_CHUNK = 5_000
HUBSPOT_STAGE = {"lead": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead",
                 "suspect": "other"}  # fmt: skip


@dataclass
class Measured:
    people: int
    preview: Usage
    rescore: Usage
    moves: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "people": self.people, "moves": self.moves,
            "preview": vars(self.preview), "rescore": vars(self.rescore),
            "rescore_leads_per_cpu_second": self.people / max(self.rescore.cpu, 1e-9),
        }  # fmt: skip


def config_file(directory: Path, database_url: str, rules: str | None = None) -> Path:
    """A config with no reachable CRM: a preview and a dry rescore call none."""
    path = directory / ("candidate.toml" if rules else "config.toml")
    text = (
        f'database_url = "{database_url}"\n[hubspot]\nbase_url = "http://127.0.0.1:9"\n'
        '[salesforce]\ninstance_url = "https://127.0.0.1:9"\nauth = "session"\n'
    )
    path.write_text(text + (rules or ""), encoding="utf-8")
    return path


def candidate_rules() -> str:
    rules = RULES_FILE.read_text(encoding="utf-8")
    raised = rules.replace("total_at_least = 50", "total_at_least = 40", 1)
    if raised == rules:
        raise SystemExit(f"{RULES_FILE}: no 'total_at_least = 50' to lower for the candidate")
    return raised


def seed(rt: Runtime, people: int, seed_value: int) -> None:
    """`people` people, their links, events and a ledger entry each, a chunk per transaction."""
    kernel = compile_kernel(rt.settings.rules)
    rng, pool = np.random.default_rng(seed_value), shapes(random.Random(seed_value))
    event_id = 0
    for start in range(0, people, SEED_CHUNK):
        rows, events = chunk(rng, start, min(SEED_CHUNK, people - start), pool)
        scored = kernel.score(PeopleColumns.from_rows(rows, kernel.fields),
                              EventColumns.from_rows(events), NOW - timedelta(days=7))  # fmt: skip
        stages = [s.value for s in map(scored.stage_of, range(len(rows)))]
        with rt.sessions.begin() as session:
            session.execute(insert(PersonRow), [_person(start + i + 1, row, stages[i])
                                                for i, row in enumerate(rows)])  # fmt: skip
            session.execute(insert(LinkRow), [link for i, (email, _) in enumerate(rows)
                                              for link in _links(start + i + 1, email, stages[i])])  # fmt: skip
            session.execute(insert(EventRow), [
                _event(start + i + 1, event_id + n, kind, at, attributes)
                for n, (i, kind, at, attributes) in enumerate(events)
            ])  # fmt: skip
            session.execute(insert(LedgerRow), [_entry(start + i + 1, stage)
                                                for i, stage in enumerate(stages)])  # fmt: skip
            # As the cycle that decided them would have: their events packed for scoring.
            event_packs.pack(session, range(start + 1, start + len(rows) + 1))
        event_id += len(events)


def _person(pid: int, row: tuple[str, dict[str, Any]], stage: str) -> dict[str, Any]:
    email, fields = row
    at = NOW - timedelta(days=7)
    return {"id": pid, "email": email, "fields": fields, "sources": {}, "stage": stage,
            "stage_since": at, "dirty": False, "created_at": at, "updated_at": at}  # fmt: skip


def _links(pid: int, email: str, stage: str) -> list[dict[str, Any]]:
    at = NOW - timedelta(days=7)
    links = [{"person_id": pid, "kind": "hubspot_contact", "record_id": str(pid),
              "snapshot": {"email": email, "lifecyclestage": HUBSPOT_STAGE[stage]},
              "seen": {}, "modified_at": at}]  # fmt: skip
    if pid % 3 == 0:
        links.append({"person_id": pid, "kind": "salesforce_lead", "record_id": f"00Q{pid:015d}",
                      "snapshot": {"Email": email, "Status": "Open - Not Contacted"},
                      "seen": {}, "modified_at": at})  # fmt: skip
    return links


def _event(pid: int, n: int, kind: str, at: str, attributes: str) -> dict[str, Any]:
    return {"person_id": pid, "source": "hubspot", "source_id": str(n), "kind": kind,
            "occurred_at": datetime.fromisoformat(at).replace(tzinfo=UTC),
            "attributes": json.loads(attributes)}  # fmt: skip


def _entry(pid: int, stage: str) -> dict[str, Any]:
    return {"person_id": pid, "from_stage": None, "to_stage": stage,
            "at": NOW - timedelta(days=7), "actor": f"scoring:{stage}", "cause": "score",
            "reason": "seeded", "rule_ids": [], "score": {}}  # fmt: skip


def timed(action: Callable[[], Any]) -> tuple[Any, Usage]:
    with Stopwatch(lambda: 0.0) as watch:
        result = action()
    return result, watch.usage


def measure(rt: Runtime, candidate: Settings, people: int) -> Measured:
    previewed, preview_usage = timed(lambda: preview(rt, candidate, now=NOW))
    summary = PlanSummary()
    step = DecideStep(rt, run_id=None, now=NOW)
    _, rescore_usage = timed(lambda: step.run(everyone=True, dry=True, summary=summary))
    return Measured(people, preview_usage, rescore_usage, sum(previewed.moves.values()))


def report(m: Measured) -> None:
    for label, u in (("preview of a rule change", m.preview),
                     ("rescore with stage decisions (dry)", m.rescore)):  # fmt: skip
        print(f"{label} over {m.people:,} people: {u.wall:,.1f} s wall, {u.cpu:,.1f} s CPU, "
              f"{m.people / max(u.cpu, 1e-9):,.0f} people per CPU-second, "
              f"peak RSS {u.peak_rss_mb:,.0f} MB")  # fmt: skip
    print(f"the candidate moves {m.moves:,} people")


def main(argv: list[str] | None = None) -> Measured:
    parser = argparse.ArgumentParser(prog="python -m bench.preview",
                                     description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="a PostgreSQL server (a database of its own is made and dropped); "
                             "default: SQLite in a temp dir")  # fmt: skip
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leadsync-preview-") as tmp, ExitStack() as stack:
        url = (stack.enter_context(postgres.fresh_database(args.postgres)) if args.postgres
               else f"sqlite:///{Path(tmp) / 'preview.db'}")  # fmt: skip
        rt = build_runtime(load_settings(config_file(Path(tmp), url), secrets=False))
        stack.callback(rt.close)
        started = time.perf_counter()
        seed(rt, args.people, args.seed)
        print(f"seeded {args.people:,} people in {time.perf_counter() - started:,.0f} s "
              f"({url.split(':')[0]})")  # fmt: skip
        candidate = load_settings(config_file(Path(tmp), url, candidate_rules()), secrets=False)
        measured = measure(rt, candidate, args.people)
    report(measured)
    return measured


if __name__ == "__main__":
    main()
