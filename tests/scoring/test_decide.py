"""Stage decisions: thresholds and gates, owners, and no backward move without a reason."""

from __future__ import annotations

from dataclasses import replace

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.mapping.model import EventKind, Stage
from leadsync.mapping.stages import Cause
from leadsync.scoring import Transition, compile_rules, decide_stage, score
from leadsync.scoring.decide import stays
from leadsync.scoring.gates import verdict
from tests.scoring.factories import (
    NOW,
    ago,
    event,
    evidence,
    example_config,
    example_rules,
    form,
    good_fit,
    page,
    person,
)
from tests.scoring.strategies import events

RULES = example_rules()
SF, HS = "salesforce", "hubspot"


def was(
    src: Stage | None, dst: Stage, days_ago: float, cause: Cause = Cause.SCORE, actor: str = ""
) -> Transition:
    return Transition("p1", src, dst, ago(days_ago), cause, actor)


def decide(who, did, last=None, seen=(), rules=RULES, now=NOW):
    return decide_stage(last, score(who, did, rules, now), list(seen), rules, now)


def test_fit_and_engagement_over_the_thresholds_make_an_mql() -> None:
    decision = decide(good_fit(), [page("/pricing", 2), page("/kb/setup", 2)],
                      was(None, Stage.LEAD, 30))  # fmt: skip
    assert (decision.stage, decision.cause, decision.actor) == (
        Stage.MQL,
        Cause.SCORE,
        "scoring:mql",
    )
    assert decision.reason == "fit 70 ≥ 20; engagement 14.7 ≥ 10; total 84.7 ≥ 50"
    assert decision.rule_ids[:2] == ("industry-core", "employees-large")


def test_a_recent_hand_raiser_that_fits_goes_straight_to_sql() -> None:
    decision = decide(good_fit(), [form("Demo request", 3)], was(None, Stage.LEAD, 30))
    assert (decision.stage, decision.cause) == (Stage.SQL, Cause.SCORE)
    assert decision.reason == "Requested a demo on 2026-09-29; fit 70 ≥ 40"
    assert decision.rule_ids[0] == "demo-request"


def test_an_old_hand_raise_opens_no_sql_gate() -> None:
    decision = decide(good_fit(), [form("Demo request", 45)], was(None, Stage.LEAD, 60))
    assert decision.stage is Stage.MQL


def test_below_the_thresholds_a_new_person_is_a_lead_and_hears_why() -> None:
    decision = decide(person(industry="retail"), [page("/pricing")])
    assert (decision.stage, decision.previous, decision.cause) == (Stage.LEAD, None, Cause.SCORE)
    assert decision.reason == (
        "sql needs one of demo-request, contact-sales, quote-request in the last 30 days and "
        "fit ≥ 40 (has 10); mql needs fit ≥ 20 (has 10) and total ≥ 50 (has 20)"
    )


def test_decay_alone_never_demotes() -> None:
    decision = decide(good_fit(), [form("Demo request", 400)], was(Stage.LEAD, Stage.SQL, 400))
    assert (decision.stage, decision.moved) == (Stage.SQL, False)
    assert "but scoring never moves sql to" in decision.reason
    faded = decide(person(industry="retail"), [page("/pricing", 300)], was(None, Stage.MQL, 300))
    assert (faded.stage, faded.moved) == (Stage.MQL, False)
    assert faded.reason.endswith("but scoring never moves mql to lead")


def test_disqualifying_fit_and_careers_only_engagement_make_a_suspect() -> None:
    competitor = decide(
        person("x@competitor-one.com"), [form("Demo request")], was(None, Stage.MQL, 3)
    )
    assert (competitor.stage, competitor.rule_ids) == (Stage.SUSPECT, ("competitor",))
    assert competitor.reason == "disqualified: Works for a competitor"
    seeker = decide(good_fit(), [page("/careers"), page("/jobs/1")], was(None, Stage.LEAD, 3))
    assert (seeker.stage, seeker.rule_ids) == (Stage.SUSPECT, ("careers-page",))


