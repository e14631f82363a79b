"""Associations between records, with HubSpot's defined association type ids (v4)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

# (from, to) -> HubSpot-defined typeId [hubspot/crm/association_type.py in the client].
TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("contacts", "tickets"): 15,
    ("tickets", "contacts"): 16,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("contacts", "calls"): 193,
    ("calls", "contacts"): 194,
    ("contacts", "emails"): 197,
    ("emails", "contacts"): 198,
    ("contacts", "meetings"): 199,
    ("meetings", "contacts"): 200,
    ("contacts", "notes"): 201,
    ("notes", "contacts"): 202,
    ("contacts", "tasks"): 203,
    ("tasks", "contacts"): 204,
}

BATCH_READ_MAX = 1000
PAGE_SIZE = 500


class Associations:
    """Undirected links stored in both directions, in insertion order."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, int], dict[str, list[int]]] = defaultdict(dict)

    def clear(self) -> None:
        self._links.clear()

    def add(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        for (a, a_id), (b, b_id) in (
            ((from_type, from_id), (to_type, to_id)),
            ((to_type, to_id), (from_type, from_id)),
        ):
            targets = self._links[(a, a_id)].setdefault(b, [])
            if b_id not in targets:
                targets.append(b_id)

    def remove_record(self, object_type: str, record_id: int) -> None:
        for to_type, ids in self._links.pop((object_type, record_id), {}).items():
            for other in ids:
                back = self._links.get((to_type, other), {}).get(object_type, [])
                if record_id in back:
                    back.remove(record_id)

    def targets(self, from_type: str, from_id: int, to_type: str) -> list[int]:
        return list(self._links.get((from_type, from_id), {}).get(to_type, []))

    def count(self) -> int:
        return sum(len(ids) for links in self._links.values() for ids in links.values()) // 2


def type_spec(from_type: str, to_type: str) -> list[dict[str, Any]]:
    type_id = TYPE_IDS.get((from_type, to_type))
    if type_id is None:
        return []
    return [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]


def v3_type_name(from_singular: str, to_singular: str) -> str:
    return f"{from_singular}_to_{to_singular}"
