"""The store: migrations apply on SQLite and PostgreSQL, and the ledger is append-only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from leadsync.errors import StoreError
from leadsync.sync.schema import Base, LedgerRow, PersonRow
from leadsync.sync.store import open_store

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_migrations_create_every_table_and_are_idempotent(database_url):
    sessions = open_store(database_url)
    open_store(database_url)  # a second start applies nothing and breaks nothing
    inspector = sa.inspect(sessions.kw["bind"])
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())


def _person_with_ledger_row(sessions) -> int:
    with sessions.begin() as session:
        person = PersonRow(email="ana@shop.example", fields={}, created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        session.add(
            LedgerRow(
                person_id=person.id,
                from_stage=None,
                to_stage="lead",
                at=NOW,
                actor="rule:default",
                cause="score",
            )
        )
        return person.id


def test_ledger_refuses_updates_and_deletes(database_url):
    sessions = open_store(database_url)
    _person_with_ledger_row(sessions)
    for statement in ("UPDATE stage_ledger SET to_stage = 'mql'", "DELETE FROM stage_ledger"):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
            session.execute(sa.text(statement))
    with sessions() as session:
        assert session.scalars(sa.select(LedgerRow.to_stage)).all() == ["lead"]


def test_timestamps_come_back_timezone_aware(database_url):
    sessions = open_store(database_url)
    person_id = _person_with_ledger_row(sessions)
    with sessions() as session:
        row = session.get(PersonRow, person_id)
        assert row.created_at == NOW
        assert row.created_at.tzinfo is not None


def test_json_only_python_writes_still_reads_back(database_url):
    """A field holding a huge integer (or, on SQLite, NaN: PostgreSQL refuses it) is stored as
    Python's json writes it; the faster decoder refuses both, and the store must read them."""
    sessions = open_store(database_url)
    odd = {"id": 2**70, "name": "Ann"}
    if database_url.startswith("sqlite"):
        odd["revenue"] = float("nan")
    with sessions.begin() as session:
        person = PersonRow(email="odd@example.com", fields=odd, created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        person_id = person.id
    with sessions() as session:
        fields = session.get(PersonRow, person_id).fields
    assert fields["id"] == 2**70 and fields["name"] == "Ann"
    if "revenue" in odd:
        assert fields["revenue"] != fields["revenue"]  # NaN


def test_unusable_database_url_says_what_to_use():
    with pytest.raises(StoreError, match="sqlite:///FILE or postgresql"):
        open_store("nosuchdb://x")


def test_sqlite_writers_wait_their_turn_instead_of_failing(tmp_path):
    # The scheduler's job store commits while a cycle's transaction has read and is about to
    # write; on SQLite that must wait for the lock, not fail with "database is locked".
    url = f"sqlite:///{tmp_path / 'leadsync.db'}"
    first, second = open_store(url), open_store(url)
    person_id = _person_with_ledger_row(first)
    with first.begin() as reading_then_writing:
        reading_then_writing.get(PersonRow, person_id)
        done = threading.Event()

        def other_writer() -> None:
            with second.begin() as session:
                session.get(PersonRow, person_id).fields = {"by": "other"}
            done.set()

        threading.Thread(target=other_writer, daemon=True).start()
        assert not done.wait(0.5), "the other writer must wait while this transaction is open"
        reading_then_writing.get(PersonRow, person_id).fields = {"by": "first"}
    assert done.wait(30)
    with first() as session:
        assert session.get(PersonRow, person_id).fields == {"by": "other"}


def test_the_migrations_build_exactly_the_tables_the_code_uses(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = open_store(database_url).kw["bind"]
    with engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # PostgreSQL's optional trigram search indexes (migration 0004) have no model of their own.
    optional = [d for d in drift if d[0] == "remove_index" and d[1].name.endswith("_trgm")]
    assert [d for d in drift if d not in optional] == []
