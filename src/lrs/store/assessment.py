"""Unit submissions, the centre's certification claims, IQA sampling plans and learners' registration numbers:
SQL only.

Submissions, claims and plans are derived data like ``review_decisions``: one row per statement the LRS accepted
as one (lrs.review.service says which), remade by ``lrs review rebuild``; the statements stay the record.
Registration numbers are not statements: the centre records them (``lrs review registration``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Index,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from lrs.store.models import Base, Statement

SUB = Table(
    "unit_submissions",
    Base.metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("agent_key", Text, nullable=False),
    Column("framework_uri", Text, nullable=False),
    Column("unit_uri", Text, nullable=False),
    Column("submitted", DateTime(timezone=True), nullable=False),
    Index("ix_unit_submissions_agent_unit", "agent_key", "unit_uri"),
)
CLAIM = Table(
    "unit_claims",
    Base.metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("submission_id", String(36), nullable=False),
    Column("agent_key", Text, nullable=False),
    Column("framework_uri", Text, nullable=False),
    Column("unit_uri", Text, nullable=False),
    #: The credential key of the admin who claimed.
    Column("claimed_by", Text, nullable=False),
    Column("claimed", DateTime(timezone=True), nullable=False),
    Index("ix_unit_claims_agent_unit", "agent_key", "unit_uri"),
)
PLAN = Table(
    "sampling_plans",
    Base.metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("plan", JSON, nullable=False),
    Column("adopted_by", Text, nullable=False),
    Column("adopted", DateTime(timezone=True), nullable=False),
)
REG = Table(
    "learner_registrations",
    Base.metadata,
    Column("agent_key", Text, primary_key=True),
    #: The learner's registration number with the awarding body.
    Column("registration_number", String(64), nullable=False),
)
WITNESS = Table(
    "witness_requests",
    Base.metadata,
    #: SHA-256 of the one-time token; the token itself is only in the link sent to the witness.
    Column("token_hash", String(64), primary_key=True),
    Column("evidence_id", String(36), nullable=False),
    Column("agent_key", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used", DateTime(timezone=True)),
    #: The witness's own statement, once they confirmed or corrected the testimony.
    Column("statement_id", String(36)),
    Index("ix_witness_requests_evidence", "evidence_id"),
)
S = Statement.__table__


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(delete(table).where(table.c.statement_id.in_([r["statement_id"] for r in rows])))
        conn.execute(insert(table), rows)


def forget(conn: Connection, statement_ids: Iterable[str]) -> None:
    """Forget submissions, claims and plans made by these (voided) statements."""
    ids = list(statement_ids)
    if ids:
        for table in (SUB, CLAIM, PLAN):
            conn.execute(delete(table).where(table.c.statement_id.in_(ids)))


def derived(conn: Connection, statement_ids: Iterable[str]) -> set[str]:
    """Which of these statements are indexed submissions, claims or plans."""
    ids = list(statement_ids)
    found: set[str] = set()
    if ids:
        for table in (SUB, CLAIM, PLAN):
            found |= set(conn.execute(select(table.c.statement_id).where(table.c.statement_id.in_(ids))).scalars())
    return found


def clear(conn: Connection) -> None:
    for table in (SUB, CLAIM, PLAN):
        conn.execute(delete(table))


def _ordered(table: Table, *conds: Any) -> Any:
    return select(table, S.c.payload).join(S, S.c.id == table.c.statement_id).where(*conds).order_by(S.c.seq)


def submissions(conn: Connection, agent_key: str, unit_uri: str | None = None) -> list[dict[str, Any]]:
    """The learner's unit submissions in store order (with the statement payload)."""
    conds = [SUB.c.agent_key == agent_key, S.c.voided.is_(False)]
    if unit_uri is not None:
        conds.append(SUB.c.unit_uri == unit_uri)
    return [dict(r) for r in conn.execute(_ordered(SUB, *conds)).mappings()]


def submission(conn: Connection, statement_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(SUB).where(SUB.c.statement_id == statement_id)).mappings().first()
    return dict(row) if row else None


def claims(conn: Connection, agent_key: str) -> list[dict[str, Any]]:
    """The centre's claims for the learner in store order (with the statement payload)."""
    return [dict(r) for r in conn.execute(_ordered(CLAIM, CLAIM.c.agent_key == agent_key, S.c.voided.is_(False))).mappings()]


