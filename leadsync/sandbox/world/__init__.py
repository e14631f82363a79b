"""A seeded synthetic B2B funnel for the sandbox: HubSpot and Salesforce data about one world.

`generate(contacts, seed, now)` draws companies and people with an intended funnel profile
(junk, weak, MQL-like, SQL-like, open opportunity, won, lost; who wins a closed deal
follows the known model in `wins`), about 18 months of marketing
and sales activity clustered around each person's buying journey, and what each CRM holds
about them, in the shapes the emulators load. Same arguments, same world: every draw comes
from `random.Random` instances derived from the seed, and the clock is only read when `now`
is not given.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from typing import Any

from leadsync.sandbox.world import activity, hubspot, people, sales, salesforce, wins
from leadsync.sandbox.world.formats import DAY_MS, to_datetime, to_ms
from leadsync.sandbox.world.people import DEALS, JUNK

__all__ = ["HubSpotWorld", "World", "generate"]

FUNNEL = ("junk", "weak", "mql-like", "sql-like", "opportunity", "won", "lost")
_FUNNEL_STEP = {
    "weak": "weak",
    "mql": "mql-like",
    "sql": "sql-like",
    **{deal: deal for deal in DEALS},
}


@dataclass
class HubSpotWorld:
    """HubSpot's records; every list is in time order with ids ascending.

    contacts: v3 objects, `{"id", "properties": {str: str}, "createdAt", "updatedAt"}`.
    page_views: `{"id", "contact_id", "occurred_at", "url"}`.
    forms / form_submissions: `{"guid", "name"}` / `{"conversion_id", "form_guid",
    "contact_id", "submitted_at" (epoch ms), "page_url", "values": [{"name", "value"}]}`.
    email_events: `{"id", "type", "recipient", "created" (epoch ms), "email_campaign_id"}`,
    plus `"url"` on CLICK. engagements: per kind, `{"id", "properties", "contact_ids"}`.
    """

    contacts: list[dict[str, Any]]
    page_views: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    form_submissions: list[dict[str, Any]]
    email_events: list[dict[str, Any]]
    engagements: dict[str, list[dict[str, Any]]]


@dataclass
class World:
    """Both CRMs' view of one funnel; `salesforce` maps each sObject to API-shaped records."""

    hubspot: HubSpotWorld
    salesforce: dict[str, list[dict[str, Any]]]
    now: datetime
    # The generator's intent per HubSpot contact id: ground truth for demos and tests, which
    # neither CRM holds.
    profiles: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Record counts per system and object, and the intended funnel."""
        hub = self.hubspot
        hubspot_counts = {
            "contacts": len(hub.contacts),
            "page_views": len(hub.page_views),
            "forms": len(hub.forms),
            "form_submissions": len(hub.form_submissions),
            "email_events": len(hub.email_events),
            **{kind: len(rows) for kind, rows in sorted(hub.engagements.items())},
        }
        intended = Counter(self.profiles.values())
        funnel = dict.fromkeys(FUNNEL, 0)
        for profile, count in intended.items():
            funnel["junk" if profile in JUNK else _FUNNEL_STEP[profile]] += count
        return {
            "now": self.now.isoformat(),
            "hubspot": hubspot_counts,
            "salesforce": {sobject: len(rows) for sobject, rows in self.salesforce.items()},
            "funnel": funnel,
            "junk": {kind: intended[kind] for kind in sorted(JUNK)},
        }


def generate(contacts: int, seed: int, now: datetime | None = None) -> World:
    """A reproducible world of `contacts` people whose history ends at `now` (default: the clock).

    Each stage draws from its own generator seeded from (`seed`, stage), so the stages do not
    shift each other's draws. Raises `ValueError` for a negative `contacts`.
    """
    if contacts < 0:
        raise ValueError(f"contacts must be zero or more, got {contacts}")
    now_ms = to_ms(now or datetime.now(UTC))
    # Millions of fresh dicts would trigger full collections over a heap that holds no
    # cycles: a third of the run time at 100,000 contacts.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(contacts, seed, now_ms)
    finally:
        if collecting:
            gc.enable()


def _generate(contacts: int, seed: int, now_ms: int) -> World:
    def rng(stage: str) -> Random:
        return Random(f"leadsync-world:{seed}:{stage}")

    persons = people.generate(rng("people"), contacts, now_ms)
    start = now_ms - people.WINDOW_DAYS * DAY_MS
    mails = activity.campaigns(rng("campaigns"), start, now_ms)
    webinars = activity.webinars(rng("webinars"), start, now_ms)
    marketing = activity.Marketing(rng("marketing"), now_ms, mails, webinars)
    for person in persons:
        marketing.person(person)
    wins.settle(rng("wins"), persons)
    sales.plan(rng("sales"), persons, now_ms)
    hub = HubSpotWorld(
        contacts=hubspot.contacts(rng("contacts"), persons, now_ms),
        engagements=sales.engagements(rng("engagements"), persons, now_ms),
        **marketing.render(rng("render")),
    )
    org = salesforce.build(rng("salesforce"), persons, now_ms, mails, webinars)
    profiles = {person.hs_id: person.profile for person in persons}
    return World(hubspot=hub, salesforce=org, now=to_datetime(now_ms), profiles=profiles)
