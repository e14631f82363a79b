"""Webinar attendance and replies come out of the connectors as records normalize can score."""

from __future__ import annotations

from datetime import timedelta

import requests

from leadsync.connectors.base import Window
from leadsync.connectors.hubspot.normalize import hubspot_engagement
from leadsync.connectors.salesforce.normalize import salesforce_engagement
from leadsync.mapping.model import EventKind

from .conftest import until_now


def seed_attendance(admin, contact_id: str, event: str, state: str = "ATTENDED") -> dict:
    answer = requests.post(
        f"{admin.url}/_sandbox/hubspot/marketing_events",
        json={"contact_id": contact_id, "event": event, "state": state}, timeout=10,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()


def test_hubspot_marketing_event_attendance_is_read_and_scored(hubspot, admin):
    people = [r.id for r in hubspot.read("contacts", Window(None, until_now()))][:3]
    seed_attendance(admin, people[0], "Peak season live")
    seed_attendance(admin, people[1], "Peak season live")
    seed_attendance(admin, people[2], "Peak season live", "REGISTERED")
    records = list(hubspot.read("marketing_events", Window(None, until_now())))
    assert sorted(r.data["contact_id"] for r in records) == sorted(people[:2])
    kinds = {hubspot_engagement(r.stream, r.id, r.data).event.kind for r in records}
    assert kinds == {EventKind.WEBINAR}
    later = until_now() + timedelta(hours=1)
    assert list(hubspot.read("marketing_events", Window(later, later + timedelta(hours=1)))) == []


def test_hubspot_replies_are_read_from_the_emails_stream(hubspot, admin):
    found = [
        hubspot_engagement(r.stream, r.id, r.data)
        for r in hubspot.read("emails", Window(None, until_now()))
    ]
    replies = [f for f in found if f is not None]
    assert replies and {f.event.kind for f in replies} == {EventKind.EMAIL_REPLY}
    assert len(replies) < len(found)  # outgoing emails say nothing
    assert "notes" not in hubspot.streams and "tasks" not in hubspot.streams


def test_salesforce_webinar_campaign_responses_are_webinars(salesforce, admin):
    members = list(salesforce.read("CampaignMember", Window(None, until_now())))
    assert any(m.data.get("Campaign.Type") == "Webinar" for m in members)
    kinds = [salesforce_engagement(m.stream, m.id, m.data) for m in members]
    assert EventKind.WEBINAR in {k.event.kind for k in kinds if k is not None}
