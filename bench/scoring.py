"""Benchmark: score synthetic leads with the shipped rules, explanations included.

    .venv/bin/python -m bench.scoring                       # 1,000,000 leads, ~20 events each
    .venv/bin/python -m bench.scoring --leads 200000 --workers 2

Leads are generated in chunks of 1,000 (memory stays flat) as fresh objects, the way the
store would load them; generation is not timed. Two phases are timed per chunk: scoring
with its explanation (contributions with evidence, plus the CRM "top reasons" text), and
the stage decision. Prints leads per second per worker and in total, and peak memory.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from leadsync.mapping.model import EngagementEvent, EventKind, Person, System
from leadsync.scoring import Ruleset, compile_rules, decide_stage, load_scoring, score, top_reasons

NOW = datetime(2026, 10, 2, 12, tzinfo=UTC)
RULES_FILE = Path(__file__).resolve().parents[1] / "leadsync" / "scoring" / "example_rules.toml"
CHUNK = 1_000

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

Shape = tuple[EventKind, dict[str, str]]


def shapes(rng: random.Random, size: int = 5_000) -> list[Shape]:
    """What events look like (kind and attributes); ~1,000 distinct URLs among them."""
    kinds = rng.choices(list(KINDS), list(KINDS.values()), k=size)
    return [(kind, _attributes(rng, kind)) for kind in kinds]


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


def lead(rng: random.Random, i: int, pool: list[Shape]) -> tuple[Person, list[EngagementEvent]]:
    """One person with 10-30 events from the last 400 days."""
    domain = rng.choice(DOMAINS)
    fields = {
        "email_domain": domain,
        "industry": rng.choice(INDUSTRIES),
        "employees": int(rng.lognormvariate(4.5, 1.5)),
        "annual_revenue": rng.lognormvariate(15.5, 2.0),
        "title": rng.choice(TITLES),
        "platform": rng.choice(PLATFORMS),
        "country": rng.choice(COUNTRIES),
    }
    events = []
    for n, (kind, attrs) in enumerate(rng.choices(pool, k=rng.randint(10, 30))):
        at = NOW - timedelta(seconds=rng.randrange(400 * 86_400))
        events.append(EngagementEvent(System.HUBSPOT, f"{i}-{n}", kind, at, attrs))
    return Person(id=f"p{i}", email=f"user{i}@{domain}", fields=fields), events


class Timing(NamedTuple):
    """Seconds one worker spent scoring (with explanations) and deciding, wall and CPU."""

    leads: int
    scoring: float
    deciding: float
    scoring_cpu: float
    deciding_cpu: float


def run(leads: int, seed: int) -> Timing:
    """Generate and score `leads` leads, timing only the scoring and the decisions."""
    rng = random.Random(seed)
    rules = load_rules()
    pool = shapes(rng)
    spent = [0.0, 0.0, 0.0, 0.0]
    for start in range(0, leads, CHUNK):
        batch = [lead(rng, i, pool) for i in range(start, min(start + CHUNK, leads))]
        gc.collect()  # settle the generator's garbage-collection debt outside the timing
        wall, cpu = time.perf_counter(), time.process_time()
        results = [score(who, did, rules, NOW) for who, did in batch]
        for result in results:
            top_reasons(result)
        wall_scored, cpu_scored = time.perf_counter(), time.process_time()
        for result in results:
            decide_stage(None, result, (), rules, NOW)
        spent[0] += wall_scored - wall
        spent[1] += time.perf_counter() - wall_scored
        spent[2] += cpu_scored - cpu
        spent[3] += time.process_time() - cpu_scored
    return Timing(leads, *spent)


def load_rules() -> Ruleset:
    with RULES_FILE.open("rb") as f:
        return compile_rules(load_scoring(tomllib.load(f)["scoring"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1, help="processes (one per core)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with RULES_FILE.open("rb") as f:
        config = load_scoring(tomllib.load(f)["scoring"])
    print(f"{len(config.fit)} fit + {len(config.engagement)} engagement rules, 10-30 events "
          f"per lead, {args.leads:,} leads, {args.workers} worker(s)")  # fmt: skip
    shares = [
        args.leads // args.workers + (w < args.leads % args.workers) for w in range(args.workers)
    ]
    load = os.getloadavg()[0]
    began = time.perf_counter()
    if args.workers == 1:
        results = [run(shares[0], args.seed)]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(run, shares, range(args.seed, args.seed + args.workers)))
    wall = time.perf_counter() - began
    for w, t in enumerate(results):
        scored, decided = t.leads / t.scoring, t.leads / (t.scoring + t.deciding)
        print(f"worker {w}: {scored:,.0f} leads/s scored with explanations; "
              f"{decided:,.0f} leads/s with the stage decision too")  # fmt: skip
    scored = sum(t.leads / t.scoring for t in results)
    decided = sum(t.leads / (t.scoring + t.deciding) for t in results)
    print(f"total: {scored:,.0f} leads/s scored with explanations, {decided:,.0f} leads/s "
          f"with stage decisions; {wall:.0f} s wall clock including generation")  # fmt: skip
    cpu_scored = sum(t.leads / t.scoring_cpu for t in results)
    cpu_decided = sum(t.leads / (t.scoring_cpu + t.deciding_cpu) for t in results)
    print(f"cpu: {cpu_scored:,.0f} leads/s scored, {cpu_decided:,.0f} decided per CPU-second "
          f"(time waiting for a busy CPU left out); load average at start {load:.1f}")  # fmt: skip
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF,
                                                             resource.RUSAGE_CHILDREN))  # fmt: skip
    print(f"peak RSS: {peak / 1024:,.0f} MiB (largest single process)")


if __name__ == "__main__":
    main()
