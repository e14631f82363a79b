"""Raw CRM records -> canonical stage evidence; the values engagement readers share.

Pure: takes plain values, returns canonical ones, raises `MappingError` for a value the mapping
cannot place (the record goes to the error queue; the run goes on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from leadsync.errors import MappingError
from leadsync.mapping.model import EngagementEvent, Stage, StageEvidence
from leadsync.mapping.stages import Vocabulary
from leadsync.mapping.transforms import timestamp


@dataclass(frozen=True, slots=True)
class PersonRef:
    """How an engagement record names its person: a CRM record or an email."""

    kind: str | None  # a link kind (see `mapping.catalog`); None: `value` is an email
    value: str


@dataclass(frozen=True, slots=True)
class Engagement:
    """An event and the person it belongs to (resolved by `sync`)."""

    refs: tuple[PersonRef, ...]
    event: EngagementEvent


@dataclass(frozen=True, slots=True)
class Seen:
    """A stage property's current value: when the CRM says it was set, when leadsync first had it."""

    at: datetime
    known: datetime
    actor: str = ""  # who set it, as the CRM names them ("" when it does not say)
    human: bool = True  # False when an integration user set it, not a person


def value_set_at(vocab: Vocabulary, data: Mapping[str, Any], fallback: datetime) -> datetime:
    """The CRM's own time for the current value of `vocab.prop`, else `fallback`."""
    prop = vocab.stamp_prop(str(data.get(vocab.prop)))
    if prop is None or data.get(prop) in (None, ""):
        return fallback
    try:
        return timestamp(data[prop], {}) or fallback
    except ValueError:
        return fallback


def check_stage_values(
    vocabularies: Iterable[Vocabulary], system: str, obj: str, data: Mapping[str, Any],
    *, record: str,
) -> None:  # fmt: skip
    """Raise `MappingError` for a stage value no vocabulary knows; what ingest checks (the
    evidence itself is made once, when deciding, from the stored record)."""
    for vocab in vocabularies:
        value = data.get(vocab.prop)
        if vocab.system == system and vocab.obj == obj and value not in (None, ""):
            _canonical(vocab, value, record)


def _canonical(vocab: Vocabulary, value: Any, record: str) -> Stage | None:
    try:
        return vocab.to_canonical(str(value))
    except KeyError:
        known = ", ".join(vocab.inbound)
        raise MappingError(
            f"{record}: {vocab.prop} = {value!r} is not in the stage vocabulary "
            f"stages.{vocab.system}.{vocab.prop} (known: {known}); add it to the config's "
            "inbound table",
            record=record,
            field=vocab.prop,
        ) from None


def stage_evidence(
    vocabularies: Iterable[Vocabulary],
    system: str,
    obj: str,
    data: Mapping[str, Any],
    *,
    record: str,
    observed_at: datetime,
    echoes: Mapping[str, str | None] | None = None,
    include_silent: bool = False,
    seen: Mapping[str, Seen] | None = None,
) -> list[StageEvidence]:
    """What one record says about the stage, one item per vocabulary with an opinion.

    A value equal to what leadsync last wrote to that property (`echoes`) is its own write
    coming back, not evidence. An unknown value raises `MappingError` naming record and field.
    `include_silent` also returns values mapped to no stage (stage None, e.g. "Closed Lost"),
    which recycle rules read. `observed_at` is the record's modification time; `seen` gives,
    per property, when its value was set and first pulled (see `Seen`).
    """
    found = []
    for vocab in vocabularies:
        if vocab.system != system or vocab.obj != obj or vocab.prop not in data:
            continue
        value = data[vocab.prop]
        if value in (None, ""):
            continue
        if echoes is not None and echoes.get(vocab.prop) == str(value):
            continue
        stage = _canonical(vocab, value, record)
        if stage is not None or include_silent:
            # Not leadsync's own write (echoes are skipped above), so a person in the CRM.
            when = (seen or {}).get(vocab.prop)
            at = when.at if when else value_set_at(vocab, data, observed_at)
            known = when.known if when else None
            human, actor = (when.human, when.actor or "user") if when else (True, "user")
            found.append(StageEvidence(system, stage, str(value), at, human, actor, known))
    return found


def url_attributes(url: str) -> dict[str, str]:
    attrs = {"url": url}
    parts = urlsplit(url)
    attrs["path"] = parts.path or "/"
    for key, values in parse_qs(parts.query).items():
        if key.startswith("utm_") and values:
            attrs[key] = values[0]
    return attrs


def when_of(value: Any, record: str) -> datetime:
    try:
        moment = timestamp(value, {})
    except ValueError as exc:
        raise MappingError(f"{record}: {exc}", record=record, field="timestamp") from None
    if moment is None:
        raise MappingError(f"{record}: no timestamp", record=record, field="timestamp")
    return moment
