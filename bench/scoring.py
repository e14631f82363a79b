"""Benchmark: rescore synthetic leads on columns (the kernel), next to the pure-Python engine.

    .venv/bin/python -m bench.scoring                       # 1,000,000 leads, 10-30 events each
    .venv/bin/python -m bench.scoring --leads 200000 --engine-leads 20000

Leads are generated a chunk at a time as the store would return them (email and fields per
person; person, kind, occurred_at as SQLite's text and attributes as JSON text per event), so
memory stays flat; generation is not timed. Timed per chunk, in CPU seconds and wall: building
the columns from those rows, the kernel (every score, grade and stage verdict), and the "top
reasons" text for everyone. The engine scores the first `--engine-leads` leads with their
explanations and stage decisions, and the kernel's results must equal its on every one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring import Ruleset, decide_stage, load_scoring, score, top_reasons
from leadsync.scoring.columns import EventColumns, PeopleColumns, to_datetime
from leadsync.scoring.kernel import Kernel, compile_kernel
from leadsync.scoring.score_columns import ScoreColumns

NOW = datetime(2026, 10, 2, 12, tzinfo=UTC)
RULES_FILE = Path(__file__).resolve().parents[1] / "leadsync" / "scoring" / "example_rules.toml"

INDUSTRIES = [
    "ecommerce", "retail", "apparel", "consumer_goods", "software", "marketing", "media",
    "education", "staffing", "healthcare", "financial_services", "other",
]  # fmt: skip
TITLES = [
    "VP Marketing", "Head of Ecommerce", "Marketing Manager", "CEO", "Founder", "Student",
    "Director of Growth", "Software Engineer", "Analyst", "", "Owner", "Ecommerce Manager",
    "Chief Marketing Officer", "Marketing Intern",
]  # fmt: skip
PLATFORMS = ["shopify", "shopify_plus", "magento", "woocommerce", "bigcommerce", "custom", ""]
COUNTRIES = [
    "United States", "Canada", "United Kingdom", "Germany", "France", "India", "Brazil",
    "Australia", "Netherlands", "Spain",
]  # fmt: skip
DOMAINS = ["gmail.com", "yahoo.com", "competitor-one.com", "mit.edu"] + [
    f"shop{i}.com" for i in range(40)
]
PAGES = [
    "/", "/pricing", "/pricing/enterprise", "/kb/setup", "/docs/api", "/help/billing",
    "/careers", "/jobs/42", "/product", "/customers",
]  # fmt: skip
FORMS = [
    "Demo request", "Contact sales", "Quote request", "Technical white paper", "Newsletter",
    "Webinar registration",
]  # fmt: skip
KINDS = {
    EventKind.PAGE_VIEW: 50, EventKind.EMAIL_OPEN: 18, EventKind.EMAIL_CLICK: 8,
    EventKind.FORM_SUBMISSION: 6, EventKind.PAID_AD_CLICK: 4, EventKind.WEBINAR: 2,
    EventKind.CAMPAIGN_RESPONSE: 4, EventKind.EMAIL_REPLY: 2, EventKind.MEETING: 2,
    EventKind.CALL: 2, EventKind.UNSUBSCRIBE: 2,
}  # fmt: skip

PersonRow = tuple[str, dict[str, Any]]
EventRow = tuple[int, str, str, str]


def shapes(rng: random.Random, size: int = 5_000) -> list[tuple[str, str]]:
    """What events look like (kind, attributes as JSON); ~1,000 distinct URLs among them."""
    kinds = rng.choices(list(KINDS), list(KINDS.values()), k=size)
    return [(kind.value, json.dumps(_attributes(rng, kind))) for kind in kinds]


def _attributes(rng: random.Random, kind: EventKind) -> dict[str, str]:
    if kind is EventKind.PAGE_VIEW:
        page = rng.choice(PAGES) if rng.random() < 0.6 else f"/blog/post-{rng.randrange(500)}"
        query = f"?utm_campaign=c{rng.randrange(300)}" if rng.random() < 0.3 else ""
        return {"url": f"https://example.com{page}{query}"}
    if kind is EventKind.FORM_SUBMISSION:
        name = rng.choice(FORMS)
        return {"form_id": f"f-{FORMS.index(name)}", "form_name": name}
    if kind is EventKind.PAID_AD_CLICK:
        return {"utm_source": rng.choice(["google", "linkedin"]), "utm_medium": "cpc"}
    return {"campaign": f"campaign-{rng.randrange(30)}"}


def chunk(rng: np.random.Generator, start: int, size: int, pool: list[tuple[str, str]]
          ) -> tuple[list[PersonRow], list[EventRow]]:  # fmt: skip
    """`size` people from number `start` on, each with 10-30 events of the last 400 days."""

    def pick(values: list[Any]) -> list[Any]:
        return [values[i] for i in rng.integers(0, len(values), size).tolist()]

    domains = pick(DOMAINS)
    columns = {
        "email_domain": domains, "industry": pick(INDUSTRIES), "title": pick(TITLES),
        "employees": rng.lognormal(4.5, 1.5, size).astype(int).tolist(),
        "annual_revenue": rng.lognormal(15.5, 2.0, size).tolist(),
        "platform": pick(PLATFORMS), "country": pick(COUNTRIES),
    }  # fmt: skip
    people = [(f"user{start + i}@{d}", {k: v[i] for k, v in columns.items()})
              for i, d in enumerate(domains)]  # fmt: skip
    person = np.repeat(np.arange(size), rng.integers(10, 31, size))
    at = np.datetime64(NOW.replace(tzinfo=None), "us") - rng.integers(
        0, 400 * 86_400, person.size
    ).astype("timedelta64[s]")
    texts = np.datetime_as_string(at).tolist()  # as SQLite hands back a DateTime column
    picked = [pool[i] for i in rng.integers(0, len(pool), person.size).tolist()]
    events = [(p, k, t.replace("T", " "), a)
              for p, t, (k, a) in zip(person.tolist(), texts, picked, strict=True)]  # fmt: skip
    return people, events


class Spent(NamedTuple):
    cpu: float
    wall: float


class Clock:
    """CPU and wall seconds spent per named phase."""

    def __init__(self) -> None:
        self.spent: dict[str, Spent] = {}

    @contextmanager
    def time(self, phase: str) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        before = self.spent.get(phase, Spent(0.0, 0.0))
        self.spent[phase] = Spent(before.cpu + time.process_time() - cpu,
                                  before.wall + time.perf_counter() - wall)  # fmt: skip

    def rate(self, leads: int, *phases: str) -> tuple[float, float]:
        """Leads per CPU-second and per wall second over the phases together."""
        cpu = sum(self.spent[p].cpu for p in phases)
        wall = sum(self.spent[p].wall for p in phases)
        return leads / cpu, leads / wall


def run_kernel(kernel: Kernel, leads: int, size: int, seed: int, clock: Clock
               ) -> Iterator[tuple[list[PersonRow], list[EventRow], ScoreColumns]]:  # fmt: skip
    """Score `leads` leads chunk by chunk; yields each chunk's rows and result."""
    rng, pool = np.random.default_rng(seed), shapes(random.Random(seed))
    for start in range(0, leads, size):
        people, events = chunk(rng, start, min(size, leads - start), pool)
        gc.collect()  # settle the generator's garbage-collection debt outside the timing
        with clock.time("columns"):
            columns = (PeopleColumns.from_rows(people, kernel.fields),
                       EventColumns.from_rows(events))  # fmt: skip
        with clock.time("kernel"):
            result = kernel.score(*columns, NOW)
            _ = (result.total, result.grade, result.stage)
        with clock.time("reasons"):
            result.reasons()
        yield people, events, result


