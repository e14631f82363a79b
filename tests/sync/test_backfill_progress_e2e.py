"""A backfill stopped inside a stream goes on from its last committed page, not from the start."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadsync.errors import QuotaExhausted
from leadsync.sync.backfill import backfill
from leadsync.sync.schema import LinkRow, RunRow
from leadsync.sync.wiring import build_connectors

from .conftest import start_world

LIST = "GET /crm/v3/objects/contacts"


@pytest.fixture
def big_world(tmp_path, database_url, monkeypatch):
    made = start_world(tmp_path, database_url, contacts=700, seed=5)
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    yield made
    made.box.stop()


def _list_calls(world) -> int:
    return world.stats()["hubspot"]["by_route"].get(LIST, 0)


def test_a_daily_allowance_smaller_than_one_stream_still_finishes_the_backfill(big_world):
    world = big_world
    contacts = len(world.hs_contacts(["email"]))
    full = -(-contacts // 100)  # list pages of the whole portal
    world.reset_stats()
    world.admin("POST", "settings", hubspot={"daily_limit": 7})
    rt = world.runtime()
    hubspot = {"hubspot": build_connectors(rt)["hubspot"]}
    with pytest.raises(QuotaExhausted):
        backfill(rt, hubspot)

    world.admin("POST", "settings", hubspot={"daily_limit": None})
    world.reset_stats()
    resumed = backfill(rt, {"hubspot": build_connectors(rt)["hubspot"]}, resume=True)

    assert 0 < _list_calls(world) < full  # went on from the checkpoint
    with rt.sessions() as session:
        linked = session.scalar(
            select(func.count()).select_from(LinkRow).where(LinkRow.kind == "hubspot_contact")
        )
        statuses = [r.status for r in session.scalars(select(RunRow).order_by(RunRow.id))]
    assert linked == contacts
    assert statuses == ["failed", "ok"] and resumed.ingest.pulled > 0