def test_a_suspect_returns_through_scoring_only_on_engagement_after_disqualification() -> None:
    last = was(Stage.LEAD, Stage.SUSPECT, 10)
    before = [page("/careers", 20), page("/pricing", 15), page("/kb/a", 12)]
    stays = decide(good_fit(), before, last)
    assert (stays.stage, stays.moved) == (Stage.SUSPECT, False)
    assert "no new engagement since suspect on 2026-09-22" in stays.reason
    back = decide(good_fit(), [*before, page("/pricing", 1)], last)
    assert (back.stage, back.cause) == (Stage.MQL, Cause.SCORE)


def test_a_sales_rep_disqualifying_in_salesforce_wins_and_holds() -> None:
    rep = evidence(SF, Stage.SUSPECT, "Closed - Not Converted", 1, actor="rep@vendor.com")
    did = [page("/pricing", 5)]
    out = decide(good_fit(), did, was(None, Stage.MQL, 5), [rep])
    assert (out.stage, out.cause, out.actor) == (
        Stage.SUSPECT,
        Cause.HUMAN,
        "salesforce:rep@vendor.com",
    )
    assert out.reason == "rep@vendor.com set salesforce 'Closed - Not Converted' (suspect)"
    assert out.at == ago(1)
    held = decide(good_fit(), did, out.entry("p1"), [rep])
    assert (held.stage, held.moved) == (Stage.SUSPECT, False)


def test_a_suspect_raising_a_hand_again_is_recycled_to_lead() -> None:
    did = [page("/pricing", 30), form("Demo request", 1)]
    out = decide(good_fit(), did, was(Stage.MQL, Stage.SUSPECT, 20, Cause.HUMAN))
    assert (out.stage, out.cause, out.rule_ids) == (
        Stage.LEAD,
        Cause.RECYCLE,
        ("suspect-raised-hand",),
    )
    then = decide(good_fit(), did, out.entry("p1"))
    assert (then.stage, then.cause) == (Stage.SQL, Cause.SCORE)


def test_scoring_does_not_disqualify_someone_a_human_took_out_of_suspect() -> None:
    out = decide(
        person("x@competitor-one.com"),
        [],
        was(Stage.SUSPECT, Stage.LEAD, 2, Cause.HUMAN, "salesforce:rep"),
    )
    assert (out.stage, out.moved) == (Stage.LEAD, False)
    assert out.reason.endswith("taken out of suspect by salesforce:rep on 2026-09-30")


def test_salesforce_evidence_of_its_own_stages_outranks_scoring() -> None:
    opp = evidence(SF, Stage.OPPORTUNITY, "Prospecting", 400, human=False)
    out = decide(person("x@competitor-one.com"), [], was(None, Stage.SQL, 5), [opp])
    assert (out.stage, out.cause, out.actor) == (Stage.OPPORTUNITY, Cause.EVIDENCE, "salesforce")
    qualified = evidence(SF, Stage.PROSPECT, "Qualified", 100, human=False)
    held = decide(
        person("x@competitor-one.com"),
        [],
        was(Stage.SQL, Stage.PROSPECT, 50, Cause.EVIDENCE),
        [qualified],
    )
    assert (held.stage, held.moved) == (Stage.PROSPECT, False)
    assert held.reason.endswith("Salesforce shows 'Qualified', which outranks scoring")


def test_a_hubspot_user_moving_back_counts_only_when_trusted_and_then_holds() -> None:
    did = [page("/pricing", 20), page("/kb/setup", 20)]
    mql = was(Stage.LEAD, Stage.MQL, 10)
    back = evidence(HS, Stage.LEAD, "lead", 2, actor="marketer@vendor.com")
    out = decide(good_fit(), did, mql, [back])
    assert (out.stage, out.cause) == (Stage.LEAD, Cause.HUMAN)
    held = decide(good_fit(), did, out.entry("p1"), [back])
    assert (held.stage, held.moved) == (Stage.LEAD, False)
    assert "moved back by hubspot:marketer@vendor.com on 2026-09-30" in held.reason
    again = decide(good_fit(), [*did, page("/kb/x", 1)], out.entry("p1"), [back])
    assert (again.stage, again.cause) == (Stage.MQL, Cause.SCORE)
    strict = compile_rules(
        example_config().model_copy(update={"trust_marketing_manual_changes": False})
    )
    ignored = decide(good_fit(), did, mql, [back], rules=strict)
    assert (ignored.stage, ignored.moved) == (Stage.MQL, False)


