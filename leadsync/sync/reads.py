"""Reading a chunk's rows cheaply: plain values, and IN lists PostgreSQL plans well."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Result, and_
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


def among(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN ids`, bounded by the smallest and largest id too: PostgreSQL without
    statistics (a store just filled) guesses a long IN list matches much of the table and
    scans all of it for every chunk; the range makes it take the index."""
    if not ids:
        return column.in_(ids)
    return and_(column.in_(ids), column.between(min(ids), max(ids)))


def values(session: Session, query: Executable) -> Result[Any]:
    """A query's rows as plain values, in the session's transaction: no ORM object and no
    ORM bookkeeping per row (a chunk reads tens of thousands). Nothing is flushed first."""
    return session.connection().execute(query)
