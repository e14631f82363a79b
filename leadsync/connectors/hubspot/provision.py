"""Creating the contact properties leadsync writes, in a group of their own; safe to repeat.

Two calls: create the group (409: already there), then one batch create of the properties
(207 `OBJECT_ALREADY_EXISTS` for the ones already there). Where the batch endpoint is missing,
properties are created one by one, 409 meaning already there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadsync.connectors.hubspot.client import HubSpotClient, RejectedRequest
from leadsync.errors import Rejected

ALREADY_THERE = ("OBJECT_ALREADY_EXISTS", "CONFLICT")


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One contact property leadsync writes. `options` are `(value, label)` for enumerations."""

    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    description: str = ""
    options: tuple[tuple[str, str], ...] = ()

    def body(self, group: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": group,
            "description": self.description,
        }
        if self.options:
            body["options"] = [
                {"value": v, "label": label, "displayOrder": i, "hidden": False}
                for i, (v, label) in enumerate(self.options)
            ]
        return body


def _number(name: str, label: str, description: str) -> PropertySpec:
    return PropertySpec(name, label, "number", "number", description)


LEADSYNC_PROPERTY_SPECS: tuple[PropertySpec, ...] = (
    PropertySpec("leadsync_stage", "leadsync stage", description="Canonical lifecycle stage"),
    _number("leadsync_fit_score", "leadsync fit score", "Who they are: firmographic fit"),
    _number("leadsync_engagement_score", "leadsync engagement score", "What they did, decayed"),
    _number("leadsync_total_score", "leadsync total score", "Fit plus engagement"),
    PropertySpec("leadsync_grade", "leadsync grade", description="Fit A–D × engagement 1–4"),
    PropertySpec(
        "leadsync_top_reasons",
        "leadsync top reasons",
        field_type="textarea",
        description="The rules that contributed most to the score",
    ),
)


# What each of leadsync's outputs is, as a property: (type, field type, description).
_OUTPUTS = {
    "stage": ("string", "text", "Canonical lifecycle stage decided by leadsync"),
    "fit": ("number", "number", "Who they are: firmographic fit score"),
    "engagement": ("number", "number", "What they did: decayed engagement score"),
    "total": ("number", "number", "Fit plus engagement"),
    "grade": ("string", "text", "Fit A-D x engagement 1-4"),
    "reasons": ("string", "textarea", "The rules that contributed most to the score"),
}


def output_specs(names: Mapping[str, str]) -> list[PropertySpec]:
    """The properties the write-back names (output -> property name) as specs."""
    specs = []
    for output, name in names.items():
        kind, field_type, description = _OUTPUTS[output]
        specs.append(PropertySpec(name, f"leadsync {output}", kind, field_type, description))
    return specs


@dataclass
class ProvisionReport:
    group_created: bool = False
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def provision(client: HubSpotClient, specs: Sequence[PropertySpec]) -> ProvisionReport:
    settings = client.settings
    report = ProvisionReport()
    group = {"name": settings.property_group, "label": settings.property_group_label}
    report.group_created = _create(
        client, "create the leadsync property group", client.groups, group
    )
    if not specs:
        return report
    inputs = [s.body(settings.property_group) for s in specs]
    try:
        answer = client.call(
            "create leadsync properties",
            client.property_batch.create,
            "contacts",
            {"inputs": inputs},
        )
    except RejectedRequest as exc:
        if exc.status not in (404, 405):
            raise
        for spec, body in zip(specs, inputs, strict=True):
            made = _create(client, f"create property {spec.name}", client.properties, body)
            (report.created if made else report.existing).append(spec.name)
        return report
    report.created = [str(p["name"]) for p in answer.get("results") or []]
    refused = [e for e in answer.get("errors") or [] if e.get("category") not in ALREADY_THERE]
    if refused:
        reasons = "; ".join(str(e.get("message")) for e in refused)
        raise Rejected(
            f"HubSpot refused to create leadsync's properties: {reasons}", system="hubspot"
        )
    report.existing = [s.name for s in specs if s.name not in report.created]
    return report


def _create(client: HubSpotClient, what: str, api: Any, body: dict[str, Any]) -> bool:
    """Create one property or group; False when it already exists (409)."""
    try:
        client.call(what, api.create, "contacts", body)
    except RejectedRequest as exc:
        if exc.status == 409:
            return False
        raise
    return True
