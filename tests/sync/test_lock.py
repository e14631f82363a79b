"""The cycle lock belongs to the database, however its URL is spelt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from leadsync.sync.lock import Busy, cycle_lock
from leadsync.sync.store import make_engine

from ..conftest import fresh_postgres_database


@pytest.fixture
def postgres_url(postgres_server):
    yield from fresh_postgres_database(postgres_server)


def test_two_spellings_of_one_postgres_database_cannot_both_hold_the_lock(postgres_url):
    url = make_url(postgres_url)
    other_host = "localhost" if url.host in ("127.0.0.1", None) else "127.0.0.1"
    first = make_engine(postgres_url)
    second = make_engine(url.set(host=other_host).render_as_string(hide_password=False))
    busy = pytest.raises(Busy, match="another leadsync cycle")
    with cycle_lock(first), busy, cycle_lock(second):
        pass
    with cycle_lock(second):  # released: the next cycle may run
        pass
    first.dispose()
    second.dispose()


def test_a_relative_and_an_absolute_sqlite_path_share_one_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = make_engine("sqlite:///leadsync.db")
    absolute = make_engine(f"sqlite:///{os.path.join(tmp_path, 'sub', '..', 'leadsync.db')}")
    with cycle_lock(relative), pytest.raises(Busy), cycle_lock(absolute):
        pass
    with cycle_lock(absolute):
        pass


def test_a_lock_held_by_a_killed_process_is_free_again(database_url):
    url = database_url
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    engine = make_engine(url)
    with pytest.raises(Busy), cycle_lock(engine):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with cycle_lock(engine):  # the kernel or the server freed it with the process
        pass
    engine.dispose()


HOLD = """
import sys, time
from leadsync.sync.lock import cycle_lock
from leadsync.sync.store import make_engine
with cycle_lock(make_engine(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""
