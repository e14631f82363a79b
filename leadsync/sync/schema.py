"""The local store's tables (SQLAlchemy 2). Migrations in `sync/migrations` create them.

Timestamps are stored as timezone-aware UTC. JSON columns hold explanations, snapshots and
payloads. The stage ledger is append-only: nothing in leadsync updates or deletes its rows,
and the migration adds database triggers that refuse it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out: SQLite forgets the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: leadsync stores aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UtcDateTime(), dict[str, Any]: JSON}


def new_uid() -> str:
    return uuid.uuid4().hex


class PersonRow(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # leadsync's own id for the person: the External ID of the records it creates for them.
    uid: Mapped[str | None] = mapped_column(String(32), index=True, unique=True, default=new_uid)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Per field, the record its value came from (see `mapping.sources`).
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    stage: Mapped[str | None] = mapped_column(String(32), index=True)
    stage_since: Mapped[datetime | None]
    disqualified_at: Mapped[datetime | None]
    duplicate_flag: Mapped[str | None] = mapped_column(String(200))
    dirty: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LinkRow(Base):
    """A person's record in one CRM, with the last values pulled from it."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("kind", "record_id"),
        Index("ix_links_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When leadsync first saw each stage property's current value (ISO), so a change made
    # just before leadsync's last decision but pulled after it still counts as news.
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    modified_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(default=False)


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EventShapeRow(Base):
    """One distinct (kind, attributes) of the stored events: what an event pack names."""

    __tablename__ = "event_shapes"
    __table_args__ = (UniqueConstraint("digest", name="uq_event_shapes_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of kind and attributes: attributes (a page's URL, say) may be too long to index.
    digest: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[str] = mapped_column(Text)  # JSON text, as the events table holds it


class EventPackRow(Base):
    """A person's events as the scoring kernel reads them (`sync.event_packs`): their times
    and shapes as packed arrays, in event order. A cache of the events table, trusted only
    for a person who is not `dirty`: whatever stores an event marks its person dirty, and
    the decide step that clears the mark rewrites the pack."""

    __tablename__ = "event_packs"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    through: Mapped[int] = mapped_column(Integer)  # the newest event id packed
    count: Mapped[int] = mapped_column(Integer)
    times: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian int64 µs since the epoch
    shapes: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian int32 `event_shapes.id`


class ScoreRow(Base):
    __tablename__ = "scores"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    fit: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(4))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime]
    rules_version: Mapped[str] = mapped_column(String(64), default="")
    # The config revision the score was computed with (`config_revisions.id`).
    revision_id: Mapped[int | None]


# The cause of ledger entries rebuilt from the CRMs' own dates at backfill (`sync.history`):
# the past, never written to a CRM and never what a decision goes on from.
HISTORY_CAUSE = "history"


class LedgerRow(Base):
    """Append-only: one row per change of canonical stage."""

    __tablename__ = "stage_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    rule_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=list)
    score: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The config revision that made the move, so a bad revision's moves can be found and undone.
    revision_id: Mapped[int | None] = mapped_column(index=True)


class CursorRow(Base):
    """How far a stream has been read: closed lower bound plus the last id at it."""

    __tablename__ = "cursors"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    position_at: Mapped[datetime | None]
    position_id: Mapped[str | None] = mapped_column(String(64))
    # The end of the last read: records modified shortly before it may have been invisible
    # then (index lag), so only that stretch is ever read again.
    read_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class BackfillWindowRow(Base):
    """A backfill window: begun, with the last committed position; finished when stamped.

    `--resume` skips finished windows and reads an unfinished one from its checkpoint.
    """

    __tablename__ = "backfill_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    stream: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime | None]
    end: Mapped[datetime]
    records: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    checkpoint_at: Mapped[datetime | None]
    checkpoint_id: Mapped[str | None] = mapped_column(String(64))
    # An opaque paging token, for reads in the CRM's own order (see `RawRecord.resume`).
    checkpoint_token: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("system", "stream", "start", "end"),)


class OutboxRow(Base):
    """A planned write, stored in the transaction that stores the new canonical state."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_system", "state", "system"),
        Index("ix_outbox_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    system: Mapped[str] = mapped_column(String(16))
    obj: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    clear_first: Mapped[dict[str, Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EchoRow(Base):
    """What leadsync last wrote to a record's property, to recognise it when it comes back."""

    __tablename__ = "echoes"
    __table_args__ = (Index("ix_echoes_record_id", "record_id"),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    prop: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    written_at: Mapped[datetime]


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)


