"""Statements in and out of the database. Every statement query is answered from the index tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lrs.store.models import Activity, Attachment, Statement, StatementActivity, StatementAgent
from lrs.xapi.errors import Conflict
from lrs.xapi.query import StatementQuery
from lrs.xapi.statement import PreparedStatement, merge_definitions

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__
ACT = Activity.__table__
ATT = Attachment.__table__


def _insert_ignore(conn: Connection, table, rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    """INSERT ... ON CONFLICT DO NOTHING, in the connection's dialect."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def insert_statements(
    conn: Connection,
    prepared: Sequence[PreparedStatement],
    *,
    can_define: bool,
    attachments: dict[str, tuple[str, bytes]] | None = None,
) -> list[str]:
    """Store a batch in the caller's transaction. Returns the ids in the order given.

    A statement whose id is already stored is skipped when it is the same statement (by fingerprint) and
    is a 409 Conflict when it is not; the whole batch then rolls back with the transaction.
    """
    ids = [p.id for p in prepared]
    existing = dict(conn.execute(select(S.c.id, S.c.fingerprint).where(S.c.id.in_(ids))).all())
    fresh = []
    for p in prepared:
        if p.id in existing:
            if existing[p.id] != p.fingerprint:
                raise Conflict(
                    f"statement {p.id} is already stored with different content",
                    rule="statement-id-conflict",
                    path="id",
                )
            continue
        fresh.append(p)
    if not fresh:
        return ids

    rows = [
        {
            "id": p.id,
            "stored": p.stored,
            "timestamp": p.timestamp,
            "verb_iri": p.verb_iri,
            "registration": p.registration,
            "object_statement_id": p.object_statement_id,
            "is_voiding": p.is_voiding,
            "voided": False,
            "authority_key": p.authority_key,
            "fingerprint": p.fingerprint,
            "version": p.version,
            "learning_mode": p.learning_mode,
            "rules_fingerprint": p.rules_fingerprint,
            "duration_seconds": p.duration_seconds,
            "payload": p.payload,
        }
        for p in fresh
    ]
    result = conn.execute(insert(S).returning(S.c.seq, S.c.id, sort_by_parameter_order=True), rows)
    seq_by_id = {row.id: row.seq for row in result}

    agent_rows = []
    activity_rows = []
    for p in fresh:
        seq = seq_by_id[p.id]
        agent_rows.extend({"statement_seq": seq, "agent_key": k, "direct": d} for k, d in p.agents.items())
        activity_rows.extend(
            {"statement_seq": seq, "activity_iri": iri, "direct": d} for iri, d in p.activities.items()
        )
    if agent_rows:
        conn.execute(insert(SA), agent_rows)
    if activity_rows:
        conn.execute(insert(SACT), activity_rows)

    # Voiding: the target leaves query results. A voiding statement is never voided itself.
    targets = sorted({p.object_statement_id for p in fresh if p.is_voiding and p.object_statement_id})
    if targets:
        conn.execute(update(S).where(S.c.id.in_(targets), S.c.is_voiding.is_(False)).values(voided=True))

    _upsert_definitions(conn, fresh, can_define=can_define)
    if attachments:
        _insert_ignore(
            conn,
            ATT,
            [
                {"sha2": sha2, "content_type": ctype, "length": len(content), "content": content}
                for sha2, (ctype, content) in sorted(attachments.items())
            ],
        )
    return ids


def _upsert_definitions(conn: Connection, prepared: Iterable[PreparedStatement], *, can_define: bool) -> None:
    """Keep one canonical definition per activity. Rows are touched in IRI order, and only when their
    content changes, so concurrent batches sharing activities neither deadlock nor rewrite each other."""
    incoming: dict[str, dict[str, Any]] = {}
    for p in prepared:
        for iri, definition in p.definitions.items():
            incoming[iri] = merge_definitions(incoming.get(iri), definition)
    if not incoming:
        return
    iris = sorted(incoming)
    current = dict(conn.execute(select(ACT.c.iri, ACT.c.definition).where(ACT.c.iri.in_(iris))).all())
    now = datetime.now(UTC)
    new_rows = [{"iri": iri, "definition": incoming[iri], "updated": now} for iri in iris if iri not in current]
    _insert_ignore(conn, ACT, new_rows)
    if not can_define:
        return
    for iri in iris:
        if iri not in current:
            continue
        merged = merge_definitions(current[iri], incoming[iri])
        if merged != current[iri]:
            conn.execute(update(ACT).where(ACT.c.iri == iri).values(definition=merged, updated=now))


