"""when each Opportunity was created, for the funnel history reconstructed at backfill

Revision ID: 0007_history
Revises: 0006
Create Date: 2026-11-27

- `opportunities.created_at`: the CRM's own creation time of the deal, when the person tied to
  it entered the opportunity stage (see `sync.history`). Empty for rows stored before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_history"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_column("created_at")
