"""Planning write-backs: only differences, HubSpot's backward lifecycle clears first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadsync.mapping.fields import default_outbound
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import default_vocabularies, written_stages
from leadsync.mapping.writeback import Outputs, Planner, as_text, crm_encoder

HS_NAMES = default_outbound()[("hubspot", "contact")]
SF_NAMES = default_outbound()[("salesforce", "Lead")]


def plan(stage, held, system="hubspot", obj="contact", names=HS_NAMES, **scores):
    outputs = Outputs(
        stage,
        scores.get("fit", 30.0),
        scores.get("engagement", 25.0),
        55.0,
        "B2",
        "Pricing page +10",
    )
    planner = Planner.of(system=system, obj=obj, vocabularies=default_vocabularies(),
                         names=names)  # fmt: skip
    return planner.plan(outputs, held)


def test_first_write_sets_stage_and_scores_as_strings_for_hubspot():
    planned = plan(Stage.MQL, {"lifecyclestage": "lead"})
    assert planned.properties["lifecyclestage"] == "marketingqualifiedlead"
    assert planned.properties["leadsync_score"] == "55"
    assert planned.clear_first == ()


def test_values_the_crm_already_holds_are_not_planned():
    held = {
        "lifecyclestage": "marketingqualifiedlead",
        "leadsync_stage": "mql",
        "leadsync_fit_score": "30",
        "leadsync_engagement_score": "25",
        "leadsync_score": "55",
        "leadsync_grade": "B2",
        "leadsync_top_reasons": "Pricing page +10",
    }
    assert not plan(Stage.MQL, held)


def test_backward_lifecycle_write_is_cleared_first():
    planned = plan(Stage.LEAD, {"lifecyclestage": "salesqualifiedlead"})
    assert planned.properties["lifecyclestage"] == "lead"
    assert planned.clear_first == ("lifecyclestage",)


def test_suspect_sets_unqualified_and_recycling_releases_it():
    assert (
        plan(Stage.SUSPECT, {"lifecyclestage": "lead"}).properties["hs_lead_status"]
        == "UNQUALIFIED"
    )
    released = plan(Stage.LEAD, {"lifecyclestage": "other", "hs_lead_status": "UNQUALIFIED"})
    assert released.properties["hs_lead_status"] == "OPEN"
    assert released.clear_first == ("lifecyclestage",)


def test_sales_own_lead_status_values_are_left_alone():
    assert "hs_lead_status" not in plan(Stage.SQL, {"hs_lead_status": "IN_PROGRESS"}).properties


def test_salesforce_stages_are_never_written_to_salesforce():
    planned = plan(
        Stage.OPPORTUNITY, {"Status": "Working - Contacted"}, "salesforce", "Lead", SF_NAMES
    )
    assert "Status" not in planned.properties
    assert planned.properties["Leadsync_Stage__c"] == "opportunity"
    assert planned.properties["Leadsync_Score__c"] == 55


@given(stage=st.sampled_from(list(Stage)))
def test_planning_twice_after_applying_plans_nothing(stage):
    for system, obj, names in (
        ("hubspot", "contact", HS_NAMES),
        ("salesforce", "Lead", SF_NAMES),
    ):
        first = plan(stage, {}, system, obj, names)
        assert not plan(stage, dict(first.properties), system, obj, names)
        if stage in written_stages(system) and system == "salesforce":
            assert first.properties["Status"]


def test_a_boolean_is_planned_as_hubspot_will_hold_it_so_it_is_not_rewritten_every_cycle():
    """HubSpot answers a checkbox as "true"/"false": planning must encode it the same way the
    connector sends it, or the held value never equals the wanted one."""
    assert crm_encoder("hubspot")(True) == as_text(True) == "true"
    assert crm_encoder("hubspot")(False) == "false"
    assert crm_encoder("hubspot")(None) == ""
    assert crm_encoder("hubspot")(42.04) == "42"
    assert crm_encoder("salesforce")(True) is True
