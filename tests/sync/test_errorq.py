"""The error queue's rules: every code has a type and a hint, backoff, requeue, run counts."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync.mapping.catalog import catalog
from leadsync.sync import errorq, triage
from leadsync.sync.errorq import CODES, TYPES, Retry, quarantine
from leadsync.sync.runs import start_run
from leadsync.sync.schema import OutboxRow, PersonRow
from leadsync.sync.store import open_store

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
PACKAGE = Path(__file__).parents[2] / "leadsync"
_CODE = re.compile(r"[A-Z][A-Z_]{4,}")
_NOT_CODES = {"PATCH", "POST", "DELETE"}  # HTTP methods beside the codes in writers


def _emitted_codes(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    codes = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and _CODE.fullmatch(node.value)
    }  # fmt: skip
    for handler in ast.walk(tree):  # `type(exc).__name__.upper()`: the caught class is the code
        if isinstance(handler, ast.ExceptHandler) and "__name__.upper()" in ast.unparse(handler):
            caught = handler.type
            names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
            codes |= {name.id.upper() for name in names if isinstance(name, ast.Name)}
    return codes - _NOT_CODES


def test_every_code_leadsync_emits_has_a_type_and_every_type_says_what_to_do():
    emitters = [
        path
        for path in [*(PACKAGE / "sync").rglob("*.py"), *(PACKAGE / "connectors").rglob("*.py")]
        if path.name != "errorq.py" and re.search(r"quarantine|WriteResult\(", path.read_text())
    ]
    emitted = set().union(*(_emitted_codes(path) for path in emitters))
    # The per-record codes Salesforce answers writes with, as its emulator reproduces them.
    sandbox = (PACKAGE / "sandbox" / "salesforce" / "writes.py").read_text()
    emitted |= set(re.findall(r'SaveError\(\s*"([A-Z_]+)"', sandbox))
    assert {"INVALID_VALUE", "TRANSIENT", "CANNOT_UPDATE_CONVERTED_LEAD"} <= emitted
    known = {**CODES, **{c: t for d in catalog().declarations.values()
                         for c, t in d.error_codes.items()}}  # fmt: skip
    assert emitted - set(known) == set()
    assert set(known.values()) <= set(TYPES)
    assert errorq.type_of("CANNOT_UPDATE_CONVERTED_LEAD") == "converted-lead"  # a connector's row
    assert all(hint.strip() for hint in TYPES.values())


def _park(session, *, retry=Retry.AUTO, code="UNKNOWN_PERSON", stage="ingest", now=NOW, **kw):
    defaults = {"run_id": None, "system": "hubspot", "record": "hubspot forms 1", "message": "m"}
    return quarantine(session, stage=stage, code=code, retry=retry, now=now, **{**defaults, **kw})


def test_auto_entries_are_retried_with_backoff_not_hammered(database_url):
    sessions = open_store(database_url)
    with sessions.begin() as session:
        entry = _park(session)
        session.flush()
        assert errorq.due_for_retry(session, NOW, stage="ingest") == [entry]
        _park(session)  # the retry failed too
        assert entry.attempts == 2 and entry.next_retry_at == NOW + timedelta(minutes=5)
        assert errorq.due_for_retry(session, NOW + timedelta(minutes=4)) == []
        assert errorq.due_for_retry(session, NOW + timedelta(minutes=5)) == [entry]
        _park(session, now=NOW + timedelta(minutes=5))
        assert entry.next_retry_at == NOW + timedelta(minutes=15)
        for _ in range(10):
            _park(session, now=NOW)
        assert entry.next_retry_at == NOW + errorq.BACKOFF_CAP


def test_entries_that_need_a_fix_wait_for_one(database_url):
    sessions = open_store(database_url)
    with sessions.begin() as session:
        _park(session, retry=Retry.FIX, code="INVALID_VALUE")
        session.flush()
        assert errorq.due_for_retry(session, NOW + timedelta(days=30)) == []


def test_failed_writes_go_back_to_the_outbox_only_when_due(database_url):
    sessions = open_store(database_url)
    with sessions.begin() as session:
        row = OutboxRow(system="salesforce", obj="Lead", record_id="00Q1", properties={"Status": "x"},
                        state="failed", created_at=NOW, updated_at=NOW)  # fmt: skip
        session.add(row)
        session.flush()
        fail = {"stage": "apply", "code": "TRANSIENT", "record": "salesforce Lead 00Q1",
                "payload": {"outbox_id": row.id}}  # fmt: skip
        _park(session, **fail)
        session.flush()
        assert errorq.requeue_failed_writes(session, NOW) == 1
        assert row.state == "pending"
        assert errorq.requeue_failed_writes(session, NOW) == 0, "already pending"
        row.state = "failed"
        _park(session, **fail)  # sent again, failed again: next try in 5 minutes
        assert errorq.requeue_failed_writes(session, NOW + timedelta(minutes=1)) == 0
        assert errorq.requeue_failed_writes(session, NOW + timedelta(minutes=5)) == 1


def test_a_run_counts_the_errors_that_arose_in_it_not_older_ones(database_url):
    sessions = open_store(database_url)
    first, second = start_run(sessions, "sync", NOW), start_run(sessions, "sync", NOW)
    with sessions.begin() as session:
        _park(session, run_id=first, record="hubspot forms 1")
        _park(session, run_id=second, record="hubspot forms 1")  # still failing: not new
        _park(session, run_id=second, record="hubspot forms 2")
        session.flush()
        assert errorq.raised_in_run(session, first) == 1
        assert errorq.raised_in_run(session, second) == 1


def test_summary_counts_open_entries_by_type(database_url):
    sessions = open_store(database_url)
    with sessions.begin() as session:
        _park(session, code="INVALID_VALUE", record="a")
        _park(session, code="INVALID_VALUE", record="b")
        _park(session, code="RATELIMITED", record="c", stage="apply")
        _park(session, code="SOMETHING_NEW_FROM_A_CRM", record="d", stage="apply")
        gone = _park(session, code="DUPLICATE_EMAIL", record="e")
        gone.dismissed_at = NOW
        session.flush()
        assert errorq.summary(session) == {"invalid-value": 2, "unavailable": 1, "rejected": 1}


def test_retrying_a_decision_error_decides_the_person_again(database_url):
    sessions = open_store(database_url)
    with sessions.begin() as session:
        person = PersonRow(email="ana@shop.example", fields={}, dirty=False, created_at=NOW,
                           updated_at=NOW)  # fmt: skip
        session.add(person)
        session.flush()
        entry = _park(session, stage="decide", code="UNMAPPED_VALUE", retry=Retry.FIX,
                      person_id=person.id, record=f"person {person.id}",
                      payload={"field": "Status"})  # fmt: skip
        session.flush()
        assert (entry.email, entry.field) == ("ana@shop.example", "Status")
        triage.retry(session, entry_id=entry.id, actor="cli:ana", now=NOW)
        assert person.dirty is True
        assert errorq.due_for_retry(session, NOW, stage="decide") == [entry]
