"""Marketing history: web analytics events, forms and their submissions, email events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from leadsync.sandbox.hubspot import seeding
from leadsync.sandbox.hubspot.activity import (
    EmailEvent,
    PageView,
    Submission,
    decode_key,
    encode_key,
    take,
)
from leadsync.sandbox.hubspot.inputs import int_arg, json_body
from leadsync.sandbox.hubspot.objects import resolve
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    decode_cursor,
    encode_cursor,
    iso_ms,
    json_response,
    parse_time_ms,
    validation_error,
)
from leadsync.sandbox.hubspot.state import HubSpotState

PAGE_VIEW = "e_visited_page"
SUBMIT_PATHS = (
    "/submissions/v3/integration/submit/<portalId>/<formGuid>",
    "/submissions/v3/integration/secure/submit/<portalId>/<formGuid>",
)


def register(app: Flask, state: HubSpotState) -> None:
    def events() -> Response:
        object_type = request.args.get("objectType")
        event_type = request.args.get("eventType")
        limit = max(1, min(int_arg("limit", 100), 100))
        after = decode_key(decode_cursor(request.args.get("after")))
        descending = any(
            s.upper() in ("DESCENDING", "-OCCURREDAT") for s in request.args.getlist("sort")
        )
        low, high = (
            _bound(request.args.get("occurredAfter"), 1),
            _bound(request.args.get("occurredBefore"), -1),
        )
        wanted = (
            object_type is None or resolve(object_type).name == "contacts"
        ) and event_type in (None, PAGE_VIEW)
        with state.lock:
            views = _page_view_source(state)
            items = (
                views.walk(low=low, high=high, after=after, descending=descending)
                if wanted
                else iter(())
            )
            page, following = take(items, limit)
            results = [_event(v, state.settings.page_view_urls) for v in page]
        return json_response(_paged({"results": results}, following, limit))

    def submissions(form_guid: str) -> Response:
        limit = int_arg("limit", 20)
        if not 1 <= limit <= 50:
            raise validation_error(f"limit must be between 1 and 50; got {limit}")
        after = decode_key(decode_cursor(request.args.get("after")))
        with state.lock:
            if form_guid not in state.forms:
                raise ApiError(404, "OBJECT_NOT_FOUND", f"Form {form_guid} does not exist")
            items = state.submissions.of_owner(form_guid).walk(
                low=None, high=None, after=after, descending=True
            )
            page, following = take(items, limit)
        return json_response(_paged({"results": [_submission(s) for s in page]}, following, limit))

    def forms() -> Response:
        limit = max(1, min(int_arg("limit", 20), 100))
        start = int(decode_cursor(request.args.get("after")) or 0)
        with state.lock:
            listed = list(state.forms.values())
        body: dict[str, Any] = {"results": [_form(f) for f in listed[start : start + limit]]}
        if start + limit < len(listed):
            token = encode_cursor(start + limit)
            body["paging"] = {
                "next": {"after": token, "link": f"{request.base_url}?limit={limit}&after={token}"}
            }
        return json_response(body)

    def submit(portalId: str, formGuid: str) -> Response:
        body = json_body()
        if str(portalId) != str(state.settings.portal_id):
            raise ApiError(404, None, f"Portal {portalId} does not exist")
        with state.lock:
            seeding.submit_form(
                state, formGuid, body.get("fields") or [], body.get("context") or {}
            )
        return json_response({"inlineMessage": "Thanks for submitting the form."})

    def email_events() -> Response:
        limit = max(1, min(int_arg("limit", 100), 1000))
        after = decode_key(decode_cursor(request.args.get("offset")))
        kind = (request.args.get("eventType") or "").upper() or None
        recipient = (request.args.get("recipient") or "").strip().lower() or None
        low, high = _ms_arg("startTimestamp"), _ms_arg("endTimestamp")
        with state.lock:
            source = state.email_events.of_owner(recipient) if recipient else state.email_events.all
            items = source.walk(low=low, high=high, after=after, descending=True)
            page, following = take(items, limit, lambda e: kind is None or e.type == kind)
            portal = state.settings.portal_id
        body: dict[str, Any] = {
            "events": [_email_event(e, portal) for e in page],
            "hasMore": following is not None,
        }
        if following is not None:
            body["offset"] = encode_cursor(encode_key(following))
        return json_response(body)

    app.add_url_rule("/events/v3/events/", "events_list", events, methods=["GET"])
    app.add_url_rule(
        "/events/v3/events/event-types",
        "events_types",
        lambda: json_response({"eventTypes": [PAGE_VIEW]}),
        methods=["GET"],
    )
    app.add_url_rule("/marketing/v3/forms/", "forms_list", forms, methods=["GET"])
    app.add_url_rule(
        "/form-integrations/v1/submissions/forms/<form_guid>",
        "form_submissions",
        submissions,
        methods=["GET"],
    )
    for index, path in enumerate(SUBMIT_PATHS):
        app.add_url_rule(path, f"forms_submit_{index}", submit, methods=["POST"])
    app.add_url_rule("/email/public/v1/events", "email_events", email_events, methods=["GET"])


def _page_view_source(state: HubSpotState) -> Any:
    object_id = request.args.get("objectId")
    email = request.args.get("objectProperty.email")
    if object_id is None and email is None:
        return state.page_views.all
    contact = state.contact_by(contact_id=object_id) if object_id else state.contact_by(email=email)
    return state.page_views.of_owner(contact.id if contact else None)


def _paged(body: dict[str, Any], following: Any, limit: int) -> dict[str, Any]:
    if following is not None:
        token = encode_cursor(encode_key(following))
        body["paging"] = {
            "next": {"after": token, "link": f"{request.base_url}?limit={limit}&after={token}"}
        }
    return body


def _bound(raw: str | None, nudge: int) -> int | None:
    """An exclusive `occurredAfter`/`occurredBefore` as an inclusive epoch-ms bound."""
    if raw is None:
        return None
    moment = parse_time_ms(raw)
    if moment is None:
        raise validation_error(f"{raw!r} is not a valid datetime")
    return moment + nudge


def _ms_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    moment = parse_time_ms(raw)
    if moment is None:
        raise validation_error(f"{name} must be epoch milliseconds; got {raw!r}")
    return moment


def _event(view: PageView, urls: str) -> dict[str, Any]:
    """One page view; `urls` says which URL properties are filled (see the settings)."""
    parts = urlsplit(view.url)
    properties = {
        "hs_url": view.url,
        "hs_base_url": f"{parts.netloc}{parts.path}",
        "hs_url_domain": parts.netloc,
        "hs_url_path": parts.path,
        "hs_query_params": parts.query,
        "hs_page_title": view.title or _title(parts.path),
        "hs_visit_source": "",
    }
    kept = {"full": properties, "path": {"hs_url_path"}, "title": set()}[urls]
    return {
        "objectType": "CONTACT",
        "objectId": str(view.contact_id),
        "eventType": PAGE_VIEW,
        "occurredAt": iso_ms(view.occurred_ms),
        "id": view.id,
        "properties": {
            k: v if k in kept or k == "hs_page_title" else "" for k, v in properties.items()
        },
    }


def _title(path: str) -> str:
    """A page title like a site's: its last path segment, capitalised."""
    last = [p for p in path.split("/") if p][-1:] or ["Home"]
    return last[0].replace("-", " ").capitalize()


