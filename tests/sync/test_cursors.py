"""Cursor rules as properties: with index lag up to the look-back, nothing is ever lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync.sync import cursors
from leadsync.sync.store import open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = timedelta(seconds=30)

# A record: modified at second m (often shared: ties), visible to reads `lag` seconds later.
records = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30)), min_size=1, max_size=60)
runs = st.lists(st.integers(1, 90), min_size=1, max_size=12)  # seconds between cycles


def read(source, window, now):
    """What an API with index lag returns: visible records inside the window, in order."""
    found = [
        (modified, rid) for rid, (modified, visible) in source.items()
        if visible <= now and window.admits(modified, rid)
    ]  # fmt: skip
    return sorted(found, key=lambda r: (r[0], len(r[1]), r[1]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=records, gaps=runs)
def test_incremental_reads_with_look_back_lose_nothing(tmp_path_factory, records, gaps):
    sessions = open_store(f"sqlite:///{tmp_path_factory.mktemp('c') / 'c.db'}")
    source = {
        str(100 + i): (T0 + timedelta(seconds=m), T0 + timedelta(seconds=m + lag))
        for i, (m, lag) in enumerate(records)
    }
    seen: set[str] = set()
    now = T0
    for gap in [*gaps, 400]:  # a last cycle long after everything became visible
        now += timedelta(seconds=gap)
        with sessions.begin() as session:
            window = cursors.next_window(session, "hubspot", "contacts", run_start=now,
                                         lookback=LOOKBACK)  # fmt: skip
            found = read(source, window, now)
            seen |= {rid for _, rid in found}
            furthest = max(found, key=lambda r: (r[0], len(r[1]), r[1]), default=None)
            cursors.advance(
                session, "hubspot", "contacts", furthest, read_until=window.end, now=now
            )
    assert seen == set(source)


def test_a_quiet_stream_resumes_after_its_cursor_instead_of_re_reading_the_look_back(tmp_path):
    sessions = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    last_change = T0 + timedelta(seconds=10)
    with sessions.begin() as session:
        cursors.advance(session, "hubspot", "contacts", (last_change, "105"),
                        read_until=T0 + timedelta(seconds=20), now=T0)  # fmt: skip
        # Still inside the lag stretch of the last read: that stretch is read again.
        window = cursors.next_window(session, "hubspot", "contacts",
                                     run_start=T0 + timedelta(seconds=60), lookback=LOOKBACK)  # fmt: skip
        assert window.start == T0 - timedelta(seconds=10) and window.after_id is None
        cursors.advance(session, "hubspot", "contacts", None, read_until=window.end, now=T0)
        # The last read ended long after the change: resume right after the cursor.
        window = cursors.next_window(session, "hubspot", "contacts",
                                     run_start=T0 + timedelta(seconds=120), lookback=LOOKBACK)  # fmt: skip
        assert (window.start, window.after_id) == (last_change, "105")
