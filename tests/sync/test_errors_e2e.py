"""`leadsync errors` on the sandbox: what went wrong, for whom, and what to do; retry, dismiss."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadsync.sync.cli_errors import errors
from leadsync.sync.cli_sync import apply
from leadsync.sync.errorq import due_for_retry
from leadsync.sync.schema import AuditRow, ErrorRow, OutboxRow

# The org's Lead statuses without "Qualified": a value the config does not know.
WITHOUT_QUALIFIED = """
[stages.salesforce.Status]
object = "Lead"
inbound = { "Open - Not Contacted" = "lead", "Marketing Qualified" = "mql", "Working - Contacted" = "sql", "Closed - Converted" = "ignore", "Closed - Not Converted" = "suspect" }
outbound = { lead = "Open - Not Contacted", mql = "Marketing Qualified", sql = "Working - Contacted", suspect = "Closed - Not Converted" }
"""  # fmt: skip


def leadsync(world, command, *args: str):
    env = {"LEADSYNC_NOW": world.now.isoformat()}
    return CliRunner().invoke(command, [*args, "--config", str(world.config)], env=env)


def open_entries(world, *args: str) -> dict:
    done = leadsync(world, errors, *args, "--json")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _lead(world, where: str) -> dict:
    [lead] = world.sf_query(f"SELECT Id, Email FROM Lead WHERE IsConverted = false AND {where} "
                            "ORDER BY Id LIMIT 1")  # fmt: skip
    return lead


@pytest.fixture
def troubled(world):
    """A cycle with an unknown Lead status and a Lead whose update a validation rule refuses."""
    world.config.write_text(world.config.read_text() + WITHOUT_QUALIFIED)
    qualified = _lead(world, "Status != 'Qualified' AND Email != null")
    world.sf_update("Lead", qualified["Id"], {"Status": "Qualified"})
    refused = _lead(world, f"Status != 'Qualified' AND Email != null AND Id != '{qualified['Id']}'")
    world.admin("POST", "settings", salesforce={"reject_emails": [refused["Email"]]})
    world.tick()
    world.cycle()
    return world, qualified["Email"].lower(), refused


def test_errors_name_the_person_and_what_to_do_grouped_by_type(troubled):
    world, qualified_email, refused = troubled
    found = open_entries(world)
    by_code = {e["code"]: e for e in found["entries"]}
    bad_value = by_code["INVALID_VALUE"]
    assert bad_value["email"] == qualified_email
    assert "'Qualified' is not in the stage vocabulary" in bad_value["message"]
    assert bad_value["type"] == "invalid-value" and "config" in bad_value["hint"]
    assert bad_value["retry"] == "fix" and bad_value["next_retry_at"] is None
    write = by_code["FIELD_CUSTOM_VALIDATION_EXCEPTION"]
    assert write["email"] == refused["Email"].lower() and write["type"] == "rejected-value"
    assert write["properties"], "the fields leadsync was writing"
    counted = {t: sum(e["type"] == t for e in found["entries"]) for t in found["by_type"]}
    assert found["by_type"] == counted and found["open"] == len(found["entries"])
    only = open_entries(world, "--type", "invalid-value")
    assert {e["type"] for e in only["entries"]} == {"invalid-value"}
    assert only["open"] == found["by_type"]["invalid-value"]
    text = leadsync(world, errors).stdout
    assert qualified_email in text and "what to do:" in text and "invalid-value" in text


def test_dismiss_takes_an_entry_off_the_list_and_the_audit_log_keeps_why(troubled):
    world, qualified_email, _ = troubled
    [entry] = [e for e in open_entries(world)["entries"] if e["email"] == qualified_email]
    done = leadsync(world, errors, "dismiss", str(entry["id"]), "--why", "test Lead, ignore")
    assert done.exit_code == 0, done.output
    assert entry["id"] not in {e["id"] for e in open_entries(world)["entries"]}
    with world.runtime().sessions() as session:
        [audit] = session.scalars(select(AuditRow).where(AuditRow.action == "errors.dismiss"))
    assert audit.target == f"error {entry['id']}" and audit.why == "test Lead, ignore"
    assert audit.before["email"] == qualified_email
    again = leadsync(world, errors, "dismiss", str(entry["id"]), "--why", "twice")
    assert again.exit_code == 2 and "already dismissed" in again.stderr
    missing = leadsync(world, errors, "dismiss", "99999", "--why", "x")
    assert missing.exit_code == 2 and "no error-queue entry 99999" in missing.stderr


def test_retry_of_a_failed_write_makes_the_next_apply_send_it(troubled):
    world, _, refused = troubled
    [entry] = [e for e in open_entries(world)["entries"] if e["stage"] == "apply"]
    world.admin("POST", "settings", salesforce={"reject_emails": []})  # the rule was fixed
    done = leadsync(world, errors, "retry", str(entry["id"]))
    assert done.exit_code == 0, done.output
    sent = leadsync(world, apply)
    assert sent.exit_code in (0, 3), sent.output  # 3: the unknown status is still open
    assert "applied 1 writes" in sent.stdout
    assert entry["id"] not in {e["id"] for e in open_entries(world)["entries"]}, "resolved"
    with world.runtime().sessions() as session:
        row = session.get(OutboxRow, session.get(ErrorRow, entry["id"]).payload["outbox_id"])
        assert row.state == "done"
        assert session.scalars(select(AuditRow).where(AuditRow.action == "errors.retry")).all()
    [lead] = world.sf_query(f"SELECT Id, Status FROM Lead WHERE Id = '{refused['Id']}'")
    assert all(str(lead.get(k)) == str(v) for k, v in row.properties.items() if k in lead)


def test_an_unknown_type_says_which_exist(troubled):
    world, _, _ = troubled
    done = leadsync(world, errors, "--type", "nonsense")
    assert done.exit_code == 2
    assert "no error type 'nonsense'" in done.stderr and "invalid-value" in done.stderr


def test_retry_of_an_ingest_entry_makes_it_due_for_the_next_cycle(troubled):
    world, qualified_email, _ = troubled
    [entry] = [e for e in open_entries(world)["entries"] if e["email"] == qualified_email]
    rt = world.runtime()
    with rt.sessions() as session:
        assert entry["id"] not in {e.id for e in due_for_retry(session, world.now)}
    assert leadsync(world, errors, "retry", "--type", "invalid-value").exit_code == 0
    with rt.sessions() as session:
        assert entry["id"] in {e.id for e in due_for_retry(session, world.now, stage="ingest")}


def test_after_a_config_fix_a_retried_record_syncs_on_the_next_cycle(troubled):
    world, qualified_email, _ = troubled
    world.tick(minutes=5)
    world.cycle()  # a quiet cycle: the record is behind the cursor now, never pulled again
    known = WITHOUT_QUALIFIED.replace('"suspect" }', '"suspect", "Qualified" = "sql" }', 1)
    world.config.write_text(world.config.read_text().replace(WITHOUT_QUALIFIED, known))
    [entry] = [e for e in open_entries(world)["entries"] if e["email"] == qualified_email]
    assert leadsync(world, errors, "retry", str(entry["id"])).exit_code == 0
    world.tick()
    world.cycle()
    assert entry["id"] not in {e["id"] for e in open_entries(world)["entries"]}
