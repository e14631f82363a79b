"""The emulator pushes too: signed webhook batches, in HubSpot's shapes, to a registered URL.

    POST   /_sandbox/hubspot/webhooks   {"url", "client_secret", "app_id"?, "properties"?,
                                         "drop"?, "duplicate"?, "delay"?, "reorder"?,
                                         "batch_window"?}: register (replaces the last one)
    GET    /_sandbox/hubspot/webhooks   the subscription (without its secret) and counters
    DELETE /_sandbox/hubspot/webhooks   stop sending

Contacts created, changed (one event per property; `properties` limits which, as a HubSpot
subscription names them), deleted and merged become events. They leave in batches of up to
100 after `batch_window` seconds, signed with `X-HubSpot-Signature-v3` over method + URL +
body + timestamp. Knobs, each a rate from 0 to 1 except `delay` (seconds before each batch)
and `reorder` (shuffle each batch): `drop` loses events for good, `duplicate` delivers an
event a second time with the same `eventId`. A refused delivery is retried up to three times
with `attemptNumber` counting up, as HubSpot retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

MAX_BATCH = 100
RETRIES = 3


@dataclass
class Subscription:
    url: str
    client_secret: str
    app_id: int = 1_160_452
    properties: list[str] | None = None
    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    reorder: bool = False
    batch_window: float = 0.05

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "client_secret"}


@dataclass
class _Pending:
    event: dict[str, Any]
    attempt: int = 0
    due: float = field(default_factory=time.monotonic)


class WebhookSender:
    """Queues events as writes happen (never blocks a request) and sends them on a thread."""

    def __init__(self, portal_id: int, seed: int = 0) -> None:
        self.portal_id = portal_id
        self.subscription: Subscription | None = None
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._ids = itertools.count(self._rng.randrange(10**9, 2 * 10**9))
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._http = requests.Session()
        self._sending = 0

    def subscribe(self, subscription: Subscription) -> None:
        with self._cond:
            self.subscription = subscription
            self.counts.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sandbox-webhooks",
                                                daemon=True)  # fmt: skip
                self._thread.start()

    def unsubscribe(self) -> None:
        with self._cond:
            self.subscription = None
            self._queue.clear()

    def status(self) -> dict[str, Any]:
        with self._cond:
            sub = self.subscription
            return {"subscription": sub.public() if sub else None, "pending":
                    len(self._queue) + self._sending, **self.counts}  # fmt: skip

    # --- what the store reports --------------------------------------------------------

    def observe(
        self, kind: str, record_id: int, values: dict[str, str], source: str, now_ms: int,
        merged: tuple[int, ...] = (),
    ) -> None:  # fmt: skip
        """A contact changed (`kind`: creation, propertyChange, deletion, merge)."""
        sub = self.subscription
        if sub is None:
            return
        base = {"objectId": record_id, "occurredAt": now_ms, "changeSource": source}
        if kind == "propertyChange":
            names = [n for n in values if sub.properties is None or n in sub.properties]
            events = [{**base, "propertyName": n, "propertyValue": values[n]} for n in names]
        elif kind == "merge":
            events = [{**base, "primaryObjectId": record_id, "newObjectId": record_id,
                       "mergedObjectIds": list(merged)}]  # fmt: skip
        else:
            events = [{**base, "changeFlag": {"creation": "CREATED"}.get(kind, "DELETED")}]
        with self._cond:
            for event in events:
                self._add(self._shape(sub, f"contact.{kind}", event))
            self._cond.notify()

    def _shape(self, sub: Subscription, kind: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"eventId": next(self._ids), "subscriptionId": hash(kind) % 10**6,
                "portalId": self.portal_id, "appId": sub.app_id, "subscriptionType": kind,
                "attemptNumber": 0, **event}  # fmt: skip

    def _add(self, event: dict[str, Any]) -> None:
        sub = self.subscription
        self.counts["events"] += 1
        if sub is not None and self._rng.random() < sub.drop:
            self.counts["dropped"] += 1
            return
        self._queue.append(_Pending(event))
        if sub is not None and self._rng.random() < sub.duplicate:
            self.counts["duplicated"] += 1
            self._queue.append(_Pending(dict(event), due=time.monotonic() + sub.batch_window))

    # --- sending ---------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            batch, sub = self._next_batch()
            if sub is None:
                continue
            if sub.delay:
                time.sleep(sub.delay)
            if sub.reorder:
                self._rng.shuffle(batch)
            ok = self._post(sub, [dict(p.event, attemptNumber=p.attempt) for p in batch])
            with self._cond:
                self._sending = 0
                if not ok:
                    self._retry(batch)

    def _next_batch(self) -> tuple[list[_Pending], Subscription | None]:
        with self._cond:
            while not self._queue:
                self._cond.wait()
            sub = self.subscription
            wait = (sub.batch_window if sub else 0) + min(p.due for p in self._queue)
        time.sleep(max(0.0, wait - time.monotonic()))
        with self._cond:
            now = time.monotonic()
            ready = [p for p in self._queue if p.due <= now][:MAX_BATCH]
            taken = {id(p) for p in ready}
            self._queue = [p for p in self._queue if id(p) not in taken]
            self._sending = len(ready)
            return ready, self.subscription if ready else None

    def _retry(self, batch: list[_Pending]) -> None:
        for pending in batch:
            if pending.attempt + 1 > RETRIES:
                self.counts["gave_up"] += 1
                continue
            pending.attempt += 1
            pending.due = time.monotonic() + 0.2 * 2**pending.attempt
            self._queue.append(pending)
        self._cond.notify()

    def _post(self, sub: Subscription, events: list[dict[str, Any]]) -> bool:
        body = json.dumps(events).encode()
        stamp = str(int(time.time() * 1000))
        headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
                   "X-HubSpot-Signature-v3": sign(sub.client_secret, "POST", sub.url, body,
                                                  stamp)}  # fmt: skip
        try:
            answer = self._http.post(sub.url, data=body, headers=headers, timeout=10)
        except requests.RequestException:
            self.counts["failed"] += 1
            return False
        if answer.status_code >= 300:
            self.counts["failed"] += 1
            return False
        self.counts["batches"] += 1
        self.counts["sent"] += len(events)
        return True


def sign(secret: str, method: str, url: str, body: bytes, stamp: str) -> str:
    """HubSpot's v3 signature (request validation docs), computed on the sender's side."""
    message = f"{method}{url}".encode() + body + stamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def register(app: Any, sender: WebhookSender) -> None:
    """The admin routes (see the module docstring) on the sandbox's admin app."""
    from flask import request

    from leadsync.sandbox.hubspot.responses import json_response

    def webhooks() -> Any:
        if request.method == "POST":
            try:
                sender.subscribe(subscription(request.get_json(silent=True)))
            except (TypeError, ValueError) as error:
                return json_response({"error": str(error)}, 400)
        elif request.method == "DELETE":
            sender.unsubscribe()
        return json_response(sender.status(), 201 if request.method == "POST" else 200)

    app.add_url_rule("/_sandbox/hubspot/webhooks", "hubspot_webhooks", webhooks,
                     methods=["GET", "POST", "DELETE"])  # fmt: skip


def subscription(body: Any) -> Subscription:
    """A subscription from the admin request, or `ValueError` naming the bad key."""
    if not isinstance(body, dict) or not body.get("url") or not body.get("client_secret"):
        raise ValueError("a webhook subscription needs url and client_secret")
    known = set(Subscription.__dataclass_fields__)
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"unknown webhook knobs {sorted(unknown)}; known: {sorted(known)}")
    sub = Subscription(**body)
    for name in ("drop", "duplicate"):
        if not 0 <= float(getattr(sub, name)) <= 1:
            raise ValueError(f"{name} is a rate between 0 and 1")
    return sub
