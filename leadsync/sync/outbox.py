"""The outbox: planned writes stored with the state that caused them, drained in batches.

Rows are written in the transaction that stores the new canonical state, so a crash between
planning and applying loses nothing: the next run drains what is left. Updates are idempotent
(they set values), so sending one twice is harmless. A create (the Salesforce handoff) is
re-checked before it is sent: if the person gained a record of that kind since planning (a
crashed run's create pulled back in), the row becomes an update of that record instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Change, Connector, WriteResult
from leadsync.mapping.model import RecordKind
from leadsync.mapping.writeback import Planned
from leadsync.sync.errorq import Retry, quarantine, resolve
from leadsync.sync.schema import EchoRow, LinkRow, OutboxRow

PENDING, DONE, FAILED = "pending", "done", "failed"

# The link a created record becomes, by (system, object).
CREATED_KIND: Mapping[tuple[str, str], RecordKind] = {
    ("salesforce", "Lead"): RecordKind.SALESFORCE_LEAD,
    ("salesforce", "Contact"): RecordKind.SALESFORCE_CONTACT,
    ("hubspot", "contact"): RecordKind.HUBSPOT_CONTACT,
}


@dataclass
class ApplyCounts:
    calls_batches: int = 0
    done: int = 0
    failed: int = 0
    retrying: int = 0
    by_system: dict[str, int] = field(default_factory=dict)


def enqueue(
    session: Session,
    *,
    run_id: int | None,
    person_id: int,
    system: str,
    obj: str,
    record_id: str | None,
    planned: Planned,
    reason: str,
    now: datetime,
) -> None:
    """Add a planned write, folding it into a pending row for the same record if there is one."""
    query = select(OutboxRow).where(
        OutboxRow.state == PENDING,
        OutboxRow.system == system,
        OutboxRow.obj == obj,
        OutboxRow.person_id == person_id,
    )
    query = query.where(
        OutboxRow.record_id.is_(None) if record_id is None else OutboxRow.record_id == record_id
    )
    row = session.scalars(query).first()
    if row is not None:
        row.properties = {**row.properties, **planned.properties}
        row.clear_first = sorted(set(row.clear_first) | set(planned.clear_first))
        row.reason, row.updated_at, row.run_id = reason, now, run_id
        return
    session.add(
        OutboxRow(
            run_id=run_id, person_id=person_id, system=system, obj=obj, record_id=record_id,
            properties=dict(planned.properties), clear_first=list(planned.clear_first),
            reason=reason, state=PENDING, created_at=now, updated_at=now,
        )
    )  # fmt: skip


def pending_rows(session: Session, system: str | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.state == PENDING).order_by(OutboxRow.id)
    if system is not None:
        query = query.where(OutboxRow.system == system)
    return list(session.scalars(query))


def _recheck_create(session: Session, row: OutboxRow) -> None:
    kind = CREATED_KIND.get((row.system, row.obj))
    if row.record_id is not None or kind is None or row.person_id is None:
        return
    link = session.scalars(
        select(LinkRow).where(LinkRow.person_id == row.person_id, LinkRow.kind == kind.value)
    ).first()
    if link is not None:
        row.record_id = link.record_id


def _change(row: OutboxRow) -> Change:
    return Change(str(row.id), row.obj, row.record_id, dict(row.properties), tuple(row.clear_first))


class Applier:
    """Drains the outbox of one system through its connector."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_attempts: int,
        run_id: int | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts
        self.run_id = run_id
        self.clock = clock
        self.counts = ApplyCounts()

    def drain(
        self,
        system: str,
        connector: Connector,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Send every pending row; `QuotaExhausted`/`AuthError` stop it with rows still pending."""
        with self.sessions.begin() as session:
            for row in pending_rows(session, system):
                _recheck_create(session, row)
            ids = [(row.id, row.obj) for row in pending_rows(session, system)]
        for chunk in _id_chunks(ids, connector.batch_limit):
            with self.sessions.begin() as session:
                rows = [session.get(OutboxRow, row_id) for row_id in chunk]
                results = connector.write([_change(row) for row in rows])
                self._record(session, system, rows, results)
            self.counts.calls_batches += 1
            if progress:
                progress(len(chunk))
            if stop is not None and stop.is_set():
                return

    def _record(
        self, session: Session, system: str, rows: list[OutboxRow], results: list[WriteResult]
    ) -> None:
        now = self.clock()
        by_key = {result.key: result for result in results}
        succeeded = []
        for row in rows:
            result = by_key.get(str(row.id)) or WriteResult(
                str(row.id), False, reason="the connector returned no result", retryable=True
            )
            row.attempts += 1
            row.updated_at = now
            if result.ok:
                self._succeeded(session, row, result, now)
                succeeded.append(f"{row.system} {row.obj} {row.record_id}")
            else:
                self._failed(session, row, result, now)
        resolve(session, system=system, stage="apply", records=succeeded, now=now)

    def _succeeded(
        self, session: Session, row: OutboxRow, result: WriteResult, now: datetime
    ) -> None:
        row.state, row.last_error = DONE, None
        if row.record_id is None and result.record_id:
            row.record_id = result.record_id
            self._link_created(session, row)
        written = dict(result.written) or dict(row.properties)
        for prop, value in written.items():
            echo = None if value is None else str(value)
            session.merge(EchoRow(system=row.system, record_id=row.record_id, prop=prop,
                                  value=echo, written_at=now))  # fmt: skip
        link = session.scalars(select(LinkRow).where(LinkRow.record_id == row.record_id)).first()
        if link is not None:
            # What the CRM now holds, so the next plan does not write it again.
            link.snapshot = {**(link.snapshot or {}), **written}
        self.counts.done += 1
        self.counts.by_system[row.system] = self.counts.by_system.get(row.system, 0) + 1

    def _link_created(self, session: Session, row: OutboxRow) -> None:
        kind = CREATED_KIND.get((row.system, row.obj))
        if kind is None or row.person_id is None:
            return
        session.add(LinkRow(person_id=row.person_id, kind=kind.value, record_id=row.record_id,
                            snapshot=dict(row.properties)))  # fmt: skip

    def _failed(self, session: Session, row: OutboxRow, result: WriteResult, now: datetime) -> None:
        row.last_error = f"{result.code}: {result.reason}".strip(": ")
        if result.retryable and row.attempts < self.max_attempts:
            self.counts.retrying += 1
            return
        row.state = FAILED
        self.counts.failed += 1
        quarantine(
            session, run_id=self.run_id, system=row.system, stage="apply",
            record=f"{row.system} {row.obj} {row.record_id or '(new)'}",
            code=result.code or "REJECTED", message=result.reason or "rejected",
            retry=Retry.AUTO if result.retryable else Retry.FIX, now=now,
            payload={"outbox_id": row.id, "properties": _plain(row.properties)},
            person_id=row.person_id,
        )  # fmt: skip


def _id_chunks(ids: list[tuple[int, str]], size: int) -> Iterator[list[int]]:
    by_obj: dict[str, list[int]] = {}
    for row_id, obj in ids:
        by_obj.setdefault(obj, []).append(row_id)
    for group in by_obj.values():
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in values.items()
    }
