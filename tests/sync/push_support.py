"""Push end to end: the real receiver on a real port, HubSpot-signed requests, demo requests.

Shared by the push tests and `bench.push`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import uvicorn

from leadsync.connectors.hubspot import webhooks
from leadsync.sync.push.receiver import PushService

SECRET_ENV = "LEADSYNC_HUBSPOT__CLIENT_SECRET"
# A hand-raiser from a company that fits (commerce, mid-size, a buyer's title).
DEMO_FIELDS = {
    "firstname": "Dana", "lastname": "Reyes", "company": "Northwind Outfitters",
    "jobtitle": "VP of Ecommerce", "industry": "RETAIL", "numemployees": "500-1000",
    "annualrevenue": "84200000", "ecommerce_platform": "Shopify", "country": "United States",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Receiver:
    """`PushService.app()` served by uvicorn on a thread, as `leadsync push serve` serves it."""

    service: PushService
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    @classmethod
    def start(cls, service: PushService) -> Receiver:
        port = free_port()
        config = uvicorn.Config(service.app(), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return cls(service, server, thread, f"http://127.0.0.1:{port}/webhooks/hubspot")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.service.worker.stop()


def signed_body(
    url: str, secret: str, events: list[dict[str, Any]], *, age_ms: int = 0
) -> tuple[bytes, dict[str, str]]:
    """The body and headers HubSpot would send: signed with `secret`, stamped `age_ms` ago."""
    body = json.dumps(events).encode()
    stamp = str(int(time.time() * 1000) - age_ms)
    headers = {
        webhooks.TIMESTAMP: stamp,
        webhooks.SIGNATURE: webhooks.signature(secret, "POST", url, body, stamp),
        "Content-Type": "application/json",
    }
    return body, headers


def signed_post(
    url: str, secret: str, events: list[dict[str, Any]], *, age_ms: int = 0
) -> requests.Response:
    body, headers = signed_body(url, secret, events, age_ms=age_ms)
    return requests.post(url, data=body, headers=headers, timeout=10)


def change_event(contact_id: str, event_id: int, prop: str = "jobtitle") -> dict[str, Any]:
    return {
        "eventId": event_id, "subscriptionId": 1, "portalId": 1, "appId": 1,
        "occurredAt": int(time.time() * 1000), "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0, "objectId": int(contact_id), "propertyName": prop,
        "propertyValue": "x", "changeSource": "CRM_UI",
    }  # fmt: skip


def demo_form(hubspot_state: Any) -> str:
    """The guid of the sandbox portal's demo request form."""
    return next(g for g, f in hubspot_state.forms.items() if "demo" in f["name"].lower())


def submit_form(
    hubspot_url: str, portal_id: int, form_guid: str, email: str, fields: dict[str, str]
) -> None:
    """A visitor submits the form (the public forms endpoint: no token)."""
    values = [
        {"name": "email", "value": email},
        *({"name": k, "value": v} for k, v in fields.items()),
    ]
    path = f"/submissions/v3/integration/submit/{portal_id}/{form_guid}"
    body = {"fields": values, "context": {"pageUri": "https://www.example-saas.com/demo"}}
    requests.post(hubspot_url + path, json=body, timeout=10).raise_for_status()


def wait_for(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; None when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    return None


def hubspot_contact(hubspot_state: Any, email: str) -> dict[str, str] | None:
    """The sandbox's copy of a contact, read in-process (no API call, no rate limit spent)."""
    with hubspot_state.lock:
        record = hubspot_state.contact_by(email=email)
        return dict(record.properties) if record is not None else None


def salesforce_lead(salesforce_state: Any, email: str) -> dict[str, Any] | None:
    with salesforce_state.locked():
        rows = salesforce_state.rows("Lead", include_deleted=False)
        return next((dict(r) for r in rows if (r.get("Email") or "").lower() == email), None)
