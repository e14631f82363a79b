"""What the pages show, checked against the store and the CLI's own data functions, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import html
import os
import re
import shutil
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadsync.console import people
from leadsync.console.app import create_app
from leadsync.console.reports import KeptReport
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.sync import triage
from leadsync.sync.cli_report import explanation, funnel_data
from leadsync.sync.cli_status import status_data
from leadsync.sync.errorq import TYPES, summary
from leadsync.sync.schema import PersonRow, RunRow, ShadowCandidateRow, ShadowDecisionRow
from leadsync.sync.shadow_report import shadow_report
from tests.console.conftest import PASSWORD, SECRET_KEY, signed_in


@pytest.fixture(scope="module")
def state(any_store) -> ConsoleState:
    return any_store.state()


def browser(state: ConsoleState, email: str = "owner@example.com") -> TestClient:
    client = TestClient(create_app(state, ConsoleOptions(secret_key=SECRET_KEY)),
                        follow_redirects=False)  # fmt: skip
    assert signed_in(client, email).status_code == 303
    return client


def text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def test_health_shows_the_error_queue_by_type_and_its_entries_with_their_people(state):
    page = browser(state)
    shown = text(page.get("/health"))
    with state.runtime().sessions() as session:
        by_type = summary(session)
        entries = [triage.view(e) for e in triage.entries(session, type_="rejected-value")]
    assert by_type == {"rejected-value": 2, "invalid-value": 1}
    for type_, count in by_type.items():
        assert f"{type_} {count} {TYPES[type_]}" in shown
    listed = text(page.get("/health/errors", params={"type": "rejected-value"}))
    assert "2 open rejected-value entries" in listed
    for entry in entries:
        assert f"#{entry['id']} {entry['record']} {entry['email']}" in listed
    assert "map it in stages.salesforce.Status" in listed


def test_health_shows_runs_api_use_against_the_budget_and_the_pending_plan(state):
    shown = text(browser(state).get("/health"))
    assert re.search(r"#1 sync \S+ \S+ ok [\d,]+ ", shown)
    assert "hubspot 42 1,200 200,000 250,000" in shown  # calls, used, leadsync's 80%, limit
    assert "salesforce 17 – – –" in shown
    pending = status_data(state.runtime())["pending"]
    assert pending["queued_writes"] == {"hubspot": 1, "salesforce": 1}
    assert (f"2 writes queued: hubspot 1, salesforce 1; {pending['people_to_decide']} people "
            "waiting to be decided") in shown  # fmt: skip
    assert "hubspot contact 1 0" in shown and "salesforce Lead 0 1" in shown
    assert "<svg" in browser(state).get("/health").text


def _token(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/health").text).group(1)


def test_people_search_by_email_name_and_stage_a_page_at_a_time(state):
    page = browser(state, "viewer@example.com")
    with state.runtime().sessions() as session:
        people = session.scalars(select(PersonRow).order_by(PersonRow.id.desc())).all()
    everyone = text(page.get("/people"))
    assert f"{len(people)} people, page 1" in everyone
    assert people[0].email in everyone and people[-1].email not in everyone  # 50 a page
    second = text(page.get("/people", params={"page": 2}))
    assert people[-1].email in second and "Next" not in second
    target = next(p for p in people if p.fields.get("last_name") and p.email)
    by_name = text(page.get("/people", params={"q": target.fields["last_name"].upper()}))
    assert target.email in by_name
    by_email = text(page.get("/people", params={"q": target.email.split("@")[1]}))
    assert target.email in by_email
    staged = page.get("/people", params={"stage": "suspect"})
    suspects = {p.email for p in people if p.stage == "suspect"}
    assert suspects and suspects <= set(re.findall(r">([^<>@\s]+@[^<>\s]+)</a>", staged.text))
    assert "nobody@nowhere.example" not in text(page.get("/people", params={"q": "nobody@"}))


def test_a_persons_page_shows_what_leadsync_explain_gives(state):
    page = browser(state, "viewer@example.com")
    with state.runtime().sessions() as session:
        person = session.scalars(select(PersonRow).where(PersonRow.stage == "mql")).first()
    data = explanation(state.runtime(), person.email)
    shown = text(page.get(f"/people/{person.id}"))
    assert f"Stage {data['stage']}" in shown
    for contribution in data["score"]["contributions"]:
        assert contribution["label"] in shown and contribution["evidence"] in shown
    for step in data["trail"]:
        assert f"{step['to']} {step['actor']} {step['cause']}" in shown


def test_the_funnel_page_shows_report_funnels_numbers(state):
    data = funnel_data(state.runtime())
    shown = text(browser(state).get("/funnel"))
    conv = data["mql_to_sql"]
    assert f"MQL → SQL: {conv['sql']} SQLs of {conv['mql']} MQLs" in shown
    for row in data["stages"]:
        ever = data["ever_reached"][row["stage"]]
        assert (
            f"{row['stage']} {row['canonical']} {row['hubspot']} {row['salesforce']} {ever}"
            in shown
        )
    for cohort in data["cohorts"]:
        assert f"{cohort['month']} {cohort['mql']} {cohort['sql']}" in shown


def values(response) -> set[str]:
    """Every value the page's form fields hold (inputs, chosen options, text areas)."""
    page = response.text
    found = re.findall(r'<input[^>]*\svalue="([^"]*)"', page)
    found += re.findall(r'<option value="([^"]*)" selected', page)
    found += re.findall(r"<textarea[^>]*>([^<]*)</textarea>", page)
    return {html.unescape(v) for v in found}


