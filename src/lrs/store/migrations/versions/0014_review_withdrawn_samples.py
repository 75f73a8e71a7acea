"""An IQA decision on an assessor decision that has since been withdrawn (voided) no longer counts: forget the
derived rows of such samples, as `lrs review rebuild` would (it never derives a sample of a withdrawn decision).
From this revision on the write path forgets them when it forgets the decision (lrs.store.reviews).

Revision ID: 0014_review_withdrawn_samples
Revises: 0013_read_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0014_review_withdrawn_samples"
down_revision = "0013_read_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM review_decisions WHERE role = 'iqa' AND target_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM review_decisions AS target WHERE target.statement_id = review_decisions.target_id)"
    )


def downgrade() -> None:
    """Nothing to put back: `lrs review rebuild` derives the decisions again from the statements."""
