"""The `[stages]`, `[fields]` and `[writeback]` config sections, and their cross-checks.

The file overrides the shipped defaults per vocabulary (`[stages.<system>.<property>]`) and per
field (`[fields.<system>.<object>.<canonical>]`); what it does not name keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import (
    CANONICAL_FIELDS,
    OUTPUTS,
    FieldMap,
    default_field_maps,
    default_outbound,
)
from leadsync.mapping.model import Stage
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Vocabulary, default_vocabularies, written_stages
from leadsync.mapping.transforms import TRANSFORMS
from leadsync.sync.config_errors import did_you_mean

IGNORE = "ignore"
STAGE_NAMES = [s.value for s in Stage]


class VocabularyConfig(BaseModel):
    """One CRM property's stage vocabulary. Inbound values map to a stage or "ignore"."""

    model_config = ConfigDict(extra="forbid")

    object: str
    primary: bool = True
    enabled: bool = True
    release: str | None = None
    forward_only: bool = False
    inbound: dict[str, str]
    outbound: dict[str, str] = Field(default_factory=dict)


class FieldMapConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    transform: str = "text"
    values: dict[str, str] | None = None
    default: str | None = None
    range: Literal["low", "mid", "high"] | None = None

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        if self.values is not None:
            opts["values"] = self.values
        if self.default is not None:
            opts["default"] = self.default
        if self.range is not None:
            opts["range"] = self.range
        return opts


StagesConfig = dict[str, dict[str, VocabularyConfig]]


class SourceRuleConfig(BaseModel):
    """`[sources.<field>]`: prefer = "<crm>" | always = "<crm>" | most_recent = true,
    with an optional `ignore = [systems]`."""

    model_config = ConfigDict(extra="forbid")

    prefer: str | None = None
    always: str | None = None
    most_recent: bool = False
    ignore: list[str] = Field(default_factory=list)

    def rule(self) -> SourceRule:
        kind = "always" if self.always else "most_recent" if self.most_recent else "prefer"
        system = self.always or (None if self.most_recent else self.prefer)
        return SourceRule(kind, system, frozenset(self.ignore))  # type: ignore[arg-type]


def _check_sources(sources: Mapping[str, SourceRuleConfig]) -> list[str]:
    problems = []
    for name, cfg in sources.items():
        where = f"sources.{name}"
        if name != "default" and name not in CANONICAL_FIELDS:
            problems.append(f"{where}: {name!r} is not a canonical field"
                            f"{did_you_mean(name, CANONICAL_FIELDS)}; or use 'default'")  # fmt: skip
        given = [k for k in ("prefer", "always") if getattr(cfg, k)] + (
            ["most_recent"] if cfg.most_recent else []
        )
        if len(given) != 1:
            problems.append(f"{where}: set exactly one of prefer, always or most_recent")
        for system in [cfg.prefer, cfg.always, *cfg.ignore]:
            if system is not None and system not in list(catalog().systems):
                problems.append(f"{where}: {system!r} is not a system; use one of: "
                                f"{', '.join(list(catalog().systems))}{did_you_mean(system, list(catalog().systems))}")  # fmt: skip
    return problems


def build_source_rules(
    sources: Mapping[str, SourceRuleConfig],
) -> tuple[dict[str, SourceRule], SourceRule]:
    """Per-field rules and the default rule, from a config that passed `check_mapping`."""
    rules = {name: cfg.rule() for name, cfg in sources.items() if name != "default"}
    default = sources["default"].rule() if "default" in sources else DEFAULT_RULE
    return rules, default


def vocabulary_config(vocab: Vocabulary) -> VocabularyConfig:
    """The config form of a shipped vocabulary (for `config.example.toml` and `mapping show`)."""
    return VocabularyConfig(
        object=vocab.obj,
        primary=vocab.primary,
        release=vocab.release,
        forward_only=vocab.forward_only,
        inbound={k: (v.value if v else IGNORE) for k, v in vocab.inbound.items()},
        outbound={k.value: v for k, v in vocab.outbound.items()},
    )


def _defaults() -> dict[tuple[str, str], VocabularyConfig]:
    return {(v.system, v.prop): vocabulary_config(v) for v in default_vocabularies()}


def _objects(system: str) -> str:
    decl = catalog().declarations.get(system)
    names = (
        [*(p.obj for p in decl.people), *([decl.deals.obj] if decl.deals else [])] if decl else []
    )
    return ", ".join(f'"{name}"' for name in names) or "its objects"


def _check_vocabulary(system: str, prop: str, cfg: VocabularyConfig) -> list[str]:
    where = f"stages.{system}.{prop}"
    problems = []
    if not cfg.object.strip():
        problems.append(
            f"{where}.object: empty; name the CRM object that holds {prop} (one of "
            f"{_objects(system)}), or set enabled = false to turn the vocabulary off"
        )
    for value, stage in cfg.inbound.items():
        if stage not in STAGE_NAMES and stage != IGNORE:
            problems.append(
                f"{where}.inbound.{value}: {stage!r} is not a stage; use one of: "
                f"{', '.join(STAGE_NAMES)}, or {IGNORE!r}"
                f"{did_you_mean(stage, [*STAGE_NAMES, IGNORE])}"
            )
    for stage, value in cfg.outbound.items():
        if stage not in STAGE_NAMES:
            problems.append(
                f"{where}.outbound.{stage}: {stage!r} is not a stage; use one of: "
                f"{', '.join(STAGE_NAMES)}{did_you_mean(stage, STAGE_NAMES)}"
            )
        elif value not in cfg.inbound:
            problems.append(
                f"{where}.outbound.{stage}: {value!r} is not among the inbound values, so "
                f"leadsync could not read back its own write; add it to {where}.inbound"
            )
    if cfg.primary and system in list(catalog().systems):
        for stage in sorted(written_stages(system), key=lambda s: s.rank):
            if stage.value not in cfg.outbound:
                problems.append(
                    f"{where}.outbound: canonical stage {stage.value!r} has no outbound value; "
                    f'add {where}.outbound.{stage.value} = "<{prop} value>"'
                )
    return problems


