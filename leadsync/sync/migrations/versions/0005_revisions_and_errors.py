"""config revisions, and an error queue an admin can act on

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

- `config_revisions`: every config text a run used (content hash, text, path, who, why);
  `stage_ledger.revision_id` and `scores.revision_id` name the revision behind each.
- `error_queue`: the person's email, the field, what to do, when it is retried next, and who
  dismissed it and why. Open auto-retry entries become due at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
# Written beside main's 0004 (console search) without it: when both are merged, set this to
# "0004" so the migrations form one line again.
down_revision = "0004"
branch_labels = None
depends_on = None

_ERROR_COLUMNS = {
    "email": sa.String(length=320),
    "field": sa.String(length=200),
    "hint": sa.Text(),
    "next_retry_at": sa.DateTime(timezone=True),
    "dismissed_at": sa.DateTime(timezone=True),
    "dismissed_by": sa.String(length=200),
    "dismissed_why": sa.Text(),
}


def upgrade() -> None:
    op.create_table(
        "config_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash", "generation", name="uq_config_revisions_hash"),
    )
    # Plain ALTER TABLE, never a batch copy: copying the ledger would trip its append-only
    # triggers (and drop them on SQLite).
    op.add_column("stage_ledger", sa.Column("revision_id", sa.Integer(), nullable=True))
    op.create_index("ix_stage_ledger_revision_id", "stage_ledger", ["revision_id"])
    op.add_column("scores", sa.Column("revision_id", sa.Integer(), nullable=True))
    for name, type_ in _ERROR_COLUMNS.items():
        op.add_column("error_queue", sa.Column(name, type_, nullable=True))
    op.execute(
        "UPDATE error_queue SET next_retry_at = created_at "
        "WHERE retry = 'auto' AND resolved_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("error_queue", schema=None) as batch_op:
        for name in reversed(_ERROR_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.drop_column("revision_id")
    op.drop_index("ix_stage_ledger_revision_id", table_name="stage_ledger")
    op.drop_column("stage_ledger", "revision_id")
    op.drop_table("config_revisions")
