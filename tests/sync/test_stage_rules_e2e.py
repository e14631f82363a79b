"""Stage rules across both CRMs: sales disqualifies, a recycle rule moves back, bad records."""

from __future__ import annotations

from sqlalchemy import select

from leadsync.sync.cycle import mark_all_dirty
from leadsync.sync.errorq import open_errors
from leadsync.sync.schema import LedgerRow, LinkRow, PersonRow


def person_linked_to_open_lead(world, stages=("lead", "mql")) -> tuple[PersonRow, str, str]:
    """A person at one of `stages` with an unconverted Salesforce Lead and a HubSpot contact."""
    rt = world.runtime()
    with rt.sessions() as session:
        for person in session.scalars(select(PersonRow).where(PersonRow.stage.in_(stages))):
            links = {link.kind: link for link in session.scalars(
                select(LinkRow).where(LinkRow.person_id == person.id))}  # fmt: skip
            lead, contact = links.get("salesforce_lead"), links.get("hubspot_contact")
            if lead and contact and not lead.snapshot.get("IsConverted"):
                return person, lead.record_id, contact.record_id
    raise AssertionError(f"the seeded world has no {stages} person with an open Lead")


def trail(world, person_id: int) -> list[LedgerRow]:
    with world.runtime().sessions() as session:
        return list(session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == person_id).order_by(LedgerRow.id)))  # fmt: skip


def test_sales_disqualifies_a_lead_and_hubspot_follows_without_scoring_undoing_it(world):
    world.cycle()
    person, lead_id, contact_id = person_linked_to_open_lead(world)
    world.sf_update("Lead", lead_id, {"Status": "Closed - Not Converted"})
    world.tick()
    world.cycle()
    hubspot = world.hs_contact(contact_id, ["lifecyclestage", "hs_lead_status", "leadsync_stage"])
    assert hubspot["leadsync_stage"] == "suspect"
    assert hubspot["hs_lead_status"] == "UNQUALIFIED"
    assert hubspot["lifecyclestage"] == "other"
    last = trail(world, person.id)[-1]
    assert (last.to_stage, last.cause) == ("suspect", "human")
    # A nightly rescore with no new engagement does not promote the person again.
    world.tick(days=1)
    mark_all_dirty(world.runtime())
    world.cycle()
    assert trail(world, person.id)[-1].id == last.id
    assert world.hs_contact(contact_id, ["leadsync_stage"])["leadsync_stage"] == "suspect"


RECYCLE = """
[[scoring.recycle]]
id = "mql-not-accepted"
label = "MQL not accepted by sales within 60 days"
from = ["mql"]
to = "lead"
after_days = 60
"""


def test_a_recycle_rules_backward_move_lands_in_both_crms(world):
    from leadsync.sync.config import SHIPPED_RULES

    world.config.write_text(world.config.read_text() + "\n" + SHIPPED_RULES.read_text() + RECYCLE)
    world.cycle()
    person, lead_id, contact_id = person_linked_to_open_lead(world, stages=("mql",))
    before = world.hs_contact(contact_id, ["lifecyclestage"])["lifecyclestage"]
    assert before == "marketingqualifiedlead"
    world.reset_stats()
    world.tick(days=61)
    mark_all_dirty(world.runtime())
    world.cycle()
    last = trail(world, person.id)[-1]
    assert (last.from_stage, last.to_stage, last.cause) == ("mql", "lead", "recycle")
    assert "mql-not-accepted" in last.rule_ids
    assert world.hs_contact(contact_id, ["lifecyclestage"])["lifecyclestage"] == "lead"
    [lead] = world.sf_query(f"SELECT Status FROM Lead WHERE Id = '{lead_id}'")
    assert lead["Status"] == "Open - Not Contacted"
    # HubSpot ignores a direct backward write: leadsync cleared the value first, then set it.
    updates = world.stats()["hubspot"]["by_route"].get(
        "POST /crm/v3/objects/contacts/batch/update", 0
    )
    assert updates >= 2


def test_bad_records_go_to_the_error_queue_while_the_rest_sync(world):
    # An org-specific Lead status the config does not know, a junk email, and a Salesforce
    # validation rule that rejects one Lead's update.
    world.config.write_text(world.config.read_text() + """
[stages.salesforce.Status]
object = "Lead"
inbound = { "Open - Not Contacted" = "lead", "Marketing Qualified" = "mql", "Working - Contacted" = "sql", "Closed - Converted" = "ignore", "Closed - Not Converted" = "suspect" }
outbound = { lead = "Open - Not Contacted", mql = "Marketing Qualified", sql = "Working - Contacted", suspect = "Closed - Not Converted" }
""")  # fmt: skip
    qualified = world.sf_query("SELECT Id FROM Lead WHERE Status = 'Qualified' LIMIT 1")
    if not qualified:
        [some] = world.sf_query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1")
        world.sf_update("Lead", some["Id"], {"Status": "Qualified"})
        qualified = [some]
    [rejected] = world.sf_query(
        "SELECT Id, Email FROM Lead WHERE IsConverted = false AND Status != 'Qualified' LIMIT 1"
    )
    world.admin("POST", "settings", salesforce={"reject_emails": [rejected["Email"]]})
    world.box.hubspot.load(_with_junk_email(world.box.hubspot))
    world.tick()
    result = world.cycle()
    assert result.error is None
    with world.runtime().sessions() as session:
        errors = open_errors(session)
    codes = {e.code for e in errors}
    assert {"INVALID_VALUE", "FIELD_CUSTOM_VALIDATION_EXCEPTION"} <= codes
    messages = " | ".join(e.message for e in errors)
    assert "'Qualified' is not in the stage vocabulary" in messages
    assert "is not an email address" in messages
    contacts = world.hs_contacts(["leadsync_stage", "email"])
    synced = [p for p in contacts.values() if p.get("leadsync_stage")]
    assert len(synced) >= len(contacts) - 1, "every other contact still synced"


def _with_junk_email(state):
    """The seeded HubSpot world plus one contact whose email an import mangled."""
    from dataclasses import replace

    world = state._world
    junk = {"id": "999999", "properties": {"email": "jane.doe(at)example.com", "firstname": "Jane",
                                           "lifecyclestage": "lead"},
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    return replace(world, contacts=[*world.contacts, junk])
