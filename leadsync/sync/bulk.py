"""Set-based writes the same on SQLite and PostgreSQL: one statement for a page, not a row.

SQLite (3.35+) and PostgreSQL both have `INSERT ... ON CONFLICT` and `RETURNING`; SQLAlchemy
spells them per dialect, so this module picks the spelling and the callers do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
    returning: Sequence[str] = (),
) -> list[Any]:  # fmt: skip
    """Insert rows whose `keys` are not stored yet; the others are left as they are.

    Returns the `returning` columns of the rows actually inserted (none when not asked).
    """
    if not rows:
        return []
    statement = _insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    if not returning:
        session.execute(statement, list(rows))
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(session.execute(statement, list(rows)))


def upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert rows, or overwrite the stored row with the same `keys` (the last of a key wins:
    one statement may not touch a row twice on PostgreSQL)."""
    if not rows:
        return
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())
    statement = _insert(session, table)
    names = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in names}
    )
    session.execute(statement, list(rows))


def update_by_id(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany UPDATE of `model` rows named by their `id`."""
    if rows:
        session.execute(update(model), list(rows))
