"""Small builders for scoring tests: the shipped rules, people, events and CRM evidence."""

from __future__ import annotations

import itertools
import tomllib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from leadsync.mapping.model import EngagementEvent, EventKind, Person, Stage, StageEvidence, System
from leadsync.scoring import Ruleset, ScoringConfig, compile_rules, load_scoring

NOW = datetime(2026, 10, 2, 12, tzinfo=UTC)
EXAMPLE = Path(__file__).parents[2] / "leadsync" / "scoring" / "example_rules.toml"
_ids = itertools.count()


def example_table() -> dict[str, Any]:
    """A fresh copy of the shipped `[scoring]` table, safe to edit in a test."""
    with EXAMPLE.open("rb") as f:
        return tomllib.load(f)["scoring"]


@cache
def example_config() -> ScoringConfig:
    return load_scoring(example_table())


@cache
def fit_alone_config() -> ScoringConfig:
    """The shipped rules with the MQL gate of old: fit and total, no engagement floor.

    For tests of mechanics (backtests, replays, the kernel) written around people who qualify
    on fit alone; the shipped gate asks for engagement too.
    """
    table = example_table()
    table["stages"]["mql"].pop("engagement_at_least", None)
    return load_scoring(table)


@cache
def example_rules() -> Ruleset:
    return compile_rules(example_config())


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def person(email: str | None = "jane@shop-co.com", **fields: Any) -> Person:
    return Person(id="p1", email=email, fields=fields)


def good_fit() -> Person:
    """A person the shipped rules like: fit 70."""
    return person(
        email_domain="shop-co.com",
        industry="retail",
        employees=250,
        annual_revenue=20_000_000.0,
        title="VP Marketing",
        platform="shopify",
        country="Canada",
    )


def event(kind: EventKind, days_ago: float = 0, **attributes: str) -> EngagementEvent:
    return EngagementEvent("hubspot", f"e{next(_ids)}", kind, ago(days_ago), attributes)


def page(path: str, days_ago: float = 0) -> EngagementEvent:
    return event(EventKind.PAGE_VIEW, days_ago, url=f"https://shop-co-vendor.com{path}")


def form(name: str, days_ago: float = 0) -> EngagementEvent:
    return event(EventKind.FORM_SUBMISSION, days_ago, form_id=f"f-{name}", form_name=name)


def evidence(
    system: System,
    stage: Stage | None,
    raw: str,
    days_ago: float = 0,
    *,
    human: bool = True,
    actor: str = "",
) -> StageEvidence:
    return StageEvidence(system, stage, raw, ago(days_ago), by_human=human, actor=actor)  # type: ignore[arg-type]