def test_mappings_and_rules_show_the_config_in_effect_as_tables_to_edit(state):
    rt = state.runtime()
    page = browser(state, "viewer@example.com")
    mappings = page.get("/mappings")
    shown, held = text(mappings), values(mappings)
    for vocab in rt.vocabularies:
        assert f"{vocab.system} {vocab.obj}.{vocab.prop}" in shown
        assert set(vocab.inbound) <= held
        assert {v for v in vocab.outbound.values()} <= held
    for (_system, _obj), maps in rt.field_maps.items():
        assert {m.source for m in maps} <= held
    assert mappings.text.count("<fieldset disabled>") >= len(rt.vocabularies)  # a viewer's
    rules = page.get("/rules")
    cfg = rt.settings.rules
    assert {rule.id for rule in [*cfg.fit, *cfg.engagement]} <= values(rules)
    assert all(rule.id in text(rules) for rule in cfg.recycle)
    assert "annual_revenue from 10,000,000 below 100,000,000" in text(rules)  # reads as


def test_an_owner_adds_a_user_in_the_console_and_the_audit_page_shows_who_did_it(state):
    page = browser(state)
    token = _token(page)
    form = {"email": "analyst@example.com", "role": "viewer", "password": PASSWORD,
            "confirm": PASSWORD, "csrf_token": token}  # fmt: skip
    assert page.post("/users", data=form).headers["location"] == "/users"
    assert "analyst@example.com can now sign in as viewer" in text(page.get("/users"))
    page.post("/users/role", data={"email": "analyst@example.com", "role": "editor",
                                   "csrf_token": token})  # fmt: skip
    audit = text(page.get("/audit"))
    assert ('owner@example.com console.user.role analyst@example.com {"role": "viewer"} '
            '{"role": "editor"}') in audit  # fmt: skip
    assert PASSWORD not in page.get("/audit").text
    refused = page.post("/users/remove", data={"email": "nobody@example.com", "csrf_token": token})
    assert "no console account for nobody@example.com" in text(
        page.get(refused.headers["location"])
    )


def test_a_config_edit_shows_on_the_next_page_and_a_broken_one_is_reported(any_store, tmp_path):
    config = tmp_path / "config.toml"
    shutil.copy(any_store.config, config)
    state = ConsoleState(config, clock=lambda: any_store.now)
    page = browser(state, "viewer@example.com")
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace('"Adjacent industry"', '"Neighbouring industry"'))
    os.utime(config, (1, 1))  # a different stamp even within the file system's resolution
    assert "Neighbouring industry" in values(page.get("/rules"))
    config.write_text(original + "\n[sync]\ninterval_minutes = 0\n")
    os.utime(config, (2, 2))
    rules = page.get("/rules")
    assert "does not load" in text(rules) and "interval_minutes" in text(rules)
    # The editor shows the file as it is now, so it can be fixed here.
    assert "Adjacent industry" in values(rules)


