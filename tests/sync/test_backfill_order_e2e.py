"""A backfill reads both CRMs at once, yet commits their pages in one fixed order (every CRM's
people first, then deals, then the rest; within each, a page of each CRM in turn): whichever CRM
answers first, the store ends with the same people, ids, duplicate flags, links and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadsync.sandbox.world import generate
from leadsync.sync.backfill import backfill
from leadsync.sync.schema import EventRow, LinkRow, PersonRow
from leadsync.sync.wiring import build_connectors

from .conftest import start_world

CONTACTS = 150


@pytest.fixture
def twins(tmp_path, database_url):
    """One seeded world twice: in the store under test, and in SQLite."""
    seeded = generate(CONTACTS, 31)
    first = start_world(tmp_path / "a", database_url, world=seeded)
    second = start_world(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", world=seeded)
    second.now = first.now
    yield first, second
    first.box.stop()
    second.box.stop()


def _store(world) -> dict[str, list[tuple]]:
    with world.runtime().sessions() as session:
        people = session.execute(
            select(PersonRow.id, PersonRow.email, PersonRow.duplicate_flag).order_by(PersonRow.id)
        )
        links = session.execute(
            select(LinkRow.kind, LinkRow.record_id, LinkRow.person_id, LinkRow.deleted)
            .order_by(LinkRow.id)
        )  # fmt: skip
        # Event ids may skip on PostgreSQL (a conflicting insert spends one); their order may not.
        events = session.execute(
            select(EventRow.source, EventRow.source_id, EventRow.person_id).order_by(EventRow.id)
        )
        return {"people": [tuple(r) for r in people], "links": [tuple(r) for r in links],
                "events": [tuple(r) for r in events]}  # fmt: skip


def _backfill_while_slow(world, system: str) -> None:
    world.admin("POST", "faults", system=system, status=0, delay=0.2)  # latency only
    rt = world.runtime()
    try:
        backfill(rt, build_connectors(rt))
    finally:
        world.admin("DELETE", "faults")
        rt.close()


def test_the_store_is_the_same_whichever_crm_answers_first(twins):
    slow_hubspot, slow_salesforce = twins
    _backfill_while_slow(slow_hubspot, "hubspot")
    _backfill_while_slow(slow_salesforce, "salesforce")

    first, second = _store(slow_hubspot), _store(slow_salesforce)
    assert first["people"] and any(flag for _, _, flag in first["people"])  # duplicates to choose
    assert first == second
