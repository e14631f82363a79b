"""Records of one CRM object type, indexed for paging and incremental search.

Active ids are kept in a sorted list (list paging is a bisect + slice) and
`(updated_ms, id)` pairs in another (a `lastmodifieddate` range is a bisect), so reading
100,000 contacts page by page never sorts per request. Not thread-safe: the state's lock
guards it.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from leadsync.sandbox.hubspot.objects import ObjectType
from leadsync.sandbox.hubspot.responses import iso_ms


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a property's history."""

    value: str
    timestamp_ms: int
    source_type: str
    source_id: str | None = None
    user_id: int | None = None


@dataclass(slots=True)
class Record:
    id: int
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    # Only properties written after load have a history; older values are synthesised.
    history: dict[str, list[Change]] = field(default_factory=dict)
    archived_ms: int | None = None

    def value(self, kind: ObjectType, name: str) -> str | None:
        """The stored value, with the system properties computed from the record itself."""
        if name == "hs_object_id":
            return str(self.id)
        if name == kind.created_property:
            return iso_ms(self.created_ms)
        if name == kind.modified_property:
            return iso_ms(self.updated_ms)
        return self.properties.get(name)

    def history_of(self, kind: ObjectType, name: str) -> list[Change]:
        """Newest first, as `propertiesWithHistory` returns it."""
        changes = self.history.get(name)
        if changes:
            return list(reversed(changes))
        current = self.value(kind, name)
        if current is None:
            return []
        return [Change(current, self.created_ms, "IMPORT")]


# Told of every change to a record: (kind, record, changed values, source type, epoch ms).
Observer = Callable[[str, "Record", dict[str, str], str, int], None]


class ObjectStore:
    def __init__(self, kind: ObjectType) -> None:
        self.kind = kind
        # Set by the state for the objects that push webhooks (contacts).
        self.observer: Observer | None = None
        self.records: dict[int, Record] = {}
        self.archived: dict[int, Record] = {}
        self.ids: list[int] = []
        self.modified: list[tuple[int, int]] = []
        self.unique: dict[str, int] = {}
        self.next_id = 1

    def __len__(self) -> int:
        return len(self.records)

    def new_id(self) -> int:
        record_id = self.next_id
        self.next_id += 1
        return record_id

    def get(self, record_id: int | str) -> Record | None:
        try:
            return self.records.get(int(record_id))
        except ValueError:
            return None

    def get_archived(self, record_id: int | str) -> Record | None:
        try:
            return self.archived.get(int(record_id))
        except ValueError:
            return None

    def find(self, id_property: str | None, key: str) -> Record | None:
        """Look a record up by id, or by its unique property (`idProperty=email`)."""
        if id_property in (None, "", "hs_object_id"):
            return self.get(key)
        if id_property == self.kind.unique_property:
            record_id = self.unique.get(key.strip().lower())
            return None if record_id is None else self.records.get(record_id)
        return None

    def insert(self, record: Record) -> None:
        self.records[record.id] = record
        self.next_id = max(self.next_id, record.id + 1)
        if not self.ids or record.id > self.ids[-1]:
            self.ids.append(record.id)
        else:
            bisect.insort(self.ids, record.id)
        bisect.insort(self.modified, (record.updated_ms, record.id))
        self._index_unique(record, None)

    def bulk_load(self, records: Iterable[Record]) -> None:
        """Insert many records at once (one sort instead of one insort each)."""
        for record in records:
            self.records[record.id] = record
            self.next_id = max(self.next_id, record.id + 1)
            self._index_unique(record, None)
        self.ids = sorted(self.records)
        self.modified = sorted((r.updated_ms, r.id) for r in self.records.values())

    def touch(self, record: Record, updated_ms: int) -> None:
        """Move `record` to its new modification time in the index."""
        self._unindex_modified(record)
        record.updated_ms = updated_ms
        bisect.insort(self.modified, (updated_ms, record.id))

    def reindex_unique(self, record: Record, old_value: str | None) -> None:
        self._index_unique(record, old_value)

    def archive(self, record: Record, now_ms: int, *, quiet: bool = False) -> None:
        """Move `record` to the archive (`quiet`: a merge, reported as such by the caller)."""
        del self.records[record.id]
        index = bisect.bisect_left(self.ids, record.id)
        del self.ids[index]
        self._unindex_modified(record)
        key = self._unique_key(record)
        if key is not None and self.unique.get(key) == record.id:
            del self.unique[key]
        record.archived_ms = now_ms
        self.archived[record.id] = record
        if not quiet:
            self.notify("deletion", record, {}, "API", now_ms)

    def notify(
        self, kind: str, record: Record, values: dict[str, str], source: str, now_ms: int
    ) -> None:
        if self.observer is not None:
            self.observer(kind, record, values, source, now_ms)

    def page(self, after: int | None, limit: int) -> tuple[list[Record], int | None]:
        """Records with id >= `after` in id order, and the id the next page starts at."""
        start = 0 if after is None else bisect.bisect_left(self.ids, after)
        chunk = self.ids[start : start + limit + 1]
        following = chunk[limit] if len(chunk) > limit else None
        return [self.records[i] for i in chunk[:limit]], following

    def modified_range(self, low_ms: int | None, high_ms: int | None) -> tuple[int, int]:
        """Index positions of records with `low_ms <= updated_ms <= high_ms` (None: open)."""
        lo = 0 if low_ms is None else bisect.bisect_left(self.modified, (low_ms, -1))
        hi = len(self.modified)
        if high_ms is not None:
            hi = bisect.bisect_right(self.modified, (high_ms, sys.maxsize))
        return lo, max(lo, hi)

    def iter_archived(self) -> Iterator[Record]:
        for record_id in sorted(self.archived):
            yield self.archived[record_id]

    def _unindex_modified(self, record: Record) -> None:
        index = bisect.bisect_left(self.modified, (record.updated_ms, record.id))
        if index < len(self.modified) and self.modified[index] == (record.updated_ms, record.id):
            del self.modified[index]

    def _unique_key(self, record: Record) -> str | None:
        name = self.kind.unique_property
        value = record.properties.get(name) if name else None
        return value.strip().lower() if value else None

    def _index_unique(self, record: Record, old_value: str | None) -> None:
        if self.kind.unique_property is None:
            return
        if old_value and self.unique.get(old_value.lower()) == record.id:
            del self.unique[old_value.lower()]
        key = self._unique_key(record)
        if key is not None:
            self.unique[key] = record.id
