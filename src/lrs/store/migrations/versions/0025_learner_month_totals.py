"""learning_month_totals (issues 18 and 23): ``learning_totals`` added up per learner and month and over all time
(month ""), with the latest timestamp and the first day, so that the lead's dashboard reads each learner's whole
record in a few rows instead of every day they learned, and the cohort's months instead of their days. Kept with
``learning_totals`` by the same calls in the same transaction; filled here from ``learning_totals`` set-based
(lrs.store.learning.add_months: one INSERT ... SELECT).

Revision ID: 0025_learner_month_totals
Revises: 0024_cohort_month_totals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_learner_month_totals"
down_revision = "0024_cohort_month_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_month_totals",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "month", "mode", "verb_iri"),
        sqlite_with_rowid=False,
    )
    # The store's own filling (the write path's rows and these must be the same rows).
    from lrs.store.learning import add_months

    add_months(op.get_bind())


def downgrade() -> None:
    op.drop_table("learning_month_totals")
