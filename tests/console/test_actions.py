"""The Health page's buttons and a person's move do what the commands do, audited with the
console user as actor, on SQLite and on PostgreSQL. The tests share one store and run in order.
"""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.sync import triage
from leadsync.sync.lock import cycle_lock
from leadsync.sync.outbox import DUE
from leadsync.sync.schema import AuditRow, ErrorRow, LedgerRow, OutboxRow, PersonRow
from tests.console.conftest import SECRET_KEY, csrf_of, signed_in

EDITOR = "editor@example.com"


@pytest.fixture(scope="module")
def state(any_store) -> ConsoleState:
    return any_store.state()


@pytest.fixture(scope="module")
def page(state) -> TestClient:
    """The editor's browser: one app, so jobs started by one request are found by the next."""
    client = TestClient(create_app(state, ConsoleOptions(secret_key=SECRET_KEY)),
                        follow_redirects=False)  # fmt: skip
    assert signed_in(client, EDITOR).status_code == 303
    return client


def htmx(page: TestClient) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf_of(page.get("/health").text)}


def said(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)).strip()


def audited(state: ConsoleState, action: str) -> AuditRow:
    with state.runtime().sessions() as session:
        query = select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id.desc())
        return session.scalars(query).first()


def finished(page: TestClient, answer) -> str:
    """Poll a job the way the page does, until it stops polling; its last words."""
    job = re.search(r'hx-get="(/jobs/[^"]+)"', answer.text).group(1)
    for _ in range(300):
        answer = page.get(job)
        if "every 1s" not in answer.text:
            return said(answer)
        time.sleep(0.2)
    raise AssertionError("the job never finished")


def queued(state: ConsoleState) -> int:
    with state.runtime().sessions() as session:
        return session.scalar(select(func.count()).where(OutboxRow.state.in_(DUE)))


def test_while_another_cycle_runs_apply_and_discard_answer_busy_and_change_nothing(page, state):
    before = queued(state)
    with cycle_lock(state.runtime().sessions.kw["bind"]):
        applied = finished(page, page.post("/health/plan/apply", headers=htmx(page)))
        discarded = page.post("/health/plan/discard", headers=htmx(page), data={"why": "x"})
    assert "Not applied: another leadsync cycle is running" in applied
    assert "another leadsync cycle is running" in said(discarded)
    assert "Nothing was changed" in said(discarded)
    assert queued(state) == before == 2


def test_retrying_and_dismissing_entries_one_by_one_and_by_type(page, state):
    with state.runtime().sessions() as session:
        first, second = (e.id for e in triage.entries(session, type_="rejected-value"))
    retried = page.post(f"/health/errors/{first}/retry", headers=htmx(page))
    assert retried.headers["HX-Trigger"] == "health-changed"  # the queue reloads itself
    assert f"Entry #{first} is due for retry" in said(retried)
    with state.runtime().sessions() as session:
        assert session.get(ErrorRow, first).next_retry_at == state.runtime().clock()
    assert audited(state, "errors.retry").actor == EDITOR

    dismissed = page.post(f"/health/errors/{second}/dismiss", headers=htmx(page),
                          data={"why": "the lead was merged by hand"})  # fmt: skip
    assert f"Entry #{second} is dismissed" in said(dismissed)
    entry = audited(state, "errors.dismiss")
    assert (entry.actor, entry.why) == (EDITOR, "the lead was merged by hand")
    again = page.post(f"/health/errors/{second}/dismiss", headers=htmx(page), data={"why": "x"})
    assert "already dismissed" in said(again) and "Nothing was changed" in said(again)

    assert "1 rejected-value entries are due for retry" in said(
        page.post("/health/errors/retry", headers=htmx(page), data={"type": "rejected-value"})
    )
    gone = page.post("/health/errors/dismiss", headers=htmx(page),
                     data={"type": "invalid-value", "why": "config fixed"})  # fmt: skip
    assert "1 invalid-value entries are dismissed" in said(gone)
    health = said(page.get("/health"))
    assert "invalid-value" not in health and "rejected-value 1" in health


def test_apply_sends_the_queued_writes_and_shows_what_it_did(page, state):
    answer = page.post("/health/plan/apply", headers=htmx(page))
    result = finished(page, answer)
    with state.runtime().sessions() as session:
        states = dict(session.execute(
            select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        ).all())  # fmt: skip
    counts = audited(state, "plan.apply")
    assert counts.actor == EDITOR
    assert (f"{counts.after['written']} writes sent in {counts.after['batches']} batches, "
            f"{counts.after['failed']} failed") in result  # fmt: skip
    assert queued(state) == 0
    assert counts.after["written"] + counts.after["failed"] == 2
    assert states.get("done", 0) >= counts.after["written"]


def test_discard_drops_the_pending_writes_with_the_reason(page, state):
    now = state.runtime().clock()
    with state.runtime().sessions.begin() as session:
        session.add(OutboxRow(system="hubspot", obj="contact", record_id="1", properties={"a": 1},
                              created_at=now, updated_at=now))  # fmt: skip
    answer = page.post("/health/plan/discard", headers=htmx(page), data={"why": "stale plan"})
    assert "Discarded 1 pending writes" in said(answer)
    entry = audited(state, "plan.discard")
    assert (entry.actor, entry.why) == (EDITOR, "stale plan")
    assert queued(state) == 0


def test_a_deliberate_move_is_in_the_trail_with_who_why_and_the_revision(page, state):
    rt = state.runtime()
    with rt.sessions() as session:
        person = session.scalars(select(PersonRow).where(PersonRow.stage == "lead")).first()
    token = csrf_of(page.get(f"/people/{person.id}").text)
    moved = page.post(f"/people/{person.id}/move",
                      data={"to": "sql", "why": "met at the trade show", "csrf_token": token})  # fmt: skip
    shown = said(page.get(moved.headers["location"]))
    assert f"Moved {person.email} to sql" in shown
    assert f"lead sql {EDITOR} admin met at the trade show r{rt.revision_id}" in shown
    with rt.sessions() as session:
        entry = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == person.id).order_by(LedgerRow.id)
        ).all()[-1]
    assert (entry.actor, entry.revision_id) == (EDITOR, rt.revision_id)
    assert audited(state, "person.move").actor == EDITOR


def test_a_move_the_state_machine_forbids_is_refused_and_changes_nothing(page, state):
    with state.runtime().sessions() as session:
        person = session.scalars(
            select(PersonRow).where(PersonRow.stage.in_(("opportunity", "customer")))
        ).first()
    if person is None:
        pytest.skip("nobody in this sandbox is past opportunity")
    token = csrf_of(page.get(f"/people/{person.id}").text)
    moved = page.post(f"/people/{person.id}/move",
                      data={"to": "suspect", "why": "no", "csrf_token": token})  # fmt: skip
    assert "does not let an admin make these moves" in said(page.get(moved.headers["location"]))
    with state.runtime().sessions() as session:
        assert session.get(PersonRow, person.id).stage == person.stage
