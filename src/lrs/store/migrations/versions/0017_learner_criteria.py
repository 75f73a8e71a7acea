"""learner_criteria: each learner's evidenced criteria and whether each is met (issue 23: the lead's dashboard reads
a cohort's unit progress from it), kept by the store in the transaction that changes the evidence links or the
review decisions, or voids, deletes or erases their statements (lrs.store.learner_criteria), and filled here from
the links and decisions in one set-based statement (`lrs review rebuild` and `lrs evidence rebuild` remake it).

Revision ID: 0017_learner_criteria
Revises: 0016_evidence_links_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_learner_criteria"
down_revision = "0016_evidence_links_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_criteria",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("framework_uri", sa.Text(), nullable=False),
        sa.Column("item_uri", sa.Text(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "framework_uri", "item_uri"),
        sqlite_with_rowid=False,
    )
    # The store's own set-based statement (the same one its rebuild runs), so the two cannot disagree.
    from lrs.store import learner_criteria, reviews  # noqa: F401 - reviews defines review_decisions

    learner_criteria.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("learner_criteria")