class ErrorRow(Base):
    """The error queue: a record that failed, why, and whether retrying may help."""

    __tablename__ = "error_queue"
    __table_args__ = (Index("ix_error_queue_open", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    system: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    record: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    retry: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # What an admin needs to act: whose record, which field, what to do, when it is tried again.
    email: Mapped[str | None] = mapped_column(String(320))
    field: Mapped[str | None] = mapped_column(String(200))
    hint: Mapped[str | None] = mapped_column(Text)
    # Empty: waits for a fix (or `leadsync errors retry`).
    next_retry_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    dismissed_by: Mapped[str | None] = mapped_column(String(200))
    dismissed_why: Mapped[str | None] = mapped_column(Text)


class RevisionRow(Base):
    """A config text that runs used: stored once per content, and again by each rollback.

    `generation` is 0 the first time a text is seen; a rollback to it stores it again with the
    next generation, so history shows the rollback as a revision of its own.
    """

    __tablename__ = "config_revisions"
    __table_args__ = (UniqueConstraint("hash", "generation", name="uq_config_revisions_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")


class OpportunityRow(Base):
    """A deal in the sales CRM (`mapping.catalog.Deals`): stage evidence for the people tied to it."""

    __tablename__ = "opportunities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage_name: Mapped[str | None] = mapped_column(String(255))
    is_closed: Mapped[bool] = mapped_column(default=False)
    is_won: Mapped[bool] = mapped_column(default=False)
    close_date: Mapped[str | None] = mapped_column(String(10))
    modified_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(default=False)
    # The CRM's own creation time: when the people tied to it entered the opportunity stage
    # (funnel history, `sync.history`; migration 0007).
    created_at: Mapped[datetime | None]


class OpportunityRoleRow(Base):
    """Ties an Opportunity to a Contact (OpportunityContactRole) or a converted Lead."""

    __tablename__ = "opportunity_roles"
    __table_args__ = (Index("ix_opportunity_roles_record", "record_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(default=False)


class AuditRow(Base):
    """Who changed what, when, from what to what, and why: one row per admin action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text, default="")


class ConsoleUserRow(Base):
    """A console account: argon2 password hash and one role (viewer, editor, owner)."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


# --- push: webhooks and change events (issue 18) -------------------------------------------


class PushEventRow(Base):
    """One notification a CRM pushed, queued durably before it is answered.

    `(source, event_id)` is unique: a CRM's retries and duplicates carry the same event id,
    so a second delivery is recognised and processed no more. `state`: pending, done, failed.
    """

    __tablename__ = "push_events"
    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_push_events_source_event"),
        Index("ix_push_events_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PushChannelRow(Base):
    """One push channel (a CRM's webhooks, a change-event topic): when it last proved
    itself, and where a subscription resumes (`replay_id`)."""

    __tablename__ = "push_channels"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_verified_at: Mapped[datetime | None]
    replay_id: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]


# --- shadow mode (`[scoring] shadow`): a candidate config's decisions, kept apart -------------
# Nothing here is ever planned, written to a CRM or read by the live decide step.


class ShadowCandidateRow(Base):
    """A candidate config shadow mode has run, once per content; `since` is its first run."""

    __tablename__ = "shadow_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    last_run_at: Mapped[datetime]


class ShadowDecisionRow(Base):
    """A person's latest decision by a candidate, beside the live stage of the same cycle.

    One row per candidate and person, overwritten each time the person is decided (a nightly
    rescore of everyone would otherwise add a row per person per night); `trail` is the
    candidate's last stage move, which the next decision starts from.
    """

    __tablename__ = "shadow_decisions"
    __table_args__ = (
        UniqueConstraint("candidate_id", "person_id", name="uq_shadow_decisions_person"),
        Index("ix_shadow_decisions_decided", "candidate_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("shadow_candidates.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    run_id: Mapped[int | None]
    decided_at: Mapped[datetime]
    stage: Mapped[str] = mapped_column(String(32))
    live_stage: Mapped[str | None] = mapped_column(String(32))
    fit: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    live_total: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text, default="")
    trail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ShadowMoveRow(Base):
    """Append-only: a stage move the candidate made (its ledger, never the live one)."""

    __tablename__ = "shadow_moves"
    __table_args__ = (Index("ix_shadow_moves_candidate", "candidate_id", "to_stage", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("shadow_candidates.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    run_id: Mapped[int | None]
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    rule_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=list)
    score: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    live_stage: Mapped[str | None] = mapped_column(String(32))
