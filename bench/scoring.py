"""Benchmark: score synthetic leads with the shipped rules, explanations included.

    .venv/bin/python -m bench.scoring                 # 1,000,000 leads, ~20 events each
    .venv/bin/python -m bench.scoring --leads 200000 --workers 2

Leads are generated in chunks (memory stays flat); only scoring, the stage decision and the
"top reasons" text are timed. Prints leads per second (per worker and in total) and the
peak resident memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync.mapping.model import EngagementEvent, EventKind, Person, System
from leadsync.scoring import Ruleset, compile_rules, decide_stage, load_scoring, score, top_reasons

NOW = datetime(2026, 10, 2, 12, tzinfo=UTC)
RULES_FILE = Path(__file__).resolve().parents[1] / "leadsync" / "scoring" / "example_rules.toml"
CHUNK = 10_000

INDUSTRIES = [
    "ecommerce",
    "retail",
    "apparel",
    "consumer_goods",
    "software",
    "marketing",
    "media",
    "education",
    "staffing",
    "healthcare",
    "financial_services",
    "other",
]
TITLES = [
    "VP Marketing",
    "Head of Ecommerce",
    "Marketing Manager",
    "CEO",
    "Founder",
    "Director of Growth",
    "Software Engineer",
    "Student",
    "Analyst",
    "",
    "Owner",
    "Ecommerce Manager",
    "Chief Marketing Officer",
    "Marketing Intern",
]
PLATFORMS = ["shopify", "shopify_plus", "magento", "woocommerce", "bigcommerce", "custom", ""]
COUNTRIES = [
    "United States",
    "Canada",
    "United Kingdom",
    "Germany",
    "France",
    "India",
    "Brazil",
    "Australia",
    "Netherlands",
    "Spain",
]
DOMAINS = ["gmail.com", "yahoo.com", "competitor-one.com", "mit.edu"] + [
    f"shop{i}.com" for i in range(40)
]
URLS = [
    "/",
    "/pricing",
    "/pricing/enterprise",
    "/kb/setup",
    "/docs/api",
    "/help/billing",
    "/careers",
    "/jobs/42",
    "/blog/post-1",
    "/blog/post-2",
    "/product",
    "/customers",
]
FORMS = [
    "Demo request",
    "Contact sales",
    "Quote request",
    "Technical white paper",
    "Newsletter",
    "Webinar registration",
]
KINDS = [
    (EventKind.PAGE_VIEW, 50),
    (EventKind.EMAIL_OPEN, 18),
    (EventKind.EMAIL_CLICK, 8),
    (EventKind.FORM_SUBMISSION, 6),
    (EventKind.PAID_AD_CLICK, 4),
    (EventKind.WEBINAR, 2),
    (EventKind.CAMPAIGN_RESPONSE, 4),
    (EventKind.EMAIL_REPLY, 2),
    (EventKind.MEETING, 2),
    (EventKind.CALL, 2),
    (EventKind.UNSUBSCRIBE, 2),
]


def templates(rng: random.Random, size: int = 2_000) -> list[tuple[EventKind, dict[str, str]]]:
    """What events look like (kind and attributes); each lead's events are fresh objects."""
    kinds, weights = zip(*KINDS, strict=True)
    return [(kind, _attributes(rng, kind)) for kind in rng.choices(kinds, weights, k=size)]


def events(rng: random.Random, shapes: list[tuple[EventKind, dict[str, str]]], first: int) -> list:
    return [
        EngagementEvent(System.HUBSPOT, str(first + i), kind, NOW - timedelta(seconds=age), attrs)
        for i, ((kind, attrs), age) in enumerate(
            zip(rng.choices(shapes, k=rng.randint(10, 30)),
                (rng.randrange(400 * 86_400) for _ in range(30)), strict=False)
        )
    ]


def _attributes(rng: random.Random, kind: EventKind) -> dict[str, str]:
    if kind is EventKind.PAGE_VIEW:
        return {"url": f"https://example.com{rng.choice(URLS)}"}
    if kind is EventKind.FORM_SUBMISSION:
        name = rng.choice(FORMS)
        return {"form_id": f"f-{FORMS.index(name)}", "form_name": name}
    if kind is EventKind.PAID_AD_CLICK:
        return {"utm_source": rng.choice(["google", "linkedin"]), "utm_medium": "cpc"}
    return {"campaign": f"campaign-{rng.randrange(30)}"}


def person(rng: random.Random, i: int) -> Person:
    domain = rng.choice(DOMAINS)
    return Person(
        id=f"p{i}",
        email=f"user{i}@{domain}",
        fields={
            "email_domain": domain,
            "industry": rng.choice(INDUSTRIES),
            "employees": int(rng.lognormvariate(4.5, 1.5)),
            "annual_revenue": rng.lognormvariate(15.5, 2.0),
            "title": rng.choice(TITLES),
            "platform": rng.choice(PLATFORMS),
            "country": rng.choice(COUNTRIES),
        },
    )


def run(leads: int, seed: int) -> tuple[int, float]:
    """Generate and score `leads` leads; returns (leads, seconds spent scoring)."""
    rng = random.Random(seed)
    rules = _rules()
    pool = event_pool(rng)
    spent = 0.0
    for start in range(0, leads, CHUNK):
        batch = [
            (person(rng, i), rng.choices(pool, k=rng.randint(10, 30)))
            for i in range(start, min(start + CHUNK, leads))
        ]
        began = time.perf_counter()
        for who, events in batch:
            result = score(who, events, rules, NOW)
            decide_stage(None, result, (), rules, NOW)
            top_reasons(result)
        spent += time.perf_counter() - began
    return leads, spent


def _rules() -> Ruleset:
    with RULES_FILE.open("rb") as f:
        return compile_rules(load_scoring(tomllib.load(f)["scoring"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rules = _rules()
    print(
        f"{len(rules.fit) + len(rules.engagement)} rules, ~20 events per lead, "
        f"{args.leads:,} leads, {args.workers} worker(s)"
    )
    shares = [
        args.leads // args.workers + (w < args.leads % args.workers) for w in range(args.workers)
    ]
    began = time.perf_counter()
    if args.workers == 1:
        results = [run(shares[0], args.seed)]
    else:
        with ProcessPoolExecutor(args.workers) as executor:
            results = list(executor.map(run, shares, range(args.seed, args.seed + args.workers)))
    wall = time.perf_counter() - began
    rates = [n / spent for n, spent in results]
    for w, rate in enumerate(rates):
        print(f"worker {w}: {rate:,.0f} leads/s (score + stage decision + top reasons)")
    print(
        f"total: {sum(rates):,.0f} leads/s while scoring; {args.leads / wall:,.0f} leads/s "
        f"wall clock including generation ({wall:.1f} s)"
    )
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(f"peak RSS: {peak / 1024:,.0f} MiB (largest single process)")


if __name__ == "__main__":
    sys.exit(main())
