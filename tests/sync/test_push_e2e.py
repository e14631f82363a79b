"""Push end to end: HubSpot-signed webhooks into the real receiver over HTTP, the sandbox
pushing its own changes, and polling as the reconciliation behind them.

Each test gets a fresh sandbox and store, on SQLite and again on PostgreSQL when reachable.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from leadsync.sync import outbox
from leadsync.sync.cli_status import status_data
from leadsync.sync.config import load_settings
from leadsync.sync.push import queue
from leadsync.sync.push.receiver import PushService
from leadsync.sync.runtime import build_runtime
from leadsync.sync.schema import OutboxRow, PushEventRow, RunRow
from tests.sync.push_support import (
    DEMO_FIELDS,
    SECRET_ENV,
    Receiver,
    change_event,
    demo_form,
    hubspot_contact,
    salesforce_lead,
    signed_post,
    submit_form,
    wait_for,
)

SECRET = "test-client-secret-" + uuid.uuid4().hex


@pytest.fixture
def receiver(world, monkeypatch) -> Iterator[Receiver]:
    """The receiver for `world`'s store, after one polling cycle set the cursors."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    world.cycle()
    # The push path runs on the wall clock, as `leadsync push serve` does.
    rt = build_runtime(load_settings(world.config), actor="push")
    started = Receiver.start(PushService(rt))
    try:
        yield started
    finally:
        started.stop()


def subscribe(world, receiver: Receiver, **knobs) -> None:
    world.admin("POST", "hubspot/webhooks", url=receiver.url, client_secret=SECRET, **knobs)


def settled(world) -> bool:
    """The sandbox has nothing left to send and the receiver nothing left to process."""
    if world.admin("GET", "hubspot/webhooks")["pending"]:
        return False
    rt = world.runtime()
    with rt.sessions() as session:
        return not queue.counts(session).get(queue.PENDING)


def push_runs(world) -> int:
    with world.runtime().sessions() as session:
        return session.scalar(select(func.count()).where(RunRow.kind == "push"))


def test_forged_signatures_and_old_timestamps_are_refused_with_401(world, receiver):
    contact = next(iter(world.hs_contacts(["email"])))
    forged = signed_post(receiver.url, "not-the-secret", [change_event(contact, 1)])
    stale = signed_post(receiver.url, SECRET, [change_event(contact, 2)], age_ms=6 * 60 * 1000)
    unsigned = requests.post(receiver.url, json=[change_event(contact, 3)], timeout=10)
    genuine = signed_post(receiver.url, SECRET, [change_event(contact, 4)])
    assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
    assert "five minutes" in stale.json()["error"]
    assert genuine.status_code == 200
    with world.runtime().sessions() as session:
        queued = session.scalars(select(PushEventRow.event_id)).all()
    assert queued == ["4"], "only the genuine request reached the queue"


def test_a_duplicated_event_is_processed_once(world, receiver):
    contact = next(iter(world.hs_contacts(["email"])))
    first = signed_post(receiver.url, SECRET, [change_event(contact, 77)])
    again = signed_post(receiver.url, SECRET, [change_event(contact, 77)])
    assert first.json()["new"] == 1 and again.json()["new"] == 0
    assert wait_for(lambda: settled(world))
    time.sleep(0.5)  # a second mini-cycle would have started by now
    assert push_runs(world) == 1


