"""The durable queue of pushed notifications: stored before the push is answered.

A notification is answered only once its row is committed, so an answered push is never lost;
the unique `(source, event_id)` makes a redelivery (a retry, a duplicate) a no-op. The worker
takes the pending rows under the cycle lock, so no two processes work the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
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


@dataclass
class Claimed:
    ids: list[int]
    records: list[str]
    converted: bool


def enqueue(session: Session, source: str, notices: Iterable[Notice], now: datetime) -> int:
    """Store the notices not stored yet; return how many were new. Also marks the channel as
    verified at `now` (the caller checked the request)."""
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
            "payload": {"records": list(n.records), "converted": n.converted},
        }
        for n in notices
    }
    new = insert_new(session, PushEventRow.__table__, list(rows.values()),
                     ["source", "event_id"], returning=["id"])  # fmt: skip
    mark_verified(session, source, now)
    return len(new)


def mark_verified(session: Session, channel: str, now: datetime) -> None:
    upsert(session, PushChannelRow.__table__,
           [{"name": channel, "last_verified_at": now, "updated_at": now}], ["name"])  # fmt: skip


def pending(session: Session, source: str) -> Claimed:
    """The pending notices of `source` (up to `BATCH`), folded into one mini-cycle's work."""
    rows = session.execute(
        select(PushEventRow.id, PushEventRow.payload)
        .where(PushEventRow.source == source, PushEventRow.state == PENDING)
        .order_by(PushEventRow.id)
        .limit(BATCH)
    ).all()
    records = dict.fromkeys(r for _, payload in rows for r in (payload or {}).get("records", []))
    converted = any((payload or {}).get("converted") for _, payload in rows)
    return Claimed([row_id for row_id, _ in rows], list(records), converted)


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
