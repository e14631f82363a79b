"""crash safety: person uids for idempotent creates, in-stream backfill checkpoints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

- `persons.uid`: leadsync's own id for a person, sent as the External ID of every record it
  creates, so a create resent after a lost answer updates instead of duplicating.
- `backfill_windows`: a window row exists from its start (`finished_at` empty until done) and
  carries the position of the last committed page, so a stopped backfill resumes mid-window.
- `opportunities.stage_name`: as wide as a CRM picklist value (255).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    persons = sa.table("persons", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    bind = op.get_bind()
    for (person_id,) in bind.execute(sa.select(persons.c.id)).all():
        bind.execute(persons.update().where(persons.c.id == person_id).values(uid=uuid.uuid4().hex))
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index("ix_persons_uid", ["uid"], unique=True)
    with op.batch_alter_table("backfill_windows", schema=None) as batch_op:
        batch_op.alter_column("finished_at", existing_type=sa.DateTime(timezone=True),
                              nullable=True)  # fmt: skip
        batch_op.add_column(sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checkpoint_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("checkpoint_token", sa.Text(), nullable=True))
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.alter_column("stage_name", existing_type=sa.String(length=120),
                              type_=sa.String(length=255))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.alter_column("stage_name", existing_type=sa.String(length=255),
                              type_=sa.String(length=120))  # fmt: skip
    with op.batch_alter_table("backfill_windows", schema=None) as batch_op:
        batch_op.drop_column("checkpoint_token")
        batch_op.drop_column("checkpoint_id")
        batch_op.drop_column("checkpoint_at")
        batch_op.alter_column("finished_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False)  # fmt: skip
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_uid")
        batch_op.drop_column("uid")
