"""The review's derived decisions (issue 23, and withdrawn decisions):

- ``review_decisions.seq``: the decision statement's place in the store (``statements.seq``), kept with the
  derived row. The IQA sample list asked, for every waiting decision, whether a later assessor decision
  supersedes it, and ordered them, by joining each decision and each later one to ``statements`` for its
  ``seq``; the "new assessor" rank sorted every decision of a reviewer by that joined ``seq``. Both now read
  ``review_decisions`` alone (``ix_review_reviewer_seq`` walks a reviewer's first decisions in store order).
- An IQA decision on an assessor decision that has since been withdrawn (voided) no longer counts: the derived
  rows of such samples are forgotten, as ``lrs review rebuild`` has it (it never derives a sample of a withdrawn
  decision). From this revision on the write path forgets them with the decision (lrs.store.reviews).

Revision ID: 0015_review_decision_order
Revises: 0014_totals_learning_totals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_review_decision_order"
down_revision = "0014_totals_learning_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM review_decisions WHERE role = 'iqa' AND target_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM review_decisions AS target WHERE target.statement_id = review_decisions.target_id)"
    )
    with op.batch_alter_table("review_decisions") as batch:
        batch.add_column(
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
    op.execute(
        "UPDATE review_decisions SET seq = "
        "(SELECT statements.seq FROM statements WHERE statements.id = review_decisions.statement_id)"
    )
    # Each replaces an index that is its prefix.
    op.drop_index("ix_review_reviewer", table_name="review_decisions")
    op.create_index("ix_review_reviewer_seq", "review_decisions", ["reviewer_key", "role", "seq"])
    op.drop_index("ix_review_evidence_item", table_name="review_decisions")
    op.create_index(
        "ix_review_evidence_item_seq", "review_decisions", ["evidence_id", "item_uri", "role", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_review_evidence_item_seq", table_name="review_decisions")
    op.create_index("ix_review_evidence_item", "review_decisions", ["evidence_id", "item_uri"])
    op.drop_index("ix_review_reviewer_seq", table_name="review_decisions")
    op.create_index("ix_review_reviewer", "review_decisions", ["reviewer_key", "role"])
    with op.batch_alter_table("review_decisions") as batch:
        batch.drop_column("seq")
