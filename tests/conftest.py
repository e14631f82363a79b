"""Shared fixtures: databases (SQLite always, PostgreSQL when one is reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import make_url

# Examples are judged by what they find, not by how fast a shared 2-core host runs them.
settings.register_profile("leadsync", deadline=None)
settings.load_profile("leadsync")

POSTGRES_ENV = "LEADSYNC_TEST_POSTGRES_URL"


def _postgres_server() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return None
    try:
        engine = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = _postgres_server()
    if url is None:
        pytest.skip(f"no PostgreSQL reachable (set {POSTGRES_ENV})")
    return url


def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create a throwaway database on the server, yield its URL, drop it afterwards."""
    name = f"leadsync_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leadsync.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    yield from fresh_postgres_database(server)
