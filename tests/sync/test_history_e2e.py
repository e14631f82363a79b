"""Funnel history from day one: the backfill rebuilds each person's past stage moves from the
CRMs' own dates, so the funnel report describes the world's past, not the day of the install."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from leadsync.sync.backfill import backfill
from leadsync.sync.schema import HISTORY_CAUSE, LedgerRow, OutboxRow
from leadsync.sync.wiring import build_connectors

from .conftest import start_world, subprocess_env

CONTACTS = 400


@pytest.fixture
def history_world(tmp_path, database_url, monkeypatch):
    made = start_world(tmp_path, database_url, contacts=CONTACTS, seed=5)
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    try:
        yield made
    finally:
        made.box.stop()


def _funnel(world) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "report", "funnel", "--json",
         "--config", str(world.config)],
        env=subprocess_env(world), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _history(rt) -> list[tuple]:
    with rt.sessions() as session:
        return session.execute(
            select(LedgerRow.person_id, LedgerRow.to_stage, LedgerRow.at, LedgerRow.actor)
            .where(LedgerRow.cause == HISTORY_CAUSE)
            .order_by(LedgerRow.id)
        ).all()


def test_the_funnel_after_the_first_backfill_spans_the_worlds_history(history_world):
    rt = history_world.runtime()
    backfill(rt, build_connectors(rt))
    funnel = _funnel(history_world)
    months = [c["month"] for c in funnel["cohorts"] if c["mql"]]
    assert len(months) >= 6, f"MQL cohorts in {months}: the history should span months"
    reached = funnel["ever_reached"]
    assert reached["lead"] > reached["mql"] > reached["sql"] >= reached["customer"] > 0
    entries = _history(rt)
    assert {actor for *_, actor in entries} == {"history:hubspot", "history:salesforce"}
    assert all(at <= history_world.now for _, _, at, _ in entries)


def test_history_is_never_written_to_a_crm_nor_rebuilt_by_a_second_backfill(history_world):
    rt = history_world.runtime()
    connectors = build_connectors(rt)
    backfill(rt, connectors)
    first = _history(rt)
    stats = history_world.stats()
    assert stats["hubspot"]["writes"] == 0 and stats["salesforce"]["writes"] == 0
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0
    history_world.tick()
    history_world.cycle()
    history_world.tick()
    backfill(rt, connectors)
    assert _history(rt) == first


def test_decisions_go_on_from_leadsyncs_own_moves_not_from_the_history(history_world):
    rt = history_world.runtime()
    backfill(rt, build_connectors(rt))
    history_world.tick()
    history_world.cycle()
    with rt.sessions() as session:
        rows = session.execute(
            select(LedgerRow.person_id, LedgerRow.from_stage, LedgerRow.cause).order_by(
                LedgerRow.id
            )
        ).all()
    first_decision = {}
    for person_id, src, cause in rows:
        if cause != HISTORY_CAUSE:
            first_decision.setdefault(person_id, src)
    # Everyone starts from no stage of leadsync's own: the past is not a decision to go on from.
    assert first_decision and Counter(first_decision.values()) == {None: len(first_decision)}
