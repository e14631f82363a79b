"""Console accounts, from the shell (`leadsync console user ...`) and as the console keeps them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadsync.console.users import (
    Role,
    UserError,
    add_user,
    authenticate,
    remove_user,
    set_role,
)
from leadsync.sync import audit
from leadsync.sync.cli import _register, cli
from leadsync.sync.schema import ConsoleUserRow
from leadsync.sync.store import open_store
from tests.console.conftest import TOKENS, offline_config

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
PASSWORD = "a long enough passphrase"


@pytest.fixture
def sessions(database_url):
    return open_store(database_url)


def _add(session, email="ada@example.com", role=Role.OWNER, password=PASSWORD):
    return add_user(session, email=email, password=password, role=role, actor="cli:ops", now=NOW)


def test_passwords_are_stored_as_argon2_hashes_and_never_audited(sessions):
    with sessions.begin() as session:
        _add(session, email=" Ada@Example.com ")
    with sessions() as session:
        row = session.scalars(select(ConsoleUserRow)).one()
        logged = audit.entries(session)
    assert row.email == "ada@example.com"
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert [(e.actor, e.action, e.target, e.after) for e in logged] == [
        ("cli:ops", "console.user.add", "ada@example.com", {"role": "owner"})
    ]
    assert PASSWORD not in str(logged[0].before) + str(logged[0].after) + logged[0].why


def test_only_the_right_password_of_an_active_account_signs_in(sessions):
    with sessions.begin() as session:
        _add(session)
        _add(session, email="bob@example.com", role=Role.VIEWER)
    with sessions.begin() as session:
        assert authenticate(session, "ADA@example.com", PASSWORD).email == "ada@example.com"
        assert authenticate(session, "ada@example.com", PASSWORD + "!") is None
        assert authenticate(session, "nobody@example.com", PASSWORD) is None
        assert authenticate(session, "not an email", PASSWORD) is None
        remove_user(session, email="bob@example.com", actor="cli:ops", now=NOW)
        assert authenticate(session, "bob@example.com", PASSWORD) is None


def test_the_last_owner_can_be_neither_removed_nor_demoted(sessions):
    with sessions.begin() as session:
        _add(session)
    with sessions.begin() as session, pytest.raises(UserError, match="last owner"):
        remove_user(session, email="ada@example.com", actor="cli:ops", now=NOW)
    with sessions.begin() as session, pytest.raises(UserError, match="last owner"):
        set_role(session, email="ada@example.com", role=Role.EDITOR, actor="cli:ops", now=NOW)
    with sessions.begin() as session:
        _add(session, email="bea@example.com")
        set_role(session, email="ada@example.com", role=Role.EDITOR, actor="cli:ops", now=NOW)
        assert authenticate(session, "ada@example.com", PASSWORD).role == "editor"


def test_a_removed_account_comes_back_with_its_new_role_and_the_history_says_so(sessions):
    with sessions.begin() as session:
        _add(session)
        _add(session, email="bob@example.com", role=Role.EDITOR)
        remove_user(session, email="bob@example.com", actor="cli:ops", now=NOW)
        _add(session, email="bob@example.com", role=Role.VIEWER, password="another passphrase")
    with sessions() as session:
        newest = audit.entries(session, limit=1)[0]
        assert authenticate(session, "bob@example.com", "another passphrase").role == "viewer"
    assert (newest.before, newest.after) == (
        {"role": "editor", "disabled": True},
        {"role": "viewer"},
    )


@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [("not-an-email", PASSWORD, "is not an email address"),
     ("ada@example.com", "short", "at least 12 characters")],
)  # fmt: skip
def test_bad_account_requests_say_what_to_fix(sessions, email, password, problem):
    with sessions.begin() as session, pytest.raises(UserError, match=problem):
        _add(session, email=email, password=password)


# --- the shell -----------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path) -> Path:
    return offline_config(tmp_path)


def run(config: Path, *args: str, password: str = "") -> object:
    _register()
    return CliRunner().invoke(cli, ["console", "user", *args, "--config", str(config)],
                              input=password + "\n", env=TOKENS)  # fmt: skip


def test_the_shell_adds_lists_and_removes_accounts(config):
    added = run(config, "add", "ops@example.com", "--role", "owner", password=PASSWORD)
    assert added.exit_code == 0, added.output
    assert "ops@example.com can sign in to the console as owner" in added.output
    assert (
        run(config, "add", "eve@example.com", "--role", "viewer", password=PASSWORD).exit_code == 0
    )
    listed = run(config, "list")
    assert "ops@example.com" in listed.output and "viewer" in listed.output
    assert PASSWORD not in listed.output
    assert run(config, "remove", "eve@example.com").exit_code == 0
    assert "eve@example.com" not in run(config, "list").output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [(["add", "ops@example.com", "--role", "admin"], PASSWORD, "'admin' is not one of"),
     (["add", "ops@example.com", "--role", "owner"], "short", "at least 12 characters"),
     (["remove", "ghost@example.com"], "", "no console account for ghost@example.com")],
)  # fmt: skip
def test_the_shell_refuses_bad_requests_with_exit_2_and_no_traceback(
    config, args, password, message
):
    result = run(config, *args, password=password)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
