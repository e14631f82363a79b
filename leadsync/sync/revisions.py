"""Config revisions: every config text a run used, stored once, so any change can be traced,
compared and rolled back.

A revision is named `r<id>`. Recording is idempotent by content hash: the same text again is
the same revision (its first non-empty `why` is kept). A rollback writes an old text back to
the config file and stores it as a revision of its own, so history reads in the order things
happened and the runs after a rollback name it. Secrets are never in the text: they come from
the environment only, and the text passes through `redact` as well.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadsync.errors import UsageError
from leadsync.sync import audit
from leadsync.sync.config import settings_from_text
from leadsync.sync.redact import redact
from leadsync.sync.schema import LedgerRow, RevisionRow

_BY_ID = re.compile(r"[rR]?(\d+)")
_HASH_PREFIX = re.compile(r"[0-9a-f]{4,64}")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def label(row: RevisionRow) -> str:
    return f"r{row.id}"


def record_revision(
    session: Session, *, path: str | os.PathLike[str], text: str, actor: str, why: str,
    at: datetime,
) -> RevisionRow:  # fmt: skip
    """The revision of `text`: the newest one with its hash, or a new one.

    Never a duplicate, even when two processes record the same new text at once.
    """
    digest = content_hash(text)
    row = _newest(session, digest)
    if row is None:
        row = _insert(session, digest, 0, path=path, text=text, actor=actor, why=why, at=at)
    if why and not row.why:
        row.why = why
    return row


def _newest(session: Session, digest: str) -> RevisionRow | None:
    query = select(RevisionRow).where(RevisionRow.hash == digest)
    return session.scalars(query.order_by(RevisionRow.generation.desc())).first()


def _insert(
    session: Session, digest: str, generation: int, *, path: str | os.PathLike[str], text: str,
    actor: str, why: str, at: datetime,
) -> RevisionRow:  # fmt: skip
    row = RevisionRow(hash=digest, generation=generation, text=redact(text), path=str(path),
                      created_at=at, actor=actor, why=why)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process stored it first: theirs is the revision
        found = _newest(session, digest)
        if found is None:
            raise
        return found
    return row


def find(session: Session, ref: str) -> RevisionRow:
    """The revision `ref` names: "r12", "12", or a prefix of its hash (at least 4 characters).

    Raises `UsageError` for no match, or a prefix that matches different texts.
    """
    ref = ref.strip()
    by_id = _BY_ID.fullmatch(ref)
    if by_id and (row := session.get(RevisionRow, int(by_id.group(1)))) is not None:
        return row
    if _HASH_PREFIX.fullmatch(ref.lower()):
        rows = session.scalars(
            select(RevisionRow)
            .where(RevisionRow.hash.like(f"{ref.lower()}%"))
            .order_by(RevisionRow.id.desc())
        ).all()
        if len({row.hash for row in rows}) > 1:
            names = ", ".join(f"{label(r)} ({r.hash[:12]})" for r in rows[:5])
            raise UsageError(f"revision {ref!r} is ambiguous: it matches {names}; "
                             "give more of the hash or the r-number")  # fmt: skip
        if rows:
            return rows[0]
    raise UsageError(
        f"no config revision {ref!r}; `leadsync config history` lists them (give r12, 12, or "
        "the first characters of a hash)"
    )


@dataclass(frozen=True)
class Entry:
    """One line of `config history`: a revision and how many stage moves it made."""

    revision: RevisionRow
    moves: int
    current: bool


def history(session: Session, *, current_text: str | None = None) -> list[Entry]:
    """Newest first; `current` marks the revision whose text the config file holds now."""
    moves = dict(
        session.execute(
            select(LedgerRow.revision_id, func.count())
            .where(LedgerRow.revision_id.is_not(None))
            .group_by(LedgerRow.revision_id)
        ).all()
    )
    rows = session.scalars(select(RevisionRow).order_by(RevisionRow.id.desc())).all()
    current = _current_id(rows, current_text)
    return [Entry(row, moves.get(row.id, 0), row.id == current) for row in rows]


def _current_id(rows: list[RevisionRow], text: str | None) -> int | None:
    if text is None:
        return None
    digest = content_hash(text)
    return next((row.id for row in rows if row.hash == digest), None)


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def rollback(
    session: Session, target: RevisionRow, *, path: Path, current_text: str | None,
    actor: str, why: str, at: datetime,
) -> RevisionRow:  # fmt: skip
    """Write `target`'s text back to the config file as a new revision, audited.

    The text must load as a config first (`ConfigError` otherwise, and the file is untouched).
    The file's text until now is kept as a revision too, so nothing an admin wrote is lost.
    The file is replaced atomically, keeping its mode; the caller's transaction commits the
    revisions and the audit entry, so a failed write records nothing.
    """
    settings_from_text(target.text, f"{path} (as of {label(target)})")
    before = None
    if current_text is not None:
        digest = content_hash(current_text)
        before = _newest(session, digest) or _insert(
            session, digest, 0, path=path.resolve(), text=current_text, actor=actor,
            why=f"the file's text before a rollback to {label(target)}", at=at,
        )  # fmt: skip
    generation = session.scalar(
        select(func.max(RevisionRow.generation)).where(RevisionRow.hash == target.hash)
    )
    reason = why or f"rollback to {label(target)}"
    row = _insert(session, target.hash, (generation or 0) + 1, path=path.resolve(),
                  text=target.text, actor=actor, why=reason, at=at)  # fmt: skip
    session.flush()
    audit.record(
        session, at=at, actor=actor, action="config.rollback", target=str(path),
        before=None if before is None else {"hash": before.hash, "revision": label(before)},
        after={"hash": row.hash, "revision": label(row), "restores": label(target)}, why=reason,
    )  # fmt: skip
    write_atomically(path, target.text)
    return row


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step (temp file + rename): a reader sees old or new, never half.

    A symlinked config is written through to its target; the file's mode is kept.
    """
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
