"""Properties of scoring and stage decisions over generated people, events and evidence."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadsync.mapping.model import EngagementEvent, EventKind, Person, Stage, StageEvidence
from leadsync.mapping.stages import OWNERS, Cause, Owner, allowed, is_backward
from leadsync.scoring import Transition, decide_stage, score
from leadsync.scoring.model import ENGAGEMENT, FIT
from tests.scoring.factories import NOW, ago, example_rules

RULES = example_rules()
URLS = ["/", "/pricing", "/kb/a", "/docs/b", "/careers", "/jobs/1", "/blog/c"]
FORMS = [
    "Demo request",
    "Contact sales",
    "Quote request",
    "Technical white paper",
    "Newsletter",
    "Webinar registration",
]
PLAIN = [k for k in EventKind if k not in (EventKind.PAGE_VIEW, EventKind.FORM_SUBMISSION)]
CRM_OWNED = [s for s in Stage if OWNERS[s] is Owner.SALES]

days = st.floats(min_value=-3, max_value=900, allow_nan=False)
what = st.one_of(
    st.tuples(st.just(EventKind.PAGE_VIEW), st.sampled_from(URLS).map(lambda u: {"url": u})),
    st.tuples(
        st.just(EventKind.FORM_SUBMISSION), st.sampled_from(FORMS).map(lambda n: {"form_name": n})
    ),
    st.tuples(st.sampled_from(PLAIN), st.just({"campaign": "c"})),
)
events = st.lists(
    st.builds(
        lambda w, d, i: EngagementEvent("hubspot", str(i), w[0], ago(d), w[1]),
        what,
        days,
        st.integers(),
    ),
    max_size=25,
)
people = st.builds(
    lambda email, fields: Person("p1", email, {k: v for k, v in fields.items() if v is not None}),
    st.sampled_from(["a@shop.com", "b@gmail.com", "c@competitor-one.com", "d@mit.edu", None]),
    st.fixed_dictionaries(
        {
            "industry": st.sampled_from(["retail", "software", "education", "other", None]),
            "employees": st.one_of(st.none(), st.integers(0, 5000)),
            "annual_revenue": st.one_of(st.none(), st.floats(0, 1e9)),
            "title": st.sampled_from(["VP Sales", "Student", "Director", "Manager", "", None]),
            "platform": st.sampled_from(["shopify", "magento", None]),
            "country": st.sampled_from(["Canada", "India", None]),
        }
    ),
)
lasts = st.one_of(
    st.none(),
    st.builds(
        lambda src, dst, cause, d: Transition("p1", src, dst, ago(d), cause),
        st.one_of(st.none(), st.sampled_from(Stage)),
        st.sampled_from(Stage),
        st.sampled_from(Cause),
        st.floats(0, 500),
    ),
)
claims = st.lists(
    st.builds(
        StageEvidence,
        st.sampled_from(["hubspot", "salesforce"]),
        st.sampled_from(Stage),
        st.just("value"),
        days.map(ago),
        st.booleans(),
    ),
    max_size=4,
)


def tenths(result, axis: str) -> int:
    return sum(round(c.points * 10) for c in result.contributions if c.axis == axis)


@given(people, events)
def test_scoring_is_deterministic_and_ignores_event_order(who, did) -> None:
    first = score(who, did, RULES, NOW)
    assert score(who, did, RULES, NOW) == first
    again = score(who, list(reversed(did)), RULES, NOW)
    assert (again.fit, again.engagement, again.total, again.grade) == (
        first.fit,
        first.engagement,
        first.total,
        first.grade,
    )
    assert sorted(c[:4] for c in again.contributions) == sorted(c[:4] for c in first.contributions)


@given(people, events)
def test_explanations_sum_to_the_totals(who, did) -> None:
    result = score(who, did, RULES, NOW)
    assert tenths(result, FIT) == round(result.fit * 10)
    assert tenths(result, ENGAGEMENT) == round(result.engagement * 10)
    assert round(result.total * 10) == round(result.fit * 10) + round(result.engagement * 10)


@given(people, events, st.floats(0, 1000))
def test_decayed_points_never_grow_with_time(who, did, later) -> None:
    before = {c.rule_id: c.points for c in score(who, did, RULES, NOW).contributions}
    after = score(who, did, RULES, NOW + timedelta(days=later))
    assert set(before) == {c.rule_id for c in after.contributions}
    for c in after.contributions:
        assert abs(c.points) <= abs(before[c.rule_id])
        assert c.points * before[c.rule_id] >= 0  # fading towards zero, never across it


@given(lasts, people, events, claims)
def test_no_move_without_an_allowed_cause_and_no_regression_without_a_reason(
    last, who, did, seen
) -> None:
    result = score(who, did, RULES, NOW)
    decision = decide_stage(last, result, seen, RULES, NOW)
    assert decide_stage(last, result, seen, RULES, NOW) == decision
    if not decision.moved:
        assert decision.stage is (last.dst if last else decision.stage)
        return
    previous = last.dst if last else None
    assert decision.previous is previous
    assert allowed(previous, decision.stage, decision.cause) is not None
    if is_backward(previous, decision.stage):
        assert decision.cause in (Cause.HUMAN, Cause.RECYCLE)
    if previous is Stage.SUSPECT and decision.cause is Cause.SCORE:
        assert result.last_engaged_at is not None and result.last_engaged_at > last.at


@given(people, events, st.lists(st.floats(0, 200), min_size=1, max_size=6))
def test_time_alone_never_moves_anyone_backwards(who, did, steps) -> None:
    last, now = None, NOW
    for step in steps:
        now += timedelta(days=step)
        decision = decide_stage(last, score(who, did, RULES, now), (), RULES, now)
        assert not is_backward(decision.previous, decision.stage)
        last = decision.entry("p1") or last


@given(lasts, people, events, st.sampled_from(CRM_OWNED), days, st.booleans())
def test_salesforce_evidence_of_its_own_stage_outranks_scoring(
    last, who, did, stage, observed, human
) -> None:
    shown = StageEvidence("salesforce", stage, "value", ago(observed), by_human=human)
    decision = decide_stage(last, score(who, did, RULES, NOW), [shown], RULES, NOW)
    assert decision.cause is not Cause.SCORE
    current = last.dst if last else None
    if current is None or current is Stage.SUSPECT or current.rank <= stage.rank:
        assert decision.stage is stage
    elif human and last is not None and min(shown.observed_at, NOW) > last.at:
        assert decision.stage is stage and decision.cause is Cause.HUMAN  # a rep moved it back
    else:
        assert decision.stage is current


@given(lasts, people, events, claims)
def test_deciding_again_on_the_same_facts_settles_without_flip_flopping(
    last, who, did, seen
) -> None:
    """Re-deciding on unchanged facts stops within a few moves, and goes back to a stage it
    left only for something newer than leaving it: engagement, through scoring or a recycle
    rule."""
    result = score(who, did, RULES, NOW)
    trail, left = ([last.dst] if last else []), {}
    for _ in range(5):
        decision = decide_stage(last, result, seen, RULES, NOW)
        if not decision.moved:
            return
        if decision.stage in trail:
            engaged = result.last_engaged_at
            assert decision.cause in (Cause.SCORE, Cause.RECYCLE), trail
            assert engaged is not None and engaged > left[decision.stage], trail
        if decision.previous is not None:
            left[decision.previous] = decision.at
        trail.append(decision.stage)
        last = decision.entry("p1")
    raise AssertionError(f"still moving after 5 decisions: {trail}")
