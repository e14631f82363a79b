"""The error queue: records that failed, with a typed reason and what retrying can do.

A failure never stops the run: the record is parked here and the rest goes on. The same
record failing the same way again bumps `attempts` instead of adding a row; a record that
later succeeds has its open rows resolved.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadsync.sync.redact import redact
from leadsync.sync.schema import ErrorRow


class Retry(StrEnum):
    AUTO = "auto"  # leadsync retries it on a later cycle (e.g. its person arrives later)
    FIX = "fix"  # needs a config or data fix first; retried once the record changes
    NEVER = "never"  # recorded for the admin; nothing to retry


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
) -> None:
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
    if existing is not None:
        existing.attempts += 1
        existing.message = message
        existing.run_id = run_id
        existing.payload = payload or existing.payload
        return
    session.add(
        ErrorRow(
            run_id=run_id, system=system, stage=stage, record=record, person_id=person_id,
            code=code, message=message, retry=retry.value, payload=payload or {},
            created_at=now,
        )
    )  # fmt: skip


def resolve(
    session: Session, *, system: str, stage: str, records: list[str], now: datetime
) -> None:
    """Close open errors for records that have now gone through."""
    if not records:
        return
    session.execute(
        update(ErrorRow)
        .where(
            ErrorRow.system == system,
            ErrorRow.stage == stage,
            ErrorRow.record.in_(records),
            ErrorRow.resolved_at.is_(None),
        )
        .values(resolved_at=now)
    )


def open_errors(session: Session, *, retry: Retry | None = None) -> list[ErrorRow]:
    query = select(ErrorRow).where(ErrorRow.resolved_at.is_(None)).order_by(ErrorRow.id)
    if retry is not None:
        query = query.where(ErrorRow.retry == retry.value)
    return list(session.scalars(query))
