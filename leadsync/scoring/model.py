"""What scoring produces: a score and the contributions that explain it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

FIT = "fit"
ENGAGEMENT = "engagement"


class Contribution(NamedTuple):
    """One rule's share of a score: points after decay (one decimal) and why."""

    rule_id: str
    label: str
    axis: str  # FIT or ENGAGEMENT
    points: float
    evidence: str
    last_at: datetime | None = None  # newest matching event (engagement rules)
    count: int = 1  # matching events, including those past `max_times`


@dataclass(frozen=True, slots=True)
class Score:
    """A person's score with its explanation, `contributions` sorted by |points|, largest first.

    Every contribution is a multiple of 0.1 and the totals are their exact sums.
    `last_engaged_at` is the newest event that earned positive points; `no_intent` is true
    when the person has events and every one of them matched a `suspect.only_engagement` rule.
    """

    fit: float
    engagement: float
    total: float
    grade: str
    contributions: tuple[Contribution, ...]
    last_engaged_at: datetime | None = None
    no_intent: bool = False