def unclaimed_submissions(conn: Connection) -> list[dict[str, Any]]:
    """Every learner's unit that is submitted and not claimed yet, oldest latest submission first: one row per
    learner and unit with ``agent_key``, ``framework_uri``, ``unit_uri``, ``attempts`` and ``submitted`` (the
    latest attempt). One grouped query (the centre's claims page)."""
    claimed = (
        select(CLAIM.c.statement_id)
        .join(S, S.c.id == CLAIM.c.statement_id)
        .where(CLAIM.c.agent_key == SUB.c.agent_key, CLAIM.c.unit_uri == SUB.c.unit_uri, S.c.voided.is_(False))
        .exists()
    )
    latest = func.max(SUB.c.submitted)
    query = (
        select(SUB.c.agent_key, SUB.c.framework_uri, SUB.c.unit_uri, func.count().label("attempts"),
               latest.label("submitted"))
        .join(S, S.c.id == SUB.c.statement_id)
        .where(S.c.voided.is_(False), ~claimed)
        .group_by(SUB.c.agent_key, SUB.c.framework_uri, SUB.c.unit_uri)
        .order_by(latest, SUB.c.agent_key, SUB.c.unit_uri)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def recent_claims(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The centre's latest claims, newest first (``agent_key``, ``framework_uri``, ``unit_uri``, ``claimed_by``,
    ``claimed``)."""
    query = (
        select(CLAIM.c.agent_key, CLAIM.c.framework_uri, CLAIM.c.unit_uri, CLAIM.c.claimed_by, CLAIM.c.claimed)
        .join(S, S.c.id == CLAIM.c.statement_id)
        .where(S.c.voided.is_(False))
        .order_by(CLAIM.c.claimed.desc(), S.c.seq.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def registration_numbers(conn: Connection, agent_keys: Iterable[str]) -> dict[str, str]:
    """:func:`registration_number` for many learners in one query: agent key -> number (only those recorded)."""
    keys = sorted(set(agent_keys))
    if not keys:
        return {}
    rows = conn.execute(select(REG.c.agent_key, REG.c.registration_number).where(REG.c.agent_key.in_(keys)))
    return {r.agent_key: r.registration_number for r in rows}


def current_plan(conn: Connection) -> dict[str, Any] | None:
    """The sampling plan adopted last (store order), or None."""
    # From the plans (a handful of rows) with each one's place in the store: a join ordered by statements.seq
    # made SQLite walk every statement backwards looking for a plan (150 ms at 20,000 statements).
    seq = select(S.c.seq).where(S.c.id == PLAN.c.statement_id, S.c.voided.is_(False)).scalar_subquery()
    row = conn.execute(select(PLAN).where(seq.is_not(None)).order_by(seq.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def plans(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(_ordered(PLAN, S.c.voided.is_(False))).mappings()]


def registration_number(conn: Connection, agent_key: str) -> str | None:
    return conn.execute(select(REG.c.registration_number).where(REG.c.agent_key == agent_key)).scalar()


def set_registration_number(conn: Connection, agent_key: str, number: str) -> None:
    conn.execute(delete(REG).where(REG.c.agent_key == agent_key))
    conn.execute(insert(REG).values(agent_key=agent_key, registration_number=number))


def latest(rows: list[dict[str, Any]], key: str) -> datetime | None:
    return max((r[key] for r in rows), default=None)


def create_witness_request(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(WITNESS).values(**row))


def witness_request(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    row = conn.execute(select(WITNESS).where(WITNESS.c.token_hash == token_hash)).mappings().first()
    return dict(row) if row else None


def use_witness_request(conn: Connection, token_hash: str, statement_id: str, when: datetime) -> bool:
    """Mark the request used by this statement; False when it was used already (a second, racing answer)."""
    result = conn.execute(
        WITNESS.update()
        .where(WITNESS.c.token_hash == token_hash, WITNESS.c.used.is_(None))
        .values(used=when, statement_id=statement_id)
    )
    return (result.rowcount or 0) == 1


def witness_confirmations(conn: Connection, evidence_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Evidence id -> the witness's confirming statement (payload), latest first wins, for used requests."""
    ids = list(evidence_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(WITNESS.c.evidence_id, S.c.payload)
        .join(S, S.c.id == WITNESS.c.statement_id)
        .where(WITNESS.c.evidence_id.in_(ids), S.c.voided.is_(False))
        .order_by(S.c.seq)
    )
    return {r.evidence_id: r.payload for r in rows}
