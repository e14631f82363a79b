"""Hypothesis strategies for random scoring rules, people and events that meet each other.

Values are drawn from small shared pools, so rules match often; points include values on a
rounding edge (0.05, 0.25) and times include exact window edges and ties, where an inexact
kernel would show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring import ScoringConfig, load_scoring
from tests.scoring.factories import NOW

FIELDS = ["industry", "employees", "annual_revenue", "title", "email_domain", "country"]
WORDS = ["retail", "Retail", "software", "vp sales", "VP", "Student", "ceo", "a.b", "", "x"]
DOMAINS = ["shop.com", "gmail.com", "mit.edu", "sub.shop.com", "edu", "Gmail.COM"]
NUMBERS = [0, 1, 9, 10, 50, 199.5, 200, 1e6, -3, 2**53 + 1]
PATTERNS = ["^v", "sales$", r"\bvp\b", "ret.il", "[0-9]+", "C(?i:EO)"]
GLOBS = ["*shop*", "r?tail", "*/kb/*", "*"]
ATTRIBUTES = ["url", "form_name", "campaign"]
TEXTS = ["https://x.com/pricing", "https://x.com/kb/a?b=1", "/careers", "Demo request",
         "demo", "c1", "C1", ""]  # fmt: skip
POINTS = [0.0, 0.05, 0.25, -0.15, 1.0, 2.5, -10.0, 15.0, 30.0, 0.45]

scalars = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS))
points = st.one_of(st.sampled_from(POINTS), st.floats(-60, 60, allow_nan=False))
days = st.one_of(st.sampled_from([1.0, 30.0, 90.0, 0.5]), st.floats(0.01, 400))


def _texts(pool: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(pool), st.lists(st.sampled_from(pool), min_size=1, max_size=3))


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """One `op` with operands that pass validation."""
    op = draw(st.sampled_from(["equals", "not_equals", "in", "not_in", "range", "contains",
                               "regex", "glob", "domain_in", "present", "absent"]))  # fmt: skip
    if op in ("equals", "not_equals"):
        return {"op": op, "value": draw(scalars)}
    if op in ("in", "not_in"):
        return {"op": op, "value": draw(st.lists(scalars, min_size=1, max_size=4))}
    if op == "range":
        low, high = sorted(draw(st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2,
                                         unique=True)))  # fmt: skip
        bounds = draw(st.sampled_from([("at_least",), ("below",), ("at_least", "below")]))
        return {"op": op} | {
            k: float(v) for k, v in (("at_least", low), ("below", high)) if k in bounds
        }
    if op == "domain_in":
        if draw(st.booleans()):
            return {"op": op, "list": "free"}
        return {"op": op, "value": draw(st.lists(st.sampled_from(DOMAINS[:-1]), min_size=1))}
    if op in ("present", "absent"):
        return {"op": op}
    pool = {"contains": WORDS[:-2] + TEXTS[:-1], "regex": PATTERNS, "glob": GLOBS}[op]
    return {"op": op, "value": draw(_texts(pool))}


@st.composite
def decays(draw: st.DrawFn) -> dict[str, Any]:
    choice = draw(st.sampled_from(["section", "half_life_days", "window_days", "none"]))
    if choice == "section":
        return {}
    if choice == "none":
        return {"decay": False}
    return {choice: draw(days)}


@st.composite
def configs(draw: st.DrawFn) -> ScoringConfig:
    """A valid `[scoring]` section with 0-6 fit and 1-6 engagement rules."""
    fit = [
        {"id": f"f{i}", "label": f"Fit {i}", "field": draw(st.sampled_from(FIELDS)),
         "points": draw(points), "disqualifying": i % 3 == 0 and draw(st.booleans())}
        | draw(conditions())
        for i in range(draw(st.integers(0, 6)))
    ]  # fmt: skip
    engagement = [
        {"id": f"e{i}", "label": f"Engaged {i}", "points": draw(points),
         "kind": draw(st.lists(st.sampled_from([k.value for k in EventKind]), min_size=1,
                               max_size=3, unique=True)),
         "when": [{"attribute": draw(st.sampled_from(ATTRIBUTES))} | draw(conditions())
                  for _ in range(draw(st.integers(0, 2)))]}
        | draw(decays())
        | ({"max_times": draw(st.integers(1, 4))} if draw(st.booleans()) else {})
        for i in range(draw(st.integers(1, 6)))
    ]  # fmt: skip
    ids = [rule["id"] for rule in engagement]
    decay = draw(st.sampled_from(["half_life_days", "window_days"]))
    table = {
        "decay": {"half_life_days": None, "window_days": None} | {decay: draw(days)},
        "grades": {"fit": sorted(draw(st.lists(st.sampled_from([-20, 0, 5, 20, 40]), min_size=3,
                                               max_size=3, unique=True)), reverse=True),
                   "engagement": [50, 10.5, 0]},
        "domain_lists": {"free": ["gmail.com", "edu"]},
        "stages": {"mql": draw(gates(ids)), "sql": draw(gates(ids)),
                   "suspect": draw(suspects(ids))},
        "fit": fit,
        "engagement": engagement,
    }  # fmt: skip
    return load_scoring(table)


@st.composite
def gates(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    gate = {
        key: draw(st.sampled_from([-5.0, 0.0, 0.5, 10.0, 25.0]))
        for key in ("fit_at_least", "engagement_at_least", "total_at_least")
        if draw(st.booleans())
    }
    if not gate or draw(st.booleans()):
        gate["requires_any"] = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        if draw(st.booleans()):
            gate["within_days"] = draw(days)
    return gate


@st.composite
def suspects(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    rules: dict[str, Any] = {"only_engagement": draw(st.lists(st.sampled_from(ids), unique=True))}
    if draw(st.booleans()):
        rules["fit_below"] = draw(st.sampled_from([-10.0, 0.0, 5.5]))
    return rules


field_values = st.one_of(
    st.none(), scalars, st.sampled_from(DOMAINS), st.floats(allow_nan=True),
    st.sampled_from([True, False, [1], 2**60, 10.0**20]),
)  # fmt: skip

people = st.builds(
    lambda email, fields: Person("p", email, {k: v for k, v in fields.items() if v != "skip"}),
    st.one_of(st.none(), st.sampled_from(DOMAINS).map(lambda d: f"jo@{d}")),
    st.fixed_dictionaries({f: st.one_of(st.just("skip"), field_values) for f in FIELDS}),
)
# Seconds before NOW: window edges in whole days, ties, microseconds, the future.
ages = st.one_of(
    st.sampled_from([0.0, 86_400.0, 30 * 86_400.0, 90 * 86_400.0, -5.0, 1e-6]),
    st.floats(-86_400, 500 * 86_400).map(lambda s: round(s, 6)),
)
events = st.lists(
    st.builds(
        lambda kind, attributes, age: EngagementEvent(
            "hubspot", "e", kind, NOW - timedelta(seconds=age), attributes
        ),
        st.sampled_from(EventKind),
        st.dictionaries(st.sampled_from([*ATTRIBUTES, "form_id"]), st.sampled_from(TEXTS)),
        ages,
    ),
    max_size=12,
)
