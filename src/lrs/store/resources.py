"""What the Activities and Agents resources read: canonical definitions and an agent's recent statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lrs.store.models import Activity, Statement, StatementAgent

ACT = Activity.__table__
S = Statement.__table__
SA = StatementAgent.__table__


def activity_definition(conn: Connection, iri: str) -> dict[str, Any] | None:
    """The canonical definition of an activity, or None (never seen, or seen without a definition)."""
    return conn.execute(select(ACT.c.definition).where(ACT.c.iri == iri)).scalar()


def agent_statements(conn: Connection, key: str, *, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` statements (not voided) that touch the agent with IFI key ``key`` in any role,
    newest first. An index lookup on statement_agents, then the payloads by primary key."""
    seqs = (
        select(SA.c.statement_seq)
        .where(SA.c.agent_key == key)
        .order_by(SA.c.statement_seq.desc())
        .limit(limit)
    )
    rows = conn.execute(
        select(S.c.payload).where(S.c.seq.in_(seqs), S.c.voided.is_(False)).order_by(S.c.seq.desc())
    ).all()
    return [r.payload for r in rows]
