"""Before and after, on the same loaded store: the statement query as it was before the StatementRef index
(one ``filters OR object_statement_id IN (subquery)`` predicate) next to the query the store runs now
(``lrs.store.statements.query_page``), database time only (execute + fetch, no HTTP, no JSON encoding),
with a check that both return the same statements in the same order with the same ``more`` cursor.

The old form could not be driven from an index: SQLite and PostgreSQL both walked the statements table
backwards through the primary key and evaluated the filter and the subquery row by row, so a selective
filter (one agent) read most of the table. The new form takes the top ``limit + 1`` seqs of each branch from
the index that serves it in seq order and merges them (docs/performance.md has the plans).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import and_, exists, or_, select

from lrs.store.models import Statement, StatementActivity, StatementAgent
from lrs.store.statements import query_page
from lrs.xapi.query import StatementQuery

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__


def _own_filter(table, q: StatementQuery) -> list[Any]:  # noqa: ANN001
    conds = []
    if q.verb:
        conds.append(table.c.verb_iri == q.verb)
    if q.registration:
        conds.append(table.c.registration == q.registration)
    if q.agent:
        cond = and_(SA.c.statement_seq == table.c.seq, SA.c.agent_key == q.agent)
        conds.append(exists().where(cond if q.related_agents else and_(cond, SA.c.direct.is_(True))))
    if q.activity:
        cond = and_(SACT.c.statement_seq == table.c.seq, SACT.c.activity_iri == q.activity)
        conds.append(exists().where(cond if q.related_activities else and_(cond, SACT.c.direct.is_(True))))
    return conds


def previous_query(q: StatementQuery):  # noqa: ANN201
    """The statement query as the store ran it before (same rows, same order as query_page)."""
    conds = [S.c.voided.is_(False)]
    filters = _own_filter(S, q)
    if filters:
        target = S.alias("target")
        conds.append(or_(and_(*filters), S.c.object_statement_id.in_(select(target.c.id).where(*_own_filter(target, q)))))
    if q.authority_key:
        conds.append(S.c.authority_key == q.authority_key)
    if q.since:
        conds.append(S.c.stored > q.since_dt)
    if q.until:
        conds.append(S.c.stored <= q.until_dt)
    if q.after_seq is not None:
        conds.append(S.c.seq > q.after_seq if q.ascending else S.c.seq < q.after_seq)
    order = S.c.seq.asc() if q.ascending else S.c.seq.desc()
    return select(S.c.seq, S.c.payload).where(*conds).order_by(order).limit(q.limit + 1)


def _timed(fn) -> tuple[float, Any]:  # noqa: ANN001
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _result(rows: list[Any], limit: int) -> tuple[list[str], int | None]:
    return [r.payload["id"] for r in rows[:limit]], rows[limit - 1].seq if len(rows) > limit else None


def compare(
    db,  # noqa: ANN001
    queries: dict[str, list[StatementQuery]],
    *,
    seconds_per_kind: float = 15.0,
    run_previous: bool = True,
    timeout_ms: int = 30000,
) -> dict[str, Any]:
    """Time the current and the previous query per kind (database only) and check they agree. The previous
    one runs within ``seconds_per_kind`` (at least twice; on PostgreSQL each stopped after ``timeout_ms``),
    the current one on every query."""
    from harness import summary_ms
    from sqlalchemy.exc import OperationalError

    out: dict[str, Any] = {}
    for kind, qs in queries.items():
        current_t, previous_t = [], []
        mismatches = compared = timeouts = 0
        deadline = time.monotonic() + seconds_per_kind
        for k, q in enumerate(qs):
            with db.read() as conn:
                dt, page = _timed(lambda conn=conn, q=q: query_page(conn, q))
            current_t.append(dt)
            got = ([p["id"] for p in page.statements], page.more_after)
            if run_previous and (time.monotonic() < deadline or k < 2) and timeouts < 2:
                try:
                    with db.read() as conn:
                        if conn.dialect.name == "postgresql":
                            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                        dt, rows = _timed(lambda conn=conn, q=q: conn.execute(previous_query(q)).all())
                except OperationalError:  # QueryCanceled: the previous query ran past the timeout
                    timeouts += 1
                    previous_t.append(timeout_ms / 1000)
                    continue
                previous_t.append(dt)
                compared += 1
                mismatches += _result(rows, q.limit) != got
        entry: dict[str, Any] = {"queries": len(qs), "compared": compared, "same_results": mismatches == 0,
                                 "mismatches": mismatches, "previous_timeouts": timeouts,
                                 "current": summary_ms(current_t)}
        if previous_t:
            entry["previous"] = summary_ms(previous_t)
        out[kind] = entry
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


def explain(db, sql: str, params: Any, *, analyze: bool = True) -> list[str]:  # noqa: ANN001
    """EXPLAIN QUERY PLAN (SQLite, as a tree) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL; plain EXPLAIN without
    ``analyze``, for a query that runs for minutes) of captured SQL."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node_id, parent, _, detail in rows:
                depth[node_id] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node_id] + detail)
            return lines
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        return [r[0] for r in conn.exec_driver_sql(prefix + sql, params).all()]


def explain_previous(db, q: StatementQuery) -> dict[str, Any]:  # noqa: ANN001
    from sqlalchemy.dialects import postgresql

    stmt = previous_query(q)
    if db.dialect == "postgresql":  # EXPLAIN only (the query itself can run for minutes)
        compiled = stmt.compile(dialect=postgresql.psycopg.dialect())
        return {"sql": str(compiled), "plan": explain(db, str(compiled), compiled.params, analyze=False)}
    sql, params = capture_sql(db, lambda conn: conn.execute(stmt).all())
    return {"sql": sql, "plan": explain(db, sql, params)}
