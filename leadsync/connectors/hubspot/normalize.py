"""HubSpot engagement records (the API's own shapes) as canonical events.

Pure: what the catalog's `engagement` and `person_events` hooks of HubSpot's declaration run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync.mapping.model import EngagementEvent, EventKind
from leadsync.mapping.normalize import Engagement, PersonRef, url_attributes, when_of
from leadsync.mapping.transforms import timestamp

SYSTEM = "hubspot"
CONTACT = "hubspot_contact"

# Where an engagement record says who it belongs to.
_HUBSPOT_EMAIL_EVENTS = {
    "OPEN": EventKind.EMAIL_OPEN,
    "CLICK": EventKind.EMAIL_CLICK,
    "UNSUBSCRIBED": EventKind.UNSUBSCRIBE,
}
_HUBSPOT_ENGAGEMENTS = {"meetings": EventKind.MEETING, "calls": EventKind.CALL}
# An email logged on a contact that the contact sent (a reply); outgoing ones say nothing.
_HUBSPOT_INCOMING_EMAIL = "INCOMING_EMAIL"
# A marketing event participation that shows interest (registration is a form fill).
_HUBSPOT_ATTENDED = frozenset({"ATTENDED"})


def page_view_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    """Where a page view was, from whichever of its properties HubSpot filled in.

    Real page views can carry an empty `hs_url` (recorded), so the URL comes from the first
    present of `hs_url`, `hs_base_url` + `hs_url_path`, `hs_url_path`, then the page title;
    `url_source` says which, so a URL rule's match can be judged. A path alone still starts
    with "/", so path rules (`/pricing`, `*/kb/*`) match it as they match a full URL.
    """
    text = {k: str(props.get(k) or "").strip() for k in _PAGE_FIELDS}
    base, path, title = text["hs_base_url"], text["hs_url_path"], text["hs_page_title"]
    if text["hs_url"]:
        attrs, source = url_attributes(text["hs_url"]), "hs_url"
    elif base:
        joined = base if not path or base.rstrip("/").endswith(path.rstrip("/")) else (
            base.rstrip("/") + "/" + path.lstrip("/"))  # fmt: skip
        source = "hs_base_url+hs_url_path" if joined != base else "hs_base_url"
        attrs = url_attributes(joined if "//" in joined else f"//{joined}")
        attrs["url"] = joined
    elif path:
        attrs, source = url_attributes(path), "hs_url_path"
    else:
        attrs, source = {"url": title}, "hs_page_title" if title else "none"
    attrs["url_source"] = source
    if title:
        attrs["title"] = title
    return attrs


_PAGE_FIELDS = ("hs_url", "hs_base_url", "hs_url_path", "hs_page_title")


def _hubspot_contact(contact_id: Any) -> PersonRef:
    return PersonRef(CONTACT, str(contact_id))


_PAID_SOURCES = frozenset({"PAID_SEARCH", "PAID_SOCIAL"})
_PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paid_social", "paidsocial", "display"})


def hubspot_contact_events(record_id: str, data: Mapping[str, Any]) -> list[EngagementEvent]:
    """Events a contact record itself tells of: arriving from a paid ad (first-touch source
    PAID_SEARCH / PAID_SOCIAL, or a paid UTM medium on the first page seen)."""
    source = str(data.get("hs_analytics_source") or "")
    first_url = str(data.get("hs_analytics_first_url") or "")
    attrs = url_attributes(first_url) if first_url else {}
    if source not in _PAID_SOURCES and attrs.get("utm_medium", "").lower() not in _PAID_MEDIUMS:
        return []
    when = data.get("hs_analytics_first_visit_timestamp") or data.get("createdate")
    try:
        moment = timestamp(when, {})
    except ValueError:
        moment = None
    if moment is None:
        return []
    attrs["source"] = source
    return [EngagementEvent(SYSTEM, f"paid:{record_id}", EventKind.PAID_AD_CLICK, moment, attrs)]


def hubspot_engagement(stream: str, record_id: str, data: Mapping[str, Any]) -> Engagement | None:
    """A HubSpot engagement record as an event; None for records that carry no engagement."""
    record = f"hubspot {stream} {record_id}"
    if stream == "page_views":
        # The events API puts the URL in `properties` and the time in occurredAt.
        props = data.get("properties") or {"hs_url": data.get("url")}
        when = data.get("occurredAt") or data.get("occurred_at")
        event = EngagementEvent(
            SYSTEM, f"pv:{record_id}", EventKind.PAGE_VIEW,
            when_of(when, record), page_view_attributes(props),
        )  # fmt: skip
        return Engagement((_hubspot_contact(data.get("contact_id") or data["objectId"]),), event)
    if stream == "form_submissions":
        name = data.get("form_name") or data.get("formName") or ""
        attrs = {"form_id": str(data.get("form_id", "")), "form_name": str(name)}
        page_url = data.get("pageUrl") or data.get("page_url")
        if page_url:
            attrs.update(url_attributes(str(page_url)))
        refs = []
        if data.get("contact_id"):
            refs.append(_hubspot_contact(data["contact_id"]))
        if data.get("email"):
            refs.append(PersonRef(None, str(data["email"]).strip().lower()))
        event = EngagementEvent(
            SYSTEM, f"form:{record_id}", EventKind.FORM_SUBMISSION,
            when_of(data.get("submittedAt") or data.get("submittedAt") or data.get("submitted_at"), record), attrs,
        )  # fmt: skip
        return Engagement(tuple(refs), event)
    if stream == "email_events":
        kind = _HUBSPOT_EMAIL_EVENTS.get(str(data.get("type", "")))
        if kind is None:
            return None
        # The email events API names it emailCampaignId.
        campaign = data.get("emailCampaignId") or data.get("email_campaign_id") or ""
        attrs = {"campaign": str(campaign)}
        if data.get("url"):
            attrs.update(url_attributes(str(data["url"])))
        event = EngagementEvent(
            SYSTEM, f"email:{record_id}", kind, when_of(data.get("created"), record), attrs
        )
        return Engagement((PersonRef(None, str(data["recipient"]).strip().lower()),), event)
    if stream == "marketing_events":
        return _marketing_event(record_id, data, record)
    props = data.get("properties", data)
    if stream == "emails":
        return _hubspot_reply(record_id, data, props, record)
    kind = _HUBSPOT_ENGAGEMENTS.get(stream)
    if kind is None:
        return None
    title = props.get("hs_meeting_title") or props.get("hs_call_title") or ""
    event = EngagementEvent(
        SYSTEM, f"{stream}:{record_id}", kind,
        when_of(props.get("hs_timestamp"), record), {"title": str(title)},
    )  # fmt: skip
    refs = tuple(_hubspot_contact(cid) for cid in data.get("contact_ids", ()))
    return Engagement(refs, event)


def _hubspot_reply(
    record_id: str, data: Mapping[str, Any], props: Mapping[str, Any], record: str
) -> Engagement | None:
    """An email the contact sent us (`hs_email_direction` INCOMING_EMAIL) is a reply."""
    if str(props.get("hs_email_direction") or "") != _HUBSPOT_INCOMING_EMAIL:
        return None
    attrs = {"subject": str(props.get("hs_email_subject") or "")}
    event = EngagementEvent(
        SYSTEM, f"emails:{record_id}", EventKind.EMAIL_REPLY,
        when_of(props.get("hs_timestamp"), record), attrs,
    )  # fmt: skip
    return Engagement(tuple(_hubspot_contact(c) for c in data.get("contact_ids", ())), event)


def _marketing_event(record_id: str, data: Mapping[str, Any], record: str) -> Engagement | None:
    """A contact's attendance at a marketing event (a webinar, as HubSpot's events mostly are)."""
    if str(data.get("attendanceState") or "").upper() not in _HUBSPOT_ATTENDED:
        return None
    attrs = {
        "event_id": str(data.get("event_id") or ""),
        "event_name": str(data.get("event_name") or ""),
        "event_type": str(data.get("event_type") or ""),
    }
    event = EngagementEvent(
        SYSTEM, f"event:{record_id}", EventKind.WEBINAR,
        when_of(data.get("occurredAt"), record), attrs,
    )  # fmt: skip
    refs = [_hubspot_contact(data["contact_id"])] if data.get("contact_id") else []
    if data.get("email"):
        refs.append(PersonRef(None, str(data["email"]).strip().lower()))
    return Engagement(tuple(refs), event)