def effective_stage_configs(stages: StagesConfig) -> dict[tuple[str, str], VocabularyConfig]:
    merged = _defaults()
    for system, props in stages.items():
        for prop, cfg in props.items():
            merged[(system, prop)] = cfg
    return {key: cfg for key, cfg in merged.items() if cfg.enabled}


def _check_fields(fields: Mapping[str, Mapping[str, Mapping[str, FieldMapConfig]]]) -> list[str]:
    problems = []
    for system, objects in fields.items():
        if system not in list(catalog().systems):
            problems.append(
                f"fields.{system}: unknown system{did_you_mean(system, list(catalog().systems))}; use one of: "
                f"{', '.join(list(catalog().systems))}"
            )
        for obj, maps in objects.items():
            for canonical, fmap in maps.items():
                where = f"fields.{system}.{obj}.{canonical}"
                if canonical not in CANONICAL_FIELDS:
                    problems.append(
                        f"{where}: {canonical!r} is not a canonical field"
                        f"{did_you_mean(canonical, CANONICAL_FIELDS)}; known: "
                        f"{', '.join(CANONICAL_FIELDS)}"
                    )
                if fmap.transform not in TRANSFORMS:
                    problems.append(
                        f"{where}.transform: {fmap.transform!r} is not a transform"
                        f"{did_you_mean(fmap.transform, TRANSFORMS)}; use one of: "
                        f"{', '.join(TRANSFORMS)}"
                    )
                elif fmap.transform == "picklist" and not fmap.values:
                    problems.append(f"{where}.values: a picklist transform needs a values table")
    return problems


def check_mapping(
    stages: StagesConfig, fields: Mapping[str, Any],
    sources: Mapping[str, SourceRuleConfig] | None = None,
) -> list[str]:  # fmt: skip
    """Cross-checks pydantic cannot express; one line per problem (without the file name)."""
    problems = _check_sources(sources or {})
    for system in stages:
        if system not in list(catalog().systems):
            problems.append(
                f"stages.{system}: unknown system{did_you_mean(system, list(catalog().systems))}; use one of: "
                f"{', '.join(list(catalog().systems))}"
            )
    for (system, prop), cfg in effective_stage_configs(stages).items():
        problems += _check_vocabulary(system, prop, cfg)
    return problems + _check_fields(fields)


def build_vocabularies(stages: StagesConfig) -> tuple[Vocabulary, ...]:
    """Vocabularies from a config that passed `check_mapping`."""
    return tuple(
        Vocabulary(
            system=system,
            obj=cfg.object,
            prop=prop,
            inbound={k: (None if v == IGNORE else Stage(v)) for k, v in cfg.inbound.items()},
            outbound={Stage(k): v for k, v in cfg.outbound.items()},
            primary=cfg.primary,
            release=cfg.release,
            forward_only=cfg.forward_only,
        )
        for (system, prop), cfg in effective_stage_configs(stages).items()
    )


def build_field_maps(
    fields: Mapping[str, Mapping[str, Mapping[str, FieldMapConfig]]],
) -> dict[tuple[str, str], tuple[FieldMap, ...]]:
    """Shipped field maps with the config's per-field overrides applied."""
    merged = {
        key: {m.canonical + "/" + m.source: m for m in maps}
        for key, maps in default_field_maps().items()
    }
    for system, objects in fields.items():
        for obj, maps in objects.items():
            table = merged.setdefault((system, obj), {})
            for canonical in maps:
                for key in [k for k in table if k.split("/")[0] == canonical]:
                    del table[key]
            for canonical, cfg in maps.items():
                table[canonical + "/" + cfg.source] = FieldMap(
                    canonical, cfg.source, cfg.transform, cfg.options()
                )
    return {key: tuple(table.values()) for key, table in merged.items()}


def build_outbound(
    writeback: Mapping[str, Mapping[str, Mapping[str, str]]],
) -> dict[tuple[str, str], dict[str, str]]:
    merged = {key: dict(names) for key, names in default_outbound().items()}
    for system, objects in writeback.items():
        for obj, names in objects.items():
            merged.setdefault((system, obj), {}).update(names)
    return merged


def check_writeback(writeback: Mapping[str, Mapping[str, Mapping[str, str]]]) -> list[str]:
    problems = []
    for system, objects in writeback.items():
        for obj, names in objects.items():
            for output in names:
                if output not in OUTPUTS:
                    problems.append(
                        f"writeback.{system}.{obj}.{output}: unknown output"
                        f"{did_you_mean(output, OUTPUTS)}; use one of: {', '.join(OUTPUTS)}"
                    )
    return problems
