"""Raw CRM records (the API's own shapes) -> canonical stage evidence and engagement events.

Pure: takes plain values, returns canonical ones, raises `MappingError` for a value the mapping
cannot place (the record goes to the error queue; the run goes on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from leadsync.errors import MappingError
from leadsync.mapping.model import EngagementEvent, EventKind, RecordKind, StageEvidence, System
from leadsync.mapping.stages import Vocabulary
from leadsync.mapping.transforms import timestamp

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
_WEBINAR_CAMPAIGN_TYPES = frozenset({"webinar"})
_SALESFORCE_TASK_SUBTYPES = {"Call": EventKind.CALL}


@dataclass(frozen=True, slots=True)
class PersonRef:
    """How an engagement record names its person: a CRM record or an email."""

    kind: RecordKind | None
    value: str


@dataclass(frozen=True, slots=True)
class Engagement:
    """An event and the person it belongs to (resolved by `sync`)."""

    refs: tuple[PersonRef, ...]
    event: EngagementEvent


def salesforce_kind(record_id: str) -> RecordKind | None:
    """Lead or Contact by the id's key prefix (00Q, 003); None for anything else."""
    prefix = record_id[:3]
    if prefix == "00Q":
        return RecordKind.SALESFORCE_LEAD
    if prefix == "003":
        return RecordKind.SALESFORCE_CONTACT
    return None


@dataclass(frozen=True, slots=True)
class Seen:
    """A stage property's current value: when the CRM says it was set, when leadsync first had it."""

    at: datetime
    known: datetime
    actor: str = ""  # who set it, as the CRM names them ("" when it does not say)
    human: bool = True  # False when an integration user set it, not a person


def value_set_at(vocab: Vocabulary, data: Mapping[str, Any], fallback: datetime) -> datetime:
    """The CRM's own time for the current value of `vocab.prop`, else `fallback`."""
    prop = vocab.stamp_prop(str(data.get(vocab.prop)))
    if prop is None or data.get(prop) in (None, ""):
        return fallback
    try:
        return timestamp(data[prop], {}) or fallback
    except ValueError:
        return fallback


def stage_evidence(
    vocabularies: Iterable[Vocabulary],
    system: System,
    obj: str,
    data: Mapping[str, Any],
    *,
    record: str,
    observed_at: datetime,
    echoes: Mapping[str, str | None] | None = None,
    include_silent: bool = False,
    seen: Mapping[str, Seen] | None = None,
) -> list[StageEvidence]:
    """What one record says about the stage, one item per vocabulary with an opinion.

    A value equal to what leadsync last wrote to that property (`echoes`) is its own write
    coming back, not evidence. An unknown value raises `MappingError` naming record and field.
    `include_silent` also returns values mapped to no stage (stage None, e.g. "Closed Lost"),
    which recycle rules read. `observed_at` is the record's modification time; `seen` gives,
    per property, when its value was set and first pulled (see `Seen`).
    """
    found = []
    for vocab in vocabularies:
        if vocab.system is not system or vocab.obj != obj or vocab.prop not in data:
            continue
        value = data[vocab.prop]
        if value in (None, ""):
            continue
        if echoes is not None and echoes.get(vocab.prop) == str(value):
            continue
        try:
            stage = vocab.to_canonical(str(value))
        except KeyError:
            known = ", ".join(vocab.inbound)
            raise MappingError(
                f"{record}: {vocab.prop} = {value!r} is not in the stage vocabulary "
                f"stages.{system.value}.{vocab.prop} (known: {known}); add it to the config's "
                "inbound table",
                record=record,
                field=vocab.prop,
            ) from None
        if stage is not None or include_silent:
            # Not leadsync's own write (echoes are skipped above), so a person in the CRM.
            when = (seen or {}).get(vocab.prop)
            at = when.at if when else value_set_at(vocab, data, observed_at)
            known = when.known if when else None
            human, actor = (when.human, when.actor or "user") if when else (True, "user")
            found.append(StageEvidence(system, stage, str(value), at, human, actor, known))
    return found


