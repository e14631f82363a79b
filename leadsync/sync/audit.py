"""The audit log: every admin action, from the CLI or the console, with who and why.

`actor` is who did it: a console user's email, or `cli:<os user>` for commands typed in a shell.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.sync.schema import AuditRow


def shell_actor() -> str:
    """The actor of a command typed in a shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli:unknown"


def record(
    session: Session, *, at: datetime, actor: str, action: str, target: str,
    before: Any = None, after: Any = None, why: str = "",
) -> AuditRow:  # fmt: skip
    """Append one entry in the caller's transaction, so the change and its record commit together."""
    row = AuditRow(at=at, actor=actor, action=action, target=target, before=before, after=after,
                   why=why)  # fmt: skip
    session.add(row)
    return row


def entries(session: Session, *, limit: int = 100, offset: int = 0) -> list[AuditRow]:
    """Newest first."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))
