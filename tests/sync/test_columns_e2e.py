"""A cycle scored on columns stores exactly what the engine would: scores, explanations, moves.

One seeded world runs twice: once as leadsync runs (the kernel scores each chunk) and once
with the kernel switched off (the pure-Python engine scores each person). Everything stored
about people must be the same.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from leadsync.sandbox.world import generate
from leadsync.sync.cycle import run_cycle
from leadsync.sync.schema import LedgerRow, OutboxRow, PersonRow, ScoreRow
from leadsync.sync.wiring import build_connectors

from .conftest import start_world


@pytest.fixture
def twins(tmp_path, database_url):
    seeded = generate(120, 31)
    on_columns = start_world(tmp_path / "a", database_url, world=seeded)
    by_engine = start_world(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", world=seeded)
    by_engine.now = on_columns.now
    yield on_columns, by_engine
    on_columns.box.stop()
    by_engine.box.stop()


def _stored(world) -> dict[str, object]:
    """What a cycle leaves about people, keyed by email (ids may differ between stores)."""
    with world.runtime().sessions() as session:
        email = dict(session.execute(select(PersonRow.id, PersonRow.email)).all())
        scores = {
            email[s.person_id]: (s.fit, s.engagement, s.total, s.grade, s.reasons, s.explanation)
            for s in session.scalars(select(ScoreRow))
        }
        ledger = sorted(
            (
                (
                    email[e.person_id],
                    e.from_stage,
                    e.to_stage,
                    e.cause,
                    e.reason,
                    e.rule_ids,
                    e.score,
                )
                for e in session.scalars(select(LedgerRow))
            ),
            key=repr,
        )
        outbox = sorted(
            (
                (email[o.person_id], o.system, o.obj, str(sorted(o.properties.items())), o.state)
                for o in session.scalars(select(OutboxRow))
            ),
            key=repr,
        )
    return {"scores": scores, "ledger": ledger, "outbox": outbox}


def test_a_cycle_on_columns_stores_what_the_engine_stores(twins):
    on_columns, by_engine = twins
    assert on_columns.runtime().kernel is not None  # the shipped rules score on columns

    on_columns.cycle()
    rt = by_engine.runtime()
    run_cycle(replace(rt, kernel=None), build_connectors(rt))

    got, expected = _stored(on_columns), _stored(by_engine)
    assert got["scores"] and got["ledger"]  # people were scored and moved
    assert got == expected
