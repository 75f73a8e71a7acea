"""A learner's record: the statements an export or an evidence view reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from lrs.store.models import Statement, StatementAgent

S = Statement.__table__
SA = StatementAgent.__table__


def learner_statements(
    conn: Connection,
    agent_key: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20000,
) -> list[tuple[dict[str, Any], str | None]]:
    """(statement, learning mode) for every statement the agent is the actor or object of, not voided and not
    voiding, oldest timestamp first. ``since``/``until`` bound the statement's timestamp (inclusive)."""
    # Driven from the agent index (one row per statement and agent, so the join adds no duplicates): an
    # EXISTS here made SQLite walk the whole statements table in timestamp order.
    conds = [
        SA.c.agent_key == agent_key,
        SA.c.direct.is_(True),
        S.c.voided.is_(False),
        S.c.is_voiding.is_(False),
    ]
    if since is not None:
        conds.append(S.c.timestamp >= since)
    if until is not None:
        conds.append(S.c.timestamp <= until)
    rows = conn.execute(
        select(S.c.payload, S.c.learning_mode)
        .join(SA, SA.c.statement_seq == S.c.seq)
        .where(*conds)
        .order_by(S.c.timestamp, S.c.seq)
        .limit(limit)
    ).all()
    return [(r.payload, r.learning_mode) for r in rows]
