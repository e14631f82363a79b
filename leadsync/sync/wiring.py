"""Build the connectors a run uses, reading back the properties leadsync writes.

Plans compare what a record holds with what leadsync would write, so every write-back
property must also be read on each pull.
"""

from __future__ import annotations

from leadsync.connectors.base import Connector
from leadsync.connectors.hubspot import HubSpotConnector
from leadsync.connectors.salesforce import SalesforceConnector
from leadsync.connectors.salesforce.describes import Describes
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.runtime import Runtime


def _names(rt: Runtime, system: str, obj: str) -> list[str]:
    """Write-back properties, stage properties and the stamps of when their values were set,
    and every property a field map reads: naming it in a map is enough to have it read."""
    names = list(rt.outbound.get((system, obj), {}).values())
    names += [fmap.source for fmap in rt.field_maps.get((system, obj), ())]
    for vocab in rt.vocabularies:
        if vocab.system.value == system and vocab.obj == obj:
            names += [vocab.prop, *vocab.stamp_props(), *_entered(system, vocab)]
    return names


def _entered(system: str, vocab: Vocabulary) -> list[str]:
    """The stamps of when each value was entered, for the funnel history (`sync.history`)."""
    connector = {"hubspot": HubSpotConnector, "salesforce": SalesforceConnector}[system]
    pattern = connector.entered_fields.get((vocab.obj, vocab.prop))
    return [pattern.format(value=value) for value in vocab.inbound] if pattern else []


# Kept for the life of a long-running process (`leadsync run`): describes are asked once an
# hour instead of every cycle. One-off commands never share them.
_LONG_LIVED_DESCRIBES = Describes(max_age=3600.0)


def build_connectors(rt: Runtime, *, long_lived: bool = False) -> dict[str, Connector]:
    """Both CRMs' connectors for one run; `long_lived`: the process runs cycle after cycle
    and may keep what rarely changes (Salesforce describes) between them."""
    settings = rt.settings
    hubspot = settings.hubspot.model_copy(
        update={
            "extra_contact_properties": list(
                dict.fromkeys(
                    [*settings.hubspot.extra_contact_properties, *_names(rt, "hubspot", "contact")]
                )
            )
        }
    )
    fields = {obj: list(names) for obj, names in settings.salesforce.fields.items()}
    for obj in ("Lead", "Contact"):
        fields[obj] = list(dict.fromkeys([*fields.get(obj, []), *_names(rt, "salesforce", obj)]))
    salesforce = settings.salesforce.model_copy(update={"fields": fields})
    describes = _LONG_LIVED_DESCRIBES if long_lived else None
    return {"hubspot": HubSpotConnector(hubspot),
            "salesforce": SalesforceConnector(salesforce, describes=describes)}  # fmt: skip
