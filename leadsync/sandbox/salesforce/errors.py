"""Salesforce's error envelopes: what the emulator raises and how it is put on the wire.

REST errors are a JSON *array* of `{"message", "errorCode"[, "fields"]}` (simple-salesforce
reads `json()[0]["errorCode"]`); per-record save errors inside sObject Collections use
`statusCode` instead of `errorCode` and always carry `fields`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

JSON_TYPE = "application/json;charset=UTF-8"

SESSION_INVALID = "Session expired or invalid"
LIMIT_EXCEEDED = "TotalRequests Limit exceeded."
NOT_FOUND_MESSAGE = "The requested resource does not exist"
ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header"
)


class ApiError(Exception):
    """An answer with a non-2xx status and Salesforce's error array as the body."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]

    def response(self) -> Response:
        return json_response(self.body(), self.status)


class SaveError(Exception):
    """One record refused inside a save; becomes `{"statusCode", "message", "fields"}`."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        # None: the top-level form has no "fields" key (as for INVALID_FIELD).
        self.fields = fields

    def as_dict(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields or []}

    def as_api_error(self, status: int = 400) -> ApiError:
        """The single-record REST form: same code and fields, top-level envelope."""
        return ApiError(status, self.code, self.message, self.fields)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        mimetype=None,
        headers=headers or {},
        content_type=JSON_TYPE,
    )


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def invalid_session() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", SESSION_INVALID)


def limit_exceeded() -> ApiError:
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED)


# Bodies for faults injected through the sandbox control plane, by status.
_INJECTED: dict[int, tuple[str, str]] = {
    400: ("INVALID_INPUT", "The request was rejected by an injected fault."),
    401: ("INVALID_SESSION_ID", SESSION_INVALID),
    403: ("REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED),
    404: ("NOT_FOUND", NOT_FOUND_MESSAGE),
    # Not a documented Salesforce answer; edge proxies and API gateways in front of it send it.
    429: ("REQUEST_LIMIT_EXCEEDED", "Too many requests. Slow down and try again."),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1957243107-31204 (-1106438398)",
    ),
    503: ("SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later."),
}


def error_body(status: int) -> Response:
    """Salesforce's own body for an injected `status` (the `instrument()` callback)."""
    code, message = _INJECTED.get(status, _INJECTED[500])
    response = ApiError(status, code, message).response()
    if status == 429:
        response.headers["Retry-After"] = "1"
    return response
