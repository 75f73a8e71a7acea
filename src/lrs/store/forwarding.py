"""Forwarding: targets, the outbox written in the statements' own transaction, and the sender's lease. SQL only.

The outbox holds one row per (target, statement) still to deliver (``pending``) or given up on (``dead``); a
delivered row is deleted. It is filled by :func:`insert_with_outbox`, in the same transaction as the statements,
so a statement acknowledged to its client is always either delivered or still in the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, ProgrammingError

from lrs.store.models import Base, SeqType, Statement, StatementActivity, StatementAgent
from lrs.store.statements import StatementBatch, Stored, insert_statements

TARGETS = Table(
    "forward_targets",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    #: "xapi" (another LRS) or "webhook"
    Column("kind", String(16), nullable=False),
    Column("url", Text, nullable=False),
    #: xapi: the target LRS's Basic credentials (kept in clear: the sender must present them)
    Column("username", Text),
    Column("password", Text),
    #: webhook: the HMAC-SHA256 key (kept in clear: the sender must sign with it)
    Column("secret", Text),
    Column("xapi_version", String(16)),
    #: filters; NULL matches anything
    Column("verb_iri", Text),
    Column("activity_iri", Text),
    Column("agent_key", Text),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)
OUTBOX = Table(
    "forward_outbox",
    Base.metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("target_id", Integer, ForeignKey("forward_targets.id", ondelete="CASCADE"), nullable=False),
    Column("statement_seq", BigInteger, nullable=False),
    #: "pending" or "dead"
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("target_id", "statement_seq", name="ux_forward_outbox_target_seq"),
    Index("ix_forward_outbox_due", "status", "target_id", "next_attempt"),
)
LEASES = Table(
    "leases",
    Base.metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", Text),
    Column("expires", DateTime(timezone=True)),
)
S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__

PENDING, DEAD = "pending", "dead"


def _dialect_insert(conn: Connection, table: Table):  # noqa: ANN202
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


# --- targets -----------------------------------------------------------------------------------------------


def add_target(conn: Connection, *, name: str, kind: str, url: str, now: datetime, **fields: Any) -> int:
    row = {"name": name, "kind": kind, "url": url, "active": True, "created": now, **fields}
    return int(conn.execute(insert(TARGETS).values(**row).returning(TARGETS.c.id)).scalar_one())


def list_targets(conn: Connection) -> list[dict[str, Any]]:
    pending = func.sum(case((OUTBOX.c.status == PENDING, 1), else_=0))
    dead = func.sum(case((OUTBOX.c.status == DEAD, 1), else_=0))
    counts = (
        select(OUTBOX.c.target_id, pending.label("pending"), dead.label("dead"))
        .group_by(OUTBOX.c.target_id)
        .subquery()
    )
    rows = conn.execute(
        select(TARGETS, counts.c.pending, counts.c.dead)
        .select_from(TARGETS.outerjoin(counts, counts.c.target_id == TARGETS.c.id))
        .order_by(TARGETS.c.name)
    ).mappings()
    return [{**dict(r), "pending": int(r["pending"] or 0), "dead": int(r["dead"] or 0)} for r in rows]


def get_target(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(TARGETS).where(TARGETS.c.name == name)).mappings().first()
    return dict(row) if row else None


def remove_target(conn: Connection, name: str) -> bool:
    target = get_target(conn, name)
    if target is None:
        return False
    conn.execute(delete(OUTBOX).where(OUTBOX.c.target_id == target["id"]))
    conn.execute(delete(TARGETS).where(TARGETS.c.id == target["id"]))
    return True


def any_active_target(conn: Connection) -> bool:
    """Whether any target is active. False on a database not yet upgraded to the forwarding tables (a server
    started with --no-migrate before `lrs db upgrade`): statements are stored as before."""
    try:
        with conn.begin_nested():
            return conn.execute(select(literal(1)).where(TARGETS.c.active.is_(True)).limit(1)).first() is not None
    except (OperationalError, ProgrammingError):
        return False


# --- the outbox, filled in the statements' transaction ----------------------------------------------------------


def insert_with_outbox(
    conn: Connection,
    batch: StatementBatch,
    *,
    can_define: bool,
    attachments: dict[str, tuple[str, bytes]] | None,
    now: datetime,
) -> Stored:
    """Store a batch (:func:`lrs.store.statements.insert_statements`) and, in the same transaction, queue its new
    statements for every active target whose filters they match: one INSERT ... SELECT.

    New statements are the batch's ids with a seq above the largest before the insert (a statement stored
    earlier keeps its smaller seq, so a re-sent duplicate is not forwarded twice)."""
    before = conn.execute(select(func.coalesce(func.max(S.c.seq), 0))).scalar_one()
    stored = insert_statements(conn, batch, can_define=can_define, attachments=attachments)
    t = TARGETS
    matches = (
        select(t.c.id, S.c.seq, literal(PENDING), literal(0), literal(now, DateTime(timezone=True)),
               literal(now, DateTime(timezone=True)))
        .select_from(S.join(t, t.c.active.is_(True)))
        .where(
            S.c.seq > before,
            S.c.id.in_(stored.ids),
            or_(t.c.verb_iri.is_(None), t.c.verb_iri == S.c.verb_iri),
            or_(
                t.c.activity_iri.is_(None),
                exists().where(SACT.c.statement_seq == S.c.seq, SACT.c.activity_iri == t.c.activity_iri),
            ),
            or_(
                t.c.agent_key.is_(None),
                exists().where(SA.c.statement_seq == S.c.seq, SA.c.agent_key == t.c.agent_key, SA.c.direct.is_(True)),
            ),
        )
    )
    columns = ["target_id", "statement_seq", "status", "attempts", "next_attempt", "created"]
    conn.execute(_dialect_insert(conn, OUTBOX).from_select(columns, matches).on_conflict_do_nothing())
    return stored


def enqueue_existing(conn: Connection, target_id: int, *, after_seq: int, now: datetime) -> int:
    """Queue statements stored before a target was added (``lrs forward add --backfill``); returns how many were
    queued (those already queued for the target are left as they are and not counted)."""
    t = TARGETS
    matches = (
        select(t.c.id, S.c.seq, literal(PENDING), literal(0), literal(now, DateTime(timezone=True)),
               literal(now, DateTime(timezone=True)))
        .select_from(S.join(t, t.c.id == target_id))
        .where(
            S.c.seq > after_seq,
            or_(t.c.verb_iri.is_(None), t.c.verb_iri == S.c.verb_iri),
            or_(
                t.c.activity_iri.is_(None),
                exists().where(SACT.c.statement_seq == S.c.seq, SACT.c.activity_iri == t.c.activity_iri),
            ),
            or_(
                t.c.agent_key.is_(None),
                exists().where(SA.c.statement_seq == S.c.seq, SA.c.agent_key == t.c.agent_key, SA.c.direct.is_(True)),
            ),
        )
    )
    columns = ["target_id", "statement_seq", "status", "attempts", "next_attempt", "created"]
    insert = _dialect_insert(conn, OUTBOX).from_select(columns, matches).on_conflict_do_nothing()
    # SQLAlchemy keeps an INSERT's row count only when asked: without this it read -1 on PostgreSQL.
    result = conn.execute(insert.execution_options(preserve_rowcount=True))
    return max(result.rowcount, 0)


# --- the sender's side -------------------------------------------------------------------------------------------


def targets_with_due_rows(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    due = exists().where(
        OUTBOX.c.target_id == TARGETS.c.id, OUTBOX.c.status == PENDING, OUTBOX.c.next_attempt <= now
    )
    return [dict(r) for r in conn.execute(select(TARGETS).where(TARGETS.c.active.is_(True), due)).mappings()]


def due_rows(conn: Connection, target_id: int, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The target's due rows in store order, with the statement as stored (None when it was erased since)."""
    rows = conn.execute(
        select(OUTBOX.c.id, OUTBOX.c.statement_seq, OUTBOX.c.attempts, S.c.payload)
        .select_from(OUTBOX.outerjoin(S, S.c.seq == OUTBOX.c.statement_seq))
        .where(OUTBOX.c.target_id == target_id, OUTBOX.c.status == PENDING, OUTBOX.c.next_attempt <= now)
        .order_by(OUTBOX.c.statement_seq)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def delete_rows(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        conn.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(list(ids))))


