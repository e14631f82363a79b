"""A Lead create whose answer is lost is sent again without making a second Lead.

Each create carries the person's uid as External ID and goes by upsert on it, so a resend
updates the Lead the first send made. Each scenario ends with exactly the Leads a clean run
makes: one per handed-off person.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlalchemy import select

from leadsync.sandbox.world import generate
from leadsync.sync.schema import OutboxRow

from .conftest import start_world
from .test_recovery_e2e import sync_process, wait_for

UPSERT = "PATCH */composite/sobjects/Lead/*"
LEADS = "SELECT Id, Email FROM Lead"


@pytest.fixture
def twins(tmp_path, database_url):
    seeded = generate(60, 11)
    broken = start_world(tmp_path / "a", database_url, world=seeded)
    clean = start_world(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", world=seeded)
    clean.now = broken.now
    yield broken, clean
    broken.box.stop()
    clean.box.stop()


def _emails(world) -> Counter[str]:
    return Counter((lead["Email"] or "").lower() for lead in world.sf_query(LEADS))


def _short_timeout(world, seconds: float) -> None:
    world.config.write_text(
        world.config.read_text() + f"\n[salesforce.retry]\ntimeout = {seconds}\n"
    )


def _assert_same_leads(broken, clean) -> None:
    clean.cycle()
    made = _emails(broken)
    assert made == _emails(clean)
    assert all(n == 1 for email, n in made.items() if email), made.most_common(3)


def test_a_create_answered_after_the_client_gave_up_is_not_made_twice(twins):
    broken, clean = twins
    _short_timeout(broken, 1.0)
    broken.admin("POST", "faults", system="salesforce", status=0, delay=2.5, after=True,
                 route=UPSERT, remaining=1)  # fmt: skip
    broken.cycle()
    routes = broken.stats()["salesforce"]["by_route"]
    upserts = sum(
        n
        for route, n in routes.items()
        if route.startswith("PATCH") and "composite/sobjects/" in route
    )
    assert upserts >= 2, routes  # the batch that timed out was sent again
    _assert_same_leads(broken, clean)


def test_an_html_502_after_the_create_ran_is_not_made_twice(twins):
    broken, clean = twins
    broken.admin("POST", "faults", system="salesforce", status=502, body="html", after=True,
                 route=UPSERT, remaining=1)  # fmt: skip
    broken.cycle()
    _assert_same_leads(broken, clean)


def test_kill_9_after_the_create_landed_then_restart_is_not_made_twice(twins):
    broken, clean = twins
    broken.admin("POST", "faults", system="salesforce", status=0, delay=5, after=True,
                 route=UPSERT)  # fmt: skip
    process = sync_process(broken, "sync")
    wait_for(lambda: _sent_creates(broken))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    broken.admin("DELETE", "faults")
    broken.cycle()  # the restart
    _assert_same_leads(broken, clean)


def _sent_creates(world) -> bool:
    """A create batch is in flight (claimed, not settled): the kill lands after it was sent."""
    with world.runtime().sessions() as session:
        return bool(session.scalars(
            select(OutboxRow.id).where(OutboxRow.state == "sending", OutboxRow.record_id.is_(None))
        ).first())  # fmt: skip
