"""What real orgs do: fields hidden from the integration user, and people named in the ledger."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from leadsync.sync.schema import LedgerRow, LinkRow, PersonRow

from .test_dry_runs_e2e import leadsync


def test_a_hidden_optional_field_costs_one_warning_and_the_sync_completes(world):
    world.admin("POST", "settings", salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail"]})
    done = leadsync(world, "sync")
    assert done.returncode in (0, 3), done.stderr
    said = [line for line in (done.stdout + done.stderr).splitlines() if "warning" in line]
    assert len(said) == 1 and "HasOptedOutOfEmail" in said[0], said
    assert "pulled" in done.stdout


def test_a_hidden_required_field_stops_the_sync_naming_it_and_the_permission(world):
    world.admin("POST", "settings", salesforce={"hidden_fields": ["Lead.Email"]})
    done = leadsync(world, "sync")
    assert done.returncode == 1
    assert "Lead.Email" in done.stderr and "Traceback" not in done.stderr


def _as_rep(world) -> tuple[str, dict]:
    users = world.sf_query("SELECT Id, Username, Name, Email FROM User")
    rep = next(u for u in users if "integration" not in (u["Username"] or "").lower())
    token = world.admin("POST", "salesforce/tokens", user=rep["Id"])["token"]
    return token, rep


def _rep_disqualifies_a_lead(world, token: str) -> tuple[int, list[LedgerRow]]:
    """After a first cycle, the rep sets a Lead's Status to a disqualified value; the next
    cycle runs. (the person's id, the ledger entries that cycle made for them)"""
    world.cycle()
    with world.runtime().sessions() as session:
        # A Lead of someone scoring placed (no Opportunity floor under them), chosen stably.
        link = session.scalars(
            select(LinkRow).join(PersonRow, PersonRow.id == LinkRow.person_id)
            .where(LinkRow.kind == "salesforce_lead", PersonRow.stage.in_(("lead", "mql")))
            .order_by(LinkRow.id)
        ).first()  # fmt: skip
        before = session.scalar(select(func.max(LedgerRow.id)))
    url = f"{world.info['salesforce_url']}/services/data/v59.0/sobjects/Lead/{link.record_id}"
    requests.patch(url, json={"Status": "Closed - Not Converted"}, timeout=10,
                   headers={"Authorization": f"Bearer {token}"},
                   verify=world.info["ca_bundle"]).raise_for_status()  # fmt: skip
    world.tick()
    world.cycle()
    with world.runtime().sessions() as session:
        entries = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == link.person_id, LedgerRow.id > before)
            .order_by(LedgerRow.id)
        ).all()  # fmt: skip
    return link.person_id, list(entries)


def test_the_ledger_names_the_sales_rep_who_disqualified_a_lead(world):
    token, rep = _as_rep(world)
    _, entries = _rep_disqualifies_a_lead(world, token)
    last = entries[-1]
    assert last.to_stage == "suspect" and last.cause == "human"
    assert rep["Name"] in last.actor and last.actor.startswith("salesforce:")


def test_a_user_named_as_an_integration_is_not_credited_with_a_human_move(world):
    """HubSpot's own Salesforce connector writes Lead Status too: named in
    `salesforce.integration_users`, its changes are a system's claim, not a rep's judgment."""
    token, rep = _as_rep(world)
    text = world.config.read_text()
    assert "\n[salesforce]\n" in text
    world.config.write_text(text.replace(
        "\n[salesforce]\n", f'\n[salesforce]\nintegration_users = ["{rep["Username"]}"]\n', 1))  # fmt: skip
    _, entries = _rep_disqualifies_a_lead(world, token)
    # The value still counts, as the CRM's claim: moved by evidence, credited to no one.
    assert [(e.to_stage, e.cause, e.actor) for e in entries] == [
        ("suspect", "evidence", "salesforce")]  # fmt: skip


@pytest.mark.parametrize("unattributed", ["person", "integration"])
def test_hubspot_changes_naming_no_user_can_be_taken_as_an_integrations(world, unattributed):
    """Seeded lifecycle stages name no HubSpot user: by default a person set them; with
    `unattributed_changes = "integration"` they are claims, credited to no one."""
    text = world.config.read_text()
    assert "\n[hubspot]\n" in text
    world.config.write_text(text.replace(
        "\n[hubspot]\n", f'\n[hubspot]\nunattributed_changes = "{unattributed}"\n', 1))  # fmt: skip
    world.cycle()
    with world.runtime().sessions() as session:
        human = session.scalar(select(func.count()).select_from(LedgerRow).where(
            LedgerRow.cause == "human", LedgerRow.actor.like("hubspot%")))  # fmt: skip
    assert (human > 0) is (unattributed == "person")
