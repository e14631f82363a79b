"""HubSpot's wire conventions: timestamps, opaque cursors and the error envelope.

Handlers raise `ApiError`; the app turns it into HubSpot's JSON error body. Every body
carries a fresh `correlationId`, as the real API does.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from flask import Response


class ApiError(Exception):
    """An answer in HubSpot's error envelope (`status`, `message`, `category`, ...)."""

    def __init__(
        self,
        status: int,
        category: str | None,
        message: str,
        *,
        context: dict[str, list[str]] | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"status": "error", "message": message}
        self.body["correlationId"] = correlation_id()
        if context:
            self.body["context"] = context
        if errors:
            self.body["errors"] = errors
        if category:
            self.body["category"] = category
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def validation_error(message: str, **kwargs: Any) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, **kwargs)


def not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "OBJECT_NOT_FOUND",
        "Object not found.  objectId are usually numeric.",
        context={"id": [object_id]},
    )


def correlation_id() -> str:
    return str(uuid.uuid4())


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json", headers=headers)


def no_content() -> Response:
    return Response(status=204)


@lru_cache(maxsize=1 << 18)
def iso_ms(epoch_ms: int) -> str:
    """HubSpot's timestamp format: ISO-8601 UTC with milliseconds and `Z`."""
    t = time.gmtime(epoch_ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{epoch_ms % 1000:03d}Z"
    )


def parse_time_ms(value: Any) -> int | None:
    """Epoch milliseconds from an epoch-ms number/string or an ISO-8601 string; None if neither."""
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return _parse_loose(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _parse_loose(value: str) -> int | None:
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    if not text or text == value:
        return None
    return parse_time_ms(text)


def encode_cursor(position: int | str) -> str:
    """An opaque `paging.next.after` token (base64 of the position, like HubSpot's)."""
    raw = base64.urlsafe_b64encode(str(position).encode()).decode()
    return raw.rstrip("=")


def decode_cursor(token: str | None) -> str | None:
    """The position inside a cursor; also accepts a bare position, as HubSpot does for ids."""
    if not token:
        return None
    text = unquote(token).strip()
    if text.isdigit():
        return text
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode().strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation_error(f"Invalid after value: {token}") from None


AUTH_NOT_FOUND = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def unauthorized_response() -> Response:
    error = ApiError(
        401,
        "INVALID_AUTHENTICATION",
        AUTH_NOT_FOUND,
        headers={"x-hubspot-auth-failure": "401 Unauthorized"},
    )
    return error.response()


def expired_response(expired_at_ms: int, now_ms: int) -> Response:
    seconds = max(0, (now_ms - expired_at_ms) // 1000)
    error = ApiError(
        401,
        "EXPIRED_AUTHENTICATION",
        f"The OAuth token used to make this call expired {seconds} second(s) ago.",
        context={"expire time": [iso_ms(expired_at_ms)]},
        headers={"x-hubspot-auth-failure": "401 Unauthorized"},
    )
    return error.response()
