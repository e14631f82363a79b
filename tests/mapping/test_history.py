"""Past stage moves rebuilt from the moments records entered stages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync.mapping.history import Milestone, moves
from leadsync.mapping.model import Stage

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def path(stones: list[Milestone]) -> list[tuple[Stage | None, Stage]]:
    return [(m.src, m.dst) for m in moves(stones)]


def test_moments_become_a_forward_path_in_time_order_whatever_order_they_come_in() -> None:
    stones = [
        Milestone(Stage.CUSTOMER, at(90), "salesforce", "closed"),
        Milestone(Stage.LEAD, at(0), "hubspot", "created"),
        Milestone(Stage.MQL, at(30), "hubspot", "mql stamp"),
        Milestone(Stage.OPPORTUNITY, at(60), "salesforce", "created"),
    ]
    assert path(stones) == [(None, Stage.LEAD), (Stage.LEAD, Stage.MQL),
                            (Stage.MQL, Stage.OPPORTUNITY), (Stage.OPPORTUNITY, Stage.CUSTOMER)]  # fmt: skip
    assert [m.at for m in moves(stones)] == [at(0), at(30), at(60), at(90)]


def test_two_crms_telling_the_same_story_give_one_trail() -> None:
    stones = [
        Milestone(Stage.LEAD, at(0), "hubspot", "created"),
        Milestone(Stage.LEAD, at(2), "salesforce", "Lead created"),
        Milestone(Stage.OPPORTUNITY, at(50), "salesforce", "opportunity created"),
        Milestone(Stage.OPPORTUNITY, at(51), "hubspot", "opportunity stamp"),
        Milestone(Stage.SQL, at(52), "hubspot", "a stamp out of order"),
    ]
    trail = moves(stones)
    assert [(m.dst, m.system) for m in trail] == [(Stage.LEAD, "hubspot"),
                                                   (Stage.OPPORTUNITY, "salesforce")]  # fmt: skip


def test_stages_stamped_at_one_instant_go_up_the_ladder() -> None:
    stones = [Milestone(s, at(5), "hubspot", s.value) for s in (Stage.SQL, Stage.LEAD, Stage.MQL)]
    assert path(stones) == [(None, Stage.LEAD), (Stage.LEAD, Stage.MQL), (Stage.MQL, Stage.SQL)]


def test_suspect_is_entered_from_below_opportunity_and_left_by_a_later_stage() -> None:
    stones = [
        Milestone(Stage.LEAD, at(0), "hubspot", "created"),
        Milestone(Stage.SUSPECT, at(10), "hubspot", "other"),
        Milestone(Stage.MQL, at(20), "hubspot", "mql"),
    ]
    assert path(stones) == [(None, Stage.LEAD), (Stage.LEAD, Stage.SUSPECT),
                            (Stage.SUSPECT, Stage.MQL)]  # fmt: skip
    late = [Milestone(Stage.OPPORTUNITY, at(0), "salesforce", "o"),
            Milestone(Stage.SUSPECT, at(1), "hubspot", "other")]  # fmt: skip
    assert path(late) == [(None, Stage.OPPORTUNITY)]


def test_no_moments_no_moves() -> None:
    assert moves([]) == []
