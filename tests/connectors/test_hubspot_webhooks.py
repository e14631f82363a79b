"""HubSpot's webhook requests: signature v3 as HubSpot computes it, and the events they carry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from leadsync.connectors.hubspot import webhooks

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"


def hubspot_signs(uri_as_signed: str, body: bytes, stamp: str) -> dict[str, str]:
    """Headers as HubSpot sends them, computed here from the documented recipe."""
    message = ("POST" + uri_as_signed).encode() + body + stamp.encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    return {webhooks.SIGNATURE: base64.b64encode(digest).decode(), webhooks.TIMESTAMP: stamp}


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_url_with_encoded_characters_verifies_as_hubspot_signed_it():
    body = b'[{"eventId": 1}]'
    stamp = str(now_ms())
    headers = hubspot_signs("https://example.com/webhooks/hubspot?portal=a:b", body, stamp)
    webhooks.verify(SECRET, method="POST", uri="https://example.com/webhooks/hubspot?portal=a%3Ab",
                    body=body, headers=headers, now_ms=now_ms())  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": b'[{"eventId": 2}]'}, "does not match"),
        ({"uri": "https://evil.example.com/webhooks/hubspot"}, "does not match"),
        ({"age_ms": 5 * 60 * 1000 + 1}, "five minutes"),
        ({"headers": {}}, "missing"),
    ],
)
def test_a_tampered_stale_or_unsigned_request_is_refused(change, reason):
    body, uri, stamp = b'[{"eventId": 1}]', "https://example.com/webhooks/hubspot", now_ms()
    headers = hubspot_signs(uri, body, str(stamp - change.get("age_ms", 0)))
    with pytest.raises(webhooks.Refused, match=reason):
        webhooks.verify(SECRET, method="POST", uri=change.get("uri", uri),
                        body=change.get("body", body), headers=change.get("headers", headers),
                        now_ms=stamp)  # fmt: skip


def event(**fields) -> dict:
    return {"eventId": 9, "occurredAt": now_ms(), "objectId": 5, **fields}


def test_each_kind_of_contact_event_names_the_contact_to_read_again():
    body = json.dumps([
        event(subscriptionType="contact.propertyChange", propertyName="recent_conversion_date"),
        event(subscriptionType="contact.merge", objectId=7, primaryObjectId=7,
              mergedObjectIds=[5]),
        event(subscriptionType="contact.associationChange", fromObjectId=11, toObjectId=3),
        event(subscriptionType="contact.deletion", objectId=12),
    ]).encode()  # fmt: skip
    changed, merged, associated, deleted = webhooks.parse(body)
    assert changed.converted and changed.contacts == ("5",)
    assert merged.contacts == ("7",) and merged.merged_ids == ("5",)
    assert associated.contacts == ("11",)
    assert deleted.contacts == ()


def test_a_body_that_is_not_a_batch_of_events_says_what_is_wrong():
    with pytest.raises(webhooks.Malformed, match="not JSON"):
        webhooks.parse(b"<html>")
    with pytest.raises(webhooks.Malformed, match="event 0 lacks"):
        webhooks.parse(b'[{"objectId": 1}]')
