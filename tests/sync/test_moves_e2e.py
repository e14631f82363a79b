"""`leadsync move`: a deliberate move lands in both CRMs, in the ledger and the audit log, and
scoring does not undo it."""

from __future__ import annotations

from sqlalchemy import select

from leadsync.sync.schema import AuditRow, LedgerRow, LinkRow, PersonRow

from .test_dry_runs_e2e import leadsync


def _mql_with_both_records(world) -> PersonRow:
    with world.runtime().sessions() as session:
        both = (
            select(PersonRow)
            .join(LinkRow, LinkRow.person_id == PersonRow.id)
            .where(PersonRow.stage == "mql", LinkRow.kind == "salesforce_lead")
        )
        person = session.scalars(both).first()
        assert person is not None, "the world has no MQL with a Salesforce Lead"
        links = {link.kind: link.record_id for link in session.scalars(
            select(LinkRow).where(LinkRow.person_id == person.id))}  # fmt: skip
    return person, links


def test_moving_an_mql_back_to_lead_reaches_both_crms_and_holds(world):
    world.cycle()
    person, links = _mql_with_both_records(world)
    done = leadsync(world, "move", person.email, "--to", "lead", "--why", "not ready, per sales")
    assert done.returncode == 0, done.stdout + done.stderr

    contact = world.hs_contact(links["hubspot_contact"], ["lifecyclestage"])
    assert contact["lifecyclestage"] == "lead"  # backward: cleared, then set
    (lead,) = world.sf_query(f"SELECT Id, Status FROM Lead WHERE Id = '{links['salesforce_lead']}'")
    assert lead["Status"] == "Open - Not Contacted"
    with world.runtime().sessions() as session:
        last = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == person.id).order_by(LedgerRow.id.desc())
        ).first()
        audit = session.scalars(select(AuditRow).where(AuditRow.action == "person.move")).one()
    assert (last.cause, last.to_stage, last.reason) == ("admin", "lead", "not ready, per sales")
    assert audit.target == person.email and audit.before == {"stage": "mql"}

    world.tick()
    world.cycle()  # no new engagement: scoring leaves the admin's judgment alone
    with world.runtime().sessions() as session:
        assert session.get(PersonRow, person.id).stage == "lead"


def test_a_move_the_state_machine_forbids_changes_nothing(world):
    world.cycle()
    with world.runtime().sessions() as session:
        customer = session.scalars(select(PersonRow).where(PersonRow.stage == "customer")).first()
    assert customer is not None
    done = leadsync(world, "move", customer.email, "nobody@example.com", "--to", "suspect",
                    "--why", "test")  # fmt: skip
    assert done.returncode == 1
    assert "no person with email nobody@example.com" in done.stderr
    with world.runtime().sessions() as session:
        assert session.get(PersonRow, customer.id).stage == "customer"
        assert session.scalars(select(AuditRow)).all() == []
