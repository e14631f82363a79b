"""Marketing history the CRM APIs cannot write: page views, form submissions, email events.

Each kind is kept sorted by (time, id) globally and per contact/form/recipient, so a page
is a bisect plus a slice. Cursors name the last item served, not an offset, so history
seeded into the past does not shift a reader's position.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Key = tuple[int, str]  # (epoch ms, id)


@dataclass(slots=True)
class PageView:
    id: str
    contact_id: int
    occurred_ms: int
    url: str
    title: str = ""
    key: Key = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.occurred_ms, self.id)


@dataclass(slots=True)
class Submission:
    conversion_id: str
    form_guid: str
    contact_id: int | None
    submitted_ms: int
    page_url: str
    values: list[dict[str, str]]
    key: Key = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.submitted_ms, self.conversion_id)


@dataclass(slots=True)
class EmailEvent:
    id: str
    type: str
    recipient: str
    created_ms: int
    campaign_id: int
    url: str | None = None
    key: Key = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.created_ms, self.id)


PARTICIPATION_STATES = ("REGISTERED", "ATTENDED", "CANCELLED", "NO_SHOW")
COUNTERS = {"REGISTERED": "registrants", "ATTENDED": "attendees", "CANCELLED": "cancellations",
            "NO_SHOW": "noShows"}  # fmt: skip


@dataclass
class MarketingEvent:
    object_id: str
    name: str
    event_type: str | None
    start_ms: int | None
    created_ms: int
    updated_ms: int
    # (state, contact id, email, occurred ms, participation id)
    participations: list[tuple[str, int, str, int, str]] = field(default_factory=list)

    def as_json(self, iso_ms: Callable[[int], str]) -> dict[str, Any]:
        counts = {key: 0 for key in COUNTERS.values()}
        for state, *_ in self.participations:
            counts[COUNTERS[state]] += 1
        return {
            "eventName": self.name,
            "eventType": self.event_type,
            "startDateTime": iso_ms(self.start_ms) if self.start_ms else None,
            "endDateTime": None,
            "eventOrganizer": "leadsync sandbox",
            "eventDescription": None,
            "eventUrl": None,
            "eventCancelled": False,
            "eventCompleted": bool(self.participations),
            "customProperties": [],
            "objectId": self.object_id,
            "externalEventId": f"sandbox-{self.object_id}",
            "eventStatus": "PAST" if self.participations else "UPCOMING",
            "eventStatusV2": "past" if self.participations else "upcoming",
            "appInfo": {"id": "0", "name": "leadsync sandbox"},
            **counts,
            "createdAt": iso_ms(self.created_ms),
            "updatedAt": iso_ms(self.updated_ms),
        }


class Sorted:
    """Items kept in key order, with the keys alongside for bisecting."""

    def __init__(self, items: list[Any] | None = None, *, presorted: bool = False) -> None:
        self.items = list(items or []) if presorted else sorted(items or [], key=_key)
        self.keys = [i.key for i in self.items]

    def add(self, item: Any) -> None:
        index = bisect.bisect_right(self.keys, item.key)
        self.keys.insert(index, item.key)
        self.items.insert(index, item)

    def __len__(self) -> int:
        return len(self.items)

    def walk(
        self, *, low: int | None, high: int | None, after: Key | None, descending: bool
    ) -> Iterator[Any]:
        """Items with `low <= time <= high` (None = open) in order, resuming after `after`."""
        lo = 0 if low is None else bisect.bisect_left(self.keys, (low, ""))
        hi = len(self.keys) if high is None else bisect.bisect_right(self.keys, (high, "\uffff"))
        if descending:
            if after is not None:
                hi = min(hi, bisect.bisect_left(self.keys, after))
            return (self.items[i] for i in range(hi - 1, lo - 1, -1))
        if after is not None:
            lo = max(lo, bisect.bisect_right(self.keys, after))
        return (self.items[i] for i in range(lo, hi))


def take(
    items: Iterator[Any], limit: int, keep: Callable[[Any], bool] = lambda _: True
) -> tuple[list[Any], Key | None]:
    """The first `limit` kept items, and the key to resume after when more remain."""
    page: list[Any] = []
    for item in items:
        if not keep(item):
            continue
        if len(page) == limit:
            return page, page[-1].key
        page.append(item)
    return page, None


@dataclass
class Timeline:
    """One kind of history, sorted overall and per owner (contact, form or recipient)."""

    all: Sorted = field(default_factory=Sorted)
    by_owner: dict[Any, Sorted] = field(default_factory=dict)

    @classmethod
    def of(cls, items: list[Any], owner: Any) -> Timeline:
        everything = Sorted(items)
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for item in everything.items:
            grouped[owner(item)].append(item)
        return cls(everything, {k: Sorted(v, presorted=True) for k, v in grouped.items()})

    def add(self, item: Any, owner_key: Any) -> None:
        self.all.add(item)
        self.by_owner.setdefault(owner_key, Sorted()).add(item)

    def of_owner(self, owner_key: Any) -> Sorted:
        return self.by_owner.get(owner_key) or Sorted()

    def __len__(self) -> int:
        return len(self.all)


def _key(item: Any) -> Key:
    return item.key


def encode_key(key: Key) -> str:
    return f"{key[0]}|{key[1]}"


def decode_key(text: str | None) -> Key | None:
    if not text or "|" not in text:
        return None
    ms, _, item_id = text.partition("|")
    return (int(ms), item_id) if ms.lstrip("-").isdigit() else None
