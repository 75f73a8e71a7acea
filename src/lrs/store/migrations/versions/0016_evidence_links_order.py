"""The assessor's queue reads ``evidence_links`` alone (issues 18 and 23):

- ``evidence_links.stored``, ``seq`` and ``voided``: the linked statement's, copied when the link is written
  and kept true by the write path in the transactions that change the statement (voiding sets ``voided`` on
  its links; erasure and retention delete the links with the statement). The queue ("evidence awaiting a
  decision, oldest first") joined every waiting link of an assessor's cohorts to ``statements`` for these
  three, ~1,300 random reads of a 1,000,000-statement table for a page of 50.
- ``evidence_links.evidence_type``: the evidence-type context extension of the statement, so the queue filters
  by kind of evidence in SQL (and pages with a true count) and the IQA's sampling plan reads it without the
  statement.
- ``ix_evidence_agent_waiting`` (agent_key, voided, stored, seq): a learner's links not voided, in store order.

Filled here set-based from ``statements`` (one UPDATE each database); ``lrs evidence rebuild`` remakes the links
with them.

Revision ID: 0016_evidence_links_order
Revises: 0015_review_decision_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_evidence_links_order"
down_revision = "0015_review_decision_order"
branch_labels = None
depends_on = None

#: lrs.learning.vocabulary.EXT_EVIDENCE_TYPE as it is today (a migration does not import what may change).
EXT_EVIDENCE_TYPE = "https://w3id.org/xapi/social-work-leadership/extensions/evidence-type"


def _backfill_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return (
            "UPDATE evidence_links AS e SET stored = s.stored, seq = s.seq, voided = s.voided, "
            "evidence_type = CASE WHEN json_typeof(s.payload -> 'context' -> 'extensions' -> %(ext)s) = 'string' "
            "THEN s.payload -> 'context' -> 'extensions' ->> %(ext)s END "
            "FROM statements AS s WHERE s.id = e.statement_id"
        ).replace("%(ext)s", f"'{EXT_EVIDENCE_TYPE}'")
    path = f"'$.context.extensions.\"{EXT_EVIDENCE_TYPE}\"'"
    return (
        "UPDATE evidence_links SET (stored, seq, voided, evidence_type) = (SELECT s.stored, s.seq, s.voided, "
        f"CASE WHEN json_type(s.payload, {path}) = 'text' THEN json_extract(s.payload, {path}) END "
        "FROM statements AS s WHERE s.id = evidence_links.statement_id)"
    )


def upgrade() -> None:
    with op.batch_alter_table("evidence_links") as batch:
        batch.add_column(sa.Column("stored", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch.add_column(sa.Column("voided", sa.Boolean(), nullable=False, server_default=sa.text("false")))
        batch.add_column(sa.Column("evidence_type", sa.Text(), nullable=True))
    # A link whose statement is gone (none should be: erasure and retention delete them together) is not kept.
    op.execute(
        "DELETE FROM evidence_links WHERE NOT EXISTS "
        "(SELECT 1 FROM statements WHERE statements.id = evidence_links.statement_id)"
    )
    bind = op.get_bind()
    bind.execute(sa.text(_backfill_sql(bind.dialect.name)))
    op.create_index("ix_evidence_agent_waiting", "evidence_links", ["agent_key", "voided", "stored", "seq"])


def downgrade() -> None:
    op.drop_index("ix_evidence_agent_waiting", table_name="evidence_links")
    with op.batch_alter_table("evidence_links") as batch:
        batch.drop_column("evidence_type")
        batch.drop_column("voided")
        batch.drop_column("seq")
        batch.drop_column("stored")
