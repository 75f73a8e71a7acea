"""Indexes for what people wait on (issue 23): an assessor's decisions by reviewer, for the IQA sample list's
"new assessor" rank (it read every decision of the reviewer once per row of the list).

Revision ID: 0013_read_indexes
Revises: 0012_data_lifecycle
"""

from __future__ import annotations

from alembic import op

revision = "0013_read_indexes"
down_revision = "0012_data_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_review_reviewer", "review_decisions", ["reviewer_key", "role"])


def downgrade() -> None:
    op.drop_index("ix_review_reviewer", table_name="review_decisions")
