"""Replaying a person's stages up to the cutoff: sticky MQLs, hand-raisers, and the ceiling."""

from __future__ import annotations

from leadsync.mapping.model import EventKind, Stage
from leadsync.scoring import score, verdict
from leadsync.scoring.cases import Case
from leadsync.scoring.replay import Replay
from tests.scoring import synthetic
from tests.scoring.factories import NOW, ago, event, fit_alone_config, form, good_fit, page, person


def case(who, *events, created: float = 300) -> Case:
    return Case(who, tuple(events), created_at=ago(created), cutoff=NOW, outcome=False)


def middling():
    """Fit 30: enough for the MQL fit gate, not for the total alone."""
    return person(industry="retail", employees=250)


def test_an_mql_long_ago_still_counts_though_the_score_has_faded_since() -> None:
    burst = (page("/pricing", 200), page("/pricing", 199), event(EventKind.WEBINAR, 198))
    c = case(middling(), *burst)
    replay = Replay.of(fit_alone_config())
    now_stage = verdict(score(c.person, c.events, replay.rules, NOW), replay.rules, NOW)[0]
    assert now_stage is Stage.LEAD
    assert replay.reached(c).mql_at == ago(198)


def test_a_hand_raiser_becomes_an_sql_when_the_demo_request_arrives() -> None:
    c = case(good_fit(), page("/blog/x", 40), form("Demo request", 10))
    reached = Replay.of(fit_alone_config()).reached(c)
    assert (reached.mql_at, reached.sql_at) == (ago(300), ago(10))


def test_a_disqualified_person_never_qualifies_whatever_they_do() -> None:
    student = person(title="Student", industry="retail", employees=250, platform="shopify")
    c = case(student, form("Demo request", 10), page("/pricing", 9), page("/pricing", 8))
    replay = Replay.of(fit_alone_config())
    assert replay.follow(c)[0].mql_at is None
    assert replay.peak(c) is None


def test_the_ceiling_shortcut_agrees_with_a_full_replay() -> None:
    replay = Replay.of(fit_alone_config())
    cases = synthetic.world(1_500, seed=3)
    assert [replay.reached(c) for c in cases] == [replay.follow(c)[0] for c in cases]
    assert sum(replay.reached(c).mql_at is not None for c in cases) > 100


def test_the_peak_is_at_least_the_score_at_the_cutoff() -> None:
    replay = Replay.of(fit_alone_config())
    for c in synthetic.world(300, seed=4):
        at_cutoff = score(c.person, c.events, replay.rules, c.cutoff)
        peak = replay.peak(c)
        if verdict(at_cutoff, replay.rules, c.cutoff)[0] is not Stage.SUSPECT:
            assert peak is not None and peak >= at_cutoff.total, c.person.id
