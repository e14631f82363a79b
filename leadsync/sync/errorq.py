"""The error queue: records that failed, with a typed reason, what to do, and when to retry.

A failure never stops the run: the record is parked here and the rest goes on. The same
record failing the same way again bumps `attempts` instead of adding a row (a dismissed entry
stays dismissed); a record that later succeeds has its open rows resolved.

Each entry's `code` has a type (what an admin filters by) and a default hint in `CODES` and
`TYPES`. Retrying: `auto` entries come due again with exponential backoff (`next_retry_at`);
`fix` and `never` entries wait until the record changes or an admin says `errors retry`.
Ingest entries are retried from their stored payload, apply entries by putting their outbox
row back to `pending`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadsync.mapping.catalog import catalog
from leadsync.sync.bulk import among
from leadsync.sync.redact import redact
from leadsync.sync.schema import ErrorRow, LinkRow, OutboxRow, PersonRow


class Retry(StrEnum):
    AUTO = "auto"  # leadsync retries it on a later cycle (e.g. its person arrives later)
    FIX = "fix"  # needs a config or data fix first; retried once the record changes
    NEVER = "never"  # recorded for the admin; nothing to retry


# What an admin does about each type of error.
TYPES: Mapping[str, str] = {
    "invalid-value": "Fix the value in the CRM record, or add it to the config key the message "
    "names; the record is retried when it changes, or now with `leadsync errors retry ID`.",
    "unknown-person": "The activity names a person leadsync has not synced yet; it is retried "
    "every cycle. If it stays, check the record it points to exists in the CRM.",
    "duplicate": "Two records share an email or key: merge them in the CRM, then retry.",
    "store-rejected": "The local database refused the record (the message says why): fix the "
    "record in the CRM; it is retried when it changes.",
    "rejected-value": "The CRM refused a value leadsync wrote (picklist, format, validation "
    "rule): align the config's writeback or the CRM field, then `leadsync errors retry ID`.",
    "field-access": "leadsync writes a field the CRM does not have or will not let it write: "
    "fix the config's writeback key or the integration user's field permissions, then retry.",
    "record-gone": "The record was deleted or merged in the CRM; dismiss the entry, or restore "
    "the record and retry.",
    "converted-lead": "The Lead was converted and is read-only; leadsync writes its Contact "
    "once it has pulled the conversion. Retry after the next sync.",
    "unavailable": "The CRM was busy, limited or down; retried automatically with backoff.",
    "rejected": "The CRM refused the write (the message says why): fix the record or the "
    "config, then `leadsync errors retry ID`.",
}

# Error code -> type: leadsync's own codes and the common ones; each connector adds its CRM's
# own codes (`Declaration.error_codes`).
CODES: Mapping[str, str] = {
    "INVALID_VALUE": "invalid-value",
    "UNMAPPED_VALUE": "invalid-value",  # a stored value a config edit left unmapped
    "UNKNOWN_PERSON": "unknown-person",
    "DUPLICATE_EMAIL": "duplicate",
    "CONFLICT": "duplicate",
    "STORE_REJECTED": "store-rejected",
    # The External ID field idempotent creates need is missing and cannot be made by leadsync.
    "EXTERNAL_ID_FIELD": "field-access",
    "UNSUPPORTED": "field-access",
    "NOT_FOUND": "record-gone",
    "TRANSIENT": "unavailable",
    "RATELIMITED": "unavailable",
    "QUOTAEXHAUSTED": "unavailable",
    "NO_RESULT": "unavailable",
    "REJECTED": "rejected",
    "ERROR": "rejected",
}
FALLBACK_TYPE = "rejected"  # a CRM code not in the table yet

RETRY_POLICY: Mapping[str, str] = {
    Retry.AUTO: "automatic, with backoff",
    Retry.FIX: "after a fix (when the record changes, or `errors retry`)",
    Retry.NEVER: "never (for the record)",
}

BACKOFF = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)


def type_of(code: str) -> str:
    if code in CODES:
        return CODES[code]
    return next((d.error_codes[code] for d in catalog().declarations.values()
                 if code in d.error_codes), FALLBACK_TYPE)  # fmt: skip


def hint_for(code: str) -> str:
    return TYPES[type_of(code)]


def next_retry(retry: str, attempts: int, now: datetime) -> datetime | None:
    """When an entry is tried again: auto entries at once, then after 5, 10, 20... minutes."""
    if retry != Retry.AUTO:
        return None
    if attempts <= 1:
        return now
    return now + min(BACKOFF * 2 ** (attempts - 2), BACKOFF_CAP)


def quarantine(
    session: Session,
    *,
    run_id: int | None,
    system: str,
    stage: str,
    record: str,
    code: str,
    message: str,
    retry: Retry,
    now: datetime,
    payload: dict[str, Any] | None = None,
    person_id: int | None = None,
    field: str | None = None,
    hint: str | None = None,
) -> ErrorRow:
    """Park a failed record; `run_id` stays the run the error first arose in."""
    message = redact(message)
    existing = session.scalars(
        select(ErrorRow).where(
            ErrorRow.system == system,
            ErrorRow.stage == stage,
            ErrorRow.record == record,
            ErrorRow.code == code,
            ErrorRow.person_id.is_(None) if person_id is None else ErrorRow.person_id == person_id,
            ErrorRow.resolved_at.is_(None),
        )
    ).first()
    row = existing or ErrorRow(
        run_id=run_id, system=system, stage=stage, record=record, person_id=person_id,
        code=code, retry=retry.value, attempts=0, created_at=now,
    )  # fmt: skip
    row.attempts += 1
    row.message = message
    row.payload = payload or row.payload or {}
    found_field = field or row.payload.get("field")
    row.field = str(found_field)[:200] if found_field else row.field
    row.hint = hint or row.hint or hint_for(code)
    row.email = row.email or _email(session, person_id, row.payload)
    row.next_retry_at = next_retry(row.retry, row.attempts, now)
    if existing is None:
        session.add(row)
    return row


def _email(session: Session, person_id: int | None, payload: Mapping[str, Any]) -> str | None:
    """Whose record it is: the person's email, else the linked person's, else the record's."""
    if person_id is None and payload.get("id"):
        # Every kind named, so the (kind, record_id) index serves the lookup.
        linked = select(LinkRow.person_id).where(
            LinkRow.kind.in_(list(catalog().kinds())),
            LinkRow.record_id == str(payload["id"]),
        )
        person_id = session.scalar(linked.limit(1))
    if person_id is not None:
        return session.scalar(select(PersonRow.email).where(PersonRow.id == person_id))
    data = payload.get("data") or {}
    found = next((v for k, v in data.items() if k.lower() == "email" and isinstance(v, str)), None)
    return found.strip().lower()[:320] if found and "@" in found else None