def check_engine(kernel: Kernel, people: list[PersonRow], events: list[EventRow],
                 result: ScoreColumns, clock: Clock, step: int = 2_000) -> int:  # fmt: skip
    """Score the rows with the engine (timed), `step` people at a time to keep memory flat;
    how many people's results differ from the kernel's."""
    reasons, differ, first = result.reasons(), 0, 0
    for start in range(0, len(people), step):
        end = min(start + step, len(people))
        while first < len(events) and events[first][0] < start:
            first += 1
        last = first
        while last < len(events) and events[last][0] < end:
            last += 1
        leads = _objects(people, events[first:last], start, end)
        gc.collect()
        for i, expected in enumerate(_engine(kernel.rules, leads, clock), start):
            got = (result.fit[i], result.engagement[i], result.total[i], result.grade[i],
                   result.stage_of(i), reasons[i])  # fmt: skip
            differ += got != expected
    return differ


def _engine(rules: Ruleset, leads: list[tuple[Person, list[EngagementEvent]]], clock: Clock
            ) -> list[tuple[Any, ...]]:  # fmt: skip
    with clock.time("engine"):
        scores = [score(who, did, rules, NOW) for who, did in leads]
        texts = [top_reasons(s) for s in scores]
    with clock.time("engine decisions"):
        stages = [decide_stage(None, s, (), rules, NOW).stage for s in scores]
    return [(s.fit, s.engagement, s.total, s.grade, stage, text)
            for s, text, stage in zip(scores, texts, stages, strict=True)]  # fmt: skip


