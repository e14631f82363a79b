"""Whether the properties leadsync reads and writes exist in the portal, and can be written.

HubSpot answers a read that names an unknown property without complaint (the property is
simply absent), so a deleted or misspelt property loses data silently; `check` says so.
Calls: one properties list per object type read (contacts, then each engagement object).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync.connectors.base import FieldCheck
from leadsync.connectors.hubspot.client import HubSpotClient

# Contact properties leadsync cannot work without, and what for.
REQUIRED = {
    "email": "match people between the CRMs",
    "lastmodifieddate": "read changes in order",
    "lifecyclestage": "read and write the stage",
}
OBJECT_TYPES = {"contact": "contacts"}


def check(
    client: HubSpotClient, writes: Mapping[str, Sequence[str]], provisioned: Sequence[str]
) -> FieldCheck:
    """`provisioned`: properties leadsync creates itself (missing ones are only noted)."""
    errors: list[str] = []
    warnings: list[str] = []
    settings = client.settings
    reads = {"contacts": settings.properties, **settings.engagement_properties}
    known = {obj: _properties(client, obj) for obj in reads}
    for obj, names in reads.items():
        for name in (n for n in names if n not in known[obj] and n not in provisioned):
            sentence = _missing(obj, name)
            (errors if obj == "contacts" and name in REQUIRED else warnings).append(sentence)
    pending: list[str] = []
    for obj, names in writes.items():
        object_type = OBJECT_TYPES.get(obj, obj)
        have = known.get(object_type) or _properties(client, object_type)
        for name in names:
            if name in provisioned and name not in have:
                pending.append(name)
            elif problem := _unwritable(object_type, name, have.get(name)):
                errors.append(problem)
    if pending:
        warnings.append(_to_create(pending))
    return FieldCheck(errors, list(dict.fromkeys(warnings)))


def _properties(client: HubSpotClient, object_type: str) -> dict[str, dict[str, Any]]:
    answer = client.call(f"list {object_type} properties", client.properties.get_all, object_type)
    return {p["name"]: p for p in (answer or {}).get("results") or []}


def _missing(object_type: str, name: str) -> str:
    why = REQUIRED.get(name) if object_type == "contacts" else None
    lost = f"leadsync needs it to {why}" if why else "what it is mapped to stays empty"
    return (
        f"HubSpot: leadsync reads the {object_type} property {name!r}, which the portal does "
        f"not have ({lost}); create it in Settings → Properties, or remove it from the config."
    )


def _to_create(names: Sequence[str]) -> str:
    return (
        f"HubSpot: leadsync's own contact properties {', '.join(names)} do not exist yet; "
        "leadsync creates them before its first write (the private app needs the "
        "crm.schemas.contacts.write scope)."
    )


def _unwritable(object_type: str, name: str, found: dict[str, Any] | None) -> str | None:
    if found is None:
        return (
            f"HubSpot: leadsync writes the {object_type} property {name!r}, which the portal "
            "does not have; create it in Settings → Properties, or change the config."
        )
    meta = found.get("modificationMetadata") or {}
    if meta.get("readOnlyValue") or found.get("calculated"):
        return (
            f"HubSpot: leadsync writes the {object_type} property {name!r}, whose value is "
            "read-only (calculated or set by HubSpot); write another property instead."
        )
    return None
