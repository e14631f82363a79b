"""Records as the v3 object APIs return them (`SimplePublicObject` and friends)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from leadsync.sandbox.hubspot.objects import ObjectType
from leadsync.sandbox.hubspot.properties import PropertyRegistry
from leadsync.sandbox.hubspot.responses import iso_ms
from leadsync.sandbox.hubspot.store import Record


def names_from_query(args: MultiDict[str, str], key: str) -> list[str] | None:
    """A list parameter sent repeated (`?p=a&p=b`, the client's way) or comma-separated."""
    values = args.getlist(key)
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def names_from_body(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return [str(name).strip() for name in value if str(name).strip()]


class View:
    """Which properties to show: the requested known ones (null when empty) or the defaults."""

    def __init__(
        self,
        kind: ObjectType,
        registry: PropertyRegistry,
        requested: list[str] | None,
        with_history: list[str] | None = None,
    ) -> None:
        self.kind = kind
        known = registry.definitions[kind.name]
        if requested:
            chosen = [name for name in requested if name in known]
            chosen += [name for name in kind.always_returned if name not in chosen]
        else:
            chosen = list(kind.default_properties)
        self.names = sorted(dict.fromkeys(chosen))
        self.history = [name for name in with_history or [] if name in known]

    def properties(self, record: Record) -> dict[str, str | None]:
        return {name: record.value(self.kind, name) for name in self.names}

    def render(self, record: Record, *, url: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(record.id), "properties": self.properties(record)}
        if self.history:
            body["propertiesWithHistory"] = {
                name: [_history_entry(c) for c in record.history_of(self.kind, name)]
                for name in self.history
            }
        body["createdAt"] = iso_ms(record.created_ms)
        body["updatedAt"] = iso_ms(record.updated_ms)
        body["archived"] = record.archived_ms is not None
        if record.archived_ms is not None:
            body["archivedAt"] = iso_ms(record.archived_ms)
        if url is not None:
            body["url"] = url
        return body


def full(kind: ObjectType, record: Record) -> dict[str, Any]:
    """A record with every property that has a value (create and update responses)."""
    names = set(record.properties) | set(kind.always_returned)
    properties = {name: record.value(kind, name) for name in sorted(names)}
    return {
        "id": str(record.id),
        "properties": properties,
        "createdAt": iso_ms(record.created_ms),
        "updatedAt": iso_ms(record.updated_ms),
        "archived": False,
    }


def record_url(portal_id: int, kind: ObjectType, record_id: int) -> str:
    return f"https://app.hubspot.com/contacts/{portal_id}/record/{kind.type_id}/{record_id}"


def v3_associations(
    links: Iterable[tuple[str, str, list[int]]],
) -> dict[str, dict[str, list[dict[str, str]]]]:
    """`associations` on a v3 read: {to_type: {"results": [{"id", "type"}]}}."""
    return {
        to_type: {"results": [{"id": str(i), "type": type_name} for i in ids]}
        for to_type, type_name, ids in links
        if ids
    }


def _history_entry(change: Any) -> dict[str, Any]:
    return {
        "value": change.value,
        "timestamp": iso_ms(change.timestamp_ms),
        "sourceType": change.source_type,
        "sourceId": change.source_id,
        "sourceLabel": None,
        "updatedByUserId": change.user_id,
    }
