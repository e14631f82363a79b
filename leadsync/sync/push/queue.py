"""The durable queue of pushed notifications: stored before the push is answered.

A notification is answered only once its row is committed, so an answered push is never lost;
the unique `(source, event_id)` makes a redelivery (a retry, a duplicate) a no-op. The worker
takes the pending rows under the cycle lock, so no two processes work the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from leadsync.sync.bulk import insert_new, upsert
from leadsync.sync.redact import redact
from leadsync.sync.schema import PushChannelRow, PushEventRow
from leadsync.sync.values import first_line

PENDING, DONE, FAILED = "pending", "done", "failed"
BATCH = 1000


@dataclass(frozen=True, slots=True)
class Notice:
    """What a pushed event asks of a mini-cycle, whatever CRM sent it."""

    event_id: str
    kind: str
    object_id: str
    occurred_at: datetime
    records: tuple[str, ...]
    converted: bool = False
    # The stream the records belong to, and whether to read it on from its cursor as well
    # (a change too big to name its records).
    stream: str = "contacts"
    refresh: bool = False


@dataclass
class Job:
    """The pending notices of one stream, folded into one mini-cycle's work."""

    source: str
    stream: str
    ids: list[int] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    converted: bool = False
    refresh: bool = False


def enqueue(session: Session, source: str, notices: Iterable[Notice], now: datetime) -> int:
    """Store the notices not stored yet; return how many were new."""
    rows = {
        n.event_id: {
            "source": source,
            "event_id": n.event_id[:128],
            "kind": n.kind[:64],
            "object_id": n.object_id[:64],
            "occurred_at": n.occurred_at,
            "received_at": now,
            "state": PENDING,
            "attempts": 0,
            "payload": {
                "records": list(n.records),
                "converted": n.converted,
                "stream": n.stream,
                "refresh": n.refresh,
            },
        }
        for n in notices
    }
    new = insert_new(session, PushEventRow.__table__, list(rows.values()),
                     ["source", "event_id"], returning=["id"])  # fmt: skip
    return len(new)


def mark_verified(session: Session, channel: str, now: datetime) -> None:
    """`channel` just delivered something provably genuine (push health)."""
    upsert(session, PushChannelRow.__table__,
           [{"name": channel, "last_verified_at": now, "updated_at": now}], ["name"])  # fmt: skip


def pending(session: Session) -> list[Job]:
    """The oldest pending notices (up to `BATCH`), one job per source and stream."""
    rows = session.execute(
        select(PushEventRow.id, PushEventRow.source, PushEventRow.payload)
        .where(PushEventRow.state == PENDING)
        .order_by(PushEventRow.id)
        .limit(BATCH)
    ).all()
    jobs: dict[tuple[str, str], Job] = {}
    for row_id, source, payload in rows:
        payload = payload or {}
        stream = payload.get("stream") or "contacts"
        job = jobs.setdefault((source, stream), Job(source, stream))
        job.ids.append(row_id)
        job.records += [r for r in payload.get("records", []) if r not in job.records]
        job.converted = job.converted or bool(payload.get("converted"))
        job.refresh = job.refresh or bool(payload.get("refresh"))
    return list(jobs.values())


def settle_done(session: Session, ids: Sequence[int], run_id: int | None) -> None:
    if ids:
        session.execute(update(PushEventRow).where(PushEventRow.id.in_(list(ids)))
                        .values(state=DONE, run_id=run_id, error=None))  # fmt: skip


def settle_failed(session: Session, ids: Sequence[int], error: BaseException, limit: int) -> None:
    """One more failed attempt; past `limit` the rows are left to the next poll (`failed`)."""
    if not ids:
        return
    attempts = PushEventRow.attempts + 1
    session.execute(
        update(PushEventRow).where(PushEventRow.id.in_(list(ids))).values(
            attempts=attempts, error=redact(first_line(error)),
            state=case((attempts >= limit, FAILED), else_=PENDING),
        )
    )  # fmt: skip


def counts(session: Session) -> dict[str, int]:
    """Notices by state (for status and the benchmark)."""
    rows = session.execute(select(PushEventRow.state, func.count()).group_by(PushEventRow.state))
    return dict(rows.all())


def last_verified(session: Session, channel: str) -> datetime | None:
    return session.scalar(
        select(PushChannelRow.last_verified_at).where(PushChannelRow.name == channel)
    )


def save_replay(session: Session, channel: str, replay_id: bytes, now: datetime) -> None:
    """Where `channel`'s subscription resumes; stored with the events it delivered."""
    upsert(session, PushChannelRow.__table__, [{"name": channel, "replay_id": replay_id.hex(),
           "last_verified_at": now, "updated_at": now}], ["name"])  # fmt: skip


def replay_of(session: Session, channel: str) -> bytes | None:
    stored = session.scalar(select(PushChannelRow.replay_id).where(PushChannelRow.name == channel))
    return bytes.fromhex(stored) if stored else None


def forget_replay(session: Session, channel: str) -> None:
    session.execute(update(PushChannelRow).where(PushChannelRow.name == channel)
                    .values(replay_id=None))  # fmt: skip


def prune(session: Session, before: datetime) -> int:
    """Forget processed notices received before `before` (their ids no longer need guarding:
    a CRM stops retrying a delivery within a day)."""
    gone = session.execute(
        delete(PushEventRow).where(PushEventRow.state == DONE, PushEventRow.received_at < before)
    )
    return gone.rowcount or 0
