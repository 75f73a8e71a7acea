"""Data in and out for the long run: forwarding targets and their outbox, leases (one sender across
workers), import checkpoints, and the audit of erasures and retention runs (counts, never the data)

Revision ID: 0012_data_lifecycle
Revises: 0011_assessment
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_data_lifecycle"
down_revision = "0011_assessment"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "forward_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("xapi_version", sa.String(length=16), nullable=True),
        sa.Column("verb_iri", sa.Text(), nullable=True),
        sa.Column("activity_iri", sa.Text(), nullable=True),
        sa.Column("agent_key", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "forward_outbox",
        sa.Column("id", SeqType, autoincrement=True, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("statement_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["forward_targets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target_id", "statement_seq", name="ux_forward_outbox_target_seq"),
    )
    op.create_index("ix_forward_outbox_due", "forward_outbox", ["status", "target_id", "next_attempt"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "import_checkpoints",
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("since", sa.Text(), nullable=True),
        sa.Column("more", sa.Text(), nullable=True),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("endpoint"),
    )
    op.create_table(
        "data_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("data_audit")
    op.drop_table("import_checkpoints")
    op.drop_table("leases")
    op.drop_index("ix_forward_outbox_due", table_name="forward_outbox")
    op.drop_table("forward_outbox")
    op.drop_table("forward_targets")
