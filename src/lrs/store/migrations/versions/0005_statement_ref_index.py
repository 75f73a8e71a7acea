"""StatementRef filters as index lookups: the target's index rows copied onto the referring statement

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# A frozen copy of what lrs.store.statements writes at insert time, as SQL over the stored rows: a migration
# must not change when the app does. Targets stored: their agents, activities, verb and registration go onto
# each statement referring to them; targets not stored: the referring statement waits in statement_refs_pending.
BACKFILL = (
    """INSERT INTO statement_ref_agents (statement_seq, agent_key, direct)
       SELECT s.seq, a.agent_key, a.direct FROM statements s
       JOIN statements t ON t.id = s.object_statement_id
       JOIN statement_agents a ON a.statement_seq = t.seq
       WHERE s.object_statement_id IS NOT NULL""",
    """INSERT INTO statement_ref_activities (statement_seq, activity_iri, direct)
       SELECT s.seq, a.activity_iri, a.direct FROM statements s
       JOIN statements t ON t.id = s.object_statement_id
       JOIN statement_activities a ON a.statement_seq = t.seq
       WHERE s.object_statement_id IS NOT NULL""",
    """UPDATE statements SET
         ref_verb_iri = (SELECT t.verb_iri FROM statements t WHERE t.id = statements.object_statement_id),
         ref_registration = (SELECT t.registration FROM statements t WHERE t.id = statements.object_statement_id)
       WHERE object_statement_id IS NOT NULL""",
    """INSERT INTO statement_refs_pending (statement_seq, target_id)
       SELECT s.seq, s.object_statement_id FROM statements s
       WHERE s.object_statement_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM statements t WHERE t.id = s.object_statement_id)""",
)


def upgrade() -> None:
    op.add_column("statements", sa.Column("ref_verb_iri", sa.Text(), nullable=True))
    op.add_column("statements", sa.Column("ref_registration", sa.String(length=36), nullable=True))
    # Only StatementRef statements need an entry: the full index held a NULL for every other statement.
    op.drop_index("ix_statements_object_statement", table_name="statements")
    partial = {
        "sqlite_where": sa.text("object_statement_id IS NOT NULL"),
        "postgresql_where": sa.text("object_statement_id IS NOT NULL"),
    }
    op.create_index("ix_statements_object_statement", "statements", ["object_statement_id"], **partial)
    for name, column in (("ix_statements_ref_verb_seq", "ref_verb_iri"),
                         ("ix_statements_ref_registration_seq", "ref_registration")):
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "statements", [column, "seq"], sqlite_where=where, postgresql_where=where)
    for table, key, key_type in (("statement_ref_agents", "agent_key", sa.Text()),
                                 ("statement_ref_activities", "activity_iri", sa.Text())):
        op.create_table(
            table,
            sa.Column("statement_seq", SeqType, nullable=False),
            sa.Column(key, key_type, nullable=False),
            sa.Column("direct", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(["statement_seq"], ["statements.seq"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("statement_seq", key),
        )
    op.create_index("ix_statement_ref_agents_key_seq", "statement_ref_agents", ["agent_key", "direct", "statement_seq"])
    op.create_index(
        "ix_statement_ref_activities_iri_seq", "statement_ref_activities", ["activity_iri", "direct", "statement_seq"]
    )
    op.create_table(
        "statement_refs_pending",
        sa.Column("statement_seq", SeqType, nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["statement_seq"], ["statements.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_seq"),
    )
    op.create_index("ix_statement_refs_pending_target", "statement_refs_pending", ["target_id"])
    conn = op.get_bind()
    for sql in BACKFILL:
        conn.execute(sa.text(sql))


def downgrade() -> None:
    op.drop_index("ix_statement_refs_pending_target", table_name="statement_refs_pending")
    op.drop_table("statement_refs_pending")
    op.drop_index("ix_statement_ref_activities_iri_seq", table_name="statement_ref_activities")
    op.drop_table("statement_ref_activities")
    op.drop_index("ix_statement_ref_agents_key_seq", table_name="statement_ref_agents")
    op.drop_table("statement_ref_agents")
    op.drop_index("ix_statements_ref_registration_seq", table_name="statements")
    op.drop_index("ix_statements_ref_verb_seq", table_name="statements")
    op.drop_index("ix_statements_object_statement", table_name="statements")
    op.create_index("ix_statements_object_statement", "statements", ["object_statement_id"])
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_column("ref_registration")
        batch_op.drop_column("ref_verb_iri")
