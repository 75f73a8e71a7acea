"""Imported competency frameworks, and the evidence links derived from statements

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frameworks",
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("package", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("imported", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uri"),
    )
    op.create_table(
        "evidence_links",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("framework_uri", sa.Text(), nullable=False),
        sa.Column("item_uri", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("statement_id", "item_uri"),
    )
    op.create_index("ix_evidence_agent_framework", "evidence_links", ["agent_key", "framework_uri"])


def downgrade() -> None:
    op.drop_index("ix_evidence_agent_framework", table_name="evidence_links")
    op.drop_table("evidence_links")
    op.drop_table("frameworks")
