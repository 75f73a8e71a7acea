"""cohort_recent_totals (issue 23): on SQLite a batch's rows for the known cohorts are appended here and added to
``cohort_totals``, ``cohort_month_totals`` and ``cohort_member_totals`` once the table holds enough of them
(lrs.store.cohort_totals.fold). Upserting them into the three tables at once dirtied a page for nearly every row:
with the learners enrolled a batch of 100 wrote 2,579 pages to the WAL against 1,440 without the cohorts. The
table starts empty: every row written before it is in the three tables.

Revision ID: 0029_cohort_recent_totals
Revises: 0028_member_totals_of_sets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_cohort_recent_totals"
down_revision = "0028_member_totals_of_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_recent_totals",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("batch", sa.BigInteger(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri", "batch", "agents", "day", "mode", "verb_iri"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    # Its rows go into the three tables first (the store's own fold): without this table they must hold them all.
    from lrs.store.cohort_totals import fold

    fold(op.get_bind())
    op.drop_table("cohort_recent_totals")
