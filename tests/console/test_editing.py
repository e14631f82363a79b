"""The Mappings and Rules editors over a draft: problems at their cells, comments kept, saves
that refuse what they must, History's rollback, trying a draft on a person, the CRMs' values
and live checks, on SQLite and on PostgreSQL. The tests share one store and run in order.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.console.users import Role, add_user
from leadsync.sync import revisions
from leadsync.sync.schema import AuditRow, PersonRow, RevisionRow, ScoreRow
from tests.console.conftest import PASSWORD, SECRET_KEY, TOKENS, csrf_of, offline_config, signed_in

EDITOR = "editor@example.com"


@pytest.fixture(scope="module")
def state(any_store) -> ConsoleState:
    return any_store.state()


def client(state: ConsoleState, email: str = EDITOR) -> TestClient:
    page = TestClient(create_app(state, ConsoleOptions(secret_key=SECRET_KEY)),
                      follow_redirects=False)  # fmt: skip
    assert signed_in(page, email).status_code == 303
    return page


@pytest.fixture(scope="module")
def page(state) -> TestClient:
    return client(state)


def said(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text))).strip()


def form_of(response, form_id: str) -> dict[str, str]:
    """The fields of one form as the browser would post them, unchanged."""
    body = re.search(rf'<form[^>]*id="{form_id}".*?</form>', response.text, re.S).group(0)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if name and (not kind or kind.group(1) != "checkbox" or " checked" in tag):
            fields[name.group(1)] = html.unescape(value.group(1)) if value else "on"
    for name, inner in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', inner)
        fields[name] = html.unescape(chosen.group(1)) if chosen else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>([^<]*)</textarea>', body):
        fields[name] = html.unescape(text)
    return fields


def edit(page: TestClient, where: str, form_id: str, **changes: str):
    shown = page.get(where)
    fields = form_of(shown, form_id) | changes
    tag = re.search(rf'<form[^>]*id="{form_id}"[^>]*>', shown.text).group(0)
    return page.post(re.search(r'action="([^"]+)"', tag).group(1), data=fields)


def cell(response, element_id: str) -> str:
    """One form field and the problems listed right below it."""
    start = response.text.index(f'id="{element_id}"')
    return response.text[response.text.rfind("<", 0, start) : start + 600]


def test_a_bad_value_is_reported_at_its_cell_and_the_draft_cannot_be_saved(page, state):
    before = state.config_path.read_text(encoding="utf-8")
    edit(page, "/rules", "fit", **{"points-0": "ten", "op-1": "range"})
    rules = page.get("/rules")
    points = cell(rules, "fit-points-0")
    assert 'aria-invalid="true"' in points and "must be a number, got &#39;ten&#39;" in points
    assert "&#39;range&#39; needs &#39;at_least&#39;, &#39;below&#39; or both" in rules.text
    assert 'aria-invalid="true"' in cell(rules, "fit-value-1")  # "not used by operator"
    assert re.search(r"Save as a new revision</button>", rules.text)
    assert re.search(r"<button type=\"submit\" disabled>Save as a new revision", rules.text)
    token = csrf_of(rules.text)
    refused = page.post("/draft/save", data={"why": "try", "csrf_token": token},
                        headers={"referer": "/rules"})  # fmt: skip
    assert "Not saved" in said(page.get(refused.headers["location"]))
    assert state.config_path.read_text(encoding="utf-8") == before
    page.post("/draft/discard", data={"csrf_token": token})


def test_an_edit_changes_only_its_own_lines_and_a_save_records_a_revision(page, state):
    before = state.config_path.read_text(encoding="utf-8")
    edit(page, "/rules", "gates", **{"mql-total_at_least": "55"})
    shown = page.get("/rules")
    diff = re.search(r'<pre class="diff">(.*?)</pre>', shown.text, re.S).group(1)
    changed = [line for line in html.unescape(re.sub(r"<[^>]+>", "", diff)).splitlines()
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]  # fmt: skip
    assert changed == ["-total_at_least = 50", "+total_at_least = 55"]
    token = csrf_of(shown.text)
    unsaid = page.post("/draft/save", data={"why": " ", "csrf_token": token})
    assert "say why" in said(page.get(unsaid.headers["location"]))
    saved = page.post("/draft/save", data={"why": "MQL bar to 55", "csrf_token": token})
    assert "as revision r" in said(page.get(saved.headers["location"]))
    text = state.config_path.read_text(encoding="utf-8")
    assert text == before.replace("total_at_least = 50", "total_at_least = 55")
    with state.runtime().sessions() as session:
        newest = session.scalars(select(RevisionRow).order_by(RevisionRow.id.desc())).first()
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "config.save")).one()
    assert (newest.hash, newest.actor, newest.why) == (
        revisions.content_hash(text),
        EDITOR,
        "MQL bar to 55",
    )
    assert (entry.actor, entry.after["revision"]) == (EDITOR, f"r{newest.id}")
    assert state.runtime().revision_id == newest.id  # the console reloaded the file


def test_a_save_never_overwrites_a_file_changed_since_the_draft_began(page, state):
    edit(page, "/rules", "gates", **{"sql-within_days": "14"})
    by_hand = state.config_path.read_text(encoding="utf-8") + "\n# edited by hand\n"
    state.config_path.write_text(by_hand, encoding="utf-8")
    shown = page.get("/rules")
    assert "The file changed since your draft began" in said(shown)
    token = csrf_of(shown.text)
    refused = page.post("/draft/save", data={"why": "late", "csrf_token": token})
    assert "changed since this edit began" in said(page.get(refused.headers["location"]))
    assert state.config_path.read_text(encoding="utf-8") == by_hand
    page.post("/draft/discard", data={"csrf_token": token})


def test_history_shows_each_revision_and_a_rollback_restores_one(page, state):
    with state.runtime().sessions() as session:
        first = session.scalars(select(RevisionRow).order_by(RevisionRow.id)).first()
        first_id, first_text = first.id, first.text
    listed = said(page.get("/history"))
    assert f"r{first_id} " in listed and f"{EDITOR} MQL bar to 55" in listed
    shown = page.get(f"/history/{first_id}")
    assert "+total_at_least = 55" in html.unescape(shown.text)  # how the file differs now
    back = page.post(f"/history/{first_id}/rollback",
                     data={"why": "undo the MQL change", "csrf_token": csrf_of(shown.text)})  # fmt: skip
    assert f"now holds the text of r{first_id}" in said(page.get(back.headers["location"]))
    assert state.config_path.read_text(encoding="utf-8") == first_text
    with state.runtime().sessions() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "config.rollback")).one()
    assert (entry.actor, entry.why) == (EDITOR, "undo the MQL change")


def test_trying_a_draft_on_a_person_shows_the_rules_that_change(page, state):
    with state.runtime().sessions() as session:
        scored = session.execute(select(PersonRow.email, ScoreRow.explanation).join(ScoreRow))
        email = next(e for e, explanation in scored
                     if any(c["rule_id"] == "industry-adjacent"
                            for c in explanation["contributions"]))  # fmt: skip
    edit(page, "/rules", "fit", **{"points-1": "12"})  # industry-adjacent: 5 -> 12
    tried = said(page.get("/draft/try", params={"email": email.upper()}))
    assert f"{email} (stage" in tried
    assert "Adjacent industry industry-adjacent changed fit +5 +12" in tried
    assert "no person with email" in said(page.get("/draft/try", params={"email": "x@nowhere"}))
    page.post("/draft/discard", data={"csrf_token": csrf_of(page.get("/rules").text)})


def test_a_drafts_preview_runs_behind_the_page_and_shows_its_impact_and_chart(page, state):
    edit(page, "/rules", "gates", **{"mql-total_at_least": "65"})
    token = csrf_of(page.get("/rules").text)
    started = page.post("/draft/preview", data={"csrf_token": token},
                        headers={"HX-Request": "true"})  # fmt: skip
    assert "Deciding everyone twice" in said(started)  # answered at once, not when done
    job = re.search(r'hx-get="(/jobs/[^"]+)"', started.text).group(1)
    for _ in range(600):
        result = page.get(job)
        if "every 1s" not in result.text:
            break
        time.sleep(0.2)
    with state.runtime().sessions() as session:
        people = session.scalar(select(func.count()).select_from(ScoreRow))
    assert f"Impact of your draft Over {people} people:" in said(result)
    assert "mql->lead" in said(result)  # raising the bar holds MQLs where they are
    chart = page.get(f"{job}/chart.svg")
    assert chart.headers["content-type"].startswith("image/svg+xml") and "<svg" in chart.text
    page.post("/draft/discard", data={"csrf_token": token})


def test_a_live_check_reports_an_org_value_nobody_mapped_at_its_table(page, state, any_store):
    any_store.world.admin("POST", "settings",
                          salesforce={"picklist_values": {"Lead.Status": ["Nurturing"]}})  # fmt: skip
    token = csrf_of(page.get("/mappings").text)
    started = page.post("/mappings/check", data={"csrf_token": token},
                        headers={"HX-Request": "true"})  # fmt: skip
    job = re.search(r'hx-get="(/jobs/[^"]+)"', started.text).group(1)
    for _ in range(300):
        result = page.get(job)
        if "every 1s" not in result.text:
            break
        time.sleep(0.2)
    assert "'Nurturing' exists in salesforce but is not mapped" in said(result)
    status = page.get("/mappings").text
    table = status[status.index('id="vocabulary-salesforce-Status"') :]
    table = table[: table.index("</form>")]
    assert "&#39;Nurturing&#39; exists in salesforce but is not mapped" in table


def test_offline_crms_leave_the_editor_usable_and_say_why_no_values_are_offered(
    tmp_path: Path, monkeypatch
):
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    config = offline_config(tmp_path)
    with config.open("a", encoding="utf-8") as handle:  # fail at once rather than retry
        handle.write("[hubspot.retry]\nmax_attempts = 1\n[salesforce.retry]\nmax_attempts = 1\n")
    state = ConsoleState(config)
    with state.runtime().sessions.begin() as session:
        add_user(session, email=EDITOR, password=PASSWORD, role=Role.EDITOR, actor="test",
                 now=state.clock())  # fmt: skip
    app = create_app(state, ConsoleOptions(secret_key=SECRET_KEY))
    page = TestClient(app, follow_redirects=False)
    assert signed_in(page, EDITOR).status_code == 303
    first = page.get("/mappings")
    assert first.status_code == 200 and "Asking the CRMs" in first.text
    app.state.live.wait(timeout=60)
    offered = said(page.get("/mappings/live"))
    assert "salesforce could not be asked" in offered and "type values by hand" in offered
    assert "Asking the CRMs" not in page.get("/mappings").text  # no retry within the minute
    answer = edit(page, "/mappings", "vocabulary-salesforce-Status",
                  **{"value-new": "Nurturing", "stage-new": "lead"})  # fmt: skip
    assert answer.status_code == 303
    assert "Draft updated" in said(page.get("/mappings"))
