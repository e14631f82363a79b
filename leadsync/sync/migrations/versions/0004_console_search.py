"""console people search: trigram indexes on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The console finds people by any part of their email or name (`LIKE '%smith%'`). SQLite scans
100,000 people for that in about a tenth of a second; PostgreSQL, which must parse each
person's JSON fields for the name, takes half a second. Trigram indexes (the pg_trgm
extension, trusted since PostgreSQL 13) answer such patterns from the index. The name
expression must stay identical to `leadsync.console.people.NAME_SQL["postgresql"]`, or the
planner will not use it. Where the extension cannot be created (no privilege), search still
works by scanning, and the migration says how to add the indexes later.
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0004"
# Written beside main's 0003 (crash safety) without it: when both are merged, set this to "0003"
# so the migrations form one line again.
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

NAME = "lower(coalesce(fields ->> 'first_name', '') || ' ' || coalesce(fields ->> 'last_name', ''))"
INDEXES = {
    "ix_persons_email_trgm": "email gin_trgm_ops",
    "ix_persons_name_trgm": f"({NAME}) gin_trgm_ops",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for name, column in INDEXES.items():
                op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON persons USING gin ({column})")
    except DBAPIError as exc:
        log.warning(
            "people search will scan the persons table: the pg_trgm indexes could not be made "
            "(%s). A database owner can run: CREATE EXTENSION pg_trgm; then %s",
            str(exc.orig).strip(),
            "; ".join(f"CREATE INDEX {n} ON persons USING gin ({c})" for n, c in INDEXES.items()),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
