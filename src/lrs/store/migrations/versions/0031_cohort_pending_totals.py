"""cohort_pending_totals (issue 23): on SQLite the rows waiting in ``cohort_recent_totals`` are gathered here, added
up per key, and the three tables (``cohort_totals``, ``cohort_month_totals``, ``cohort_member_totals``) take them
only once enough have gathered (lrs.store.cohort_totals.SETTLE_ROWS). A fold into the three tables rewrites nearly
every leaf of the member and month tables however few rows it adds; gathering here writes this small table's pages
only. The table starts empty.

Revision ID: 0031_cohort_pending_totals
Revises: 0030_cohort_totals_shared_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_cohort_pending_totals"
down_revision = "0030_cohort_totals_shared_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_pending_totals",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri", "agents", "day", "mode", "verb_iri"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    # Its rows (and the waiting ones) go into the three tables first (the store's own fold).
    from lrs.store.cohort_totals import fold

    fold(op.get_bind())
    op.drop_table("cohort_pending_totals")
