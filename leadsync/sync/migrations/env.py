"""Alembic environment: leadsync passes its own connection; no alembic.ini is needed."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from leadsync.sync.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (which lack ALTER COLUMN).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