def test_stale_and_automated_evidence_moves_nobody() -> None:
    stale = evidence(SF, Stage.LEAD, "Open - Not Contacted", 30, actor="rep")
    automation = evidence(HS, Stage.SQL, "salesqualifiedlead", 1, human=False)
    out = decide(
        good_fit(), [page("/pricing", 3)], was(Stage.LEAD, Stage.MQL, 10), [stale, automation]
    )
    assert (out.stage, out.moved) == (Stage.MQL, False)


def test_scoring_wins_over_evidence_of_an_earlier_scoring_stage() -> None:
    status = evidence(SF, Stage.LEAD, "Open - Not Contacted", 5, human=False)
    out = decide(good_fit(), [page("/pricing", 3), page("/kb/setup", 3)], None, [status])
    assert (out.stage, out.cause) == (Stage.MQL, Cause.SCORE)
    sales = evidence(SF, Stage.SQL, "Working - Contacted", 1, human=False)
    out = decide(good_fit(), [page("/pricing", 3)], was(None, Stage.MQL, 5), [sales])
    assert (out.stage, out.cause) == (Stage.SQL, Cause.EVIDENCE)


def test_a_lost_deal_is_recycled_to_nurture_after_the_configured_wait() -> None:
    last = was(Stage.SQL, Stage.OPPORTUNITY, 200, Cause.EVIDENCE)
    lost = [evidence(SF, None, "Closed Lost", 95, human=False)]
    out = decide(good_fit(), [], last, lost)
    assert (out.stage, out.cause, out.actor) == (
        Stage.LEAD,
        Cause.RECYCLE,
        "recycle:closed-lost-nurture",
    )
    assert (
        out.reason == "Closed Lost for 90 days: back to nurture (recycle rule closed-lost-nurture)"
    )
    recent = [replace(lost[0], observed_at=ago(30))]
    assert not decide(good_fit(), [], last, recent).moved


def test_a_decision_gives_the_ledger_entry_with_a_score_snapshot() -> None:
    out = decide(good_fit(), [form("Demo request", 3)], was(None, Stage.LEAD, 30))
    entry = out.entry("p1")
    assert entry == Transition(
        "p1",
        Stage.LEAD,
        Stage.SQL,
        NOW,
        Cause.SCORE,
        "scoring:sql",
        out.reason,
        out.rule_ids,
        70.0,
        29.3,
        99.3,
    )
    assert decide(good_fit(), [], was(Stage.LEAD, Stage.SQL, 1)).entry("p1") is None


def test_nobody_moves_a_person_below_a_stage_salesforce_owns_and_shows() -> None:
    opp = evidence(SF, Stage.OPPORTUNITY, "Negotiation/Review", 20, human=False)
    last = was(Stage.SQL, Stage.OPPORTUNITY, 20, Cause.EVIDENCE)
    for word in (
        evidence(SF, Stage.LEAD, "Open - Not Contacted", 1, actor="rep"),
        evidence(HS, Stage.LEAD, "lead", 1, actor="marketer"),
    ):
        out = decide(good_fit(), [], last, [opp, word])
        assert (out.stage, out.moved) == (Stage.OPPORTUNITY, False)


def test_a_later_word_wins_over_an_earlier_one() -> None:
    marketer = evidence(HS, Stage.MQL, "marketingqualifiedlead", 1, actor="m")
    older_sales = evidence(SF, Stage.SQL, "Working - Contacted", 2, human=False)
    out = decide(person(industry="retail"), [], was(None, Stage.MQL, 5), [marketer, older_sales])
    assert (out.stage, out.moved) == (Stage.MQL, False)
    newer_sales = replace(older_sales, observed_at=ago(0.5))
    out = decide(person(industry="retail"), [], was(None, Stage.MQL, 5), [marketer, newer_sales])
    assert (out.stage, out.cause) == (Stage.SQL, Cause.EVIDENCE)


