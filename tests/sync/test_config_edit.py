"""Editing a config's text in place (what the console's editors save): only the keys named
change, comments and spellings stay, and the result loads; saving it is a revision, audited,
never over a file that changed meanwhile."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from leadsync.errors import ConfigError, UsageError
from leadsync.sync import config_edit, revisions
from leadsync.sync.config import SHIPPED_RULES, settings_from_text
from leadsync.sync.config_edit import RuleEdit
from leadsync.sync.config_mapping import build_vocabularies
from leadsync.sync.config_save import save
from leadsync.sync.schema import AuditRow, RevisionRow
from leadsync.sync.store import open_store

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CRMS = '[hubspot]\n[salesforce]\ninstance_url = "https://x.example"\nauth = "session"\n'


def changed_lines(old: str, new: str) -> list[str]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_only_the_keys_set_change_and_equal_values_keep_their_spelling():
    text = EXAMPLE.read_text(encoding="utf-8")
    doc = config_edit.parse(text, "config.toml")
    rules = {rule["id"]: rule for rule in doc["scoring"]["fit"]}
    config_edit.update(rules["revenue-target"],
                       {"at_least": 10_000_000, "below": 100_000_000.0, "points": 12})  # fmt: skip
    config_edit.set_gate(doc, "mql", {"total_at_least": 60, "fit_at_least": 20})
    config_edit.update(rules["title-director"], {"value": "\\b(director|head of)\\b"})
    new = config_edit.dumps(doc)
    assert changed_lines(text, new) == ["-total_at_least = 50", "+total_at_least = 60",
                                        "-points = 10", "+points = 12"]  # fmt: skip
    settings_from_text(new, "config.toml", secrets=False)


def test_a_vocabulary_the_file_lacked_is_added_whole_and_loads():
    text = 'database_url = "sqlite://"\n' + CRMS + "# keep me\n"
    doc = config_edit.parse(text, "config.toml")
    inbound = {"Open - Not Contacted": "ignore", "Working": "sql", "Closed - Converted": "ignore",
               "Closed - Not Converted": "suspect"}  # fmt: skip
    outbound = {"lead": "Open - Not Contacted", "mql": "Open - Not Contacted", "sql": "Working",
                "suspect": "Closed - Not Converted"}  # fmt: skip
    config_edit.set_vocabulary(doc, "salesforce", "Status", {"object": "Lead", "primary": True,
                                                             "inbound": inbound,
                                                             "outbound": outbound})  # fmt: skip
    new = config_edit.dumps(doc)
    assert new.startswith(text) and "[stages.salesforce.Status]" in new
    assert 'inbound = { "Open - Not Contacted" = "ignore", Working = "sql",' in new
    settings = settings_from_text(new, "config.toml", secrets=False)
    status = next(v for v in build_vocabularies(settings.stages) if v.prop == "Status")
    assert list(status.inbound) == list(inbound)  # order kept: forward_only compares it


def test_rules_are_changed_removed_and_appended_and_the_others_keep_their_comments():
    text = EXAMPLE.read_text(encoding="utf-8")
    doc = config_edit.parse(text, "config.toml")
    fit = doc["scoring"]["fit"]
    count, second, third = len(fit), fit[1]["id"], fit[2]["id"]
    new_rule = {"id": "title-founder", "label": "Founder", "field": "title", "op": "contains",
                "value": "founder", "points": 10}  # fmt: skip
    config_edit.set_rules(doc, "fit", [RuleEdit(0, {"points": 20}), RuleEdit(1, None),
                                       RuleEdit(None, new_rule)])  # fmt: skip
    new = config_edit.dumps(doc)
    settings = settings_from_text(new, "config.toml", secrets=False)
    ids = [r.id for r in settings.rules.fit]
    assert len(ids) == count and second not in ids and ids[1] == third
    assert ids[-1] == "title-founder" and settings.rules.fit[0].points == 20
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments == [line for line in new.splitlines() if line.startswith("#")]


def test_the_shipped_rules_are_copied_in_before_a_file_without_them_is_edited():
    text = 'database_url = "sqlite://"\n' + CRMS
    shipped = SHIPPED_RULES.read_text(encoding="utf-8")
    with_rules = config_edit.with_scoring(text, "config.toml", shipped)
    assert with_rules.startswith(text) and with_rules.endswith(shipped)
    assert config_edit.with_scoring(with_rules, "config.toml", shipped) == with_rules


@pytest.fixture
def store(tmp_path):
    config = tmp_path / "config.toml"
    text = f'database_url = "sqlite:///{tmp_path / "leadsync.db"}"\n' + CRMS
    config.write_text(text, encoding="utf-8")
    return config, text, open_store(f"sqlite:///{tmp_path / 'leadsync.db'}")


def test_a_save_writes_the_file_records_the_revision_and_audits_it(store):
    config, text, sessions = store
    edited = text + "\n[sync]\ninterval_minutes = 10\n"
    with sessions.begin() as session:
        row = save(session, path=config, base_hash=revisions.content_hash(text), text=edited,
                   actor="ada@example.com", why="slower cycles", at=NOW)  # fmt: skip
        saved_id = row.id
    assert config.read_text(encoding="utf-8") == edited
    with sessions() as session:
        rows = session.scalars(select(RevisionRow).order_by(RevisionRow.id)).all()
        entry = session.scalars(select(AuditRow)).one()
    assert [r.text for r in rows] == [text, edited]  # the text before is kept too
    assert (rows[-1].id, rows[-1].actor, rows[-1].why) == (saved_id, "ada@example.com",
                                                           "slower cycles")  # fmt: skip
    assert (entry.action, entry.actor, entry.after["revision"]) == (
        "config.save",
        "ada@example.com",
        f"r{saved_id}",
    )


@pytest.mark.parametrize(
    ("change", "why", "error", "message"),
    [
        ("\n[sync]\ninterval_minutes = 0\n", "x", ConfigError, "interval_minutes"),
        ("\n[sync]\ninterval_minutes = 9\n", "  ", UsageError, "say why"),
        ("", "x", UsageError, "nothing to save"),
    ],
)
def test_a_save_refuses_a_bad_text_no_comment_or_no_change_and_writes_nothing(
    store, change, why, error, message
):
    config, text, sessions = store
    with pytest.raises(error, match=message), sessions.begin() as session:
        save(session, path=config, base_hash=revisions.content_hash(text), text=text + change,
             actor="ada@example.com", why=why, at=NOW)  # fmt: skip
    assert config.read_text(encoding="utf-8") == text


def test_a_save_never_overwrites_a_file_changed_since_the_edit_began(store):
    config, text, sessions = store
    by_hand = text + "# someone else's edit\n"
    config.write_text(by_hand, encoding="utf-8")
    edited = text + "\n[sync]\ninterval_minutes = 9\n"
    with pytest.raises(UsageError, match="changed since this edit began"), sessions.begin() as s:
        save(s, path=config, base_hash=revisions.content_hash(text), text=edited, actor="a",
             why="x", at=NOW)  # fmt: skip
    assert config.read_text(encoding="utf-8") == by_hand
    with sessions() as session:
        assert session.scalars(select(AuditRow)).all() == []
