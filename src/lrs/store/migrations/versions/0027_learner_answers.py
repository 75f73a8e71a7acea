"""learner_versions and learner_answers (issue 23): each learner's record version, bumped by the write path with
the learning totals, and plugins' answers about learners (a CPD year's readiness) kept against it, so the lead's
dashboard reads 500 kept answers instead of working out 500 logs from their statements. Both start empty but for
the generation row (agent key "", 0): a learner without a version row is at version 0 until their record next
changes.

Revision ID: 0027_learner_answers
Revises: 0026_cohort_member_totals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_learner_answers"
down_revision = "0026_cohort_member_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_versions",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agent_key"),
        sqlite_with_rowid=False,
    )
    # The generation row is always there: an answer is kept only under a lock on it (lrs.store.learner_answers).
    op.execute("INSERT INTO learner_versions (agent_key, version) VALUES ('', 0)")
    op.create_table(
        "learner_answers",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "agent_key"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("learner_answers")
    op.drop_table("learner_versions")
