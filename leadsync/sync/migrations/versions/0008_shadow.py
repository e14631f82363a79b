"""shadow mode: a candidate config's decisions and moves, kept apart from the live ones

Revision ID: 0008_shadow
Revises: 0006
Create Date: 2026-11-27

- `shadow_candidates`: each candidate config text shadow mode ran (hash, path, text, since).
- `shadow_decisions`: per candidate and person, the latest decision beside the live stage.
- `shadow_moves`: the candidate's own stage moves (its ledger; never the live one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_shadow"
# Written beside the other parts of issue 12: the lead re-chains it after whatever lands first.
down_revision = "0006"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shadow_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("since", _WHEN, nullable=False),
        sa.Column("last_run_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "shadow_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _WHEN, nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("live_stage", sa.String(length=32), nullable=True),
        sa.Column("fit", sa.Float(), nullable=False),
        sa.Column("engagement", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("live_total", sa.Float(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("trail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["shadow_candidates.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id", "person_id", name="uq_shadow_decisions_person"),
    )
    op.create_index("ix_shadow_decisions_person_id", "shadow_decisions", ["person_id"])
    op.create_index("ix_shadow_decisions_decided", "shadow_decisions",
                    ["candidate_id", "decided_at"])  # fmt: skip
    op.create_table(
        "shadow_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("score", sa.JSON(), nullable=False),
        sa.Column("live_stage", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["shadow_candidates.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shadow_moves_person_id", "shadow_moves", ["person_id"])
    op.create_index("ix_shadow_moves_candidate", "shadow_moves",
                    ["candidate_id", "to_stage", "at"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("shadow_moves")
    op.drop_table("shadow_decisions")
    op.drop_table("shadow_candidates")
