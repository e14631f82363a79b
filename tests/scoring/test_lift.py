"""Lift over the base rate, with a 95% Wilson interval and a flag for thin evidence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from leadsync.scoring.attributes import Attribute
from leadsync.scoring.lift import lift_table


def group(name: str) -> Attribute:
    return Attribute("industry", name, "fit", name, name, {"field": "industry", "op": "absent"})


def table(columns: list[list[int]], outcome: list[int], **kw):
    present = sparse.csr_matrix(np.array(columns, dtype=float).T)
    names = [f"g{i}" for i in range(len(columns))]
    return lift_table(present, np.array(outcome, dtype=bool), [group(n) for n in names], **kw)


def test_lift_is_the_groups_rate_over_everyones() -> None:
    outcome = [1, 1, 0, 0, 0, 0, 0, 0, 1, 0] * 10  # base rate 0.3
    member = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0] * 10  # 20 of 30 in the group won
    (row,) = table([member], outcome)
    assert (row.people, row.outcomes) == (30, 20)
    assert row.rate == pytest.approx(20 / 30)
    assert row.lift == pytest.approx((20 / 30) / 0.3)
    assert row.low < row.lift < row.high


def test_more_people_with_the_same_rate_narrow_the_interval() -> None:
    outcome = ([1] + [0] * 3) * 100
    small = [1] * 8 + [0] * 392
    large = [1] * 400
    few, many = table([small, large], outcome)
    assert few.high - few.low > many.high - many.low


def test_a_group_without_winners_still_has_an_upper_bound() -> None:
    outcome = [1, 0] * 50
    losers = [0, 1] * 50
    (row,) = table([losers], outcome)
    assert row.lift == row.low == 0
    assert row.high > 0  # Wilson, unlike the plain normal interval, is not [0, 0] here


def test_small_groups_are_flagged_and_empty_ones_have_no_rate() -> None:
    outcome = [1, 0, 0, 0] * 25
    some = [1] * 10 + [0] * 90
    none = [0] * 100
    thin, empty = table([some, none], outcome, min_people=20)
    assert thin.few and thin.lift is not None
    assert empty.few and (empty.people, empty.rate, empty.lift) == (0, None, None)
