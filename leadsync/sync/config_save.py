"""Saving an edited config: the file is replaced and the new text becomes a revision, audited.

The console's editors work on a draft of the file's text; saving it is the one way their
changes reach the file. The text must load as a config, a comment must say why, and the file
must still hold the text the draft started from (someone else's save or a hand edit is never
overwritten unseen). As with a rollback, the revision and the audit entry commit with the
caller's transaction and the file is written last, so a failed write records nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from leadsync.errors import UsageError
from leadsync.sync import audit, revisions
from leadsync.sync.config import read_text, settings_from_text
from leadsync.sync.schema import RevisionRow


def save(
    session: Session, *, path: Path, base_hash: str, text: str, actor: str, why: str,
    at: datetime,
) -> RevisionRow:  # fmt: skip
    """Write `text` to the config file at `path` as a new revision.

    `base_hash` is the content hash of the text the edit started from. Raises `ConfigError`
    when `text` does not load, `UsageError` without a comment, when nothing changed, or when
    the file no longer holds the base text.
    """
    if not why.strip():
        raise UsageError("say why you changed the config: the comment is kept with the revision")
    settings_from_text(text, str(path), secrets=False)
    current = read_text(path)
    current_hash = revisions.content_hash(current)
    if current_hash != base_hash:
        raise UsageError(
            f"{path} changed since this edit began (someone saved or edited it); nothing was "
            "written. Discard the draft and make the change again on the file as it is now."
        )
    if revisions.content_hash(text) == current_hash:
        raise UsageError("the draft is the same as the file: there is nothing to save")
    before = revisions.record_revision(session, path=path.resolve(), text=current, actor=actor,
                                       why="", at=at)  # fmt: skip
    row = revisions.record_revision(session, path=path.resolve(), text=text, actor=actor,
                                    why=why, at=at)  # fmt: skip
    session.flush()
    audit.record(
        session, at=at, actor=actor, action="config.save", target=str(path),
        before={"hash": current_hash, "revision": revisions.label(before)},
        after={"hash": row.hash, "revision": revisions.label(row)}, why=why,
    )  # fmt: skip
    revisions.write_atomically(path, text)
    return row
