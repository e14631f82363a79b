"""The two shipped rules that never fired: webinar attendance and email replies.

Each source of the signal normalizes into the event kind its rule reads, and the shipped
rule (`webinar-attended`, `email-reply`) then matches.
"""

from __future__ import annotations

import pytest

from leadsync.connectors.hubspot.normalize import hubspot_engagement
from leadsync.connectors.salesforce.normalize import salesforce_engagement
from leadsync.mapping.model import EventKind
from tests.scoring.factories import example_rules


def fired(kind: EventKind, attrs) -> set[str]:
    return {check.id for check in example_rules().events[kind](dict(attrs)).checks}


def hubspot_email(direction: str) -> dict:
    props = {"hs_timestamp": "2026-09-01T10:00:00Z", "hs_email_direction": direction,
             "hs_email_subject": "Re: pricing"}  # fmt: skip
    return {**props, "contact_ids": ["101"], "contact_id": "101"}


def test_an_incoming_email_is_a_reply_and_scores():
    found = hubspot_engagement("emails", "9001", hubspot_email("INCOMING_EMAIL"))
    assert found is not None and found.event.kind is EventKind.EMAIL_REPLY
    assert [r.kind for r in found.refs] == ["hubspot_contact"]
    assert "email-reply" in fired(EventKind.EMAIL_REPLY, found.event.attributes)


@pytest.mark.parametrize("direction", ["EMAIL", "FORWARDED_EMAIL", ""])
def test_emails_sales_sent_say_nothing(direction):
    assert hubspot_engagement("emails", "9002", hubspot_email(direction)) is None


def test_notes_and_tasks_say_nothing():
    note = {"hs_timestamp": "2026-09-01T10:00:00Z", "contact_ids": ["101"]}
    assert hubspot_engagement("notes", "1", note) is None
    assert hubspot_engagement("tasks", "2", note) is None


def participation(state: str) -> dict:
    return {"attendanceState": state, "occurredAt": 1_780_000_000_000, "contact_id": "101",
            "email": "ada@example.com", "event_id": "555", "event_name": "Replatforming live",
            "event_type": "WEBINAR"}  # fmt: skip


def test_attending_a_hubspot_marketing_event_is_a_webinar():
    found = hubspot_engagement("marketing_events", "mep-1", participation("ATTENDED"))
    assert found is not None and found.event.kind is EventKind.WEBINAR
    assert found.event.attributes["event_name"] == "Replatforming live"
    assert "webinar-attended" in fired(EventKind.WEBINAR, found.event.attributes)
    assert hubspot_engagement("marketing_events", "mep-2", participation("REGISTERED")) is None


def member(campaign_type: str | None, status: str = "Responded", responded: bool = True) -> dict:
    return {"CampaignId": "7018d000000001AAA", "LeadId": "00Q8d000000001AAA", "Status": status,
            "HasResponded": responded, "FirstRespondedDate": "2026-09-01",
            "Campaign.Type": campaign_type, "Campaign.Name": "Webinar - Peak season"}  # fmt: skip


@pytest.mark.parametrize("status", ["Responded", "Attended"])
def test_responding_to_a_webinar_campaign_is_a_webinar(status):
    found = salesforce_engagement("CampaignMember", "00v1", member("Webinar", status))
    assert found is not None and found.event.kind is EventKind.WEBINAR
    assert found.event.attributes["campaign_name"] == "Webinar - Peak season"
    assert "webinar-attended" in fired(EventKind.WEBINAR, found.event.attributes)


def test_other_campaigns_stay_responses_and_registration_is_no_attendance():
    found = salesforce_engagement("CampaignMember", "00v2", member("Email"))
    assert found is not None and found.event.kind is EventKind.CAMPAIGN_RESPONSE
    assert salesforce_engagement("CampaignMember", "00v3", member("Webinar", "Sent", False)) is None
    untyped = salesforce_engagement("CampaignMember", "00v4", member(None))
    assert untyped is not None and untyped.event.kind is EventKind.CAMPAIGN_RESPONSE
