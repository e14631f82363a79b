"""One cycle at a time per database: a PostgreSQL advisory lock, or a lock file beside SQLite.

`leadsync run` (the scheduler) and a `leadsync sync` typed by an admin must never interleave
their writes to the same CRMs.
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


class Busy(LeadsyncError):
    """Another cycle holds the lock."""


def _key(url: str) -> int:
    return int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big", signed=True)


@contextmanager
def cycle_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's cycle lock, or raise `Busy` at once (never queue behind it)."""
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(url)}).scalar():
                raise Busy("another leadsync cycle is running against this database; try later")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(url)})
        return
    database = engine.url.database
    path = Path(f"{database}.lock") if database else Path(tempfile.gettempdir()) / "leadsync.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another leadsync cycle is running (lock {path} held); try later") from None
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
