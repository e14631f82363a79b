"""Cases: cut before the outcome or at the horizon, and split by when people arrived."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadsync.mapping.model import EventKind
from leadsync.scoring.cases import Case, case_at, split_by_time
from tests.scoring.factories import NOW, ago, event, person


def test_a_case_keeps_only_events_strictly_before_its_cutoff_oldest_first() -> None:
    before, at, after = (event(EventKind.PAGE_VIEW, d, url="/x") for d in (10, 5, 1))
    c = Case(person(), (after, at, before), created_at=ago(30), cutoff=ago(5), outcome=True)
    assert c.events == (before,)


def test_winners_are_cut_at_their_outcome_and_others_at_the_horizon() -> None:
    won = case_at(person(), (), ago(100), ago(40), now=NOW, horizon=timedelta(days=30))
    assert (won.cutoff, won.outcome) == (ago(40), True)
    lost = case_at(person(), (), ago(100), None, now=NOW, horizon=timedelta(days=30))
    assert (lost.cutoff, lost.outcome) == (ago(70), False)


def test_the_horizon_never_reaches_past_now_nor_does_a_future_outcome_count() -> None:
    young = case_at(person(), (), ago(10), NOW + timedelta(days=1), now=NOW)
    assert (young.cutoff, young.outcome, young.outcome_at) == (NOW, False, None)


def test_earlier_people_train_and_later_people_test() -> None:
    cases = [Case(person(), (), ago(d), NOW, False) for d in (50, 10, 40, 20, 30)]
    train, test = split_by_time(cases, 0.4)
    assert max(cases[i].created_at for i in train) < min(cases[i].created_at for i in test)
    assert (len(train), len(test)) == (3, 2)


def test_people_created_at_the_same_moment_stay_on_one_side() -> None:
    cases = [Case(person(), (), ago(d), NOW, False) for d in (30, 20, 20, 20, 10)]
    train, test = split_by_time(cases, 0.5)
    assert sorted(cases[i].created_at for i in test) == [ago(20)] * 3 + [ago(10)]
    assert len(train) == 1


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_a_test_share_must_lie_strictly_between_zero_and_one(share: float) -> None:
    with pytest.raises(ValueError, match="test_share"):
        split_by_time([], share)
