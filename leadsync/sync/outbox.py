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

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Change, Connector, WriteResult
from leadsync.mapping.model import RecordKind
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
            ids = [(row.id, _batch_kind(row)) for row in pending_rows(session, system)]
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
        succeeded: list[tuple[OutboxRow, WriteResult]] = []
        for row in rows:
            result = by_key.get(str(row.id)) or WriteResult(
                str(row.id), False, reason="the connector returned no result", retryable=True
            )
            row.attempts += 1
            row.updated_at = now
            if result.ok:
                succeeded.append((row, result))
            else:
                self._failed(session, row, result, now)
        self._succeeded(session, succeeded, now)
        labels = [f"{row.system} {row.obj} {row.record_id}" for row, _ in succeeded]
        resolve(session, system=system, stage="apply", records=labels, now=now)

    def _succeeded(
        self, session: Session, done: list[tuple[OutboxRow, WriteResult]], now: datetime
    ) -> None:
        """Mark rows done, remember what was written (echoes), update the held snapshots."""
        if not done:
            return
        written: dict[str, dict[str, Any]] = {}
        for row, result in done:
            row.state, row.last_error = DONE, None
            if row.record_id is None and result.record_id:
                row.record_id = result.record_id
                self._link_created(session, row)
            written[row.record_id] = dict(result.written) or dict(row.properties)
        system = done[0][0].system
        # Only the properties written now are replaced: older echoes of others still hold.
        pairs = [(record_id, prop) for record_id, props in written.items() for prop in props]
        session.execute(
            delete(EchoRow).where(
                EchoRow.system == system, tuple_(EchoRow.record_id, EchoRow.prop).in_(pairs)
            )
        )
        session.add_all(
            EchoRow(system=system, record_id=record_id, prop=prop,
                    value=None if value is None else str(value), written_at=now)
            for record_id, props in written.items() for prop, value in props.items()
        )  # fmt: skip
        links = session.scalars(select(LinkRow).where(LinkRow.record_id.in_(list(written))))
        for link in links:
            # What the CRM now holds, so the next plan does not write it again.
            link.snapshot = {**(link.snapshot or {}), **written[link.record_id]}
        self.counts.done += len(done)
        self.counts.by_system[system] = self.counts.by_system.get(system, 0) + len(done)

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


def _batch_kind(row: OutboxRow) -> tuple[str, bool, bool]:
    """Rows sent together: same object, create or update, with or without a clear-first.

    A connector pays extra calls per batch for creates (their own request) and clear-first
    moves (clear, then read back); grouping keeps those calls at ceil(n / size), not one per
    batch that happens to hold one. Reordering is safe: a record has one pending row.
    """
    return (row.obj, row.record_id is None, bool(row.clear_first))


def _id_chunks(ids: list[tuple[int, tuple[str, bool, bool]]], size: int) -> Iterator[list[int]]:
    by_kind: dict[tuple[str, bool, bool], list[int]] = {}
    for row_id, kind in ids:
        by_kind.setdefault(kind, []).append(row_id)
    for group in by_kind.values():
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in values.items()
    }
