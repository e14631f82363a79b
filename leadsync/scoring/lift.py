"""How much more (or less) often people in a group reach the outcome than people in general.

`lift` is the group's outcome rate over the base rate of everyone measured. Its 95% interval
is the Wilson score interval of the group's rate (scipy's `binomtest`), divided by the base
rate; the base rate is treated as fixed, which is fair while the group is a small part of a
large history. A group of fewer than `min_people` is flagged `few`: its rate is a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.stats import binomtest

from leadsync.scoring.attributes import Attribute

CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Lift:
    """One attribute's evidence; rates and lifts are None when no one is in the group."""

    attribute: Attribute
    people: int
    outcomes: int
    rate: float | None
    lift: float | None
    low: float | None
    high: float | None
    few: bool


def lift_table(
    present: sparse.csr_matrix,
    outcome: np.ndarray,
    attributes: Sequence[Attribute],
    *,
    min_people: int = 30,
) -> list[Lift]:
    """One `Lift` per attribute (column of `present`), in the attributes' order."""
    people = np.asarray(present.sum(axis=0)).ravel().astype(int)
    wins = np.asarray(present.T @ outcome.astype(float)).ravel().round().astype(int)
    base = float(outcome.mean()) if len(outcome) else 0.0
    return [
        _lift(a, int(n), int(k), base, min_people)
        for a, n, k in zip(attributes, people, wins, strict=True)
    ]


def _lift(attribute: Attribute, people: int, outcomes: int, base: float, least: int) -> Lift:
    if people == 0:
        return Lift(attribute, 0, 0, None, None, None, None, True)
    rate = outcomes / people
    interval = binomtest(outcomes, people).proportion_ci(CONFIDENCE, method="wilson")
    if base == 0:
        return Lift(attribute, people, outcomes, rate, None, None, None, people < least)
    lifts = (rate / base, interval.low / base, interval.high / base)
    return Lift(attribute, people, outcomes, rate, *lifts, few=people < least)
