"""cohort_month_totals (issue 23): ``cohort_totals`` added up per month and over all time (month ""), so that a
cohort summary of whole months or of all time reads a few rows per key instead of every day; a period starting
or ending mid-month adds its edge days from ``cohort_totals``. Kept with ``cohort_totals`` by the same calls in
the same transaction; filled here from ``cohort_totals`` set-based (lrs.store.cohort_totals.add_months: one
INSERT ... SELECT).

Revision ID: 0024_cohort_month_totals
Revises: 0023_agent_timestamps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_cohort_month_totals"
down_revision = "0023_agent_timestamps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_month_totals",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri", "agents", "month", "mode", "verb_iri"),
        sqlite_with_rowid=False,
    )
    # The store's own filling (the write path's rows and these must be the same rows).
    from lrs.store.cohort_totals import add_months

    add_months(op.get_bind())


def downgrade() -> None:
    op.drop_table("cohort_month_totals")
