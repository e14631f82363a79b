"""push: the queue of pushed notifications and the state of each push channel

Revision ID: 0010_push
Revises: 0008_shadow
Create Date: 2026-11-27

- `push_events`: webhooks (and change events) queued before they are answered, unique per
  source and event id so a duplicate delivery is processed once.
- `push_channels`: when each channel last delivered a verified notification (push health:
  polling slows down while it is recent) and the replay id a subscription resumes from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_push"
down_revision = "0008_shadow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.UniqueConstraint("source", "event_id", name="uq_push_events_source_event"),
    )
    op.create_index("ix_push_events_state", "push_events", ["state", "id"])
    op.create_table(
        "push_channels",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_id", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("push_channels")
    op.drop_index("ix_push_events_state", table_name="push_events")
    op.drop_table("push_events")
