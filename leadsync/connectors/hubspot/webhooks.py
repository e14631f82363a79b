"""HubSpot webhooks: the v3 request signature and the events of a notification batch.

HubSpot signs each POST with the app's client secret (request validation, signature v3):

    X-HubSpot-Signature-v3     base64(HMAC-SHA256(secret, method + uri + body + timestamp))
    X-HubSpot-Request-Timestamp  epoch milliseconds when HubSpot sent it

`uri` is the full URL HubSpot called (scheme, host, path, query), with a few URL-encoded
characters decoded first (`URI_DECODES`). A request older than five minutes is refused: a
captured one cannot be replayed later. A batch is a JSON array of up to 100 events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadsync.connectors.base import PushMalformed, PushRefused

SIGNATURE = "X-HubSpot-Signature-v3"
TIMESTAMP = "X-HubSpot-Request-Timestamp"
MAX_AGE_MS = 5 * 60 * 1000
# HubSpot decodes these in the URI before signing it (request validation, v3).
URI_DECODES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
# Every form submission stamps these on its contact: a change means a conversion to read.
CONVERSION_PROPERTIES = frozenset(
    {"recent_conversion_date", "recent_conversion_event_name", "num_conversion_events",
     "first_conversion_date", "first_conversion_event_name"}
)  # fmt: skip


class Refused(PushRefused):
    """A webhook request that is not provably HubSpot's (answered 401)."""


class Malformed(PushMalformed):
    """A signed request whose body is not a batch of events (answered 400)."""


def signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The v3 signature HubSpot would send for this request."""
    message = method.upper().encode() + _decoded(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    secret: str, *, method: str, uri: str, body: bytes, headers: Any, now_ms: int
) -> None:  # fmt: skip
    """Raise `Refused` unless the request carries a fresh, valid v3 signature."""
    sent, stamp = headers.get(SIGNATURE), headers.get(TIMESTAMP)
    if not sent or not stamp:
        raise Refused(f"missing {SIGNATURE} or {TIMESTAMP}")
    if not stamp.isdigit():
        raise Refused(f"{TIMESTAMP} is not epoch milliseconds")
    if abs(now_ms - int(stamp)) > MAX_AGE_MS:
        raise Refused(f"{TIMESTAMP} is more than five minutes from now: a replay or a bad clock")
    expected = signature(secret, method, uri, body, stamp)
    if not hmac.compare_digest(expected.encode(), sent.strip().encode()):
        raise Refused(f"{SIGNATURE} does not match: wrong client secret, or a forged request")


def _decoded(uri: str) -> str:
    for encoded, plain in URI_DECODES.items():
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    return uri


@dataclass(frozen=True, slots=True)
class Event:
    """One notification, in HubSpot's field names where it has them."""

    event_id: str
    subscription: str
    object_id: str
    occurred_at: datetime
    property_name: str | None = None
    property_value: str | None = None
    attempt: int = 0
    merged_ids: tuple[str, ...] = ()

    @property
    def contacts(self) -> tuple[str, ...]:
        """The contacts whose current state this event changes (a merge: the survivor)."""
        if not self.subscription.startswith("contact."):
            return ()
        if self.subscription in ("contact.deletion", "contact.privacyDeletion"):
            return ()  # nothing left to read; the next poll sees the rest
        return (self.object_id,)

    @property
    def converted(self) -> bool:
        """Whether the contact may just have submitted a form (its submission is worth reading
        now, not at the next poll)."""
        return self.subscription == "contact.creation" or (
            self.property_name in CONVERSION_PROPERTIES
        )


def parse(body: bytes) -> list[Event]:
    """The events of one request body; `Malformed` names what is wrong with it."""
    try:
        items = json.loads(body)
    except ValueError:
        raise Malformed("the body is not JSON") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise Malformed("the body is not a list of events")
    return [_event(item, index) for index, item in enumerate(items)]


def _event(item: Any, index: int) -> Event:
    if not isinstance(item, dict):
        raise Malformed(f"event {index} is not an object")
    try:
        event_id, kind = str(item["eventId"]), str(item["subscriptionType"])
        occurred = datetime.fromtimestamp(int(item["occurredAt"]) / 1000, UTC)
        # A merge names the surviving record as `primaryObjectId` (and `objectId`); an
        # association change names its two ends `fromObjectId` and `toObjectId`.
        target = item.get("primaryObjectId") or item.get("fromObjectId") or item["objectId"]
    except (KeyError, TypeError, ValueError) as exc:
        raise Malformed(f"event {index} lacks or garbles {exc}") from None
    value = item.get("propertyValue")
    return Event(
        event_id, kind, str(target), occurred, item.get("propertyName"),
        None if value is None else str(value), int(item.get("attemptNumber") or 0),
        tuple(str(i) for i in item.get("mergedObjectIds") or ()),
    )  # fmt: skip