def resolve(
    session: Session, *, system: str, stage: str, records: list[str], now: datetime
) -> None:
    """Close open errors for records that have now gone through.

    Called for every page and batch, almost always with nothing open: one indexed look for an
    open entry of this system and stage comes first, and the update only when there is one.
    """
    if not records:
        return
    scope = (ErrorRow.system == system, ErrorRow.stage == stage, ErrorRow.resolved_at.is_(None))
    if session.scalar(select(ErrorRow.id).where(*scope).limit(1)) is None:
        return
    session.execute(
        update(ErrorRow)
        .where(*scope, among(session, ErrorRow.record, records))
        .values(resolved_at=now),
        execution_options={"synchronize_session": False},
    )


def _open():
    return select(ErrorRow).where(ErrorRow.resolved_at.is_(None), ErrorRow.dismissed_at.is_(None))


def open_errors(session: Session, *, retry: Retry | None = None) -> list[ErrorRow]:
    """Unresolved entries nobody dismissed, oldest first."""
    query = _open().order_by(ErrorRow.id)
    if retry is not None:
        query = query.where(ErrorRow.retry == retry.value)
    return list(session.scalars(query))


def due_for_retry(session: Session, now: datetime, *, stage: str | None = None) -> list[ErrorRow]:
    """Open entries whose `next_retry_at` has come (backoff over, or an admin's retry)."""
    query = _open().where(ErrorRow.next_retry_at <= now).order_by(ErrorRow.id)
    if stage is not None:
        query = query.where(ErrorRow.stage == stage)
    return list(session.scalars(query))


def requeue_failed_writes(session: Session, now: datetime) -> int:
    """Put the failed outbox rows of due apply entries back to `pending`; how many moved.

    Call at the start of a cycle. A row that fails again bumps its entry's backoff.
    """
    entries = due_for_retry(session, now, stage="apply")
    return requeue_writes(session, [e.payload.get("outbox_id") for e in entries], now)


def requeue_writes(session: Session, outbox_ids: Sequence[Any], now: datetime) -> int:
    """Failed outbox rows back to `pending` (rows in any other state are left as they are)."""
    ids = [row_id for row_id in outbox_ids if row_id]
    if not ids:
        return 0
    # The outbox's states (see outbox.py, which imports this module).
    moved = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), OutboxRow.state == "failed")
        .values(state="pending", updated_at=now)
    )
    return moved.rowcount


def summary(session: Session) -> dict[str, int]:
    """Open entries per type, for `status`."""
    by_code = session.execute(
        select(ErrorRow.code, func.count())
        .where(ErrorRow.resolved_at.is_(None), ErrorRow.dismissed_at.is_(None))
        .group_by(ErrorRow.code)
    ).all()
    counts: Counter[str] = Counter()
    for code, count in by_code:
        counts[type_of(code)] += count
    return dict(counts.most_common())


def raised_in_run(session: Session, run_id: int) -> int:
    """Open entries that first arose in this run (exit code 3), not older ones still open."""
    return session.scalar(
        select(func.count())
        .select_from(ErrorRow)
        .where(
            ErrorRow.run_id == run_id,
            ErrorRow.resolved_at.is_(None),
            ErrorRow.dismissed_at.is_(None),
        )
    )
