"""How numbers and times read on the pages."""

from __future__ import annotations

import pytest

from leadsync.console.render import duration, number, percent


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (-3, "0 s"), (42.7, "42 s"), (3 * 60, "3 min"), (5 * 3600 + 120, "5 h 2 min"),
     (2 * 86400 + 4 * 3600 + 59, "2 d 4 h"), (86400 + 300, "1 d 5 min")],
)  # fmt: skip
def test_a_cursors_lag_reads_in_its_two_largest_units(seconds, shown):
    assert duration(seconds) == shown


def test_numbers_are_grouped_and_rates_are_percentages():
    assert [number(None), number(1200), number(29.94), number(3.0)] == ["–", "1,200", "29.9", "3"]
    assert [percent(None), percent(0.2222)] == ["–", "22.2%"]
