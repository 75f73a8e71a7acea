"""cohort_member_totals (issue 23): ``cohort_totals`` (days) and ``cohort_month_totals`` (months, all time) under
each agent a key stands for (a set's rows under each of its members), so that a summary of a cohort's enrolled
learners seeks each learner once per grain instead of each learner and each set they are in, and reads an edge
month's days in the same seek. Kept with ``cohort_totals`` by the same calls in the same transaction; filled
here set-based from the two tables (lrs.store.cohort_totals.add_members: one INSERT ... SELECT).

Revision ID: 0026_cohort_member_totals
Revises: 0025_learner_month_totals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_cohort_member_totals"
down_revision = "0025_learner_month_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_member_totals",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri", "agent_key", "grain", "period", "mode", "verb_iri", "agents"),
        sqlite_with_rowid=False,
    )
    # The store's own filling (the write path's rows and these must be the same rows).
    from lrs.store.cohort_totals import add_members

    add_members(op.get_bind())


def downgrade() -> None:
    op.drop_table("cohort_member_totals")