def get_statement(conn: Connection, statement_id: str, *, voided: bool) -> dict[str, Any] | None:
    """One statement by id: ``voided=False`` for statementId (not voided), True for voidedStatementId."""
    row = conn.execute(
        select(S.c.payload, S.c.authority_key).where(S.c.id == statement_id.lower(), S.c.voided.is_(voided))
    ).first()
    return None if row is None else {"statement": row.payload, "authority_key": row.authority_key}


def _base_filter(table, q: StatementQuery):  # noqa: ANN001, ANN202
    """The filter conditions of a query on one statements alias (agent, verb, activity, registration)."""
    conds = []
    if q.verb:
        conds.append(table.c.verb_iri == q.verb)
    if q.registration:
        conds.append(table.c.registration == q.registration)
    if q.agent:
        agent_cond = and_(SA.c.statement_seq == table.c.seq, SA.c.agent_key == q.agent)
        if not q.related_agents:
            agent_cond = and_(agent_cond, SA.c.direct.is_(True))
        conds.append(exists().where(agent_cond))
    if q.activity:
        act_cond = and_(SACT.c.statement_seq == table.c.seq, SACT.c.activity_iri == q.activity)
        if not q.related_activities:
            act_cond = and_(act_cond, SACT.c.direct.is_(True))
        conds.append(exists().where(act_cond))
    return conds


def query_statements(conn: Connection, q: StatementQuery) -> tuple[list[dict[str, Any]], int | None]:
    """One page of a statement query. Returns the statements and, when more remain, the last seq of the page
    (the ``more`` cursor continues after it)."""
    conds = [S.c.voided.is_(False)]
    filters = _base_filter(S, q)
    if filters:
        # Statements that target a matching statement (through a StatementRef) match too.
        target = S.alias("target")
        target_match = select(target.c.id).where(*_base_filter(target, q))
        conds.append(or_(and_(*filters), S.c.object_statement_id.in_(target_match)))
    if q.authority_key:
        conds.append(S.c.authority_key == q.authority_key)
    if q.since:
        conds.append(S.c.stored > q.since_dt)
    if q.until:
        conds.append(S.c.stored <= q.until_dt)
    if q.after_seq is not None:
        conds.append(S.c.seq > q.after_seq if q.ascending else S.c.seq < q.after_seq)
    order = S.c.seq.asc() if q.ascending else S.c.seq.desc()
    stmt = select(S.c.seq, S.c.payload).where(*conds).order_by(order).limit(q.limit + 1)
    rows = conn.execute(stmt).all()
    more = None
    if len(rows) > q.limit:
        rows = rows[: q.limit]
        more = rows[-1].seq
    return [r.payload for r in rows], more


def canonical_definitions(conn: Connection, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
    iris = sorted(set(iris))
    if not iris:
        return {}
    rows = conn.execute(select(ACT.c.iri, ACT.c.definition).where(ACT.c.iri.in_(iris))).all()
    return {r.iri: r.definition for r in rows if r.definition}


def get_attachments(conn: Connection, sha2s: Iterable[str]) -> dict[str, tuple[str, bytes]]:
    sha2s = sorted(set(sha2s))
    if not sha2s:
        return {}
    rows = conn.execute(select(ATT.c.sha2, ATT.c.content_type, ATT.c.content).where(ATT.c.sha2.in_(sha2s)))
    return {r.sha2: (r.content_type, bytes(r.content)) for r in rows}


def latest_seq(conn: Connection) -> int:
    return conn.execute(select(S.c.seq).order_by(S.c.seq.desc()).limit(1)).scalar() or 0
