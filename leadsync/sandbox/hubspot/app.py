"""The HubSpot emulator as a Flask app: auth, rate limits, error envelope, then the routes.

Order per request: injected faults (control plane) -> bearer auth -> rate limits -> route.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from leadsync.sandbox.control import Control, instrument, mark_throttled
from leadsync.sandbox.hubspot import (
    association_routes,
    crm_routes,
    event_routes,
    extractor_routes,
    marketing_routes,
    merge_routes,
    owners,
    property_routes,
)
from leadsync.sandbox.hubspot.limits import rate_limit_body
from leadsync.sandbox.hubspot.responses import (
    ApiError,
    expired_response,
    json_response,
    unauthorized_response,
)
from leadsync.sandbox.hubspot.state import HubSpotState

SYSTEM = "hubspot"
# Answered without a bearer token: the forms submit endpoint (its own limit in HubSpot,
# 50 / 10 s, not modelled) and the OAuth token endpoint.
PUBLIC_PREFIX = ("/submissions/v3/integration/submit/", "/oauth/v1/token")


def create_app(state: HubSpotState, control: Control | None = None) -> Flask:
    app = Flask("leadsync.sandbox.hubspot")
    app.url_map.strict_slashes = False
    instrument(app, SYSTEM, control or Control(), error_for_status)
    app.before_request(lambda: _authenticate(state) or _limit(state))
    app.after_request(_limit_headers)
    app.register_error_handler(ApiError, lambda error: error.response())
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    routes = (merge_routes, crm_routes, property_routes, association_routes, marketing_routes, event_routes,
              owners, extractor_routes)  # fmt: skip
    for module in routes:
        module.register(app, state)
    return app


def error_for_status(status: int) -> Response:
    """A HubSpot-shaped body for an injected fault with `status`."""
    if status == 429:
        return json_response(rate_limit_body("TEN_SECONDLY_ROLLING"), 429)
    if status == 401:
        return unauthorized_response()
    category = {400: "VALIDATION_ERROR", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND"}
    message = "internal error" if status >= 500 else "Injected failure"
    return ApiError(status, category.get(status), message).response()


def _authenticate(state: HubSpotState) -> Response | None:
    if request.path.startswith(PUBLIC_PREFIX):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    with state.lock:
        if scheme.lower() != "bearer" or token.strip() not in state.tokens:
            return unauthorized_response()
        expired_at = state.tokens[token.strip()]
        if expired_at is not None:
            return expired_response(expired_at, state.now_ms())
    return None


def _limit(state: HubSpotState) -> Response | None:
    if request.path.startswith(PUBLIC_PREFIX):
        return None
    search = request.method == "POST" and request.path.rstrip("/").endswith("/search")
    decision = state.limiter.admit(search=search)
    g.limit_headers = decision.headers
    if decision.policy is None:
        return None
    mark_throttled()
    return json_response(rate_limit_body(decision.policy), 429, decision.headers)


def _limit_headers(response: Response) -> Response:
    for name, value in getattr(g, "limit_headers", {}).items():
        response.headers.setdefault(name, value)
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 404:
        return ApiError(404, None, f"No route for {request.method} {request.path}").response()
    if status == 405:
        return ApiError(405, None, f"{request.method} is not allowed on {request.path}").response()
    return ApiError(
        status, "VALIDATION_ERROR" if status == 400 else None, error.description or ""
    ).response()


def _crash(error: Exception) -> Response:
    # A bug in the emulator: log it, and answer like HubSpot's own 500.
    from flask import current_app

    current_app.logger.exception("HubSpot emulator failed on %s %s", request.method, request.path)
    return ApiError(500, None, "internal error").response()
