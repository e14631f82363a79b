"""The sandbox's own HTTP API (`sandbox_url`): stats, faults, reset, settings and seeding.

    GET    /_sandbox/stats                 per system: requests, reads, writes, throttled,
                                           errors, by_route, records
    GET    /_sandbox/info                  urls and tokens of the running sandbox
    GET    /_sandbox/faults                active faults
    POST   /_sandbox/faults                {"system","status","rate"?,"route"?,"count"?,
                                            "delay"?,"body"?,"after"?}; status 0 + delay =
                                           latency only; body "html" | "invalid_json" |
                                           "empty" | "cut"; after: once the request was
                                           served (see `control`)
    DELETE /_sandbox/faults                clear them
    POST   /_sandbox/reset                 stats, faults, limits and HubSpot tokens;
                                           {"data": true} also
                                           returns both CRMs to the seeded world
    GET    /_sandbox/settings              current knobs
    POST   /_sandbox/settings              {"hubspot": {...}, "salesforce": {...}}
    POST   /_sandbox/hubspot/tokens        {"token"?, "expired": true|false}
    POST   /_sandbox/salesforce/tokens     {"user": Id or Username}: a session acting as
                                           that user (a sales rep's edits carry their id)
    POST   /_sandbox/hubspot/page_views    {"contact_id"|"email", "url", "occurred_at"?,
                                            "title"?}
    POST   /_sandbox/hubspot/email_events  {"email", "type", "url"?, "created"?}
    POST   /_sandbox/hubspot/edits         {"contact_id"|"email", "properties", "user_id"?}:
                                           an edit a user made in HubSpot's UI (see `owners`)
    GET|POST /_sandbox/salesforce/cdc     change events published; knobs drop, gap,
                                           overflow, keepalive_seconds (`salesforce.pubsub`)
    GET|POST|DELETE /_sandbox/hubspot/webhooks
                                           signed webhooks to a registered URL, with
                                           knobs to drop, delay, duplicate or reorder
                                           (see `hubspot.webhooks`)
    POST   /_sandbox/hubspot/marketing_events
                                           {"contact_id"|"email", "event", "state"?
                                            (ATTENDED), "event_type"? (WEBINAR),
                                            "occurred_at"?}

Answers are JSON; a bad request gets 400 `{"error": "..."}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from leadsync.sandbox.control import Control, Fault
from leadsync.sandbox.hubspot import owners, seeding, webhooks
from leadsync.sandbox.hubspot.responses import ApiError, iso_ms, json_response
from leadsync.sandbox.hubspot.state import HubSpotState

SYSTEMS = ("hubspot", "salesforce", "*")
FAULT_BODIES = ("", "html", "invalid_json", "empty", "cut")
SALESFORCE_KNOBS = ("daily_allowance", "query_batch_size", "reject_emails")
# The org's shape (hidden fields, picklists, recorded describes): see `salesforce.org`.
ORG_KNOBS = ("hidden_fields", "restricted_picklists", "picklist_values", "describes",
             "customize_application")  # fmt: skip


class AdminError(Exception):
    """A request the admin API refuses (answered with 400)."""


def create_admin_app(
    control: Control,
    hubspot: HubSpotState,
    salesforce: Any | None = None,
    info: Callable[[], dict[str, Any]] | None = None,
) -> Flask:
    """`salesforce` is the Salesforce emulator's state (None when it is not running)."""
    app = Flask("leadsync.sandbox.admin")
    app.register_error_handler(AdminError, lambda e: json_response({"error": str(e)}, 400))
    app.register_error_handler(
        ApiError, lambda e: json_response({"error": e.body["message"]}, e.status)
    )
    app.register_error_handler(
        HTTPException, lambda e: json_response({"error": e.description}, e.code or 500)
    )

    @app.get("/_sandbox/stats")
    def stats() -> Response:
        records = {"hubspot": hubspot.counts()}
        if salesforce is not None:
            records["salesforce"] = salesforce.counts()
        return json_response(
            {
                system: control.snapshot(system, records.get(system, {}))
                for system in ("hubspot", "salesforce")
            }
        )

    @app.get("/_sandbox/info")
    def describe() -> Response:
        return json_response(info() if info else {})

    @app.route("/_sandbox/faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        if request.method == "POST":
            control.add_fault(_fault(_body()))
        elif request.method == "DELETE":
            control.clear_faults()
        return json_response({"faults": [asdict(f) for f in control.faults]})

    @app.post("/_sandbox/reset")
    def reset() -> Response:
        data = bool(_body(optional=True).get("data", False))
        control.reset_stats()
        control.clear_faults()
        hubspot.reset(data=data)
        if data and salesforce is not None:
            salesforce.reset()
        return json_response({"reset": True, "data": data})

    @app.route("/_sandbox/settings", methods=["GET", "POST"])
    def settings() -> Response:
        if request.method == "POST":
            _apply_settings(_body(), hubspot, salesforce)
        return json_response(_settings(hubspot, salesforce))

    @app.post("/_sandbox/hubspot/tokens")
    def tokens() -> Response:
        body = _body(optional=True)
        token = str(body.get("token") or hubspot.token)
        if body.get("expired", True):
            hubspot.expire_token(token, body.get("expired_at"))
        else:
            hubspot.add_token(token)
        return json_response({"token": token, "expired": hubspot.tokens[token] is not None})

    @app.post("/_sandbox/salesforce/tokens")
    def salesforce_tokens() -> Response:
        if salesforce is None:
            raise AdminError("the Salesforce emulator is not running")
        wanted = _required(_body(), "user")
        with salesforce.locked():
            found = [u for u in salesforce.rows("User", include_deleted=False)
                     if wanted in (u["Id"], u["Username"])]  # fmt: skip
            if not found:
                raise AdminError(f"no Salesforce user {wanted!r} (an Id or a Username)")
            token = salesforce.issue_token(found[0]["Id"])
        return json_response({"token": token, "user_id": found[0]["Id"]}, 201)

    webhooks.register(app, hubspot.webhooks)

    @app.route("/_sandbox/salesforce/cdc", methods=["GET", "POST"])
    def salesforce_cdc() -> Response:
        changes = getattr(salesforce, "changes", None)
        if changes is None:
            raise AdminError("the Salesforce emulator's Pub/Sub API is not running")
        if request.method == "POST":
            try:
                changes.set_knobs(_body())
            except (TypeError, ValueError) as error:
                raise AdminError(str(error)) from None
        return json_response(changes.status())

    @app.post("/_sandbox/hubspot/page_views")
    def page_views() -> Response:
        body = _body()
        url = _required(body, "url")
        with hubspot.lock:
            contact = hubspot.contact_by(contact_id=body.get("contact_id"), email=body.get("email"))
            if contact is None:
                raise AdminError("no HubSpot contact with that contact_id/email")
            view = seeding.add_page_view(
                hubspot,
                contact=contact,
                url=url,
                occurred_at=body.get("occurred_at"),
                title=str(body.get("title") or ""),
            )
        return json_response(
            {
                "id": view.id,
                "contact_id": str(view.contact_id),
                "occurred_at": iso_ms(view.occurred_ms),
                "url": url,
            },
            201,
        )

    @app.post("/_sandbox/hubspot/edits")
    def hubspot_edits() -> Response:
        body = _body()
        user_id = int(body.get("user_id") or owners.USER_IDS[0])
        values = body.get("properties")
        if not isinstance(values, dict) or not values:
            raise AdminError("properties must be an object of the values to set")
        with hubspot.lock:
            contact = hubspot.contact_by(contact_id=body.get("contact_id"), email=body.get("email"))
            if contact is None:
                raise AdminError("no HubSpot contact with that contact_id/email")
            writer = hubspot.writer("contacts")
            checked, issues = writer.validate({k: str(v) for k, v in values.items()})
            if issues:
                raise AdminError(f"HubSpot would refuse these values: {issues}")
            checked["hs_updated_by_user_id"] = str(user_id)
            writer.update(contact, checked, hubspot.now_ms(), owners.by_user(user_id))
        return json_response({"id": str(contact.id), "user_id": user_id}, 200)

    @app.post("/_sandbox/hubspot/marketing_events")
    def marketing_events() -> Response:
        body = _body()
        with hubspot.lock:
            contact = hubspot.contact_by(contact_id=body.get("contact_id"), email=body.get("email"))
            if contact is None:
                raise AdminError("no HubSpot contact with that contact_id/email")
            try:
                event = seeding.add_attendance(
                    hubspot, event=_required(body, "event"), contact=contact,
                    kind=str(body.get("state") or "ATTENDED"), occurred_at=body.get("occurred_at"),
                    event_type=body.get("event_type", "WEBINAR"),
                )  # fmt: skip
            except ValueError as error:
                raise AdminError(str(error)) from None
        return json_response({"event_id": event.object_id, "name": event.name}, 201)

    @app.post("/_sandbox/hubspot/email_events")
    def email_events() -> Response:
        body = _body()
        with hubspot.lock:
            event = seeding.add_email_event(
                hubspot,
                email=_required(body, "email"),
                kind=_required(body, "type"),
                url=body.get("url"),
                created=body.get("created"),
            )
        return json_response(
            {
                "id": event.id,
                "type": event.type,
                "recipient": event.recipient,
                "created": event.created_ms,
            },
            201,
        )

    return app


def _body(*, optional: bool = False) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and optional:
        return {}
    if not isinstance(body, dict):
        raise AdminError("the body must be a JSON object")
    return body


def _required(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not value:
        raise AdminError(f"{key} is required")
    return str(value)


def _fault(body: dict[str, Any]) -> Fault:
    system = str(body.get("system", "*"))
    if system not in SYSTEMS:
        raise AdminError(f"system must be one of {SYSTEMS}")
    try:
        status = int(body["status"])
        rate = float(body.get("rate", 1.0))
        count = body.get("count")
        remaining = None if count is None else int(count)
        delay = float(body.get("delay", 0.0))
    except (KeyError, TypeError, ValueError) as error:
        raise AdminError(
            f"a fault needs an integer status, a numeric rate and count: {error}"
        ) from None
    if not (100 <= status <= 599 or (status == 0 and delay > 0)) or not 0.0 <= rate <= 1.0:
        raise AdminError("status must be 100-599 (or 0 with a delay: latency only) and rate 0-1")
    kind = str(body.get("body") or "")
    if kind not in FAULT_BODIES:
        raise AdminError(f"body must be one of {FAULT_BODIES}")
    route = str(body.get("route") or "*")
    return Fault(system, status, rate, route, remaining, delay, kind, bool(body.get("after")))


def _apply_settings(body: dict[str, Any], hubspot: HubSpotState, salesforce: Any | None) -> None:
    unknown = set(body) - {"hubspot", "salesforce"}
    if unknown:
        raise AdminError(f"unknown systems in settings: {sorted(unknown)}")
    try:
        if "hubspot" in body:
            with hubspot.lock:
                hubspot.settings.update(dict(body["hubspot"]))
        if "salesforce" in body:
            if salesforce is None:
                raise AdminError("the Salesforce emulator is not running")
            knobs = dict(body["salesforce"])
            with salesforce.locked():
                salesforce.org.apply({k: v for k, v in knobs.items() if k in ORG_KNOBS})
                salesforce.settings.update({k: v for k, v in knobs.items() if k not in ORG_KNOBS})
    except (TypeError, ValueError) as error:
        raise AdminError(str(error)) from None


def _settings(hubspot: HubSpotState, salesforce: Any | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"hubspot": hubspot.settings.as_dict()}
    if salesforce is not None:
        answer["salesforce"] = {
            k: _plain(getattr(salesforce.settings, k, None)) for k in SALESFORCE_KNOBS
        } | salesforce.org.as_dict()
    return answer


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value
