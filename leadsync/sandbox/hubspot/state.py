"""Everything the HubSpot emulator holds, behind one lock.

`load()` takes the synthetic world's HubSpot part in HubSpot's own shapes (duck-typed:
`contacts`, `page_views`, `forms`, `form_submissions`, `email_events`, `engagements`) and
`reset()` returns to it. Handlers take `state.lock` for the whole request.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from leadsync.sandbox.hubspot.activity import (
    EmailEvent,
    MarketingEvent,
    PageView,
    Submission,
    Timeline,
)
from leadsync.sandbox.hubspot.associations import Associations
from leadsync.sandbox.hubspot.limits import RateLimiter
from leadsync.sandbox.hubspot.objects import ENGAGEMENT_TYPES, OBJECT_TYPES
from leadsync.sandbox.hubspot.properties import PropertyRegistry
from leadsync.sandbox.hubspot.responses import parse_time_ms
from leadsync.sandbox.hubspot.settings import HubSpotSettings
from leadsync.sandbox.hubspot.store import ObjectStore, Record
from leadsync.sandbox.hubspot.webhooks import WebhookSender
from leadsync.sandbox.hubspot.writes import Writer

DEFAULT_TOKEN = "pat-na1-sandbox-0000-0000-000000000000"


class HubSpotState:
    def __init__(
        self,
        settings: HubSpotSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        tokens: list[str] | None = None,
    ) -> None:
        self.settings = settings or HubSpotSettings()
        self.clock = clock
        self.lock = threading.RLock()
        self.limiter = RateLimiter(self.settings, clock)
        # token -> epoch ms it expired at (None: valid).
        self.tokens: dict[str, int | None] = dict.fromkeys(tokens or [DEFAULT_TOKEN])
        self._initial_tokens = dict(self.tokens)
        self.refresh_tokens: set[str] = set()  # issued by the OAuth refresh grant
        self._world: Any = None
        # Contacts' changes go out as signed webhooks once a URL is registered.
        self.webhooks = WebhookSender(self.settings.portal_id)
        self._clear()

    @property
    def token(self) -> str:
        """The first configured access token (what `sandbox serve` prints)."""
        return next(iter(self.tokens))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def store(self, object_type: str) -> ObjectStore:
        return self.stores[object_type]

    def writer(self, object_type: str) -> Writer:
        return Writer(self.stores[object_type], self.registry, self.settings)

    def _clear(self) -> None:
        self.registry = PropertyRegistry()
        self.stores = {name: ObjectStore(kind) for name, kind in OBJECT_TYPES.items()}
        self.stores["contacts"].observer = self._contact_changed
        self.associations = Associations()
        self.page_views = Timeline()
        self.submissions = Timeline()
        self.email_events = Timeline()
        self.forms: dict[str, dict[str, Any]] = {}
        self.marketing_events: dict[str, MarketingEvent] = {}

    def _contact_changed(
        self, kind: str, record: Record, values: dict[str, str], source: str, now_ms: int
    ) -> None:
        self.webhooks.observe(kind, record.id, values, source, now_ms)

    def load(self, world: Any) -> None:
        """Replace all data with `world` (a HubSpotWorld); `reset(data=True)` returns here."""
        with self.lock, _gc_paused():
            self._world = world
            self._clear()
            self._load_records("contacts", world.contacts)
            for object_type, items in (getattr(world, "engagements", None) or {}).items():
                self._load_engagements(object_type, items)
            self._load_activity(world)

    def reset(self, *, data: bool = True) -> None:
        """Forget rate-limit usage and token changes; with `data`, also return to the world."""
        with self.lock:
            self.limiter.reset()
            self.tokens = dict(self._initial_tokens)
            if data:
                if self._world is not None:
                    self.load(self._world)
                else:
                    self._clear()

    def counts(self) -> dict[str, int]:
        with self.lock:
            counts = {name: len(store) for name, store in self.stores.items() if len(store)}
            counts["contacts"] = len(self.stores["contacts"])
            counts.update(
                forms=len(self.forms),
                form_submissions=len(self.submissions),
                page_views=len(self.page_views),
                email_events=len(self.email_events),
                marketing_events=len(self.marketing_events),
            )
            return counts

    def expire_token(self, token: str, at_ms: int | None = None) -> None:
        with self.lock:
            self.tokens[token] = self.now_ms() if at_ms is None else at_ms

    def add_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token] = None

    def contact_by(self, *, contact_id: Any = None, email: str | None = None) -> Record | None:
        contacts = self.stores["contacts"]
        if contact_id is not None:
            return contacts.get(contact_id)
        return contacts.find("email", email) if email else None

    def _load_records(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        store, kind = self.stores[object_type], OBJECT_TYPES[object_type]
        system = set(kind.always_returned)
        records = []
        now = self.now_ms()
        for item in items:
            props = {
                k: str(v) for k, v in item.get("properties", {}).items() if v not in (None, "")
            }
            created = _first_time(
                item.get("createdAt"),
                props.get(kind.created_property),
                props.get("hs_timestamp"),
                now,
            )
            updated = _first_time(item.get("updatedAt"), props.get(kind.modified_property), created)
            for name in system:
                props.pop(name, None)
            for name in props:
                self.registry.define_loaded(object_type, name)
            if kind.unique_property in props:
                props[kind.unique_property] = props[kind.unique_property].strip().lower()
            records.append(Record(int(item["id"]), props, created, updated))
        store.bulk_load(records)
        return records

    def _load_engagements(self, object_type: str, items: list[dict[str, Any]]) -> None:
        if object_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"unknown engagement type {object_type!r}")
        self._load_records(object_type, items)
        for item in items:
            for contact_id in item.get("contact_ids", []):
                self.associations.add("contacts", int(contact_id), object_type, int(item["id"]))

    def _load_activity(self, world: Any) -> None:
        self.page_views = Timeline.of(
            [
                PageView(str(v["id"]), int(v["contact_id"]), _ms(v["occurred_at"]), v["url"])
                for v in getattr(world, "page_views", [])
            ],
            lambda v: v.contact_id,
        )
        self.forms = {f["guid"]: dict(f) for f in getattr(world, "forms", [])}
        self.submissions = Timeline.of(
            [_submission(s) for s in getattr(world, "form_submissions", [])],
            lambda s: s.form_guid,
        )
        self.email_events = Timeline.of(
            [_email_event(e) for e in getattr(world, "email_events", [])],
            lambda e: e.recipient,
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Loading creates millions of small objects; cyclic GC passes over them are pure waste.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ms(value: Any) -> int:
    moment = parse_time_ms(value)
    if moment is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return moment


def _first_time(*candidates: Any) -> int:
    for candidate in candidates:
        moment = parse_time_ms(candidate)
        if moment is not None:
            return moment
    raise ValueError("no timestamp")


def _submission(raw: dict[str, Any]) -> Submission:
    contact = raw.get("contact_id")
    return Submission(
        str(raw["conversion_id"]),
        str(raw["form_guid"]),
        None if contact is None else int(contact),
        _ms(raw["submitted_at"]),
        raw.get("page_url") or "",
        [{"name": str(v["name"]), "value": str(v["value"])} for v in raw.get("values", [])],
    )


def _email_event(raw: dict[str, Any]) -> EmailEvent:
    return EmailEvent(
        str(raw["id"]),
        str(raw["type"]).upper(),
        str(raw["recipient"]).strip().lower(),
        _ms(raw["created"]),
        int(raw.get("email_campaign_id") or 0),
        raw.get("url"),
    )
