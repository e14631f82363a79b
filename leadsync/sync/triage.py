"""The admin's side of the error queue: list open entries, retry them, dismiss them.

The CLI (`leadsync errors`) and the console call these; every change is audited in the same
transaction. A retry makes an entry due now: the next cycle ingests an ingest entry again from
its stored payload and decides a decide entry's person again; an apply entry's failed outbox
row goes back to `pending` at once, so the next `leadsync apply` or cycle sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadsync.errors import UsageError
from leadsync.sync import audit
from leadsync.sync.errorq import RETRY_POLICY, TYPES, open_errors, requeue_writes, type_of
from leadsync.sync.schema import ErrorRow, PersonRow


def check_type(type_: str | None) -> None:
    if type_ is not None and type_ not in TYPES:
        raise UsageError(f"no error type {type_!r}; the types are: {', '.join(TYPES)}")


def entries(session: Session, *, type_: str | None = None) -> list[ErrorRow]:
    """Open entries (unresolved, not dismissed), oldest first, optionally of one type."""
    check_type(type_)
    found = open_errors(session)
    return [e for e in found if type_ is None or type_of(e.code) == type_]


def view(entry: ErrorRow) -> dict[str, Any]:
    """What an admin sees of an entry (the CLI's --json, the console's rows)."""
    written = sorted((entry.payload or {}).get("properties") or {})
    return {
        "id": entry.id, "created_at": entry.created_at, "type": type_of(entry.code),
        "code": entry.code, "system": entry.system, "stage": entry.stage,
        "record": entry.record, "email": entry.email, "field": entry.field,
        "properties": written, "message": entry.message, "hint": entry.hint,
        "retry": entry.retry, "retry_policy": RETRY_POLICY.get(entry.retry, entry.retry),
        "attempts": entry.attempts, "next_retry_at": entry.next_retry_at, "run_id": entry.run_id,
    }  # fmt: skip


def retry(
    session: Session, *, entry_id: int | None = None, type_: str | None = None, actor: str,
    now: datetime,
) -> list[ErrorRow]:  # fmt: skip
    """Make the chosen open entries (one, one type, or all) due now; audited."""
    chosen = (
        [_open_entry(session, entry_id)] if entry_id is not None else entries(session, type_=type_)
    )
    for entry in chosen:
        entry.next_retry_at = now
    _decide_again(session, [e.person_id for e in chosen if e.stage == "decide"])
    requeued = requeue_writes(session, [e.payload.get("outbox_id") for e in chosen], now)
    target = f"error {entry_id}" if entry_id is not None else f"errors of type {type_ or 'any'}"
    audit.record(session, at=now, actor=actor, action="errors.retry", target=target,
                 after={"ids": [e.id for e in chosen], "requeued_writes": requeued})  # fmt: skip
    return chosen


def _decide_again(session: Session, person_ids: list[int | None]) -> None:
    """An entry from deciding a person is retried by deciding that person again."""
    wanted = [pid for pid in person_ids if pid is not None]
    if wanted:
        session.execute(update(PersonRow).where(PersonRow.id.in_(wanted)).values(dirty=True))


def dismiss(session: Session, entry_id: int, *, why: str, actor: str, now: datetime) -> ErrorRow:
    """Take an entry off the open list, with who and why; audited."""
    if not why.strip():
        raise UsageError("say why the entry is dismissed: --why TEXT")
    entry = _open_entry(session, entry_id)
    entry.dismissed_at, entry.dismissed_by, entry.dismissed_why = now, actor, why
    audit.record(session, at=now, actor=actor, action="errors.dismiss", target=f"error {entry.id}",
                 before={"code": entry.code, "record": entry.record, "email": entry.email,
                         "message": entry.message}, why=why)  # fmt: skip
    return entry


def _open_entry(session: Session, entry_id: int) -> ErrorRow:
    entry = session.scalars(select(ErrorRow).where(ErrorRow.id == entry_id)).first()
    if entry is None:
        raise UsageError(f"no error-queue entry {entry_id}; `leadsync errors` lists the open ones")
    if entry.resolved_at is not None or entry.dismissed_at is not None:
        state = "resolved" if entry.resolved_at is not None else "dismissed"
        when = entry.resolved_at or entry.dismissed_at
        raise UsageError(f"error-queue entry {entry_id} is already {state} ({when:%Y-%m-%d %H:%M})")
    return entry
