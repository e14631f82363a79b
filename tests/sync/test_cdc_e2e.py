"""Salesforce Change Data Capture end to end: the sandbox's Pub/Sub API over gRPC and TLS, the
listener of `leadsync push serve`, the queue and the mini-cycle, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from leadsync.sync.config import load_settings
from leadsync.sync.push import queue
from leadsync.sync.push.cdc import channel_name
from leadsync.sync.push.receiver import PushService
from leadsync.sync.runtime import build_runtime
from leadsync.sync.schema import LinkRow, PushEventRow
from tests.sync.push_support import wait_for

LEADS = "/data/LeadChangeEvent"


def listening(world) -> PushService:
    """A push service with CDC on, as `leadsync push serve` starts it, subscribed."""
    service = PushService(build_runtime(load_settings(world.config), actor="push"))
    assert service.cdc is not None
    service.cdc.start()
    # The first keepalive stores the channel's position: from then on nothing is missed.
    assert wait_for(lambda: replay_id(world), timeout=20)
    return service


def stop(service: PushService) -> None:
    service.cdc.stop()
    service.worker.stop()


@pytest.fixture
def cdc_world(world) -> Iterator:
    with world.config.open("a") as config:
        config.write('\n[push]\nchange_streams = true\ncdc_topics = ["/data/LeadChangeEvent"]\n')
    world.admin("POST", "salesforce/cdc", keepalive_seconds=0.2)
    world.cycle()
    yield world


def replay_id(world) -> bytes | None:
    with world.runtime().sessions() as session:
        return queue.replay_of(session, channel_name("salesforce", LEADS))


def queued(world) -> dict[str, list[str]]:
    """Record ids of the queued Salesforce notices that were processed, by kind."""
    with world.runtime().sessions() as session:
        rows = session.execute(
            select(PushEventRow.kind, PushEventRow.payload).where(
                PushEventRow.source == "salesforce", PushEventRow.state == queue.DONE
            )
        ).all()
    found: dict[str, list[str]] = {}
    for kind, payload in rows:
        found.setdefault(kind, []).extend(payload["records"])
    return found


def open_leads(world, n: int) -> list[str]:
    leads = world.sf_query(
        "SELECT Id FROM Lead WHERE IsConverted = false AND Status = 'Open - Not Contacted'"
    )
    return [lead["Id"] for lead in leads[:n]]


def snapshot(world, record_id: str) -> dict:
    with world.runtime().sessions() as session:
        return session.scalar(select(LinkRow.snapshot).where(LinkRow.record_id == record_id)) or {}


def test_a_restart_resumes_from_the_stored_replay_id(cdc_world):
    world = cdc_world
    first, missed = open_leads(world, 2)
    service = listening(world)
    world.sf_update("Lead", first, {"Title": "Head of Ecommerce"})
    assert wait_for(lambda: first in queued(world).get("Lead.UPDATE", []))
    stop(service)
    world.sf_update("Lead", missed, {"Title": "Director of Retail"})
    service = listening(world)
    try:
        assert wait_for(lambda: missed in queued(world).get("Lead.UPDATE", [])), (
            "the change made while the listener was down arrives after the restart"
        )
        assert wait_for(lambda: snapshot(world, missed).get("Title") == "Director of Retail")
    finally:
        stop(service)
    records = {r for ids in queued(world).values() for r in ids}
    assert records <= {first, missed}, "resumed after the stored id, not from the oldest event"


def test_an_overflow_is_caught_by_reading_the_stream_from_its_cursor(cdc_world):
    world = cdc_world
    (lead,) = open_leads(world, 1)
    world.admin("POST", "salesforce/cdc", overflow=1.0)
    service = listening(world)
    try:
        world.tick()
        world.sf_update("Lead", lead, {"Title": "Chief Digital Officer"})
        assert wait_for(lambda: "Lead.GAP_OVERFLOW" in queued(world))
        assert wait_for(lambda: snapshot(world, lead).get("Title") == "Chief Digital Officer")
    finally:
        stop(service)


def test_a_replay_id_no_longer_retained_restarts_from_the_newest_event(cdc_world):
    world = cdc_world
    (lead,) = open_leads(world, 1)
    with world.runtime().sessions.begin() as session:
        queue.save_replay(
            session, channel_name("salesforce", LEADS), (10**9).to_bytes(8, "big"), world.now
        )
    service = listening(world)
    try:
        resumed = wait_for(lambda: replay_id(world) not in (None, (10**9).to_bytes(8, "big")),
                           timeout=20)  # fmt: skip
        assert resumed, "subscribed again from the newest event, its position stored"
        world.sf_update("Lead", lead, {"Title": "VP Digital"})
        assert wait_for(lambda: lead in queued(world).get("Lead.UPDATE", []), timeout=20)
    finally:
        stop(service)


def test_change_events_of_leadsyncs_own_writes_cost_no_read(cdc_world):
    world = cdc_world
    (lead,) = open_leads(world, 1)
    service = listening(world)
    try:
        world.sf_update("Lead", lead, {"Status": "Working - Contacted"})
        assert wait_for(lambda: lead in queued(world).get("Lead.UPDATE", []))

        def settled() -> list:
            with world.runtime().sessions() as session:
                return session.execute(
                    select(PushEventRow.payload, PushEventRow.run_id).where(
                        PushEventRow.source == "salesforce", PushEventRow.state == queue.DONE
                    )
                ).all()

        echoes = wait_for(lambda: [r for r in settled() if not r.payload["records"]])
        assert echoes, "leadsync wrote the new stage back, and its change event came back"
        assert all(run is None for _, run in echoes), "an echo runs no mini-cycle: no read"
        runs = {run for _, run in settled() if run is not None}
        assert len(runs) == 1, "only the rep's change was read and synced"
    finally:
        stop(service)
