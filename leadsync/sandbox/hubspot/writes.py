"""How a write changes a record: validation, `lifecyclestage` rules, history, timestamps.

`lifecyclestage` follows HubSpot: a value earlier in the option order than the current one
is accepted but not applied (unless the `backward_lifecycle` knob says "apply"); `""`
clears it; each change of stage stamps `hs_date_exited_<old>` and `hs_date_entered_<new>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadsync.sandbox.hubspot.properties import Issue, PropertyRegistry
from leadsync.sandbox.hubspot.responses import iso_ms
from leadsync.sandbox.hubspot.settings import HubSpotSettings
from leadsync.sandbox.hubspot.store import Change, ObjectStore, Record

LIFECYCLE = "lifecyclestage"
DEFAULT_STAGE = "lead"


@dataclass(frozen=True)
class Source:
    """Who wrote: becomes `sourceType` / `sourceId` in property history."""

    type: str = "INTEGRATION"
    id: str | None = "19083857"
    user_id: int | None = None  # a person's edit in HubSpot's UI


API = Source()
CALCULATED = Source("CALCULATED", None)


class Writer:
    """Applies validated property writes to one store."""

    def __init__(
        self, store: ObjectStore, registry: PropertyRegistry, settings: HubSpotSettings
    ) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings

    def validate(self, properties: dict[str, Any]) -> tuple[dict[str, str], list[Issue]]:
        """Normalised values and the issues of the refused ones."""
        values: dict[str, str] = {}
        issues: list[Issue] = []
        for name, raw in properties.items():
            value, problem = self.registry.check(
                self.store.kind.name, name, raw, self.settings.reject_whitespace
            )
            if problem is not None:
                issues.append(problem)
            values[name] = value
        if self.store.kind.unique_property in values:
            key = self.store.kind.unique_property
            values[key] = values[key].strip().lower()
        return values, issues

    def conflicting(self, values: dict[str, str], record_id: int | None = None) -> int | None:
        """The id of another record that already holds this unique value (email)."""
        key = self.store.kind.unique_property
        if not key or not values.get(key):
            return None
        existing = self.store.unique.get(values[key])
        return existing if existing not in (None, record_id) else None

    def create(self, values: dict[str, str], now_ms: int, source: Source = API) -> Record:
        record = Record(self.store.new_id(), {}, now_ms, now_ms)
        if self.store.kind.name == "contacts" and not values.get(LIFECYCLE):
            values = {**values, LIFECYCLE: DEFAULT_STAGE}
        self.store.insert(record)
        self._assign(record, values, now_ms, source)
        self.store.notify("creation", record, dict(record.properties), source.type, now_ms)
        return record

    def update(
        self, record: Record, values: dict[str, str], now_ms: int, source: Source = API
    ) -> bool:
        """Apply `values`; True when anything changed (and `lastmodifieddate` moved)."""
        if LIFECYCLE in values and self.store.kind.name == "contacts":
            values = {**values, LIFECYCLE: self._effective_stage(record, values[LIFECYCLE])}
        changed = self._assign(record, values, now_ms, source)
        if changed:
            self.store.touch(record, max(now_ms, record.updated_ms + 1))
            self.store.notify("propertyChange", record, changed, source.type, now_ms)
        return bool(changed)

    def _assign(
        self, record: Record, values: dict[str, str], now_ms: int, source: Source
    ) -> dict[str, str]:
        """Set `values`; the ones that changed (empty: nothing did)."""
        changed: dict[str, str] = {}
        old_email = record.properties.get(self.store.kind.unique_property or "")
        for name, value in values.items():
            old = record.properties.get(name, "")
            if value == old:
                continue
            self._set(record, name, value, now_ms, source)
            if name == LIFECYCLE and self.store.kind.name == "contacts":
                self._stamp_stage(record, old, value, now_ms)
            changed[name] = value
        if changed and self.store.kind.unique_property in values:
            self.store.reindex_unique(record, old_email)
        return changed

    def _set(self, record: Record, name: str, value: str, now_ms: int, source: Source) -> None:
        history = record.history.get(name)
        if history is None:
            history = record.history[name] = []
            if name in record.properties:
                history.append(Change(record.properties[name], record.created_ms, "IMPORT"))
        history.append(Change(value, now_ms, source.type, source.id, source.user_id))
        if value == "":
            record.properties.pop(name, None)
        else:
            record.properties[name] = value

    def _effective_stage(self, record: Record, wanted: str) -> str:
        current = record.properties.get(LIFECYCLE, "")
        if wanted == "" or current == "" or self.settings.backward_lifecycle == "apply":
            return wanted
        order = self.registry.stage_order()
        if wanted in order and current in order and order[wanted] < order[current]:
            return current
        return wanted

    def _stamp_stage(self, record: Record, old: str, new: str, now_ms: int) -> None:
        stamps = {}
        if old:
            stamps[f"hs_date_exited_{old}"] = iso_ms(now_ms)
        if new:
            stamps[f"hs_date_entered_{new}"] = iso_ms(now_ms)
        for name, value in stamps.items():
            if self.registry.get("contacts", name) is not None:
                self._set(record, name, value, now_ms, CALCULATED)
