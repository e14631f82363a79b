"""One cycle at a time per database, held by the database itself.

`leadsync run` (the scheduler) and a `leadsync sync` typed by an admin must never interleave
their writes to the same CRMs. The lock must not depend on how a URL is spelt: `127.0.0.1` and
`localhost`, a relative and an absolute SQLite path name one database.

- PostgreSQL: a session advisory lock. Advisory locks live inside one database, so a fixed
  key per schema is the database's own lock whatever the URL says; the server frees it when the
  session ends, so a killed process never leaves it held.
- SQLite: an exclusive `flock` on a file beside the database, named by the database file's
  resolved path; the kernel frees it when the process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from leadsync.errors import LeadsyncError

BUSY = "another leadsync cycle is running against this database; try later"


class Busy(LeadsyncError):
    """Another cycle holds the lock."""


def advisory_key(scope: str) -> int:
    """A signed 64-bit key for `pg_try_advisory_lock`, the same in every process."""
    digest = hashlib.sha256(f"leadsync-cycle:{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def cycle_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's cycle lock, or raise `Busy` at once (never queue behind it)."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine):
            yield
        return
    with _file_lock(sqlite_lock_path(engine)):
        yield


@contextmanager
def _postgres_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as conn:
        # The schema a tenant's tables live in is part of the scope; the URL text is not.
        schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
        key = advisory_key(schema)
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            raise Busy(BUSY)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def sqlite_lock_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"leadsync-{os.getpid()}-memory.lock"
    return Path(os.path.realpath(database) + ".lock")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{BUSY} (lock {path} held)") from None
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
