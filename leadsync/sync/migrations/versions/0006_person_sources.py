"""where each person's fields came from; indexes for reads by record id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

- `persons.sources`: per canonical field, the record its value came from (system, object,
  record id, when that record last changed), kept with the merged fields so `explain` and the
  stored explanations name it without mapping every record again.
- Indexes for the lookups by record id alone (echoes, outbox rows, links): SQLite reads small
  tables fast either way, PostgreSQL scans without them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("echoes", schema=None) as batch_op:
        batch_op.create_index("ix_echoes_record_id", ["record_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_record_id", ["record_id"], unique=False)
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("ix_links_record_id", ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_record_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_record_id")
    with op.batch_alter_table("echoes", schema=None) as batch_op:
        batch_op.drop_index("ix_echoes_record_id")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("sources")
