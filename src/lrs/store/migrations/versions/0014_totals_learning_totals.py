"""learning_totals: per learner, UTC day and learning mode, the statements' count and time (issue 23), kept by the
write path in the statement's transaction, and filled here from the stored statements in one set-based
statement (`lrs learning-totals rebuild` does the same later).

Revision ID: 0014_totals_learning_totals
Revises: 0013_read_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_totals_learning_totals"
down_revision = "0013_read_indexes"
branch_labels = None
depends_on = None


def _backfill_sql(dialect: str) -> str:
    if dialect == "postgresql":
        day = "to_char(timezone('UTC', s.timestamp), 'YYYY-MM-DD')"
    else:
        day = "strftime('%Y-%m-%d', s.timestamp)"
    return (
        "INSERT INTO learning_totals (agent_key, day, mode, verb_iri, statements, seconds, timed, latest) "
        f"SELECT a.agent_key, {day}, coalesce(s.learning_mode, ''), "
        "CASE WHEN s.learning_mode IS NULL THEN s.verb_iri ELSE '' END, count(*), "
        "coalesce(sum(s.duration_seconds), 0.0), count(s.duration_seconds), max(s.timestamp) "
        "FROM statements s JOIN statement_agents a ON a.statement_seq = s.seq "
        "WHERE a.direct AND NOT s.voided AND NOT s.is_voiding "
        "GROUP BY a.agent_key, 2, 3, 4"
    )


def upgrade() -> None:
    op.create_table(
        "learning_totals",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "day", "mode", "verb_iri"),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    bind.execute(sa.text(_backfill_sql(bind.dialect.name)))


def downgrade() -> None:
    op.drop_table("learning_totals")