def _submission(item: Submission) -> dict[str, Any]:
    return {
        "conversionId": item.conversion_id,
        "submittedAt": item.submitted_ms,
        "values": [dict(v, objectTypeId="0-1") for v in item.values],
        "pageUrl": item.page_url,
    }


FORM_CONFIGURATION = {
    "language": "en",
    "cloneable": True,
    "postSubmitAction": {"type": "thank_you", "value": ""},
    "editable": True,
    "archivable": True,
    "recaptchaEnabled": False,
    "notifyContactOwner": False,
    "notifyRecipients": [],
    "createNewContactForNewEmail": False,
    "prePopulateKnownValues": True,
    "allowLinkToResetKnownValues": False,
    "embedType": "V3",
}
FORM_DISPLAY = {
    "renderRawHtml": False,
    "theme": "default_style",
    "submitButtonText": "Submit",
    "style": {
        "fontFamily": "arial, helvetica, sans-serif",
        "backgroundWidth": "100%",
        "labelTextColor": "#33475b",
        "labelTextSize": "11px",
        "helpTextColor": "#7C98B6",
        "helpTextSize": "11px",
        "legalConsentTextColor": "#33475b",
        "legalConsentTextSize": "14px",
        "submitColor": "#ff7a59",
        "submitAlignment": "left",
        "submitFontColor": "#ffffff",
        "submitSize": "12px",
    },
    "cssClass": None,
}


def _form(form: dict[str, Any]) -> dict[str, Any]:
    created = form.get("createdAt", "2024-01-01T00:00:00.000Z")
    email = {
        "objectTypeId": "0-1",
        "name": "email",
        "label": "Email",
        "required": True,
        "hidden": False,
        "fieldType": "email",
    }
    return {
        "id": form["guid"],
        "name": form["name"],
        "createdAt": created,
        "updatedAt": form.get("updatedAt", created),
        "archived": False,
        "fieldGroups": [{"groupType": "default_group", "richTextType": "text", "fields": [email]}],
        "configuration": FORM_CONFIGURATION,
        "displayOptions": FORM_DISPLAY,
        "legalConsentOptions": {"type": "none"},
        "formType": "hubspot",
    }


def _email_event(event: EmailEvent, portal_id: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "appName": "Batch",
        "id": event.id,
        "created": event.created_ms,
        "type": event.type,
        "recipient": event.recipient,
        "portalId": portal_id,
        "appId": 113,
        "emailCampaignId": event.campaign_id,
        "sentBy": {"id": f"sent-{event.campaign_id}", "created": event.created_ms},
    }
    if event.url:
        body["url"] = event.url
    return body
