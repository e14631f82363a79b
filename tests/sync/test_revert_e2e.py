"""Edit, preview, apply, and if needed revert: a bad revision is undone in both CRMs."""

from __future__ import annotations

import json

from .test_dry_runs_e2e import leadsync
from .test_preview_e2e import EVERYONE_PLUS_100, RULES
from .test_recovery_e2e import crm_state


def _leads(world) -> set[str]:
    return {lead["Id"] for lead in world.sf_query("SELECT Id FROM Lead")}


def test_reverting_a_bad_revision_restores_both_crms_and_withdraws_its_leads(world):
    good = world.config.read_text() + "\n" + RULES.read_text()
    world.config.write_text(good)
    assert leadsync(world, "sync", "--why", "the agreed rules").returncode in (0, 3)
    before, leads_before = crm_state(world), _leads(world)

    world.config.write_text(good + EVERYONE_PLUS_100)
    world.tick()
    bad = leadsync(world, "rescore", "--apply", "--why", "reward everyone")
    assert bad.returncode in (0, 3), bad.stderr
    assert crm_state(world) != before and _leads(world) > leads_before
    history = json.loads(leadsync(world, "config", "history", "--json").stdout)
    bad_rev = next(r["revision"] for r in history if r["why"] == "reward everyone")

    world.tick()
    assert leadsync(world, "config", "rollback", "r1", "--why", "bad rule").returncode == 0
    dry = json.loads(leadsync(world, "revert", "--revision", bad_rev, "--dry-run", "--json").stdout)
    assert dry["moved_back"] and dry["leads_withdrawn"], dry["leads_listed"][:3]
    assert _leads(world) > leads_before  # a dry run changes nothing

    done = leadsync(world, "revert", "--revision", bad_rev, "--json")
    assert done.returncode == 0, done.stderr
    assert _leads(world) == leads_before
    assert _stages(crm_state(world)) == _stages(before)
    # The rolled-back rules give everyone their old scores at the next rescore.
    world.tick()
    assert leadsync(world, "rescore", "--apply").returncode in (0, 3)
    assert crm_state(world) == before


STAGES = ("lifecyclestage", "hs_lead_status", "leadsync_stage", "Status", "Leadsync_Stage__c")


def _stages(state) -> tuple:
    contacts, leads = state
    held = {cid: {k: v for k, v in props.items() if k in STAGES} for cid, props in contacts.items()}
    return held, [{k: v for k, v in lead.items() if k in (*STAGES, "Email")} for lead in leads]
