"""Reading CRM objects over a window: windowed search for increments, the list API for backfills.

Search sorts on one property only and refuses to page past 10,000 results, so a window is read
as a chain of queries: each asks for `date >= lower` (closed), pages until the configured cap,
and the next query starts again at the latest timestamp seen, re-reading only the records that
share it. If more than a whole query's worth of records share one timestamp, that instant is
walked by `hs_object_id` before going on strictly after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from leadsync.connectors.base import RawRecord, Window
from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.connectors.hubspot.records import (
    admits,
    order,
    parse_time,
    record,
    to_ms,
)


@dataclass
class ObjectReader:
    """Reads one CRM object type as one stream, in ascending `(date_property, id)`."""

    client: HubSpotClient
    object_type: str
    stream: str
    date_property: str
    properties: list[str]

    def search(self, window: Window) -> Iterator[RawRecord]:
        lower, inclusive = window.start, True
        while True:
            pages = _Pages(self, self._bounds(lower, inclusive, window.end), self.date_property)
            held: list[RawRecord] = []
            released = 0
            for page in pages:
                held.extend(page)
                if not held:
                    continue
                latest = max(r.modified_at for r in held)
                ready = sorted((r for r in held if r.modified_at < latest), key=order)
                held = [r for r in held if r.modified_at == latest]
                released += len(ready)
                yield from (r for r in ready if admits(window, r))
            if not pages.capped:
                yield from (r for r in sorted(held, key=order) if admits(window, r))
                return
            latest = held[0].modified_at
            if not released:
                yield from (r for r in self._ties(latest) if admits(window, r))
            lower, inclusive = latest, released > 0

    def list_all(self, window: Window) -> Iterator[RawRecord]:
        """Every object through the list API (100 per call, no search rate limit), streamed.

        The list API has no date filter and returns objects in id order; records stream out a
        page at a time in that order (the full-history exception of `Connector.read`), so a
        100,000-contact portal never sits in memory at once. Each record carries the paging
        token of its page, from which `window.resume` starts a read again.
        """
        after: str | None = window.resume
        size = self.client.settings.list_page_size
        while True:
            params: dict[str, Any] = {"limit": size, "properties": self.properties}
            if after:
                params["after"] = after
            page = self.client.call(
                f"list {self.object_type}", self.client.objects.get_page, self.object_type, **params
            )
            # "" marks the first page: a read in id order, resumable from the start.
            records = (replace(r, resume=after or "") for r in map(self.to_record, page["results"]))
            yield from (r for r in records if admits(window, r))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def by_ids(self, ids: list[str]) -> Iterator[RawRecord]:
        """The objects with these ids, one batch read per 100 (ids HubSpot no longer has are
        left out); in ascending position, like every read."""
        size = self.client.settings.batch_size
        found: list[RawRecord] = []
        for start in range(0, len(ids), size):
            body = {"inputs": [{"id": i} for i in ids[start : start + size]],
                    "properties": self.properties, "propertiesWithHistory": []}  # fmt: skip
            answer = self.client.call(
                f"read {self.object_type} by id", self.client.batch.read, self.object_type, body
            )
            found += map(self.to_record, answer.get("results") or [])
        return iter(sorted(found, key=order))

    def to_record(self, obj: dict[str, Any]) -> RawRecord:
        props = obj.get("properties") or {}
        moment = parse_time(props.get(self.date_property)) or parse_time(obj.get("updatedAt"))
        return record(self.stream, obj["id"], moment, props)

    def _ties(self, moment: datetime) -> Iterator[RawRecord]:
        """Every object modified exactly at `moment`, by ascending id."""
        last: str | None = None
        while True:
            filters = [search_filter(self.date_property, "EQ", to_ms(moment))]
            if last is not None:
                filters.append(search_filter("hs_object_id", "GT", last))
            pages = _Pages(self, filters, "hs_object_id")
            for page in pages:
                page.sort(key=order)
                yield from page
                last = page[-1].id if page else last
            if not pages.capped:
                return

    def _bounds(self, lower: datetime | None, inclusive: bool, end: datetime) -> list[dict]:
        filters = [search_filter(self.date_property, "LT", to_ms(end))]
        if lower is not None:
            filters.insert(
                0, search_filter(self.date_property, "GTE" if inclusive else "GT", to_ms(lower))
            )
        return filters


class _Pages:
    """The pages of one search query, stopping before the per-query result cap."""

    def __init__(self, reader: ObjectReader, filters: list[dict], sort: str) -> None:
        self.reader = reader
        self.filters = filters
        self.sort = sort
        self.capped = False

    def __iter__(self) -> Iterator[list[RawRecord]]:
        client, settings = self.reader.client, self.reader.client.settings
        size, offset = settings.search_page_size, 0
        while True:
            body = {
                "filterGroups": [{"filters": self.filters}],
                "sorts": [{"propertyName": self.sort, "direction": "ASCENDING"}],
                "properties": self.reader.properties,
                "limit": size,
                "after": str(offset),
            }
            what = f"search {self.reader.object_type}"
            page = client.call(
                what, client.search_api.do_search, self.reader.object_type, body, search=True
            )
            yield [self.reader.to_record(obj) for obj in page.get("results") or []]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            offset = int(after)
            if offset + size > settings.search_window_max:
                self.capped = True
                return


def search_filter(prop: str, operator: str, value: object) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(value)}
