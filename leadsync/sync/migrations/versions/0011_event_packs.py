"""event packs: each person's events packed for the scoring kernel

Revision ID: 0011_event_packs
Revises: 0010_push
Create Date: 2026-11-28

- `event_shapes`: the distinct (kind, attributes) of stored events, by digest.
- `event_packs`: per person, the times and shape ids of their events as packed arrays, read
  by rescore and preview in one row per person instead of a row per event. A cache: a store
  upgraded with none fills it as people are decided, and reads the events table meanwhile.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_event_packs"
down_revision = "0010_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_shapes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.UniqueConstraint("digest", name="uq_event_shapes_digest"),
    )
    op.create_table(
        "event_packs",
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("through", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.Column("shapes", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("event_packs")
    op.drop_table("event_shapes")
