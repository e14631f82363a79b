"""Field maps: canonical field <- CRM property, with a transform; and the write-back names.

Inbound is many-to-one: several systems (and objects) feed one canonical field; which one's
value a person gets is `mapping.sources`' rule for the field. Outbound is one-to-one: each
canonical output (stage, scores, reasons) has exactly one property per system and object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.errors import MappingError
from leadsync.mapping.transforms import TRANSFORMS

CANONICAL_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "company",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "website",
    "platform",
    "lead_source",
    "analytics_source",
    "first_url",
    "converted_at",
)

# What leadsync writes back: canonical output -> value kind.
OUTPUTS: tuple[str, ...] = ("stage", "fit", "engagement", "total", "grade", "reasons")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One canonical field read from one property of one object, through one transform."""

    canonical: str
    source: str
    transform: str = "text"
    options: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, data: Mapping[str, Any]) -> Any:
        return TRANSFORMS[self.transform](data.get(self.source), self.options)


def map_fields(
    maps: tuple[FieldMap, ...], data: Mapping[str, Any], *, record: str
) -> dict[str, Any]:
    """Apply every map to one raw record; the first failing field raises `MappingError`.

    Later maps never overwrite a value an earlier map for the same canonical field produced.
    """
    fields: dict[str, Any] = {}
    for fmap in maps:
        try:
            value = fmap.apply(data)
        except ValueError as exc:
            raise MappingError(
                f"{record}: field {fmap.source!r}: {exc}", record=record, field=fmap.source
            ) from None
        if value is not None and fields.get(fmap.canonical) is None:
            fields[fmap.canonical] = value
    if "email" in fields:
        fields["email_domain"] = fields["email"].rsplit("@", 1)[1]
    return fields


def default_field_maps() -> dict[tuple[str, str], tuple[FieldMap, ...]]:
    """The field maps the installed connectors ship, by (system, object)."""
    from leadsync.mapping.catalog import catalog

    return catalog().field_maps()


def default_outbound() -> dict[tuple[str, str], Mapping[str, str]]:
    """The write-back property names the installed connectors ship, by (system, object)."""
    from leadsync.mapping.catalog import catalog

    return catalog().writeback()
