"""Set-based writes the same on SQLite and PostgreSQL: one statement for a page, not a row.

SQLite (3.35+) and PostgreSQL both have `INSERT ... ON CONFLICT` and `RETURNING`; SQLAlchemy
spells them per dialect, so this module picks the spelling and the callers do not.

On PostgreSQL the rows go as one JSON parameter (`json_populate_record` of each), not as a
`VALUES` list: psycopg parses every statement for its placeholders, and a page of a thousand
events of six columns is a 60 kB statement with 6,000 of them, parsed afresh each time (psycopg
caches only short statements). That parse cost more client CPU than the rest of the insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> tuple[Any, Any]:
    """`INSERT` of `rows` in the store's dialect, and the parameters to execute it with.

    On PostgreSQL the rows are inserted in their given order, so new serial ids follow it."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return sqlite.insert(table), list(rows)
    rows = _with_defaults(table, rows)
    names = list(rows[0])
    given = func.json_array_elements(cast(bindparam("rows"), JSON)).table_valued(
        "value", with_ordinality="given_order"
    ).render_derived(name="given")  # fmt: skip
    record = func.json_populate_record(
        literal_column(f"NULL::{dialect.identifier_preparer.format_table(table)}"), given.c.value
    ).table_valued(*names).lateral("record")  # fmt: skip
    ordered = (
        select(*(record.c[n] for n in names))
        .select_from(given.join(record, true()))
        .order_by(given.c.given_order)
    )
    statement = postgresql.insert(table).from_select(names, ordered)
    return statement, {"rows": _as_json(table, rows, dialect)}


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows`, in their order."""
    if rows:
        session.execute(*_insert(session, table, rows))


def insert_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows`; return their new serial `id`s in the order of `rows`."""
    if not rows:
        return []
    statement, parameters = _insert(session, table, rows)
    if session.get_bind().dialect.name == "postgresql":
        # Rows go in in order, and the sequence hands out rising ids as they do.
        return sorted(session.scalars(statement.returning(table.c.id), parameters))
    statement = statement.returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, parameters))


def _with_defaults(table: Table, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the Python-side defaults of the columns they leave out (as `VALUES` gets)."""
    missing = [c for c in table.c if c.default is not None and c.name not in rows[0]
               and not c.primary_key]  # fmt: skip
    if not missing:
        return list(rows)
    return [{**row, **{c.name: _default(c) for c in missing}} for row in rows]


def _default(column: Any) -> Any:
    default = column.default
    return default.arg(None) if default.is_callable else default.arg


def _as_json(table: Table, rows: Sequence[dict[str, Any]], dialect: Any) -> str:
    """The rows as a JSON array, each value as its column type binds it."""
    typed = [(n, table.c[n].type) for n in rows[0] if isinstance(table.c[n].type, TypeDecorator)]
    try:
        if typed:
            rows = [row | {n: t.process_bind_param(row[n], dialect) for n, t in typed}
                    for row in rows]  # fmt: skip
        return json.dumps(rows, default=_json_value)
    except (TypeError, ValueError) as exc:  # a value no column takes: the record's fault
        raise StatementError(str(exc), None, None, exc) from exc


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):  # bytea's text input: hex
        return "\\x" + value.hex()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be stored")


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
    returning: Sequence[str] = (),
) -> list[Any]:  # fmt: skip
    """Insert rows whose `keys` are not stored yet; the others are left as they are.

    Returns the `returning` columns of the rows actually inserted (none when not asked).
    """
    if not rows:
        return []
    statement, parameters = _insert(session, table, rows)
    statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    if not returning:
        session.execute(statement, parameters)
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(session.execute(statement, parameters))


def upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
    where: Callable[[Any], Any] | None = None,
) -> None:  # fmt: skip
    """Insert rows, or overwrite the stored row with the same `keys` (the last of a key wins:
    one statement may not touch a row twice on PostgreSQL); `where(new)`, given the proposed
    row's columns, says which stored rows may be overwritten."""
    if not rows:
        return
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())
    statement, parameters = _insert(session, table, rows)
    names = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in names},
        where=where(statement.excluded) if where else None,
    )
    session.execute(statement, parameters)


def among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one parameter, not one per
    value, so the statement stays short enough for psycopg to cache its parse."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))


def update_by_id(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany UPDATE of `model` rows named by their `id`."""
    if rows:
        session.execute(update(model), list(rows))
