"""A history with a known generating model of who wins, for calibration tests and the bench.

Each person gets fit fields and engagement events; the log-odds of a win is the sum of the
effects in the tables below for what they are and what they did before the outcome, plus
Gaussian noise. Fields and pages without an entry (country, lead source, revenue, the blog,
the newsletter, email opens, the knowledge base) are decoys with no effect at all, so a
calibration that works ranks the drivers above them. Winners go on doing things after they
win (onboarding pages, meetings with their account manager): a calibration that let anything
after the cutoff in would find those irresistible.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring.cases import Case, case_at

NOW = datetime(2026, 10, 1, tzinfo=UTC)
HORIZON = timedelta(days=180)
SITE = "https://www.example-saas.com"
INTERCEPT = -3.4
NOISE = 0.5  # standard deviation of the log-odds noise

# value -> (relative frequency, effect on the log-odds of a win)
INDUSTRY = {
    "retail": (3, 1.2), "apparel": (2, 0.8), "software": (4, 0.0), "media": (2, 0.0),
    "healthcare": (2, 1.0), "education": (2, -1.2), "staffing": (1, -1.0),
}  # fmt: skip
PLATFORM = {"shopify": (3, 0.9), "woocommerce": (2, 0.0), "custom": (3, 0.0)}
TITLE = {
    "VP Marketing": (2, 0.6), "CEO": (1, 0.6), "Marketing Manager": (4, 0.0),
    "Analyst": (3, 0.0), "Student": (1, -1.5),
}  # fmt: skip
DOMAIN = {"company": (8, 0.0), "gmail.com": (2, -0.6)}
COUNTRY = {"United States": (4, 0.0), "Germany": (2, 0.0), "India": (2, 0.0), "Brazil": (1, 0.0)}
SOURCE = {"organic": (3, 0.0), "paid": (2, 0.0), "referral": (1, 0.0)}
EMPLOYEES = ((10, -0.8), (50, 0.0), (1000, 0.7), (math.inf, 0.0))  # (below, effect)

PRICING = 0.5  # per view, up to three
DEMO = 2.0
WEBINAR = 0.6
CAREERS = -1.0

# What calibration should find: (field, value) pairs with an effect, and decoys without one.
DRIVERS = frozenset(
    {("industry", "retail"), ("industry", "healthcare"), ("industry", "education"),
     ("platform", "shopify"), ("title", "student"), ("page", "/pricing"),
     ("form", "demo request"), ("event", "webinar"), ("page", "/careers")}
)  # fmt: skip
DECOY_FIELDS = frozenset({"country", "lead_source"})
DECOYS = frozenset({("page", "/blog"), ("page", "/kb"), ("form", "newsletter")})


def world(
    people: int, seed: int = 1, *, after_outcome: bool = True, busy: float = 1.0
) -> list[Case]:
    """`people` cases created over two years; `after_outcome` adds winners' later activity.

    `busy` multiplies the decoy activity (blog views, email opens): about 9 events a person
    at 1, 19 at 2.5, with the same model of who wins.
    """
    rng = np.random.default_rng(seed)
    return [_case(rng, i, after_outcome, busy) for i in range(people)]


def _case(rng: np.random.Generator, i: int, after_outcome: bool, busy: float) -> Case:
    person, logit = _person(rng, i)
    created = NOW - timedelta(days=float(rng.uniform(200, 900)))
    events, effect = _engagement(rng, i, created, busy)
    won = rng.random() < _sigmoid(INTERCEPT + logit + effect + rng.normal(0, NOISE))
    outcome_at = None
    if won:
        last = events[-1].occurred_at if events else created
        outcome_at = last + timedelta(days=float(rng.uniform(1, 20)))
        later = _after(rng, i, outcome_at)  # drawn either way: the same world, with or without
        events += later if after_outcome else []
    sql_at, opportunity_at = _funnel(rng, created, outcome_at)
    return case_at(person, events, created, outcome_at, now=NOW, horizon=HORIZON,
                   sql_at=sql_at, opportunity_at=opportunity_at)  # fmt: skip


def _funnel(
    rng: np.random.Generator, created: datetime, won_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """(sql_at, opportunity_at) in the history: sales accepted every winner weeks before the
    win, the opportunity opening in between, and accepted one in twenty of the others."""
    gap, share, chance = rng.random(3)  # drawn either way, so the stream stays the same
    if won_at is not None:
        sql_at = max(created, won_at - timedelta(days=10 + 30 * gap))
        return sql_at, sql_at + (won_at - sql_at) * share
    if chance < 0.05:
        return created + timedelta(days=10 + 140 * gap), None
    return None, None


def _person(rng: np.random.Generator, i: int) -> tuple[Person, float]:
    picks = {name: _pick(rng, table) for name, table in _FIT.items()}
    employees = int(rng.lognormal(4.0, 1.6))
    domain = f"shop{i % 500}.com" if picks["domain"][0] == "company" else "gmail.com"
    fields = {name: value for name, (value, _) in picks.items() if name != "domain"}
    fields |= {"employees": employees, "annual_revenue": round(float(rng.lognormal(15, 2)), 2)}
    size = next(effect for below, effect in EMPLOYEES if employees < below)
    logit = size + sum(effect for _, effect in picks.values())
    return Person(id=f"p{i}", email=f"person{i}@{domain}", fields=fields), logit


_FIT = {
    "industry": INDUSTRY,
    "platform": PLATFORM,
    "title": TITLE,
    "country": COUNTRY,
    "lead_source": SOURCE,
    "domain": DOMAIN,
}


def _pick(rng: np.random.Generator, table: dict[str, tuple[int, float]]) -> tuple[str, float]:
    weights = np.array([weight for weight, _ in table.values()], dtype=float)
    value = list(table)[rng.choice(len(table), p=weights / weights.sum())]
    return value, table[value][1]


def _engagement(
    rng: np.random.Generator, i: int, created: datetime, busy: float
) -> tuple[list[EngagementEvent], float]:
    """Events in the 150 days after creation, and their effect on the log-odds."""
    interest = rng.exponential(1.0)
    pricing = int(rng.poisson(0.7 * interest))
    demo = rng.random() < 0.06 * interest
    webinar = rng.random() < 0.12
    careers = rng.random() < 0.08
    did = [(EventKind.PAGE_VIEW, {"url": f"{SITE}/pricing"})] * pricing
    did += [
        (EventKind.PAGE_VIEW, {"url": f"{SITE}/blog/post-{rng.integers(200)}"})
        for _ in range(rng.poisson(3.0 * busy))
    ]
    did += [(EventKind.PAGE_VIEW, {"url": f"{SITE}/kb/setup"})] * int(rng.poisson(0.6))
    did += [(EventKind.PAGE_VIEW, {"url": f"{SITE}/careers"})] * careers
    did += [(EventKind.FORM_SUBMISSION, _form("Demo request"))] * demo
    did += [(EventKind.FORM_SUBMISSION, _form("Newsletter"))] * (rng.random() < 0.3)
    did += [(EventKind.WEBINAR, {"campaign": "spring-webinar"})] * webinar
    did += [
        (EventKind.EMAIL_OPEN, {"campaign": f"c{rng.integers(20)}"})
        for _ in range(rng.poisson(4.0 * busy))
    ]
    times = sorted(created + timedelta(days=float(d)) for d in rng.uniform(0, 150, len(did)))
    events = [
        _event(i, n, kind, at, attrs)
        for n, ((kind, attrs), at) in enumerate(zip(did, times, strict=True))
    ]
    effect = PRICING * min(pricing, 3) + DEMO * demo + WEBINAR * webinar + CAREERS * careers
    return events, effect


def _after(rng: np.random.Generator, i: int, won_at: datetime) -> list[EngagementEvent]:
    """What a new customer does: strongly tied to winning, and all of it too late to count."""
    later = [won_at + timedelta(days=float(d)) for d in rng.uniform(0, 60, 4)]
    pages = [{"url": f"{SITE}/onboarding/step-{n}"} for n in range(len(later))]
    kickoff = _event(i, 900, EventKind.MEETING, won_at, {"campaign": "kickoff"})
    return [kickoff] + [
        _event(i, 901 + n, EventKind.PAGE_VIEW, at, page)
        for n, (at, page) in enumerate(zip(later, pages, strict=True))
    ]


def _form(name: str) -> dict[str, str]:
    return {"form_id": name.lower().replace(" ", "-"), "form_name": name}


def _event(i: int, n: int, kind: EventKind, at: datetime, attrs: dict[str, str]) -> EngagementEvent:
    return EngagementEvent("hubspot", f"{i}-{n}", kind, at, attrs)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
