"""`leadsync mapping validate --live`: compare the config with what the CRMs actually hold.

Catches a portal's custom lifecycle stage or an org's own Lead status before a sync parks
every record that carries it, fields leadsync writes that do not exist or cannot be written,
and fields it reads that the integration user cannot see (field-level security).
"""

from __future__ import annotations

from collections.abc import Sequence

from leadsync.errors import ConfigError
from leadsync.mapping.stages import Vocabulary
from leadsync.sync.config import Settings
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.wiring import build_connectors


def vocabulary_problems(vocab: Vocabulary, crm_values: Sequence[str] | None) -> list[str]:
    where = f"stages.{vocab.system}.{vocab.prop}"
    if crm_values is None:
        return [f"{where}: {vocab.system} {vocab.obj}.{vocab.prop} is not a picklist there"]
    problems = [
        f"{where}.inbound: {value!r} exists in {vocab.system} but is not mapped; "
        f'add {where}.inbound."{value}" = "<stage or ignore>"'
        for value in crm_values
        if value not in vocab.inbound
    ]
    problems += [
        f"{where}.outbound.{stage.value}: {value!r} is not a value {vocab.system} accepts "
        f"(it has: {', '.join(crm_values)})"
        for stage, value in vocab.outbound.items()
        if value not in crm_values
    ]
    return problems


def check_live(settings: Settings, vocabularies: Sequence[Vocabulary]) -> list[str]:
    """Raise `ConfigError` listing every mismatch between config and CRMs; return warnings.

    Checks each vocabulary against the CRM's picklist, and every field and property each
    connector reads and writes (`check_fields`): hidden or missing ones a sync needs are
    errors, optional ones warnings saying what is lost.
    """
    rt = build_runtime(settings)
    connectors = build_connectors(rt)
    problems: list[str] = []
    warnings: list[str] = []
    for vocab in vocabularies:
        connector = connectors.get(vocab.system)
        if connector is None or not hasattr(connector, "options"):
            continue
        problems += vocabulary_problems(vocab, connector.options(vocab.obj, vocab.prop))
    for system, connector in connectors.items():
        if not hasattr(connector, "check_fields"):
            continue
        found = connector.check_fields(_writeback(rt, system), _stage_fields(vocabularies, system))
        problems += found.errors
        warnings += found.warnings
    if problems:
        notes = [f"(warning) {line}" for line in warnings]
        raise ConfigError([f"live check: {line}" for line in [*problems, *notes]])
    return warnings


def _writeback(rt: Runtime, system: str) -> dict[str, list[str]]:
    return {obj: list(names.values()) for (sys, obj), names in rt.outbound.items()
            if sys == system}  # fmt: skip


def _stage_fields(vocabularies: Sequence[Vocabulary], system: str) -> dict[str, list[str]]:
    """The stage properties leadsync writes (a vocabulary with outbound values) per object."""
    found: dict[str, list[str]] = {}
    for vocab in vocabularies:
        if vocab.system == system and vocab.outbound:
            found.setdefault(vocab.obj, []).append(vocab.prop)
    return found
