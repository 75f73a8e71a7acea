"""learning_months_waiting (issue 23): on SQLite the write path marks the (learner, month) pairs a batch adds to
here instead of upserting their ``learning_month_totals`` rows, which are counted again from the days once
enough pairs wait (lrs.store.learning.fold_months). The table starts empty: every month row written before it is
up to date.

Revision ID: 0031_learning_months_waiting
Revises: 0030_cohort_totals_shared_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_learning_months_waiting"
down_revision = "0030_cohort_totals_shared_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_months_waiting",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "month"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    # The marked months are counted again first (the store's own fold): without this table nothing marks them.
    from lrs.store.learning import fold_months

    fold_months(op.get_bind())
    op.drop_table("learning_months_waiting")
