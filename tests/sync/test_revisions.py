"""Config revisions: every config a run loads is stored once; history, show, diff, rollback."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadsync.errors import UsageError
from leadsync.sync import revisions
from leadsync.sync.cli_config import config_group
from leadsync.sync.runtime import build_runtime
from leadsync.sync.schema import AuditRow, LedgerRow, PersonRow, RevisionRow
from leadsync.sync.store import open_store

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def leadsync_config(world, *args: str):
    runner = CliRunner()
    env = {"LEADSYNC_NOW": world.now.isoformat()}
    return runner.invoke(config_group, [*args, "--config", str(world.config)], env=env)


def edit(world, extra: str) -> str:
    text = world.config.read_text(encoding="utf-8") + extra
    world.config.write_text(text, encoding="utf-8")
    return text


def revision_rows(world) -> list[RevisionRow]:
    with world.runtime().sessions() as session:
        return list(session.scalars(select(RevisionRow).order_by(RevisionRow.id)))


def test_each_config_text_is_one_revision_whatever_how_often_it_runs(world):
    first = world.runtime().revision_id
    assert world.runtime().revision_id == first, "the same text again is the same revision"
    text = edit(world, "\n[sync]\ninterval_minutes = 10\n")
    second = world.runtime().revision_id
    assert second != first
    rows = revision_rows(world)
    assert [r.id for r in rows] == [first, second]
    assert rows[-1].text == text
    assert rows[-1].hash == hashlib.sha256(text.encode()).hexdigest()
    assert rows[-1].path == str(world.config.resolve())


def test_the_first_run_that_gives_a_why_names_the_revision(world):
    from leadsync.sync.config import load_settings

    settings = load_settings(world.config)
    build_runtime(settings, clock=lambda: world.now)  # e.g. `status`, which gives no why
    rt = build_runtime(settings, clock=lambda: world.now, why="raise the MQL bar", actor="ana")
    build_runtime(settings, clock=lambda: world.now, why="a later run's reason")
    with rt.sessions() as session:
        row = session.get(RevisionRow, rt.revision_id)
        assert row.why == "raise the MQL bar"


def test_secrets_never_enter_a_revision(world):
    token = world.env["LEADSYNC_HUBSPOT__ACCESS_TOKEN"]
    # An admin pasted the token into a comment: the file loads, but the token is not stored.
    edit(world, f"\n# hubspot token for later: {token}\n")
    world.runtime()
    stored = " ".join(row.text for row in revision_rows(world))
    assert token not in stored
    assert "[redacted]" in stored


def test_history_lists_revisions_with_the_moves_each_made(world):
    first = world.runtime().revision_id
    edit(world, "\n[sync]\ninterval_minutes = 10\n")
    second = world.runtime().revision_id
    with world.runtime().sessions.begin() as session:
        person = PersonRow(email="ana@shop.example", fields={}, created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        for revision_id, to_stage in ((first, "lead"), (second, "mql"), (second, "sql")):
            session.add(LedgerRow(person_id=person.id, from_stage=None, to_stage=to_stage, at=NOW,
                                  actor="rule", cause="score", revision_id=revision_id))  # fmt: skip
    done = leadsync_config(world, "history", "--json")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert [(r["revision"], r["moves"], r["current"]) for r in rows] == [
        (f"r{second}", 2, True),
        (f"r{first}", 1, False),
    ]
    text = leadsync_config(world, "history")
    assert f"r{second}" in text.stdout and "current" in text.stdout


def test_show_prints_the_exact_text_and_diff_compares_with_the_file(world):
    original = world.config.read_text(encoding="utf-8")
    first = world.runtime().revision_id
    edit(world, "\n[sync]\ninterval_minutes = 10\n")
    shown = leadsync_config(world, "show", f"r{first}")
    assert shown.exit_code == 0 and shown.stdout == original
    changed = leadsync_config(world, "diff", str(first))
    assert changed.exit_code == 0
    assert f"--- r{first}" in changed.stdout
    assert "+interval_minutes = 10" in changed.stdout
    second = world.runtime().revision_id
    between = leadsync_config(world, "diff", f"r{second}", f"r{first}")
    assert "-interval_minutes = 10" in between.stdout


def test_a_revision_is_named_by_number_or_hash_prefix_and_ambiguity_is_explained(database_url):
    sessions = open_store(database_url)
    texts = _two_texts_sharing_a_hash_prefix()
    with sessions.begin() as session:
        a, b = (revisions.record_revision(session, path="c.toml", text=t, actor="t", why="",
                                          at=NOW) for t in texts)  # fmt: skip
        session.flush()
        assert revisions.find(session, f"r{a.id}") is a
        assert revisions.find(session, str(b.id)) is b
        assert revisions.find(session, a.hash[:10]) is a
        with pytest.raises(UsageError, match=r"ambiguous.*give more of the hash"):
            revisions.find(session, a.hash[:4])
        with pytest.raises(UsageError, match="config history"):
            revisions.find(session, "r999")


def _two_texts_sharing_a_hash_prefix() -> tuple[str, str]:
    seen: dict[str, str] = {}
    for n in itertools.count():
        text = f"# revision {n}\n"
        prefix = revisions.content_hash(text)[:4]
        if prefix in seen:
            return seen[prefix], text
        seen[prefix] = text
    raise AssertionError("unreachable")


def test_rollback_writes_the_old_text_back_as_a_new_revision_and_audits_it(world):
    good = world.config.read_text(encoding="utf-8")
    first = world.runtime().revision_id
    bad = edit(world, "\n[sync]\ninterval_minutes = 10\n")
    world.runtime()
    os.chmod(world.config, 0o600)
    done = leadsync_config(
        world, "rollback", f"r{first}", "--why", "the new interval was a mistake"
    )
    assert done.exit_code == 0, done.output
    assert world.config.read_text(encoding="utf-8") == good
    assert stat.S_IMODE(world.config.stat().st_mode) == 0o600, "the file keeps its mode"
    assert not [p for p in world.config.parent.iterdir() if p.name.endswith(".tmp")]
    rows = revision_rows(world)
    assert rows[-1].text == good and rows[-1].why == "the new interval was a mistake"
    assert world.runtime().revision_id == rows[-1].id, "runs after the rollback name it"
    with world.runtime().sessions() as session:
        [entry] = session.scalars(select(AuditRow).where(AuditRow.action == "config.rollback"))
    assert entry.before["hash"] == revisions.content_hash(bad)
    assert entry.after == {"hash": revisions.content_hash(good), "revision": f"r{rows[-1].id}",
                           "restores": f"r{first}"}  # fmt: skip
    assert entry.why == "the new interval was a mistake"


def test_rollback_rescues_a_broken_file_and_refuses_a_text_that_does_not_load(world):
    first = world.runtime().revision_id
    broken = edit(world, "\n[sync\n")  # not TOML: nothing else would run
    done = leadsync_config(world, "rollback", str(first))
    assert done.exit_code == 0, done.output
    assert world.runtime().revision_id  # loads again
    kept = [r for r in revision_rows(world) if r.text == broken]
    assert len(kept) == 1, "the broken text is kept, so nothing an admin typed is lost"
    before = world.config.read_text(encoding="utf-8")
    refused = leadsync_config(world, "rollback", f"r{kept[0].id}")
    assert refused.exit_code == 2
    assert "not valid TOML" in refused.stderr and "Traceback" not in refused.output
    assert world.config.read_text(encoding="utf-8") == before, "the file is untouched"


def test_unknown_revision_exits_2_with_what_to_do(world):
    world.runtime()
    done = leadsync_config(world, "show", "r404")
    assert done.exit_code == 2
    assert "no config revision 'r404'" in done.stderr and "config history" in done.stderr
