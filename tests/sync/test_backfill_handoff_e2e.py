"""Backfill windows and resume, the Salesforce handoff, and the read-only commands' JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadsync.sync import cursors
from leadsync.sync.backfill import backfill
from leadsync.sync.cycle import Stopped
from leadsync.sync.schema import BackfillWindowRow, LinkRow, PersonRow
from leadsync.sync.wiring import build_connectors

from .conftest import subprocess_env


def test_a_bounded_backfill_never_moves_the_live_cursor(sqlite_world):
    rt = sqlite_world.runtime()
    connectors = build_connectors(rt)
    result = backfill(rt, connectors, since=sqlite_world.now - timedelta(days=90))
    assert result.ingest.pulled > 0 and result.windows_done >= 3 * len(connectors)
    with rt.sessions() as session:
        assert cursors.position(session, "hubspot", "contacts") is None
    full = backfill(rt, connectors)
    with rt.sessions() as session:
        assert cursors.position(session, "hubspot", "contacts")[0] == full.end


def test_an_interrupted_backfill_resumes_without_reading_finished_windows(sqlite_world):
    rt = sqlite_world.runtime()
    connectors = build_connectors(rt)
    since = sqlite_world.now - timedelta(days=120)
    # Stop after the first few pages, as a SIGTERM would.
    seen = []

    def stop_soon(stream: str, records: int) -> None:
        seen.append(stream)
        if len(seen) == 3:
            from leadsync.sync import cycle

            cycle.STOP.set()

    with pytest.raises(Stopped):
        backfill(rt, connectors, since=since, progress=stop_soon)
    from leadsync.sync import cycle

    cycle.STOP.clear()
    with rt.sessions() as session:
        finished = session.scalar(
            select(func.count())
            .select_from(BackfillWindowRow)
            .where(BackfillWindowRow.finished_at.is_not(None))
        )
    assert finished >= 1
    resumed = backfill(rt, connectors, resume=True)
    assert resumed.windows_skipped == finished
    assert resumed.since == since
    with rt.sessions() as session:
        linked = set(
            session.scalars(select(LinkRow.record_id).where(LinkRow.kind == "hubspot_contact"))
        )
    # Exactly the contacts modified inside the backfill's windows, none missed on resume.
    in_window = {
        cid for cid, props in sqlite_world.hs_contacts(["lastmodifieddate"]).items()
        if since <= datetime.fromisoformat(props["lastmodifieddate"]) < resumed.end
    }  # fmt: skip
    assert linked == in_window


def test_an_mql_without_a_salesforce_record_is_handed_off_as_a_lead_once(world):
    # Marketing qualifies a new contact that sales has never seen.
    world.hs_create({"email": "new.mql@shop.example", "firstname": "Nia", "lastname": "Okafor",
                     "company": "Shop Example", "lifecyclestage": "marketingqualifiedlead"})  # fmt: skip
    world.tick()
    leads_before = len(world.sf_query("SELECT Id FROM Lead"))
    first = world.cycle()
    assert first.decide.handoffs >= 1
    leads_after = world.sf_query("SELECT Id, Email, Status, LastName, Company FROM Lead")
    assert len(leads_after) == leads_before + first.decide.handoffs
    [nia] = [lead for lead in leads_after if lead["Email"] == "new.mql@shop.example"]
    assert (nia["Status"], nia["LastName"], nia["Company"]) == (
        "Open - Not Contacted",  # a new org's status for a Lead waiting for sales
        "Okafor",
        "Shop Example",
    )
    rt = world.runtime()
    with rt.sessions() as session:
        for person in session.scalars(select(PersonRow).where(PersonRow.stage.in_(["mql", "sql"]))):
            kinds = set(session.scalars(select(LinkRow.kind).where(LinkRow.person_id == person.id)))
            assert kinds & {"salesforce_lead", "salesforce_contact"}, person.email
    world.tick()
    second = world.cycle()
    assert second.decide.handoffs == 0
    assert len(world.sf_query("SELECT Id FROM Lead")) == len(leads_after), "no second Lead"


def cli(world, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", *args, "--json", "--config", str(world.config)],
        env=subprocess_env(world), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    return json.loads(done.stdout)


def test_status_funnel_and_explain_speak_json(sqlite_world):
    sqlite_world.cycle()
    status = cli(sqlite_world, "status")
    assert sum(status["persons"].values()) > 0
    assert {c["stream"] for c in status["cursors"]} >= {"contacts", "Lead"}
    funnel = cli(sqlite_world, "report", "funnel")
    by_stage = {row["stage"]: row for row in funnel["stages"]}
    assert sum(row["canonical"] for row in by_stage.values()) == sum(status["persons"].values())
    assert funnel["mql_to_sql"]["mql"] >= funnel["mql_to_sql"]["sql"]
    # An average MQL -> SQL time only when someone went from one to the other, never negative.
    days = funnel["mql_to_sql"]["mean_days"]
    assert days is None or (days >= 0 and funnel["mql_to_sql"]["sql"] > 0)
    with sqlite_world.runtime().sessions() as session:
        email = session.scalars(select(PersonRow.email).where(PersonRow.stage == "mql")).first()
    explained = cli(sqlite_world, "explain", email)
    assert explained["stage"] == "mql" and explained["trail"]
    parts = explained["score"]["contributions"]
    assert round(sum(c["points"] for c in parts), 1) == explained["score"]["total"]


def test_explain_an_unknown_email_says_so_without_a_traceback(sqlite_world):
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "explain", "nobody@nowhere.example", "--config",
         str(sqlite_world.config)],
        env=subprocess_env(sqlite_world), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no person with email 'nobody@nowhere.example'" in done.stderr
    assert "Traceback" not in done.stderr