def test_the_funnel_is_counted_once_per_store_version_and_refreshed_behind_the_page(state):
    counted = []

    def count(rt):
        counted.append(1)
        return {"runs": len(counted)}

    kept = KeptReport(count)
    rt = state.runtime()
    first = kept.get(rt)
    assert (first.data, first.refreshing, len(counted)) == ({"runs": 1}, False, 1)
    assert kept.get(rt) == first and len(counted) == 1
    with rt.sessions.begin() as session:
        session.add(RunRow(kind="sync", started_at=rt.clock(), status="ok", counts={}))
    stale = kept.get(rt)
    assert stale.refreshing and stale.data == {"runs": 1}  # answered at once, not waited for
    for _ in range(200):
        fresh = kept.get(rt)
        if not fresh.refreshing:
            break
        time.sleep(0.05)
    assert fresh.data == {"runs": 2} and not fresh.refreshing


def test_on_postgresql_name_and_email_search_is_answered_from_the_trigram_indexes(state):
    rt = state.runtime()
    with rt.sessions() as session:
        if session.bind.dialect.name != "postgresql":
            pytest.skip("trigram indexes are PostgreSQL's (SQLite scans, fast enough)")
        query = select(PersonRow.id).where(people._matching("lovelace"))
        compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
        session.execute(
            sa.text("SET LOCAL enable_seqscan = off")
        )  # a 60-row table is cheaper to scan
        plan = "\n".join(row[0] for row in session.execute(sa.text(f"EXPLAIN {compiled}")))
    assert "ix_persons_email_trgm" in plan and "ix_persons_name_trgm" in plan, plan


def test_a_view_during_the_first_count_waits_for_it_instead_of_counting_again(state):
    started, release, counted = threading.Event(), threading.Event(), []

    def slow(rt):
        counted.append(1)
        started.set()
        release.wait(timeout=30)
        return {"count": len(counted)}

    kept = KeptReport(slow)
    rt = state.runtime()
    kept.warm(rt)
    assert started.wait(timeout=30)
    answers = []
    viewer = threading.Thread(target=lambda: answers.append(kept.get(rt)))
    viewer.start()
    viewer.join(timeout=0.3)  # let it ask while the first count is still running
    release.set()
    viewer.join(timeout=30)
    assert answers[0].data == {"count": 1} and len(counted) == 1


def test_the_funnel_page_shows_how_a_shadow_candidate_compares(state):
    page = browser(state)
    assert "No shadow candidate has decided anyone yet" in text(page.get("/funnel/shadow"))
    with state.runtime().sessions.begin() as session:
        now = session.scalar(select(sa.func.max(PersonRow.updated_at)))
        cand = ShadowCandidateRow(hash="c0ffee" * 10, path="candidate.toml", text="",
                                  since=now, last_run_at=now)  # fmt: skip
        session.add(cand)
        session.flush()
        people = session.scalars(select(PersonRow).order_by(PersonRow.id).limit(6)).all()
        for i, p in enumerate(people):  # the candidate calls every other one an MQL
            stage = "mql" if i % 2 else (p.stage or "lead")
            session.add(ShadowDecisionRow(candidate_id=cand.id, person_id=p.id, decided_at=now,
                                          stage=stage, live_stage=p.stage, fit=0, engagement=0,
                                          total=0))  # fmt: skip
    try:
        with state.runtime().sessions() as session:
            data = shadow_report(session, examples=3)
        shown = text(page.get("/funnel/shadow"))
        assert f"{data['agree']} of {data['people']} people in the same stage" in shown
        for d in data["divergence"]:
            assert f"{d['live'] or '(none)'} {d['candidate']} {d['people']}" in shown
            assert all(email in shown for email in d["examples"])
        assert data["divergence"], "the candidate differs somewhere"
        assert 'hx-get="/funnel/shadow"' in page.get("/funnel").text
    finally:
        with state.runtime().sessions.begin() as session:
            session.execute(sa.delete(ShadowDecisionRow))
            session.execute(sa.delete(ShadowCandidateRow))
