"""One source of truth per field: the rule decides a conflict, and `explain` names the source.

Also: a value cleared in a CRM clears leadsync's copy, and `leadsync remap` applies a changed
rule or map to every stored record without calling a CRM.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from leadsync.sync.schema import LinkRow, PersonRow

from .test_dry_runs_e2e import leadsync


def _person_with_both(world) -> tuple[PersonRow, str, str]:
    with world.runtime().sessions() as session:
        rows = session.execute(
            select(PersonRow, LinkRow).join(LinkRow, LinkRow.person_id == PersonRow.id)
            .order_by(PersonRow.id)
        ).all()  # fmt: skip
    kinds: dict[int, dict[str, str]] = {}
    people = {}
    for person, link in rows:
        kinds.setdefault(person.id, {})[link.kind] = link.record_id
        people[person.id] = person
    for pid, found in kinds.items():
        if {"hubspot_contact", "salesforce_lead"} <= set(found):
            return people[pid], found["hubspot_contact"], found["salesforce_lead"]
    raise AssertionError("no person with both a HubSpot contact and a Salesforce Lead")


def _title(world, email: str) -> dict:
    data = json.loads(leadsync(world, "explain", email, "--json").stdout)
    return next(f for f in data["fields"] if f["field"] == "title")


def test_each_rule_decides_a_conflicting_title_and_explain_names_the_source(world):
    world.cycle()
    person, contact_id, lead_id = _person_with_both(world)
    world._hs("PATCH", f"/crm/v3/objects/contacts/{contact_id}",
              json={"properties": {"jobtitle": "Head of Buying"}})  # fmt: skip
    world.sf_update("Lead", lead_id, {"Title": "Buyer"})
    world.tick()
    world.cycle()
    shown = _title(world, person.email)
    assert (shown["value"], shown["system"]) == ("Head of Buying", "hubspot")
    assert shown["rule"] == "prefer the CRMs in their default order unless blank"

    world.config.write_text(
        world.config.read_text() + '\n[sources]\ntitle = { prefer = "salesforce" }\n'
    )
    world.reset_stats()
    done = json.loads(leadsync(world, "remap", "--json").stdout)
    assert done["fields"].get("title", 0) >= 1
    assert world.stats()["hubspot"]["requests"] == world.stats()["salesforce"]["requests"] == 0
    shown = _title(world, person.email)
    assert (shown["value"], shown["system"], shown["record"]) == ("Buyer", "salesforce", lead_id)


def test_a_title_cleared_in_the_crm_is_cleared_in_leadsync(world):
    world.cycle()
    person, contact_id, lead_id = _person_with_both(world)
    world._hs("PATCH", f"/crm/v3/objects/contacts/{contact_id}",
              json={"properties": {"jobtitle": "Head of Buying"}})  # fmt: skip
    world.sf_update("Lead", lead_id, {"Title": None})
    world.tick()
    world.cycle()
    world._hs(
        "PATCH", f"/crm/v3/objects/contacts/{contact_id}", json={"properties": {"jobtitle": ""}}
    )
    world.tick(minutes=3)
    world.cycle()
    with world.runtime().sessions() as session:
        assert "title" not in session.get(PersonRow, person.id).fields
