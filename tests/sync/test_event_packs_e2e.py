"""Rescores and previews read each person's events from their event pack (`sync.event_packs`).

A pack must hold exactly the person's events, and a person whose events changed since their
pack was written must never be scored from it: that would be a wrong score, silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from leadsync.sync import event_packs
from leadsync.sync.chunk import PERSON, ChunkContext, values
from leadsync.sync.cycle import run_cycle
from leadsync.sync.decide_step import DecideStep, decider_for
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import EventPackRow, EventRow, PersonRow, ScoreRow
from leadsync.sync.wiring import build_connectors

LIMITS = {"hubspot": 100, "salesforce": 200}


def _read(rt: Runtime, *, trust_packs: bool) -> tuple[ChunkContext, dict[int, list[Any]]]:
    """Everyone's events as the kernel gets them: from packs, or all from the events table."""
    with rt.reading() as session:
        ids = list(session.scalars(select(PersonRow.id).order_by(PersonRow.id)))
        ctx = ChunkContext.load(session, ids, columns=True, stale=[] if trust_packs else ids)
    columns = ctx.event_columns
    assert columns is not None
    events: dict[int, list[Any]] = defaultdict(list)
    for whose, at, shape in zip(columns.person, columns.at, columns.shape, strict=True):
        kind, attributes = columns.shapes[shape]
        events[ids[whose]].append((int(at), kind.value, dict(attributes)))
    return ctx, events


def _rescore(rt: Runtime, now: Any) -> dict[str, Any]:
    """A dry rescore: its plan, and each person's totals, stage and writes."""
    summary = PlanSummary(keep_rows=True)
    DecideStep(rt, run_id=None, now=now).run(everyone=True, dry=True, summary=summary)
    decider = decider_for(rt)
    with rt.reading() as session:
        persons = list(values(session, select(*PERSON).order_by(PersonRow.id)))
        ctx = ChunkContext.load(session, [p.id for p in persons], columns=decider.on_columns,
                                stale=[p.id for p in persons if p.dirty])  # fmt: skip
        outcomes = decider.outcomes(persons, ctx, now)
    return {"plan": summary.as_dict(LIMITS), "rows": summary.rows_as_dicts(),
            "people": {o.person_id: (o.totals, o.stage, o.writes) for o in outcomes}}  # fmt: skip


def test_after_a_cycle_everyone_is_read_from_a_pack_holding_exactly_their_events(world):
    world.cycle()
    rt = world.runtime()

    packed, from_packs = _read(rt, trust_packs=True)
    _, from_events = _read(rt, trust_packs=False)

    assert packed.fresh is not None and packed.fresh.people == []  # no row of events read
    assert sum(map(len, from_events.values())) > 100
    assert from_packs == from_events


def test_an_event_stored_after_the_pack_is_scored_before_the_pack_is_rewritten(world):
    world.cycle()
    rt = world.runtime()
    with rt.sessions.begin() as session:
        person = session.scalar(
            select(PersonRow.id).where(PersonRow.stage == "lead").order_by(PersonRow.id)
        )
        engagement = session.scalar(select(ScoreRow.engagement).where(ScoreRow.person_id == person))
        # What the ingest does with a new event: store it, mark its person for a decision.
        session.execute(insert(EventRow).values(
            person_id=person, source="hubspot", source_id="late-pricing-view", kind="page_view",
            occurred_at=world.now - timedelta(hours=1),
            attributes={"url": "https://example.com/pricing"},
        ))  # fmt: skip
        session.execute(update(PersonRow).where(PersonRow.id == person).values(dirty=True))

    # A dry rescore scores the new event (packs for everyone else), as the engine does.
    with_packs = _rescore(rt, world.now)
    assert with_packs == _rescore(replace(rt, kernel=None), world.now)
    assert with_packs["people"][person][0][1] > engagement

    # The cycle that decides the person rewrites their pack with the event in it.
    world.cycle(pull_data=False)
    assert _read(rt, trust_packs=True)[1] == _read(rt, trust_packs=False)[1]


def test_people_decided_without_packing_their_events_are_read_from_the_events_table(world):
    world.cycle()
    rt = world.runtime()
    with rt.sessions.begin() as session:
        session.execute(update(PersonRow).values(dirty=True))

    engine_only = replace(rt, kernel=None)  # rules the kernel cannot score: no columns read
    run_cycle(engine_only, build_connectors(engine_only), pull_data=False)

    with rt.reading() as session:
        assert session.scalar(select(func.count()).select_from(EventPackRow)) == 0
    packed, _ = _read(rt, trust_packs=True)
    assert packed.fresh is not None and packed.fresh.people  # read, not trusted


def test_a_pack_is_never_replaced_by_one_read_before_it(world):
    world.cycle()
    rt = world.runtime()
    with rt.sessions.begin() as session:
        person = session.scalar(select(EventRow.person_id).order_by(EventRow.id))
        older = event_packs.read(session, [person], [person])[1]
        session.execute(insert(EventRow).values(
            person_id=person, source="hubspot", source_id="newer-event", kind="page_view",
            occurred_at=world.now, attributes={"url": "https://example.com/"},
        ))  # fmt: skip
        event_packs.pack(session, [person])
        event_packs.store(session, older)  # a slower writer, read before the new event
        count = session.scalar(select(EventPackRow.count).where(EventPackRow.person_id == person))
    assert count == len(older.event_id) + 1
