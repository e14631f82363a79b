"""Commit a page of pulled records so that one bad record cannot hold up the rest.

A page is one transaction. When the database refuses something in it (a value too long for a
column, a constraint), the page is rolled back and ingested again one record per transaction;
the record the database still refuses goes to the error queue with the database's reason, and
every other record of the page commits. Without this, PostgreSQL would fail the same page on
every run and nobody behind it would ever sync.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import RawRecord
from leadsync.sync.errorq import Retry
from leadsync.sync.ingest import Ingest
from leadsync.sync.values import first_line


def record_fault(error: BaseException) -> bool:
    """Did the database refuse the data (not fail as a server: locked, gone, out of space)?"""
    if isinstance(error, DataError | IntegrityError):
        return True
    # Bind-time failures (a value no column type accepts) arrive wrapped, with no DBAPI error.
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)


def commit_page(
    sessions: sessionmaker[Session], ingest: Ingest, page: Sequence[RawRecord], *,
    retry: bool = False, on_commit: Callable[[Session], None] | None = None,
) -> None:  # fmt: skip
    """Ingest and commit `page`; `on_commit` runs in the transaction that makes it durable."""
    saved = copy.deepcopy(ingest.counts)
    try:
        with sessions.begin() as session:
            ingest.on(session).page(page, retry=retry)
            if on_commit is not None:
                on_commit(session)
        return
    except StatementError as exc:
        if not record_fault(exc):
            raise
    ingest.counts.__dict__.update(saved.__dict__)
    for raw in page:
        _commit_one(sessions, ingest, raw, retry)
    if on_commit is not None:
        with sessions.begin() as session:
            on_commit(session)


def _commit_one(sessions: sessionmaker[Session], ingest: Ingest, raw: RawRecord, retry: bool):
    before = copy.deepcopy(ingest.counts)
    try:
        with sessions.begin() as session:
            ingest.on(session).page([raw], retry=retry)
        return
    except StatementError as exc:
        if not record_fault(exc):
            raise
        reason = first_line(exc)
    ingest.counts.__dict__.update(before.__dict__)
    if not retry:
        ingest.count_pulled(raw)
    with sessions.begin() as session:
        ingest.on(session).quarantine_record(
            raw, "STORE_REJECTED",
            f"{ingest.label(raw)}: the database refused it ({reason}); fix the record in "
            f"{raw.system}, then it is retried", Retry.FIX,
        )  # fmt: skip
