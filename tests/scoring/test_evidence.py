"""Fit fields ranked by a chi-square test across their values."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from leadsync.scoring.attributes import Attribute
from leadsync.scoring.evidence import field_evidence
from leadsync.scoring.lift import lift_table
from leadsync.scoring.model import ENGAGEMENT, FIT


def attribute(field: str, value: str, axis: str = FIT) -> Attribute:
    return Attribute(field, value, axis, f"{field}-{value}", f"{field}: {value}", {})


def groups(values: np.ndarray, names: list[str], field: str) -> tuple[np.ndarray, list[Attribute]]:
    columns = np.stack([values == i for i in range(len(names))], axis=1)
    return columns, [attribute(field, name) for name in names]


def test_a_field_that_matters_ranks_above_one_that_does_not() -> None:
    rng = np.random.default_rng(3)
    people = 4_000
    industry = rng.integers(0, 3, people)
    country = rng.integers(0, 4, people)
    outcome = rng.random(people) < np.array([0.02, 0.05, 0.12])[industry]
    a, named_a = groups(industry, ["a", "b", "c"], "industry")
    b, named_b = groups(country, ["w", "x", "y", "z"], "country")
    present = sparse.csr_matrix(np.hstack([a, b]).astype(float))
    lifts = lift_table(present, outcome, [*named_a, *named_b])
    found = field_evidence(lifts, people)
    assert [f.field for f in found] == ["industry", "country"]
    assert found[0].p_value < 1e-6 < 0.01 < found[1].p_value
    assert found[0].people == found[1].people == people


def test_groups_that_do_not_split_everyone_are_not_tested() -> None:
    rng = np.random.default_rng(4)
    people = 500
    outcome = rng.random(people) < 0.1
    pages = rng.random((people, 2)) < 0.3  # overlapping: someone may view both, or neither
    named = [attribute("page", "/pricing", ENGAGEMENT), attribute("page", "/blog", ENGAGEMENT),
             attribute("platform", "shopify"), attribute("platform", "custom")]  # fmt: skip
    half = np.arange(people) < people // 2
    present = sparse.csr_matrix(np.column_stack([pages, half, ~half]).astype(float))
    found = field_evidence(lift_table(present, outcome, named), people)
    assert [f.field for f in found] == ["platform"]