def test_a_disqualification_by_a_person_is_undone_only_by_qualifying_again() -> None:
    last = was(Stage.MQL, Stage.SUSPECT, 10, Cause.HUMAN, "salesforce:rep")
    who = person(industry="retail", employees=250)  # fit 25
    newsletter = [event(EventKind.EMAIL_CLICK, 2, campaign="Oct")]
    out = decide(who, newsletter, last)
    assert (out.stage, out.moved) == (Stage.SUSPECT, False)
    assert out.reason.endswith("only qualifying again (mql, sql) undoes that")
    out = decide(who, [*newsletter, *(page("/pricing", 1) for _ in range(3))], last)
    assert (out.stage, out.cause) == (Stage.MQL, Cause.SCORE)


def test_scoring_does_not_disqualify_someone_a_person_placed_and_says_whose_call_it_is() -> None:
    """A rep set the Lead to Working (sql) months ago; the person is a competitor by the fit
    rules. Scoring leaves them at sql, cycle after cycle, and says why."""
    competitor = person("x@competitor-one.com")
    placed = was(None, Stage.SQL, 60, Cause.HUMAN, "salesforce:Priya Shah")
    out = decide(competitor, [form("Demo request")], placed)
    assert (out.stage, out.moved) == (Stage.SQL, False)
    assert "salesforce:Priya Shah set sql on" in out.reason and "theirs" in out.reason
    # A claim a CRM makes is no judgment: the same person placed by evidence is disqualified.
    claimed = decide(competitor, [form("Demo request")], was(None, Stage.SQL, 60, Cause.EVIDENCE))
    assert (claimed.stage, claimed.cause) == (Stage.SUSPECT, Cause.SCORE)


_lasts = st.builds(
    lambda src, dst, days, cause, actor: Transition("p1", src, dst, ago(days), cause, actor),
    st.one_of(st.none(), st.sampled_from(Stage)), st.sampled_from(Stage),
    st.sampled_from([0.0, 1.0, 3.0, 10.0, 40.0, 400.0]), st.sampled_from(Cause),
    st.sampled_from(["", "salesforce:rep"]),
)  # fmt: skip
_said = st.builds(
    lambda system, stage, raw, days, human, known: replace(
        evidence(system, stage, raw, days, human=human, actor="rep" if human else ""),
        known_at=None if known is None else ago(known),
    ),
    st.sampled_from([SF, HS]), st.one_of(st.none(), st.sampled_from(Stage)),
    st.sampled_from(["Open - Not Contacted", "Closed Lost", "lead", "Qualified"]),
    st.sampled_from([-1.0, 0.5, 3.0, 10.0, 40.0]), st.booleans(),
    st.one_of(st.none(), st.sampled_from([0.5, 3.0, 40.0])),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    who=st.sampled_from([good_fit(), person(), person("x@competitor-one.com")]),
    did=events, last=st.one_of(st.none(), _lasts), seen=st.lists(_said, max_size=4),
    rules=st.sampled_from([RULES, compile_rules(example_config().model_copy(
        update={"trust_hubspot_manual_changes": False}))]),
)  # fmt: skip
def test_whoever_stays_says_is_staying_is_left_where_they_are_by_decide_stage(
    who, did, last, seen, rules
) -> None:
    """A chunk decides in bulk whoever `stays` vouches for, from the verdict and newest
    engagement alone: `decide_stage` must leave each of them where they were, unmoved."""
    result = score(who, did, rules, NOW)
    target = verdict(result, rules, NOW)[0]
    staying = stays(last, target, result.last_engaged_at, seen, rules, NOW)
    hypothesis.event("vouched for" if staying else "left to decide_stage")
    if staying:
        out = decide_stage(last, result, seen, rules, NOW)
        assert (out.stage, out.moved) == (last.dst, False)


def test_someone_scoring_where_they_stand_with_nothing_new_stays_and_a_claim_is_not_vouched_for():
    did = [page("/pricing", 20), page("/kb/setup", 20)]
    result = score(good_fit(), did, RULES, NOW)
    target = verdict(result, RULES, NOW)[0]
    last = was(Stage.LEAD, target, 10)
    assert stays(last, target, result.last_engaged_at, [], RULES, NOW)
    fresh = evidence(SF, Stage.OPPORTUNITY, "Prospecting", 1, human=False)
    assert not stays(last, target, result.last_engaged_at, [fresh], RULES, NOW)
    assert decide_stage(last, result, [fresh], RULES, NOW).stage is Stage.OPPORTUNITY
