"""Open the local database and bring its schema to the current migration.

SQLite by default (`sqlite:///leadsync.db`), PostgreSQL by URL
(`postgresql+psycopg://user@host/db`). Migrations run on every start; they are idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def json_loads(text: str | bytes) -> Any:
    """JSON columns as the standard library reads them, three times faster: a rescore decodes
    every person's fields and every record's snapshot. orjson refuses what `json` accepts
    beyond the standard (NaN, integers past 64 bits): those go to `json`."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The driver's own implicit BEGIN is off; `_sqlite_begin` opens every transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets `status` read while a sync writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A deferred transaction that reads, then writes after another connection committed (the
    # scheduler's job store, a concurrent backfill) fails at once with "database is locked":
    # the busy timeout cannot help a stale snapshot. Taking the write lock up front makes the
    # second writer wait its turn instead; WAL readers are not blocked by it.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    try:
        engine = create_engine(url, future=True, json_deserializer=json_loads)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(
            f"database_url {url!r} is not usable: {exc}; use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST/DB"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # The option is interpolated (ConfigParser): a `%` in the URL (an escaped password, a
    # tenant's `options=-csearch_path%3D...`) must be doubled.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every pending migration."""
    cfg = alembic_config(engine)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}; check database_url and that the server is running"
        ) from None


def open_reader(url: str) -> sessionmaker[Session]:
    """Sessions that only read: on SQLite they take no lock (WAL: a reader never waits for a
    writer, nor blocks one) and cannot write (`query_only`). `status`, reports, dry runs and
    previews use these, so a long read never stalls a cycle, nor a cycle a page."""
    engine = create_engine(url, future=True, json_deserializer=json_loads)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_read_only)
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=1")
    cursor.close()


def open_store(url: str) -> sessionmaker[Session]:
    """An engine with the schema at head, as a session factory."""
    engine = make_engine(url)
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)
