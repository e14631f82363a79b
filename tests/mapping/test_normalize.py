"""Raw CRM records -> stage evidence and engagement events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadsync.connectors.hubspot.normalize import hubspot_engagement
from leadsync.connectors.salesforce.normalize import salesforce_engagement, salesforce_kind
from leadsync.errors import MappingError
from leadsync.mapping.model import EventKind, Stage
from leadsync.mapping.normalize import Seen, stage_evidence
from leadsync.mapping.stages import default_vocabularies

AT = datetime(2026, 10, 1, tzinfo=UTC)


def evidence(system, obj, data, echoes=None):
    return stage_evidence(
        default_vocabularies(), system, obj, data, record="rec 1", observed_at=AT, echoes=echoes
    )


def test_hubspot_contact_gives_lifecycle_and_lead_status_evidence():
    found = evidence(
        "hubspot",
        "contact",
        {"lifecyclestage": "marketingqualifiedlead", "hs_lead_status": "UNQUALIFIED"},
    )
    assert {e.stage for e in found} == {Stage.MQL, Stage.SUSPECT}


def test_ignored_values_say_nothing():
    assert evidence("hubspot", "contact", {"hs_lead_status": "NEW"}) == []


def test_unknown_value_names_record_property_and_config_key():
    with pytest.raises(MappingError) as err:
        evidence("salesforce", "Lead", {"Status": "Nurture"})
    message = str(err.value)
    assert "rec 1" in message and "Status = 'Nurture'" in message
    assert "stages.salesforce.Status" in message
    assert err.value.field == "Status"


def test_leadsyncs_own_write_coming_back_is_not_evidence():
    data = {"lifecyclestage": "marketingqualifiedlead"}
    assert (
        evidence("hubspot", "contact", data, echoes={"lifecyclestage": "marketingqualifiedlead"})
        == []
    )
    assert evidence("hubspot", "contact", data, echoes={"lifecyclestage": "lead"})


def test_page_view_keeps_url_path_and_utm():
    found = hubspot_engagement(
        "page_views",
        "e1",
        {
            "objectId": "101",
            "occurredAt": "2026-09-01T10:00:00.000Z",
            "properties": {
                "hs_url": "https://www.example.com/pricing?utm_source=google&utm_medium=cpc"
            },
        },
    )
    assert found.refs[0].kind == "hubspot_contact" and found.refs[0].value == "101"
    assert found.event.kind is EventKind.PAGE_VIEW
    assert found.event.attributes["path"] == "/pricing"
    assert found.event.attributes["utm_medium"] == "cpc"


def test_email_events_resolve_by_recipient_and_skip_sends():
    click = hubspot_engagement(
        "email_events",
        "9",
        {
            "type": "CLICK",
            "recipient": "Ana@X.io",
            "created": 1790000000000,
            "url": "https://x.io/kb",
        },
    )
    assert click.refs[0].value == "ana@x.io" and click.event.kind is EventKind.EMAIL_CLICK
    assert (
        hubspot_engagement(
            "email_events", "10", {"type": "SENT", "recipient": "a@x.io", "created": 1790000000000}
        )
        is None
    )


def test_salesforce_tasks_events_and_campaign_responses():
    call = salesforce_engagement(
        "Task",
        "00T1",
        {
            "WhoId": "00Q1",
            "TaskSubtype": "Call",
            "Status": "Completed",
            "ActivityDate": "2026-09-02",
        },
    )
    assert call.event.kind is EventKind.CALL and call.refs[0].kind == "salesforce_lead"
    meeting = salesforce_engagement(
        "Event", "00U1", {"WhoId": "0031", "StartDateTime": "2026-09-02T10:00:00.000+0000"}
    )
    assert meeting.refs[0].kind == "salesforce_contact"
    assert (
        salesforce_engagement("CampaignMember", "00v1", {"LeadId": "00Q1", "HasResponded": False})
        is None
    )


def test_salesforce_id_prefixes():
    assert salesforce_kind("00Q000000000001") == "salesforce_lead"
    assert salesforce_kind("003000000000001") == "salesforce_contact"
    assert salesforce_kind("001000000000001") is None


def test_bad_timestamp_is_a_mapping_error():
    with pytest.raises(MappingError, match="hubspot page_views e2"):
        hubspot_engagement(
            "page_views", "e2", {"contact_id": "1", "occurred_at": "yesterday", "url": "/"}
        )


def test_a_contact_that_arrived_from_a_paid_ad_tells_of_it():
    from leadsync.connectors.hubspot.normalize import hubspot_contact_events

    [event] = hubspot_contact_events(
        "101", {"hs_analytics_source": "PAID_SEARCH", "createdate": "2026-09-01T10:00:00.000Z"}
    )
    assert event.kind is EventKind.PAID_AD_CLICK and event.source_id == "paid:101"
    [by_utm] = hubspot_contact_events(
        "102",
        {
            "hs_analytics_source": "OTHER_CAMPAIGNS",
            "createdate": "2026-09-01T10:00:00.000Z",
            "hs_analytics_first_url": "https://x.io/lp?utm_medium=cpc&utm_source=google",
        },
    )
    assert by_utm.attributes["utm_source"] == "google"
    assert (
        hubspot_contact_events(
            "103",
            {"hs_analytics_source": "ORGANIC_SEARCH", "createdate": "2026-09-01T10:00:00.000Z"},
        )
        == []
    )


def test_each_stage_property_carries_its_own_set_and_first_pulled_times():
    earlier, pulled = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 3, tzinfo=UTC)
    found = stage_evidence(
        default_vocabularies(),
        "hubspot",
        "contact",
        {"lifecyclestage": "lead", "hs_lead_status": "UNQUALIFIED"},
        record="r",
        observed_at=AT,
        seen={"lifecyclestage": Seen(earlier, pulled)},
    )
    at = {e.raw_value: (e.observed_at, e.learnt_at) for e in found}
    assert at == {"lead": (earlier, pulled), "UNQUALIFIED": (AT, AT)}


def test_the_crms_own_stamp_of_a_value_is_when_it_was_set_not_the_records_last_change():
    entered = "2026-08-02T09:30:00.000Z"
    data = {"lifecyclestage": "marketingqualifiedlead",
            "hs_date_entered_marketingqualifiedlead": entered, "hs_lead_status": "NEW"}  # fmt: skip
    (found,) = stage_evidence(
        default_vocabularies(), "hubspot", "contact", data, record="r", observed_at=AT
    )
    assert found.observed_at == datetime(2026, 8, 2, 9, 30, tzinfo=UTC)