def _url_attributes(url: str) -> dict[str, str]:
    attrs = {"url": url}
    parts = urlsplit(url)
    attrs["path"] = parts.path or "/"
    for key, values in parse_qs(parts.query).items():
        if key.startswith("utm_") and values:
            attrs[key] = values[0]
    return attrs


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
        attrs, source = _url_attributes(text["hs_url"]), "hs_url"
    elif base:
        joined = base if not path or base.rstrip("/").endswith(path.rstrip("/")) else (
            base.rstrip("/") + "/" + path.lstrip("/"))  # fmt: skip
        source = "hs_base_url+hs_url_path" if joined != base else "hs_base_url"
        attrs = _url_attributes(joined if "//" in joined else f"//{joined}")
        attrs["url"] = joined
    elif path:
        attrs, source = _url_attributes(path), "hs_url_path"
    else:
        attrs, source = {"url": title}, "hs_page_title" if title else "none"
    attrs["url_source"] = source
    if title:
        attrs["title"] = title
    return attrs


_PAGE_FIELDS = ("hs_url", "hs_base_url", "hs_url_path", "hs_page_title")


def _when(value: Any, record: str) -> datetime:
    try:
        moment = timestamp(value, {})
    except ValueError as exc:
        raise MappingError(f"{record}: {exc}", record=record, field="timestamp") from None
    if moment is None:
        raise MappingError(f"{record}: no timestamp", record=record, field="timestamp")
    return moment


def _hubspot_contact(contact_id: Any) -> PersonRef:
    return PersonRef(RecordKind.HUBSPOT_CONTACT, str(contact_id))


_PAID_SOURCES = frozenset({"PAID_SEARCH", "PAID_SOCIAL"})
_PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paid_social", "paidsocial", "display"})


def hubspot_contact_events(record_id: str, data: Mapping[str, Any]) -> list[EngagementEvent]:
    """Events a contact record itself tells of: arriving from a paid ad (first-touch source
    PAID_SEARCH / PAID_SOCIAL, or a paid UTM medium on the first page seen)."""
    source = str(data.get("hs_analytics_source") or "")
    first_url = str(data.get("hs_analytics_first_url") or "")
    attrs = _url_attributes(first_url) if first_url else {}
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
    return [
        EngagementEvent(System.HUBSPOT, f"paid:{record_id}", EventKind.PAID_AD_CLICK, moment, attrs)
    ]


def hubspot_engagement(stream: str, record_id: str, data: Mapping[str, Any]) -> Engagement | None:
    """A HubSpot engagement record as an event; None for records that carry no engagement."""
    record = f"hubspot {stream} {record_id}"
    if stream == "page_views":
        # The events API puts the URL in `properties` and the time in occurredAt.
        props = data.get("properties") or {"hs_url": data.get("url")}
        when = data.get("occurredAt") or data.get("occurred_at")
        event = EngagementEvent(
            System.HUBSPOT, f"pv:{record_id}", EventKind.PAGE_VIEW,
            _when(when, record), page_view_attributes(props),
        )  # fmt: skip
        return Engagement((_hubspot_contact(data.get("contact_id") or data["objectId"]),), event)
    if stream == "form_submissions":
        name = data.get("form_name") or data.get("formName") or ""
        attrs = {"form_id": str(data.get("form_id", "")), "form_name": str(name)}
        page_url = data.get("pageUrl") or data.get("page_url")
        if page_url:
            attrs.update(_url_attributes(str(page_url)))
        refs = []
        if data.get("contact_id"):
            refs.append(_hubspot_contact(data["contact_id"]))
        if data.get("email"):
            refs.append(PersonRef(None, str(data["email"]).strip().lower()))
        event = EngagementEvent(
            System.HUBSPOT, f"form:{record_id}", EventKind.FORM_SUBMISSION,
            _when(data.get("submittedAt") or data.get("submittedAt") or data.get("submitted_at"), record), attrs,
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
            attrs.update(_url_attributes(str(data["url"])))
        event = EngagementEvent(
            System.HUBSPOT, f"email:{record_id}", kind, _when(data.get("created"), record), attrs
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
        System.HUBSPOT, f"{stream}:{record_id}", kind,
        _when(props.get("hs_timestamp"), record), {"title": str(title)},
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
        System.HUBSPOT, f"emails:{record_id}", EventKind.EMAIL_REPLY,
        _when(props.get("hs_timestamp"), record), attrs,
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
        System.HUBSPOT, f"event:{record_id}", EventKind.WEBINAR,
        _when(data.get("occurredAt"), record), attrs,
    )  # fmt: skip
    refs = [_hubspot_contact(data["contact_id"])] if data.get("contact_id") else []
    if data.get("email"):
        refs.append(PersonRef(None, str(data["email"]).strip().lower()))
    return Engagement(tuple(refs), event)


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
    event = EngagementEvent(System.SALESFORCE, record_id, kind, _when(when, record), attrs)
    return Engagement((PersonRef(ref_kind, str(who)),), event)
