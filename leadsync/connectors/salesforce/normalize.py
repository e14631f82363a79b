"""Salesforce activity records (Task, Event, CampaignMember) as canonical events.

Pure: what the catalog's `engagement` hook of Salesforce's declaration runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync.mapping.model import EngagementEvent, EventKind
from leadsync.mapping.normalize import Engagement, PersonRef, when_of

SYSTEM = "salesforce"
LEAD = "salesforce_lead"
CONTACT = "salesforce_contact"
_WEBINAR_CAMPAIGN_TYPES = frozenset({"webinar"})
_SALESFORCE_TASK_SUBTYPES = {"Call": EventKind.CALL}


def salesforce_kind(record_id: str) -> str | None:
    """Lead or Contact by the id's key prefix (00Q, 003); None for anything else."""
    prefix = record_id[:3]
    if prefix == "00Q":
        return LEAD
    if prefix == "003":
        return CONTACT
    return None


def _campaign_kind(data: Mapping[str, Any]) -> EventKind:
    """A response to a Webinar campaign ("Responded", "Attended") is webinar attendance."""
    kind = str(data.get("Campaign.Type") or "").strip().lower()
    return EventKind.WEBINAR if kind in _WEBINAR_CAMPAIGN_TYPES else EventKind.CAMPAIGN_RESPONSE


def salesforce_engagement(
    stream: str, record_id: str, data: Mapping[str, Any]
) -> Engagement | None:
    """A Salesforce Task, Event or CampaignMember as an event; None when it is no engagement."""
    record = f"salesforce {stream} {record_id}"
    if stream == "CampaignMember":
        if not data.get("HasResponded"):
            return None
        who = data.get("LeadId") or data.get("ContactId")
        when = data.get("FirstRespondedDate") or data.get("CreatedDate")
        kind = _campaign_kind(data)
        attrs = {"campaign": str(data.get("CampaignId", "")), "status": str(data.get("Status", ""))}
        attrs["campaign_name"] = str(data.get("Campaign.Name") or "")
    elif stream == "Task":
        kind = _SALESFORCE_TASK_SUBTYPES.get(str(data.get("TaskSubtype", "")))
        if kind is None or data.get("Status") not in (None, "Completed"):
            return None
        who, when = data.get("WhoId"), data.get("ActivityDate") or data.get("CreatedDate")
        attrs = {"title": str(data.get("Subject", ""))}
    elif stream == "Event":
        kind, who = EventKind.MEETING, data.get("WhoId")
        when = data.get("StartDateTime") or data.get("ActivityDate")
        attrs = {"title": str(data.get("Subject", ""))}
    else:
        return None
    if not who:
        return None
    ref_kind = salesforce_kind(str(who))
    if ref_kind is None:
        return None
    event = EngagementEvent(SYSTEM, record_id, kind, when_of(when, record), attrs)
    return Engagement((PersonRef(ref_kind, str(who)),), event)
