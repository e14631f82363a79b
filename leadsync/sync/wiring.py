"""Build the connectors a run uses, from the entry-point registry, reading back the properties
leadsync writes.

Plans compare what a record holds with what leadsync would write, so every write-back
property must also be read on each pull; a connector's declaration says how its settings
take extra properties to read (`Declaration.reads`).
"""

from __future__ import annotations

from leadsync.connectors import registry
from leadsync.connectors.base import Connector
from leadsync.mapping.catalog import catalog
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.runtime import Runtime


def _names(rt: Runtime, system: str, obj: str) -> list[str]:
    """Write-back properties, stage properties and the stamps of when their values were set,
    and every property a field map reads: naming it in a map is enough to have it read."""
    names = list(rt.outbound.get((system, obj), {}).values())
    names += [fmap.source for fmap in rt.field_maps.get((system, obj), ())]
    for vocab in rt.vocabularies:
        if vocab.system == system and vocab.obj == obj:
            names += [vocab.prop, *vocab.stamp_props(), *_entered(system, vocab)]
    return names


def _entered(system: str, vocab: Vocabulary) -> list[str]:
    """The stamps of when each value was entered, for the funnel history (`sync.history`)."""
    entered = getattr(registry.load(system), "entered_fields", {})
    pattern = entered.get((vocab.obj, vocab.prop))
    return [pattern.format(value=value) for value in vocab.inbound] if pattern else []


def build_connectors(rt: Runtime, *, long_lived: bool = False) -> dict[str, Connector]:
    """The configured CRMs' connectors for one run, in the catalog's order; `long_lived`: the
    process runs cycle after cycle and a connector may keep what rarely changes between them."""
    built = {}
    for name, table in rt.settings.connectors.items():
        decl = catalog()[name]
        if decl.reads is not None:
            table = decl.reads(table, {p.obj: _names(rt, name, p.obj) for p in decl.people})
        built[name] = registry.create(name, table, long_lived=long_lived)
    return built
