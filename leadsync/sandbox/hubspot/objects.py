"""The CRM object types the emulator serves and the names HubSpot accepts for each."""

from __future__ import annotations

from dataclasses import dataclass

from leadsync.sandbox.hubspot.responses import ApiError


@dataclass(frozen=True)
class ObjectType:
    name: str  # plural path segment: "contacts"
    singular: str  # association type names: "contact_to_meeting"
    type_id: str  # "0-1"
    created_property: str
    modified_property: str
    default_properties: tuple[str, ...]
    unique_property: str | None = None

    @property
    def label(self) -> str:
        """Upper-case name used in messages and events: "CONTACT"."""
        return self.singular.upper()

    @property
    def always_returned(self) -> tuple[str, ...]:
        return (self.created_property, "hs_object_id", self.modified_property)


_ENGAGEMENT_DEFAULTS = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")


def _engagement(name: str, singular: str, type_id: str) -> ObjectType:
    return ObjectType(
        name, singular, type_id, "hs_createdate", "hs_lastmodifieddate", _ENGAGEMENT_DEFAULTS
    )


OBJECT_TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        ObjectType(
            "contacts",
            "contact",
            "0-1",
            "createdate",
            "lastmodifieddate",
            ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
            unique_property="email",
        ),
        ObjectType(
            "companies",
            "company",
            "0-2",
            "createdate",
            "hs_lastmodifieddate",
            ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
        ),
        ObjectType(
            "deals",
            "deal",
            "0-3",
            "createdate",
            "hs_lastmodifieddate",
            (
                "amount",
                "closedate",
                "createdate",
                "dealname",
                "dealstage",
                "hs_lastmodifieddate",
                "hs_object_id",
                "pipeline",
            ),
        ),
        ObjectType(
            "tickets",
            "ticket",
            "0-5",
            "createdate",
            "hs_lastmodifieddate",
            (
                "content",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
                "hs_pipeline",
                "hs_pipeline_stage",
                "hs_ticket_category",
                "hs_ticket_priority",
                "subject",
            ),
        ),
        _engagement("calls", "call", "0-48"),
        _engagement("emails", "email", "0-49"),
        _engagement("meetings", "meeting", "0-47"),
        _engagement("notes", "note", "0-46"),
        _engagement("tasks", "task", "0-27"),
    )
}

ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "notes", "tasks")

_ALIASES = {alias: t for t in OBJECT_TYPES.values() for alias in (t.name, t.singular, t.type_id)}


def resolve(name: str) -> ObjectType:
    """The object type for a path segment or `objectType` parameter, as HubSpot infers it."""
    found = _ALIASES.get(name.lower())
    if found is None:
        raise ApiError(400, None, f"Unable to infer object type from: {name}")
    return found
