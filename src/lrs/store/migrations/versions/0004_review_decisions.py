"""Assessor and IQA decisions on evidence, derived from decision statements

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("framework_uri", sa.Text(), nullable=False),
        sa.Column("item_uri", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reviewer_key", sa.Text(), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=True),
        sa.Column("decided", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    op.create_index("ix_review_agent_framework", "review_decisions", ["agent_key", "framework_uri"])
    op.create_index("ix_review_evidence_item", "review_decisions", ["evidence_id", "item_uri"])
    op.create_index("ix_review_target", "review_decisions", ["target_id"])


def downgrade() -> None:
    op.drop_index("ix_review_target", table_name="review_decisions")
    op.drop_index("ix_review_evidence_item", table_name="review_decisions")
    op.drop_index("ix_review_agent_framework", table_name="review_decisions")
    op.drop_table("review_decisions")
