"""Unit submissions, certification claims, IQA sampling plans, learners' registration numbers and witness
confirmation links; IQA overturns become actions

Revision ID: 0011_assessment
Revises: 0010_enrolments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_assessment"
down_revision = "0010_enrolments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_submissions",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("framework_uri", sa.Text(), nullable=False),
        sa.Column("unit_uri", sa.Text(), nullable=False),
        sa.Column("submitted", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    op.create_index("ix_unit_submissions_agent_unit", "unit_submissions", ["agent_key", "unit_uri"])
    op.create_table(
        "unit_claims",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("framework_uri", sa.Text(), nullable=False),
        sa.Column("unit_uri", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.Text(), nullable=False),
        sa.Column("claimed", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    op.create_index("ix_unit_claims_agent_unit", "unit_claims", ["agent_key", "unit_uri"])
    op.create_table(
        "sampling_plans",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("adopted_by", sa.Text(), nullable=False),
        sa.Column("adopted", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    op.create_table(
        "learner_registrations",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("registration_number", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("agent_key"),
    )
    op.create_table(
        "witness_requests",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statement_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_witness_requests_evidence", "witness_requests", ["evidence_id"])
    # An IQA no longer overturns: a stored overturn is read as an action returning the decision to the assessor.
    op.execute("UPDATE review_decisions SET outcome = 'action-raised' WHERE outcome = 'overturned'")


def downgrade() -> None:
    op.execute("UPDATE review_decisions SET outcome = 'overturned' WHERE outcome = 'action-raised'")
    op.drop_index("ix_witness_requests_evidence", table_name="witness_requests")
    op.drop_table("witness_requests")
    op.drop_table("learner_registrations")
    op.drop_table("sampling_plans")
    op.drop_index("ix_unit_claims_agent_unit", table_name="unit_claims")
    op.drop_table("unit_claims")
    op.drop_index("ix_unit_submissions_agent_unit", table_name="unit_submissions")
    op.drop_table("unit_submissions")
