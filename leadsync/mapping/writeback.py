"""What one CRM record should hold for a person, minus what it already holds.

Pure: the plan step of the cycle calls `Planner.plan` per linked record and writes the
result to the outbox. Values equal to what the CRM holds are left out, so a second cycle with
nothing new plans nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import Stage, System
from leadsync.mapping.stages import Vocabulary, written_stages


@dataclass(frozen=True, slots=True)
class Outputs:
    """The canonical values leadsync writes back for one person."""

    stage: Stage
    fit: float
    engagement: float
    total: float
    grade: str
    reasons: str


@dataclass(frozen=True, slots=True)
class Planned:
    properties: dict[str, Any]
    clear_first: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.properties)


def _number(value: float) -> float | int:
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def crm_encoder(system: System) -> Callable[[Any], Any]:
    """Values as `system` takes them: text for a CRM whose properties are all strings, else
    JSON types; numbers to a tenth. Its catalog entry is looked up once."""
    text = system in catalog() and catalog()[system].text_values

    def encode(value: Any) -> Any:
        if isinstance(value, float):
            value = _number(value)
        return as_text(value) if text else value

    return encode


def as_text(value: Any) -> str:
    """A value for a CRM that takes every property as text: None clears like "", booleans
    are "true"/"false" (what text checkboxes hold), the rest as Python prints them.
    The one place this encoding lives: planning compares with it, connectors send it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_value(held: Any, wanted: Any) -> bool:
    """Equal as the CRM sees it: "42" == 42 == 42.0, None == ""."""
    if held == wanted and held is not None:  # most of what a rescore compares: no parsing
        return True
    if held in (None, "") and wanted in (None, ""):
        return True
    if held is None:  # what `float(None)` would come to, without raising per property
        return str(wanted) == "None"
    try:
        return float(held) == float(wanted)
    except (TypeError, ValueError):
        return str(held) == str(wanted)


def _asserts_other_stage(vocab: Vocabulary, current: Any, stage: Stage) -> bool:
    """A secondary property still asserting a stage the person left (e.g. UNQUALIFIED)."""
    if vocab.primary or not current or not vocab.release:
        return False
    return vocab.inbound.get(str(current)) not in (None, stage)


def _stage_values(
    vocabularies: Sequence[Vocabulary],
    written: frozenset[Stage],
    stage: Stage,
    held: Mapping[str, Any],
) -> tuple[dict[str, str], tuple[str, ...]]:
    values: dict[str, str] = {}
    clear: list[str] = []
    for vocab in vocabularies:
        current = held.get(vocab.prop)
        wanted = vocab.to_system(stage) if stage in written else None
        if wanted is None and _asserts_other_stage(vocab, current, stage):
            wanted = vocab.release
        if wanted is None or same_value(current, wanted):
            continue
        values[vocab.prop] = wanted
        if vocab.is_backward_write(current, wanted):
            clear.append(vocab.prop)
    return values, tuple(clear)


@dataclass(frozen=True, slots=True)
class Planner:
    """What to write to the records of one CRM object: its stage vocabularies, the names of
    its write-back properties, the stages it may be sent and how its values are encoded,
    looked up once for every record planned (a rescore plans one or two per person)."""

    vocabularies: tuple[Vocabulary, ...]
    written: frozenset[Stage]
    names: tuple[tuple[str, str], ...]  # (canonical output, CRM property)
    encode: Callable[[Any], Any]

    @classmethod
    def of(
        cls, *, system: System, obj: str, vocabularies: Iterable[Vocabulary],
        names: Mapping[str, str],
    ) -> Planner:  # fmt: skip
        mine = tuple(v for v in vocabularies if v.system == system and v.obj == obj)
        return cls(mine, written_stages(system), tuple(names.items()), crm_encoder(system))

    def plan(self, outputs: Outputs, held: Mapping[str, Any]) -> Planned:
        """Properties to write to one record (`held` = what it holds now), and which to clear
        first."""
        stages, clear = _stage_values(self.vocabularies, self.written, outputs.stage, held)
        encode = self.encode
        values: dict[str, Any] = {k: encode(v) for k, v in stages.items()}
        for output, prop in self.names:
            wanted = encode(outputs.stage.value if output == "stage" else getattr(outputs, output))
            if not same_value(held.get(prop), wanted):
                values[prop] = wanted
        return Planned(values, clear)  # `wanted` is a CRM value already: converting is idempotent
