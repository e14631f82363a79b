"""The Salesforce REST emulator as a Flask app: `create_app(state, control) -> Flask`.

Every call under `/services/data/vXX.X/` needs a valid bearer token (401 INVALID_SESSION_ID
otherwise), spends one request of the daily allowance (403 REQUEST_LIMIT_EXCEEDED once it is
gone) and answers with `Sforce-Limit-Info: api-usage=used/max`. Route handlers live in
`rest.py` (REST resources), `bulk2.py` (Bulk API 2.0 query jobs) and `tooling.py` (custom
fields).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from leadsync.sandbox.control import Control, instrument, mark_throttled
from leadsync.sandbox.salesforce import auth, bulk2, rest, tooling
from leadsync.sandbox.salesforce.errors import (
    ApiError,
    error_body,
    invalid_session,
    json_response,
    limit_exceeded,
    not_found,
)
from leadsync.sandbox.salesforce.state import SalesforceState

SYSTEM = "salesforce"
BULK2_SINCE = 47.0  # Bulk API 2.0 query jobs exist from API v47.0
_VERSION = re.compile(r"^v(\d{2,3}\.\d)$")


def create_app(state: SalesforceState, control: Control | None = None) -> Flask:
    """A Flask app serving `state`, counted and fault-injected through `control`."""
    app = Flask("leadsync.sandbox.salesforce")
    app.url_map.strict_slashes = False
    instrument(app, SYSTEM, control or Control(), error_body)
    _install_gate(app, state)
    _install_errors(app)
    auth.register(app, state)
    rest.register(app, state)
    bulk2.register(app, state)
    tooling.register(app, state)
    return app


def _install_gate(app: Flask, state: SalesforceState) -> None:
    @app.url_value_preprocessor
    def _api_version(endpoint: str | None, values: dict[str, Any] | None) -> None:
        # Handlers get "59.0" for "v59.0"; anything else becomes None and answers 404.
        if values and "version" in values:
            match = _VERSION.match(values["version"])
            values["version"] = match.group(1) if match else None

    @app.before_request
    def _gate() -> Response | None:
        if not request.path.startswith("/services/data/") or request.path == "/services/data/":
            return None
        version = (request.view_args or {}).get("version")
        allowed = state.settings.api_versions
        if version is None or (allowed is not None and version not in allowed):
            return not_found().response()
        if "/jobs/" in request.path and float(version) < BULK2_SINCE:
            return not_found().response()
        token = auth.bearer_token()
        if token is None or not state.is_valid_token(token):
            response = invalid_session().response()
            response.headers["WWW-Authenticate"] = 'Token realm="leadsync-sandbox"'
            return response
        g.salesforce_user = state.user_of(token)
        if not state.charge_request():
            mark_throttled()
            return limit_exceeded().response()
        return None

    @app.after_request
    def _limit_info(response: Response) -> Response:
        if request.path.startswith("/services/data/"):
            used, allowance = state.usage()
            response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{allowance}"
        return response


def _install_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error.response()

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        if isinstance(error, MethodNotAllowed):
            allowed = ",".join(sorted(m for m in error.valid_methods or () if m != "OPTIONS"))
            message = f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
            return ApiError(405, "METHOD_NOT_ALLOWED", message).response()
        if error.code == 404:
            return not_found().response()
        return json_response([{"message": error.description, "errorCode": "UNKNOWN_EXCEPTION"}],
                             error.code or 500)  # fmt: skip