def _objects(people: list[PersonRow], events: list[EventRow], start: int, end: int
             ) -> list[tuple[Person, list[EngagementEvent]]]:  # fmt: skip
    """The engine's objects for people `start`..`end` and their events, as `sync.chunk`
    builds them from the store."""
    did: list[list[EngagementEvent]] = [[] for _ in range(start, end)]
    micros = EventColumns.from_rows(events).at.tolist()
    for n, ((i, kind, _, attributes), us) in enumerate(zip(events, micros, strict=True)):
        did[i - start].append(EngagementEvent("hubspot", str(n), EventKind(kind),
                                              to_datetime(us), json.loads(attributes)))  # fmt: skip
    return [(Person(str(i), email, fields), did[i - start])
            for i, (email, fields) in enumerate(people[start:end], start)]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--engine-leads", type=int, default=100_000,
                        help="leads the engine scores too (the first ones)")  # fmt: skip
    parser.add_argument("--chunk", type=int, default=10_000, help="people per kernel call")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with RULES_FILE.open("rb") as f:
        config = load_scoring(tomllib.load(f)["scoring"])
    kernel, clock, load = compile_kernel(config), Clock(), os.getloadavg()[0]
    remaining, events, differ = min(args.engine_leads, args.leads), 0, 0
    for people, rows, result in run_kernel(kernel, args.leads, args.chunk, args.seed, clock):
        events += len(rows)
        take = min(len(people), remaining)
        if take:
            sample = [row for row in rows if row[0] < take]
            differ += check_engine(kernel, people[:take], sample, result, clock)
            remaining -= take
    checked = min(args.engine_leads, args.leads)
    print(f"{len(config.fit)} fit + {len(config.engagement)} engagement rules; {args.leads:,} "
          f"leads with {events:,} events, in chunks of {args.chunk:,}; load average at start "
          f"{load:.1f}")  # fmt: skip
    report(clock, args.leads, checked)
    if differ:
        raise SystemExit(f"the kernel differs from the engine on {differ:,} of {checked:,} leads")
    if checked:
        print(f"kernel = engine on all {checked:,} leads compared: fit, engagement, total, "
              "grade, stage and top reasons")  # fmt: skip


def report(clock: Clock, leads: int, checked: int) -> None:
    """Leads per CPU-second (the stable figure on a shared host) and per wall second."""
    lines = [
        ("kernel: scores, grades and stage verdicts", leads, ("kernel",)),
        ("from store rows: columns built, then the kernel", leads, ("columns", "kernel")),
        ("from store rows, with top reasons for everyone", leads,
         ("columns", "kernel", "reasons")),
        (f"engine on {checked:,} leads: scores with explanations and top reasons", checked,
         ("engine",)),
        ("engine, with stage decisions too", checked, ("engine", "engine decisions")),
    ]  # fmt: skip
    rates = []
    for label, n, phases in lines if checked else lines[:3]:
        cpu, wall = clock.rate(n, *phases)
        seconds = sum(clock.spent[p].cpu for p in phases)
        print(f"{label}: {cpu:,.0f} leads per CPU-second ({seconds:,.1f} CPU-s), "
              f"{wall:,.0f} per wall second")  # fmt: skip
        rates.append(cpu)
    engine = f", {rates[4]:,.0f} leads/s engine with stage decisions" if checked else ""
    print(f"total: {rates[0]:,.0f} leads/s kernel with stage verdicts, {rates[1]:,.0f} leads/s "
          f"from store rows{engine} (CPU)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
