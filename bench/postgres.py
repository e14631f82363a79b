"""The PostgreSQL store of a benchmark run: a throwaway database on a server, when reachable.

The server comes from `--postgres URL`, else $LEADSYNC_BENCH_POSTGRES_URL, else a local
default; each run gets a database of its own (dropped afterwards), so its tables start empty
as SQLite's file does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

URL_ENV = "LEADSYNC_BENCH_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url(given: str | None) -> str:
    return given or os.environ.get(URL_ENV) or DEFAULT_URL


def reachable(url: str) -> str | None:
    """None when the server answers, else why not (one line)."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip PostgreSQL
        return str(exc).splitlines()[0]
    return None


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new empty database on the server at `url`; its URL, dropped on exit."""
    name = f"leadsync_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})  # fmt: skip
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
