"""statement_agents.timestamp: each agent row carries its statement's timestamp (written with the row by the
statement's write path; a statement's timestamp never changes), indexed as ``ix_statement_agents_key_time``
(agent_key, direct, timestamp, statement_seq), so that a learner's statements of a period are one range of an
index instead of every statement of the learner read for its timestamp (lrs.store.records.learners_statements,
the CPD readiness of the lead's dashboard; docs/performance.md).

The table is made again with the column filled, set-based: one ``INSERT ... SELECT`` joining each row to its
statement, then the indexes built on the full table (SQLite cannot add a NOT NULL column without a default, and
an ``UPDATE`` of every row on PostgreSQL would leave the table and its indexes twice their size).

Revision ID: 0023_agent_timestamps
Revises: 0022_pseudonym_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_agent_timestamps"
down_revision = "0022_pseudonym_keys"
branch_labels = None
depends_on = None

#: The backfill: every agent row with its statement's timestamp, in the primary key's order.
FILL = (
    "INSERT INTO statement_agents_new (statement_seq, agent_key, direct, timestamp) "
    "SELECT a.statement_seq, a.agent_key, a.direct, s.timestamp "
    "FROM statement_agents a JOIN statements s ON s.seq = a.statement_seq ORDER BY a.statement_seq, a.agent_key"
)


def _make(with_timestamp: bool) -> None:
    """statement_agents made again as statement_agents_new (with or without the timestamp), filled from the
    current table, which then gives way to it."""
    bind = op.get_bind()
    columns = [
        sa.Column("statement_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False),
    ]
    if with_timestamp:
        columns.append(sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "statement_agents_new",
        *columns,
        sa.ForeignKeyConstraint(["statement_seq"], ["statements.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_seq", "agent_key"),
    )
    if with_timestamp:
        bind.execute(sa.text(FILL))
    else:
        bind.execute(sa.text(
            "INSERT INTO statement_agents_new (statement_seq, agent_key, direct) "
            "SELECT statement_seq, agent_key, direct FROM statement_agents ORDER BY statement_seq, agent_key"
        ))
    op.drop_table("statement_agents")
    op.rename_table("statement_agents_new", "statement_agents")
    if bind.dialect.name == "postgresql":
        # The constraints keep the names they were made with; give them the table's.
        bind.execute(sa.text("ALTER TABLE statement_agents RENAME CONSTRAINT statement_agents_new_pkey "
                             "TO statement_agents_pkey"))
        bind.execute(sa.text("ALTER TABLE statement_agents RENAME CONSTRAINT statement_agents_new_statement_seq_fkey "
                             "TO statement_agents_statement_seq_fkey"))
    op.create_index("ix_statement_agents_key_seq", "statement_agents", ["agent_key", "direct", "statement_seq"])
    if with_timestamp:
        op.create_index("ix_statement_agents_key_time", "statement_agents",
                        ["agent_key", "direct", "timestamp", "statement_seq"])


def upgrade() -> None:
    _make(with_timestamp=True)


def downgrade() -> None:
    _make(with_timestamp=False)
