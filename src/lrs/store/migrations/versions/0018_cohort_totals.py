"""cohort_totals (issue 23): per known cohort or programme, set of direct agents, UTC day and learning mode, the
count and time of the statements touching it, so that a cohort summary reads rows instead of statements; kept by
the write path in the statements' transaction. ``known_cohorts`` is filled with every cohort that has an
enrolment, and the totals counted from the stored statements, set-based (lrs.store.cohort_totals.count: one
INSERT ... SELECT, then the few statements with two or more direct agents); ``lrs learning-totals rebuild``
does the same later.

Revision ID: 0018_cohort_totals
Revises: 0017_learner_criteria
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_cohort_totals"
down_revision = "0017_learner_criteria"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_cohorts",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("known_since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri"),
    )
    op.create_table(
        "cohort_totals",
        sa.Column("activity_iri", sa.Text(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_iri", "agents", "mode", "verb_iri", "month", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "cohort_agent_sets",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "agents"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_cohort_agent_sets_agents", "cohort_agent_sets", ["agents", "agent_key"])
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO known_cohorts (activity_iri, known_since) "
            "SELECT DISTINCT cohort, :now FROM cohort_enrolments"
        ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True)))
    )
    # The count is the store's own (the write path's rows and these must be the same rows).
    from lrs.store.cohort_totals import count

    count(bind, months=False)  # cohort_month_totals comes with 0024, which fills it from these rows


def downgrade() -> None:
    op.drop_index("ix_cohort_agent_sets_agents", table_name="cohort_agent_sets")
    op.drop_table("cohort_agent_sets")
    op.drop_table("cohort_totals")
    op.drop_table("known_cohorts")
