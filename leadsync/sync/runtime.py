"""Everything one run needs, compiled once from the config: store, mapping, rules, clock."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import ConfigError
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.sources import DEFAULT_RULE, SourceRule
from leadsync.mapping.stages import Vocabulary
from leadsync.scoring.compile import Ruleset, compile_rules
from leadsync.scoring.kernel import Kernel
from leadsync.sync import audit, revisions
from leadsync.sync.chunk_scores import kernel_of
from leadsync.sync.config import Settings
from leadsync.sync.config_mapping import (
    build_field_maps,
    build_outbound,
    build_source_rules,
    build_vocabularies,
)
from leadsync.sync.ingest import Mapping_
from leadsync.sync.store import open_reader, open_store

CLOCK_ENV = "LEADSYNC_NOW"


def utc_now() -> datetime:
    """The current time, or the fixed instant in $LEADSYNC_NOW (ISO 8601) for exact replays."""
    fixed = os.environ.get(CLOCK_ENV)
    return fixed_now(fixed) if fixed else datetime.now(UTC)


def fixed_now(text: str) -> datetime:
    """$LEADSYNC_NOW: an ISO 8601 instant with its offset, or a clear error."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{CLOCK_ENV}={text!r} is not an ISO 8601 date and time; use e.g. "
            "2026-11-01T00:00:00+00:00, or unset it to run at the current time"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(
            f"{CLOCK_ENV}={text!r} has no UTC offset, so the instant is ambiguous; add one, "
            f"e.g. {moment.isoformat()}+00:00"
        )
    return moment


@dataclass
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    vocabularies: tuple[Vocabulary, ...]
    field_maps: Mapping[tuple[str, str], tuple[FieldMap, ...]]
    outbound: Mapping[tuple[str, str], Mapping[str, str]]
    rules: Ruleset
    clock: Callable[[], datetime] = field(default=utc_now)
    # Which CRM a canonical field's value comes from: per field, and for the rest.
    source_rules: Mapping[str, SourceRule] = field(default_factory=dict)
    default_source: SourceRule = DEFAULT_RULE
    # Sessions that only read and take no lock (see `store.open_reader`); None: `sessions`.
    readers: sessionmaker[Session] | None = None

    @property
    def reading(self) -> sessionmaker[Session]:
        return self.readers or self.sessions

    def close(self) -> None:
        """Close the store's connection pools (a long-running scheduler builds one per job)."""
        for made in (self.sessions, self.readers):
            if made is not None:
                made.kw["bind"].dispose()

    # The config revision this run uses (None only for settings built in code, not from a file).
    revision_id: int | None = None
    # `rules` compiled for columns (`scoring.kernel`); None: the engine scores them.
    kernel: Kernel | None = None

    @property
    def mapping(self) -> Mapping_:
        return Mapping_(self.field_maps, self.vocabularies, self.settings.sync.on_duplicate_email,
                        self.source_rules, self.default_source)  # fmt: skip


# Only the configured CRMs': an installed connector without a table is not synced.
def configured(table: Mapping[tuple[str, str], Any], settings: Settings) -> dict:
    return {key: value for key, value in table.items() if key[0] in settings.connectors}


def configured_vocabularies(settings: Settings) -> tuple[Any, ...]:
    return tuple(v for v in build_vocabularies(settings.stages) if v.system in settings.connectors)


def build_runtime(
    settings: Settings, clock: Callable[[], datetime] = utc_now, *, why: str = "",
    actor: str | None = None,
) -> Runtime:  # fmt: skip
    """Open (and migrate) the store, compile mapping and rules, and record the config revision.

    `why` explains the config (see `revisions.record_revision`); `actor` defaults to the shell user.
    """
    sessions = open_store(settings.database_url)
    source_rules, default_source = build_source_rules(settings.sources)
    return Runtime(
        settings=settings,
        sessions=sessions,
        vocabularies=configured_vocabularies(settings),
        field_maps=configured(build_field_maps(settings.fields), settings),
        outbound=configured(build_outbound(settings.writeback), settings),
        rules=compile_rules(settings.rules),
        kernel=kernel_of(settings.rules),
        clock=clock,
        source_rules=source_rules,
        default_source=default_source,
        readers=open_reader(settings.database_url),
        revision_id=_revision(sessions, settings, clock(), why, actor),
    )


def _revision(
    sessions: sessionmaker[Session], settings: Settings, at: datetime, why: str, actor: str | None
) -> int | None:
    if settings.source is None:
        return None
    with sessions.begin() as session:
        row = revisions.record_revision(session, path=settings.source.path,
                                        text=settings.source.text, why=why, at=at,
                                        actor=actor or audit.shell_actor())  # fmt: skip
        session.flush()
        return row.id
