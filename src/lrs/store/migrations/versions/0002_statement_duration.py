"""statements.duration_seconds: result.duration in seconds, for the learning summaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import isodate
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 1000


def _seconds(payload: object, timestamp: datetime | None) -> float | None:
    # A frozen copy of lrs.xapi.statement.duration_seconds: a migration must not change when the app does.
    if isinstance(payload, str):
        payload = json.loads(payload)
    value = ((payload or {}).get("result") or {}).get("duration") if isinstance(payload, dict) else None
    if not isinstance(value, str):
        return None
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        return None
    if isinstance(parsed, isodate.Duration):
        start = timestamp or datetime.now(UTC)
        parsed = parsed.totimedelta(start=start)
    return parsed.total_seconds()


def upgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))

    # Backfill the statements stored before this column existed, in batches by seq.
    conn = op.get_bind()
    statements = sa.table(
        "statements",
        sa.column("seq", sa.BigInteger),
        sa.column("timestamp", sa.DateTime(timezone=True)),
        sa.column("payload", sa.JSON),
        sa.column("duration_seconds", sa.Float),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(statements.c.seq, statements.c.timestamp, statements.c.payload)
            .where(statements.c.seq > last)
            .order_by(statements.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        updates = [
            {"s": row.seq, "d": seconds}
            for row in rows
            if (seconds := _seconds(row.payload, row.timestamp)) is not None
        ]
        if updates:
            conn.execute(
                sa.update(statements)
                .where(statements.c.seq == sa.bindparam("s"))
                .values(duration_seconds=sa.bindparam("d")),
                updates,
            )
        last = rows[-1].seq


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_column("duration_seconds")
