"""Measured recommendations: the store's statement query as it is, next to a proposed rewrite, on the same
loaded store, database time only (execute + fetch, no HTTP, no JSON), with a check that both return the same
statements in the same order.

The proposal (what docs/performance.md recommends for ``lrs.store.statements.query_statements``): keep the
semantics — a statement matches when it matches the filters itself *or* when its StatementRef target does —
but do not express them as one ``A OR seq IN (subquery)`` predicate, which no planner can drive from an index
(SQLite and PostgreSQL both walk the whole statements table backwards through the primary key, evaluating the
filter per row). Instead take the top n+1 of each branch, each from the index that serves it in seq order,
and merge:

    SELECT seq, payload FROM statements WHERE seq IN (
        SELECT seq FROM (<direct branch> ORDER BY seq DESC LIMIT n+1)      -- e.g. ix_statement_agents_key_seq
        UNION ALL
        SELECT seq FROM (<StatementRef branch> ORDER BY seq DESC LIMIT n+1) -- statements whose target matches
    ) ORDER BY seq DESC LIMIT n+1

The direct branch starts from the link table of the agent or activity filter (its (key, direct, statement_seq)
index returns seqs in order, so LIMIT stops early), or from statements for a verb/registration filter (the
(verb_iri, seq) and (registration, seq) indexes do the same). The StatementRef branch looks targets up by id.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import and_, exists, select, union_all

from lrs.store.models import Statement, StatementActivity, StatementAgent
from lrs.store.statements import _base_filter, query_statements
from lrs.xapi.query import StatementQuery

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__


def _common(table, q: StatementQuery) -> list[Any]:  # noqa: ANN001
    """The conditions on the returned statement itself (not the filters a StatementRef can satisfy)."""
    conds = [table.c.voided.is_(False)]
    if q.authority_key:
        conds.append(table.c.authority_key == q.authority_key)
    if q.since:
        conds.append(table.c.stored > q.since_dt)
    if q.until:
        conds.append(table.c.stored <= q.until_dt)
    return conds


def _after(seq_col, q: StatementQuery) -> list[Any]:  # noqa: ANN001
    if q.after_seq is None:
        return []
    return [seq_col > q.after_seq if q.ascending else seq_col < q.after_seq]


def _direct_branch(q: StatementQuery, n: int):  # noqa: ANN202
    """Statements matching the filters themselves, driven by the most selective index, in seq order."""
    s = S.alias("s")
    conds = _common(s, q)
    if q.agent:
        link = SA.alias("l")
        conds += [link.c.agent_key == q.agent]
        if not q.related_agents:
            conds.append(link.c.direct.is_(True))
        seq = link.c.statement_seq
        source = link.join(s, s.c.seq == link.c.statement_seq)
        rest = StatementQuery(**{**q.__dict__, "agent": None})
    elif q.activity:
        link = SACT.alias("l")
        conds += [link.c.activity_iri == q.activity]
        if not q.related_activities:
            conds.append(link.c.direct.is_(True))
        seq = link.c.statement_seq
        source = link.join(s, s.c.seq == link.c.statement_seq)
        rest = StatementQuery(**{**q.__dict__, "activity": None})
    else:
        seq = s.c.seq
        source = s
        rest = q
    # The remaining filters (verb, registration, the other link table) on the joined statement.
    conds += _base_filter(s, rest)
    conds += _after(seq, q)
    order = seq.asc() if q.ascending else seq.desc()
    return select(seq.label("seq")).select_from(source).where(*conds).order_by(order).limit(n)


def _ref_branch(q: StatementQuery, n: int):  # noqa: ANN202
    """Statements whose StatementRef target matches the filters."""
    s = S.alias("r")
    t = S.alias("t")
    conds = [*_common(s, q), s.c.object_statement_id.is_not(None), *_after(s.c.seq, q)]
    conds.append(exists().where(and_(t.c.id == s.c.object_statement_id, *_base_filter(t, q))))
    order = s.c.seq.asc() if q.ascending else s.c.seq.desc()
    return select(s.c.seq.label("seq")).where(*conds).order_by(order).limit(n)


def proposed(q: StatementQuery):  # noqa: ANN201
    """The proposed statement query (same rows, same order as query_statements)."""
    n = q.limit + 1
    if not (q.agent or q.verb or q.activity or q.registration):
        return None  # no filter, no OR: the current query is already index-driven
    a = _direct_branch(q, n).subquery("a")
    b = _ref_branch(q, n).subquery("b")
    candidates = union_all(select(a.c.seq), select(b.c.seq))
    order = S.c.seq.asc() if q.ascending else S.c.seq.desc()
    return select(S.c.seq, S.c.payload).where(S.c.seq.in_(candidates)).order_by(order).limit(n)


def _timed(fn) -> tuple[float, Any]:  # noqa: ANN001
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def compare(
    db,  # noqa: ANN001
    queries: dict[str, list[StatementQuery]],
    *,
    seconds_per_kind: float = 15.0,
    run_current: bool = True,
    run_proposed: bool = True,
    reference: dict[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """Time the current and/or the proposed query per kind (database only) and check they agree.

    Each result's ids (and ``more`` seq) are kept under ``["reference"]``; pass them back as ``reference`` to
    check a later run (after an index or ANALYZE) without running the slow query again.
    """
    from harness import summary_ms

    out: dict[str, Any] = {}
    refs: dict[str, list[Any]] = {}
    for kind, qs in queries.items():
        current_t, proposed_t = [], []
        mismatches = 0
        compared = 0
        kind_refs = []
        deadline = time.monotonic() + seconds_per_kind
        for k, q in enumerate(qs):
            stmt = proposed(q) if run_proposed else None
            expected = reference[kind][k] if reference and k < len(reference.get(kind, [])) else None
            if run_current:
                with db.read() as conn:
                    dt, (rows, more) = _timed(lambda conn=conn, q=q: query_statements(conn, q))
                current_t.append(dt)
                got = ([p["id"] for p in rows], more)
                if expected is not None:
                    compared += 1
                    mismatches += got != expected
                expected = got
            if stmt is not None:
                with db.read() as conn:
                    dt, rows_new = _timed(lambda conn=conn, stmt=stmt: conn.execute(stmt).all())
                proposed_t.append(dt)
                limit = q.limit
                got = ([r.payload["id"] for r in rows_new[:limit]],
                       rows_new[limit - 1].seq if len(rows_new) > limit else None)
                if expected is not None:
                    compared += 1
                    mismatches += got != expected
                expected = expected or got
            kind_refs.append(expected)
            if time.monotonic() > deadline and k >= 2:
                break
        refs[kind] = kind_refs
        entry: dict[str, Any] = {"queries": len(kind_refs), "compared": compared, "same_results": mismatches == 0,
                                 "mismatches": mismatches}
        if current_t:
            entry["current"] = summary_ms(current_t)
        if proposed_t:
            entry["proposed"] = summary_ms(proposed_t)
        out[kind] = entry
    out["reference"] = refs
    return out


def capture_sql(db, work) -> tuple[str, Any]:  # noqa: ANN001
    """The last statement ``work(conn)`` runs against the statements table, with its DBAPI parameters."""
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if "FROM statements" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.read() as conn:
            work(conn)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return captured[-1]


def explain(db, sql: str, params: Any) -> list[str]:  # noqa: ANN001
    """EXPLAIN QUERY PLAN (SQLite, as a tree) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL) of captured SQL."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node_id, parent, _, detail in rows:
                depth[node_id] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node_id] + detail)
            return lines
        return [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()]


def explain_proposed(db, q: StatementQuery) -> dict[str, Any]:  # noqa: ANN001
    stmt = proposed(q)
    if stmt is None:
        return {}
    sql, params = capture_sql(db, lambda conn: conn.execute(stmt).all())
    return {"sql": sql, "plan": explain(db, sql, params)}