def test_a_demo_request_reaches_both_crms_by_push_alone(world, receiver):
    subscribe(world, receiver)
    email = f"dana.{uuid.uuid4().hex[:8]}@northwind-outfitters.com"
    form = demo_form(world.box.hubspot)
    submit_form(world.info["hubspot_url"], world.box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    qualified = wait_for(
        lambda: (
            (hubspot_contact(world.box.hubspot, email) or {}).get("lifecyclestage")
            == "salesqualifiedlead"
        )
    )
    assert qualified, hubspot_contact(world.box.hubspot, email)
    assert wait_for(lambda: salesforce_lead(world.box.salesforce, email))
    assert wait_for(lambda: settled(world))
    with world.runtime().sessions() as session:
        echoes = [p for p in session.scalars(select(PushEventRow.payload)) if not p["records"]]
    assert echoes, "leadsync's own writes came back as webhooks"
    assert push_runs(world) == 1, "and cost no mini-cycle (no read) of their own"


def test_events_the_sandbox_drops_are_caught_by_the_next_poll(world, receiver):
    subscribe(world, receiver, drop=1.0)
    email = f"lost.{uuid.uuid4().hex[:8]}@northwind-outfitters.com"
    form = demo_form(world.box.hubspot)
    submit_form(world.info["hubspot_url"], world.box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    assert wait_for(lambda: world.admin("GET", "hubspot/webhooks").get("dropped"))
    time.sleep(1.0)
    assert hubspot_contact(world.box.hubspot, email).get("lifecyclestage") == "lead"
    assert push_runs(world) == 0, "nothing arrived, so nothing ran"
    world.tick()
    world.cycle()
    assert hubspot_contact(world.box.hubspot, email)["lifecyclestage"] == "salesqualifiedlead"
    assert salesforce_lead(world.box.salesforce, email)


def test_push_then_poll_never_write_twice(world, receiver):
    subscribe(world, receiver)
    email = f"once.{uuid.uuid4().hex[:8]}@northwind-outfitters.com"
    form = demo_form(world.box.hubspot)
    submit_form(world.info["hubspot_url"], world.box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    assert wait_for(lambda: salesforce_lead(world.box.salesforce, email))
    assert wait_for(lambda: settled(world))
    world.reset_stats()
    world.tick()
    world.cycle()
    stats = world.stats()
    assert stats["hubspot"]["writes"] == 0 and stats["salesforce"]["writes"] == 0


def polls(world) -> int:
    with world.runtime().sessions() as session:
        return session.scalar(select(func.count()).where(RunRow.kind == "sync"))


def test_polls_relax_while_push_is_healthy_and_come_back_when_it_is_not(
    world, receiver, monkeypatch
):
    from leadsync.sync.scheduler import scheduled_cycle

    before = polls(world)
    scheduled_cycle(str(world.config))
    assert polls(world) == before + 1, "no webhook has arrived yet: the schedule polls as usual"
    contact = next(iter(world.hs_contacts(["email"])))
    assert signed_post(receiver.url, SECRET, [change_event(contact, 5)]).status_code == 200
    assert wait_for(lambda: settled(world))
    assert status_data(world.runtime())["push"]["healthy"], "`leadsync status` says so too"
    scheduled_cycle(str(world.config))
    assert polls(world) == before + 1, "push is healthy and a poll just ran: this one waits"
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setenv("LEADSYNC_NOW", later.isoformat())
    scheduled_cycle(str(world.config))
    assert polls(world) == before + 2, "two quiet hours: push is not healthy, polling is back"


def test_a_merge_in_hubspot_is_pushed_and_the_surviving_contact_read(world, receiver):
    subscribe(world, receiver)
    primary, merged = list(world.hs_contacts(["email"]))[:2]
    world._hs("POST", "/crm/v3/objects/contacts/merge",
              json={"primaryObjectId": primary, "objectIdToMerge": merged})  # fmt: skip
    assert wait_for(lambda: settled(world))

    def merge_done() -> list[str]:
        with world.runtime().sessions() as session:
            return session.scalars(
                select(PushEventRow.object_id).where(
                    PushEventRow.kind == "contact.merge", PushEventRow.state == queue.DONE
                )
            ).all()

    assert wait_for(merge_done) == [primary]


def test_a_late_webhook_after_the_poll_synced_its_contact_writes_nothing(world, receiver):
    subscribe(world, receiver, delay=2.0)
    email = f"late.{uuid.uuid4().hex[:8]}@northwind-outfitters.com"
    form = demo_form(world.box.hubspot)
    submit_form(world.info["hubspot_url"], world.box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    world.tick()
    world.cycle()
    assert salesforce_lead(world.box.salesforce, email), "the poll got there first"
    # A write the poll sent without an answer (a loaded host's timeout) is sent again by the
    # next run, as an upsert: the only writes the late webhook's run may make.
    unanswered = _unanswered(world)
    world.reset_stats()
    assert wait_for(lambda: push_runs(world) >= 1)
    assert wait_for(lambda: settled(world))
    stats = world.stats()
    assert stats["hubspot"]["writes"] <= unanswered["hubspot"]
    assert stats["salesforce"]["writes"] <= unanswered["salesforce"]
    with world.box.salesforce.locked():
        leads = [r for r in world.box.salesforce.rows("Lead", include_deleted=False)
                 if (r.get("Email") or "").lower() == email]  # fmt: skip
    assert len(leads) == 1  # and never a second Lead


def _unanswered(world) -> dict[str, int]:
    with world.runtime().sessions() as session:
        rows = session.execute(select(OutboxRow.system, func.count())
                               .where(OutboxRow.state.in_(outbox.DUE))
                               .group_by(OutboxRow.system))  # fmt: skip
        return {"hubspot": 0, "salesforce": 0} | dict(rows.all())


def test_shuffled_and_repeated_deliveries_are_queued_once_and_still_land(world, receiver):
    subscribe(world, receiver, duplicate=1.0, reorder=True)
    email = f"twice.{uuid.uuid4().hex[:8]}@northwind-outfitters.com"
    form = demo_form(world.box.hubspot)
    submit_form(world.info["hubspot_url"], world.box.hubspot.settings.portal_id, form, email,
                DEMO_FIELDS)  # fmt: skip
    assert wait_for(lambda: salesforce_lead(world.box.salesforce, email))
    assert wait_for(lambda: settled(world))
    sender = world.admin("GET", "hubspot/webhooks")
    assert sender["sent"] == 2 * sender["events"], "every event was delivered twice"
    with world.runtime().sessions() as session:
        queued = session.scalar(select(func.count()).select_from(PushEventRow))
    assert queued == sender["events"], "and queued once"
    assert hubspot_contact(world.box.hubspot, email)["lifecyclestage"] == "salesqualifiedlead"
