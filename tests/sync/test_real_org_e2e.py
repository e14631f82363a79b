"""What real orgs do: fields hidden from the integration user, and people named in the ledger."""

from __future__ import annotations

import requests
from sqlalchemy import select

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


def test_the_ledger_names_the_sales_rep_who_disqualified_a_lead(world):
    world.cycle()
    token, rep = _as_rep(world)
    with world.runtime().sessions() as session:
        # A Lead of someone scoring placed (no Opportunity floor under them), chosen stably.
        link = session.scalars(
            select(LinkRow).join(PersonRow, PersonRow.id == LinkRow.person_id)
            .where(LinkRow.kind == "salesforce_lead", PersonRow.stage.in_(("lead", "mql")))
            .order_by(LinkRow.id)
        ).first()  # fmt: skip
    url = f"{world.info['salesforce_url']}/services/data/v59.0/sobjects/Lead/{link.record_id}"
    requests.patch(url, json={"Status": "Closed - Not Converted"}, timeout=10,
                   headers={"Authorization": f"Bearer {token}"},
                   verify=world.info["ca_bundle"]).raise_for_status()  # fmt: skip
    world.tick()
    world.cycle()
    with world.runtime().sessions() as session:
        last = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == link.person_id)
            .order_by(LedgerRow.id.desc())
        ).first()  # fmt: skip
    assert last.to_stage == "suspect" and last.cause == "human"
    assert rep["Name"] in last.actor and last.actor.startswith("salesforce:")
