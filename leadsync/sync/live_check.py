"""`leadsync mapping validate --live`: compare the config with what the CRMs actually hold.

Catches a portal's custom lifecycle stage or an org's own Lead status before a sync parks
every record that carries it, and Salesforce fields leadsync writes that do not exist yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadsync.errors import ConfigError
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.config import Settings
from leadsync.sync.runtime import build_runtime
from leadsync.sync.wiring import build_connectors


def vocabulary_problems(vocab: Vocabulary, crm_values: Sequence[str] | None) -> list[str]:
    where = f"stages.{vocab.system.value}.{vocab.prop}"
    if crm_values is None:
        return [f"{where}: {vocab.system.value} {vocab.obj}.{vocab.prop} is not a picklist there"]
    problems = [
        f"{where}.inbound: {value!r} exists in {vocab.system.value} but is not mapped; "
        f'add {where}.inbound."{value}" = "<stage or ignore>"'
        for value in crm_values
        if value not in vocab.inbound
    ]
    problems += [
        f"{where}.outbound.{stage.value}: {value!r} is not a value {vocab.system.value} accepts "
        f"(it has: {', '.join(crm_values)})"
        for stage, value in vocab.outbound.items()
        if value not in crm_values
    ]
    return problems


def check_live(settings: Settings, vocabularies: Sequence[Vocabulary]) -> None:
    """Raise `ConfigError` listing every mismatch between config and CRMs."""
    rt = build_runtime(settings)
    connectors = build_connectors(rt)
    problems: list[str] = []
    for vocab in vocabularies:
        connector = connectors.get(vocab.system.value)
        if connector is None or not hasattr(connector, "options"):
            continue
        problems += vocabulary_problems(vocab, connector.options(vocab.obj, vocab.prop))
    salesforce = connectors.get("salesforce")
    if salesforce is not None and hasattr(salesforce, "missing_fields"):
        wanted = {obj: list(names.values()) for (system, obj), names in rt.outbound.items()
                  if system == "salesforce"}  # fmt: skip
        for obj, fields in salesforce.missing_fields(wanted).items():
            problems.append(
                f"writeback.salesforce.{obj}: fields missing in the org: {', '.join(fields)}; "
                "create them in Setup > Object Manager or change the names"
            )
    if problems:
        raise ConfigError([f"live check: {line}" for line in problems])
