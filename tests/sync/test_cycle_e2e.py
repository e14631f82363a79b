"""The sync worker end to end against the sandbox, with the real clients over real HTTP.

Each test gets a fresh sandbox and a fresh store, on SQLite and again on PostgreSQL when one
is reachable.
"""

from __future__ import annotations

from sqlalchemy import func, select

from leadsync.sync.errorq import open_errors
from leadsync.sync.schema import LedgerRow, OutboxRow, PersonRow

HS_PROPS = ["lifecyclestage", "hs_lead_status", "leadsync_stage", "leadsync_score"]


def test_first_cycle_writes_stages_and_scores_to_both_crms(world):
    result = world.cycle()
    assert result.error is None
    assert result.decide.scored > 0 and result.apply.done > 0
    rt = world.runtime()
    with rt.sessions() as session:
        stages = dict(
            session.execute(select(PersonRow.stage, func.count()).group_by(PersonRow.stage)).all()
        )
    contacts = world.hs_contacts(HS_PROPS)
    written = [p for p in contacts.values() if p.get("leadsync_stage")]
    assert len(written) == len(contacts), "every HubSpot contact carries its canonical stage"
    assert sum(stages.values()) >= len(contacts)
    leads = world.sf_query("SELECT Id, Leadsync_Stage__c, IsConverted FROM Lead")
    assert all(lead["Leadsync_Stage__c"] for lead in leads if not lead["IsConverted"])


def test_second_cycle_right_after_makes_zero_write_calls(world):
    world.cycle()
    world.reset_stats()
    again = world.cycle()
    stats = world.stats()
    assert stats["hubspot"]["writes"] == 0
    assert stats["salesforce"]["writes"] == 0
    assert again.decide.moved == 0 and again.apply.done == 0


def test_dry_run_writes_nothing_and_apply_does_exactly_what_plan_showed(world):
    world.reset_stats()
    world.cycle(apply=False, kind="plan")
    stats = world.stats()
    assert stats["hubspot"]["writes"] == 0 and stats["salesforce"]["writes"] == 0
    rt = world.runtime()
    with rt.sessions() as session:
        planned = {
            (r.system, r.record_id): dict(r.properties)
            for r in session.scalars(select(OutboxRow).where(OutboxRow.state == "pending"))
        }
    assert planned
    world.cycle(pull_data=False)
    names = sorted({name for props in planned.values() for name in props})
    contacts = world.hs_contacts(names)
    for (system, record_id), properties in planned.items():
        if system != "hubspot":
            continue
        held = contacts[record_id]
        for name, value in properties.items():
            assert held.get(name) == value, (record_id, name)
    with rt.sessions() as session:
        assert not session.scalars(select(OutboxRow).where(OutboxRow.state == "pending")).all()


def test_every_stage_change_is_in_the_ledger_with_actor_and_reason(world):
    result = world.cycle()
    rt = world.runtime()
    with rt.sessions() as session:
        rows = session.scalars(select(LedgerRow)).all()
    assert len(rows) == result.decide.moved > 0
    assert all(row.actor and row.reason and row.cause for row in rows)


def test_nothing_is_left_in_the_error_queue_for_a_clean_world(world):
    world.cycle()
    rt = world.runtime()
    with rt.sessions() as session:
        assert [e.message for e in open_errors(session)] == []


def test_the_rules_move_people_on_from_where_a_crm_placed_them_in_the_same_cycle(world):
    world.cycle()
    trails: dict[int, list[LedgerRow]] = {}
    with world.runtime().sessions() as session:
        for row in session.scalars(select(LedgerRow).order_by(LedgerRow.id)):
            trails.setdefault(row.person_id, []).append(row)
    two_step = [t for t in trails.values() if len(t) == 2]
    assert two_step, "some HubSpot leads score as MQLs in the seeded world"
    ladder = ["lead", "mql", "sql", "prospect", "opportunity", "customer"]
    for placed, scored in two_step:
        assert placed.cause in ("human", "evidence") and scored.cause == "score"
        assert scored.from_stage == placed.to_stage
        if scored.to_stage == "suspect":
            assert placed.to_stage == "lead"
        else:
            assert ladder.index(scored.to_stage) > ladder.index(placed.to_stage)