def record_failure(conn: Connection, row_id: int, *, attempts: int, next_attempt: datetime, error: str, dead: bool) -> None:
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == row_id)
        .values(attempts=attempts, next_attempt=next_attempt, last_error=error[:2000], status=DEAD if dead else PENDING)
    )


def dead_rows(conn: Connection, target_name: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    query = (
        select(OUTBOX.c.id, TARGETS.c.name.label("target"), OUTBOX.c.statement_seq, S.c.id.label("statement_id"),
               OUTBOX.c.attempts, OUTBOX.c.last_error, OUTBOX.c.next_attempt.label("last_attempt"))
        .select_from(OUTBOX.join(TARGETS, TARGETS.c.id == OUTBOX.c.target_id).outerjoin(S, S.c.seq == OUTBOX.c.statement_seq))
        .where(OUTBOX.c.status == DEAD)
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if target_name:
        query = query.where(TARGETS.c.name == target_name)
    return [dict(r) for r in conn.execute(query).mappings()]


def replay_dead(conn: Connection, now: datetime, target_name: str | None = None, ids: Sequence[int] | None = None) -> int:
    condition = [OUTBOX.c.status == DEAD]
    if target_name:
        condition.append(OUTBOX.c.target_id.in_(select(TARGETS.c.id).where(TARGETS.c.name == target_name)))
    if ids:
        condition.append(OUTBOX.c.id.in_(list(ids)))
    result = conn.execute(
        update(OUTBOX).where(and_(*condition)).values(status=PENDING, attempts=0, next_attempt=now, last_error=None)
    )
    return result.rowcount or 0


def pending_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status == PENDING)).scalar_one())


# --- leases: one holder at a time across processes, taken over when it expires ------------------------------------


def try_lease(conn: Connection, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until now + seconds; False when another holds it."""
    conn.execute(_dialect_insert(conn, LEASES).values(name=name, holder=None, expires=None).on_conflict_do_nothing())
    result = conn.execute(
        update(LEASES)
        .where(
            LEASES.c.name == name,
            or_(LEASES.c.holder.is_(None), LEASES.c.holder == holder, LEASES.c.expires.is_(None), LEASES.c.expires < now),
        )
        .values(holder=holder, expires=now + timedelta(seconds=seconds))
    )
    return (result.rowcount or 0) == 1


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(update(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder).values(holder=None, expires=None))


def lease_holder(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(LEASES).where(LEASES.c.name == name)).mappings().first()
    return dict(row) if row else None


