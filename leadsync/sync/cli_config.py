"""`leadsync config history | show REV | diff A [B] | rollback REV`: the config's revisions.

These commands work on a config file that no longer loads (the usual reason to roll back): they
need only the store, found through $LEADSYNC_DATABASE_URL or the file's `database_url`.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import ConfigError
from leadsync.sync import revisions
from leadsync.sync.audit import shell_actor
from leadsync.sync.cli import config_option, report_errors
from leadsync.sync.config import Settings, read_text, resolve_path
from leadsync.sync.runtime import utc_now
from leadsync.sync.store import open_store

console = Console(highlight=False)

DATABASE_ENV = "LEADSYNC_DATABASE_URL"
# Read from a file that is not valid TOML, to reach the store a rollback needs.
_DATABASE_LINE = re.compile(r"""^\s*database_url\s*=\s*(["'])(.+?)\1""", re.MULTILINE)


def why_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--why TEXT` to a cycle command: pass it to `build_runtime(settings, why=why)`."""
    return click.option(
        "--why",
        default="",
        help="Why the config changed; kept with its revision (the first run with it says it).",
    )(func)


def store_url(path: Path, text: str | None) -> str:
    """The store's URL without loading the whole config (which may be what is broken)."""
    if os.environ.get(DATABASE_ENV):
        return os.environ[DATABASE_ENV]
    default = str(Settings.model_fields["database_url"].default)
    if text is None:
        return default
    try:
        return str(tomllib.loads(text).get("database_url", default))
    except tomllib.TOMLDecodeError:
        found = _DATABASE_LINE.search(text)
        if found:
            return found.group(2)
        raise ConfigError(
            f"{path}: not valid TOML and no database_url line found; set {DATABASE_ENV} to "
            "reach the store"
        ) from None


def _open(config_path: str | None) -> tuple[Path, str | None, sessionmaker[Session]]:
    """The config file, its current text (None when it is gone) and the store."""
    path = resolve_path(config_path)
    text = read_text(path) if path.exists() else None
    return path, text, open_store(store_url(path, text))


@click.group(name="config")
def config_group() -> None:
    """The config's revisions: what ran, when, by whom and why; compare and roll back."""


@config_group.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@report_errors
def history(config_path: str | None, as_json: bool) -> None:
    """Every stored revision, newest first, with the stage moves each made."""
    _, text, sessions = _open(config_path)
    with sessions() as session:
        rows = [_entry(e) for e in revisions.history(session, current_text=text)]
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    table = Table(title="config revisions (newest first)")
    for column in ("rev", "hash", "when (UTC)", "who", "why", "moves", ""):
        table.add_column(column, justify="right" if column == "moves" else "left")
    for row in rows:
        table.add_row(row["revision"], row["hash"][:12], f"{row['created_at']:%Y-%m-%d %H:%M}",
                      escape(row["actor"]), escape(row["why"]), str(row["moves"]),
                      "current" if row["current"] else "")  # fmt: skip
    console.print(table)
    if text is not None and not any(row["current"] for row in rows):
        console.print("the file's current text is not a revision yet: the next run records it")


def _entry(entry: revisions.Entry) -> dict[str, Any]:
    row = entry.revision
    return {"id": row.id, "revision": revisions.label(row), "hash": row.hash,
            "created_at": row.created_at, "actor": row.actor, "why": row.why, "path": row.path,
            "moves": entry.moves, "current": entry.current}  # fmt: skip


@config_group.command()
@click.argument("rev")
@config_option
@report_errors
def show(rev: str, config_path: str | None) -> None:
    """Print the full text of revision REV (r12, 12, or a hash prefix)."""
    _, _, sessions = _open(config_path)
    with sessions() as session:
        text = revisions.find(session, rev).text
    click.echo(text, nl=False)


@config_group.command()
@click.argument("a")
@click.argument("b", required=False)
@config_option
@report_errors
def diff(a: str, b: str | None, config_path: str | None) -> None:
    """Unified diff from revision A to revision B (default: the config file as it is now)."""
    path, text, sessions = _open(config_path)
    with sessions() as session:
        old = revisions.find(session, a)
        new = revisions.find(session, b) if b else None
        names = (revisions.label(old), revisions.label(new) if new else f"{path} (now)")
        new_text = new.text if new else text
    if new_text is None:
        raise ConfigError(f"{path}: file not found; name a second revision to compare with")
    click.echo(revisions.unified_diff(old.text, new_text, *names), nl=False)


@config_group.command()
@click.argument("rev")
@config_option
@click.option("--why", default="", help="Why roll back (kept with the revision and the audit).")
@report_errors
def rollback(rev: str, config_path: str | None, why: str) -> None:
    """Write revision REV's text back to the config file, as a new revision (audited)."""
    path, text, sessions = _open(config_path)
    with sessions.begin() as session:
        target = revisions.find(session, rev)
        if text is not None and revisions.content_hash(text) == target.hash:
            console.print(f"{path} already holds {revisions.label(target)}; nothing to roll back")
            return
        row = revisions.rollback(session, target, path=path, current_text=text,
                                 actor=shell_actor(), why=why, at=utc_now())  # fmt: skip
    console.print(
        f"{path} now holds the text of {revisions.label(target)}, recorded as "
        f"{revisions.label(row)}; the next run uses it"
    )


COMMANDS = [config_group]
