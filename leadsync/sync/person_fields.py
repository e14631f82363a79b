"""A person's canonical fields: each linked record mapped on its own, then merged by the
source rules (`mapping.sources`), so which CRM a value came from is always known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync.errors import MappingError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import FieldMap, map_fields
from leadsync.mapping.sources import DEFAULT_RULE, Source, Sourced, SourceRule, merge
from leadsync.mapping.transforms import EPOCH
from leadsync.sync.schema import LinkRow
from leadsync.sync.values import storable

FieldMaps = Mapping[tuple[str, str], tuple[FieldMap, ...]]


def sources_of(links: Sequence[LinkRow], field_maps: FieldMaps) -> list[Source]:
    """Each live record's own canonical fields; a record that no longer maps is left out."""
    found = []
    for link in links:
        if link.deleted or not link.snapshot:
            continue
        system, obj = catalog().object_of(link.kind)
        label = f"{system} {obj} {link.record_id}"
        try:
            fields = map_fields(field_maps.get((system, obj), ()), link.snapshot, record=label)
        except MappingError:
            continue
        found.append(Source(system, obj, link.record_id, link.modified_at or EPOCH, fields))
    return found


def merged_fields(
    links: Sequence[LinkRow], field_maps: FieldMaps, rules: Mapping[str, SourceRule],
    default: SourceRule = DEFAULT_RULE,
) -> dict[str, Sourced]:  # fmt: skip
    return merge(sources_of(links, field_maps), rules, default)


def stored(merged: Mapping[str, Sourced]) -> dict[str, Any]:
    """The merged values as the persons table keeps them."""
    return {name: storable(sourced.value) for name, sourced in merged.items()}


def provenance(merged: Mapping[str, Sourced]) -> dict[str, Any]:
    """Where each merged value came from, as the persons table keeps it (`persons.sources`)."""
    return {name: sourced.as_dict() for name, sourced in merged.items()}
