"""SQL for the learning model: 70/20/10 totals for summaries, and batches for ``lrs reclassify``.

A learner's whole record (their summary, a cohort's learners on the lead's dashboard) is added up from
``learning_totals`` (one row per learner, UTC day, mode and, for the unclassified, verb), which the write path
keeps in the statements' transaction (:func:`totals_rows`, :func:`refresh_totals`). What is scoped by an activity
(a cohort or programme summary, a learner's summary within one) starts from an index (a learner through
``statement_agents``, a cohort through ``statement_activities``) and adds up the ``learning_mode`` and
``duration_seconds`` columns of the statements; no JSON is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from lrs.store import cohort_totals, learner_answers
from lrs.store.enrolments import CE, LEARNER, enrolled_agents
from lrs.store.models import (
    LearningMonthTotal,
    LearningMonthWaiting,
    LearningTotal,
    Statement,
    StatementActivity,
    StatementAgent,
)

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__
T = LearningTotal.__table__
M = LearningMonthTotal.__table__
W = LearningMonthWaiting.__table__


@dataclass(frozen=True)
class ModeTotals:
    """One group of a summary query: how many statements, and how much time, in one mode."""

    #: The learning mode ("on-the-job", "social", "formal"), or None for unclassified statements.
    mode: str | None
    statements: int
    #: Sum of result.duration over the group, in seconds (0.0 when none had a duration).
    seconds: float
    #: How many of the statements carried a duration.
    timed: int
    #: The agent key, when grouped by agent.
    agent_key: str | None = None
    #: "YYYY-MM" of the statements' timestamp (UTC), when grouped by month.
    month: str | None = None


def _month(conn: Connection) -> ColumnElement[str]:
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", S.c.timestamp), "YYYY-MM")
    # SQLite keeps the (already UTC) timestamp as ISO text.
    return func.strftime("%Y-%m", S.c.timestamp)


def _enrolled_statements(cohort: str) -> Any:
    """The seqs of the statements with a learner enrolled in ``cohort`` as a direct agent: a join from the
    enrolments to ``statement_agents`` (an ``IN (learners)`` list inside a correlated subquery made SQLite
    probe the index once per learner for every statement: 8 s for a 500-learner cohort at 20,000 statements)."""
    ce = CE.alias("scope_enrolment")
    learner = SA.alias("enrolled_agent")
    return (
        select(learner.c.statement_seq)
        .join(ce, ce.c.agent_key == learner.c.agent_key)
        .where(ce.c.cohort == cohort, ce.c.role == LEARNER, learner.c.direct.is_(True))
    )


def _scope(
    agent_key: str | None,
    activity_iri: str | None,
    start: datetime | None,
    end: datetime | None,
    enrolled_in: str | None = None,
    *,
    enrolled_by_join: bool = False,
) -> list[Any]:
    """The conditions of a summary's scope. The most selective one is written as ``seq IN (...)`` so that the
    query starts from its index (a learner's statements, a cohort's learners' statements, an activity's
    statements) rather than scanning every statement; the others are checked per row. ``enrolled_by_join``:
    the caller already joins only the enrolled learners' agent rows (``by_agent``)."""
    conds: list[Any] = [S.c.voided.is_(False), S.c.is_voiding.is_(False)]
    if start is not None:
        conds.append(S.c.timestamp >= start)
    if end is not None:
        conds.append(S.c.timestamp < end)
    driven = False
    if agent_key is not None:
        # An alias, so the subquery never correlates with the agents joined by ``by_agent``.
        sa = SA.alias("scope_agent")
        conds.append(
            S.c.seq.in_(select(sa.c.statement_seq).where(sa.c.agent_key == agent_key, sa.c.direct.is_(True)))
        )
        driven = True
    if enrolled_in is not None and not enrolled_by_join:
        # Only statements of the cohort's enrolled learners: someone who names the cohort is not its learner.
        if driven:
            ce = CE.alias("scope_enrolment")
            learner = SA.alias("enrolled_agent")
            conds.append(
                exists().where(
                    and_(
                        learner.c.statement_seq == S.c.seq,
                        learner.c.direct.is_(True),
                        ce.c.agent_key == learner.c.agent_key,
                        ce.c.cohort == enrolled_in,
                        ce.c.role == LEARNER,
                    )
                )
            )
        else:
            conds.append(S.c.seq.in_(_enrolled_statements(enrolled_in)))
            driven = True
    if activity_iri is not None:
        if driven or enrolled_by_join:
            conds.append(
                exists().where(and_(SACT.c.statement_seq == S.c.seq, SACT.c.activity_iri == activity_iri))
            )
        else:
            conds.append(S.c.seq.in_(select(SACT.c.statement_seq).where(SACT.c.activity_iri == activity_iri)))
    return conds


def mode_totals(
    conn: Connection,
    *,
    agent_key: str | None = None,
    activity_iri: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by_month: bool = False,
    by_agent: bool = False,
    enrolled_in: str | None = None,
) -> list[ModeTotals]:
    """Counts and durations per learning mode of the statements that are neither voided nor voiding.

    ``agent_key``: only statements where the agent is the actor or object (or a member of an actor or object
    group). ``activity_iri``: only statements that touch the activity as object or in any context activity
    (a programme or cohort as grouping or parent). ``start``/``end``: timestamp range, start included, end
    excluded (aware UTC datetimes). ``by_month`` and ``by_agent`` add a grouping; ``by_agent`` groups by
    every direct agent, so a statement by a group counts for the group and for each member. ``enrolled_in``:
    only the statements of the learners enrolled in that cohort (and, by agent, only those learners).
    """
    columns: list[Any] = [
        S.c.learning_mode.label("mode"),
        func.count().label("statements"),
        func.coalesce(func.sum(S.c.duration_seconds), 0.0).label("seconds"),
        func.count(S.c.duration_seconds).label("timed"),
    ]
    group: list[Any] = [S.c.learning_mode]
    source: Any = S
    if by_agent:
        joined = [SA.c.statement_seq == S.c.seq, SA.c.direct.is_(True)]
        if enrolled_in is not None:
            joined.append(SA.c.agent_key.in_(enrolled_agents([enrolled_in])))
        source = S.join(SA, and_(*joined))
        columns.append(SA.c.agent_key.label("agent_key"))
        group.append(SA.c.agent_key)
    if by_month:
        month = _month(conn).label("month")
        columns.append(month)
        group.append(month)
    scope = _scope(agent_key, activity_iri, start, end, enrolled_in, enrolled_by_join=by_agent and enrolled_in is not None)
    query = select(*columns).select_from(source).where(*scope)
    return _mode_totals(conn.execute(query.group_by(*group)).mappings())


def unclassified_verbs(
    conn: Connection,
    *,
    agent_key: str | None = None,
    activity_iri: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 10,
    enrolled_in: str | None = None,
) -> list[tuple[str, int]]:
    """The verbs of the unclassified statements in the same scope as :func:`mode_totals`, most used first:
    what an operator would add to the classification rules."""
    count = func.count().label("n")
    rows = conn.execute(
        select(S.c.verb_iri, count)
        .where(S.c.learning_mode.is_(None), *_scope(agent_key, activity_iri, start, end, enrolled_in))
        .group_by(S.c.verb_iri)
        .order_by(count.desc(), S.c.verb_iri)
        .limit(limit)
    ).all()
    return [(row.verb_iri, int(row.n)) for row in rows]


def _needs_reclassifying(fingerprint: str) -> Any:
    return and_(
        S.c.is_voiding.is_(False),
        or_(S.c.rules_fingerprint.is_(None), S.c.rules_fingerprint != fingerprint),
    )


def count_to_reclassify(conn: Connection, fingerprint: str) -> int:
    """How many stored statements were classified by other rules than ``fingerprint`` (or never)."""
    return int(
        conn.execute(select(func.count()).select_from(S).where(_needs_reclassifying(fingerprint))).scalar()
    )


def statements_to_reclassify(
    conn: Connection, fingerprint: str, *, after_seq: int, limit: int
) -> list[tuple[int, dict[str, Any], str | None]]:
    """The next batch (seq order, after ``after_seq``) of statements classified by other rules:
    (seq, statement as stored, current learning mode)."""
    rows = conn.execute(
        select(S.c.seq, S.c.payload, S.c.learning_mode)
        .where(_needs_reclassifying(fingerprint), S.c.seq > after_seq)
        .order_by(S.c.seq)
        .limit(limit)
    ).all()
    return [(row.seq, row.payload, row.learning_mode) for row in rows]


def set_classification(conn: Connection, modes: list[tuple[int, str | None]], fingerprint: str) -> None:
    """Record the learning mode of each (seq, mode) and the fingerprint of the rules that produced it; the
    learning_totals and cohort_totals of the statements whose mode changed are counted again."""
    if not modes:
        return
    rows = conn.execute(select(S.c.seq, S.c.learning_mode).where(S.c.seq.in_([seq for seq, _ in modes])))
    current = {seq: mode for seq, mode in rows}
    changed = [seq for seq, mode in modes if seq in current and current[seq] != mode]
    # The cohort totals: what they counted under the old mode out, what they count under the new one in.
    cohort_totals.take_out(conn, seqs=changed)
    conn.execute(
        update(S)
        .where(S.c.seq == bindparam("s_seq"))
        .values(learning_mode=bindparam("s_mode"), rules_fingerprint=fingerprint),
        [{"s_seq": seq, "s_mode": mode} for seq, mode in modes],
    )
    if changed:
        refresh_totals(conn, days=totals_days_of(conn, seqs=changed))
        cohort_totals.put_back(conn, seqs=changed)
        # SQLite: the rows taken out and put back wait for a fold like a batch's (no statement is stored here, so
        # the write path's look at the waiting rows would not come).
        cohort_totals.fold_if_full(conn)


def cohort_learners(conn: Connection, cohort: str) -> list[dict[str, Any]]:
    """Every learner enrolled in ``cohort``: agent key, the name of their (enabled) account if they have one, and
    the timestamp of their latest statement (None when they have none). One query for the whole cohort, never one
    per learner: per learner, the latest of the rows of their last day in ``learning_totals`` (the last day is
    a seek down the primary key, so a learner costs a few index entries, not their record)."""
    from lrs.store.users import U

    last_day = select(func.max(T.c.day)).where(T.c.agent_key == CE.c.agent_key).correlate(CE).scalar_subquery()
    latest = (
        select(func.max(T.c.latest))
        .where(T.c.agent_key == CE.c.agent_key, T.c.day == last_day)
        .correlate(CE)
        .scalar_subquery()
    )
    names = (
        select(U.c.agent_key, func.min(U.c.name).label("name"))
        .where(U.c.disabled.is_(False), U.c.agent_key.is_not(None))
        .group_by(U.c.agent_key)
        .subquery()
    )
    rows = conn.execute(
        select(CE.c.agent_key, latest.label("latest"), names.c.name)
        .select_from(CE.outerjoin(names, names.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
        .order_by(CE.c.agent_key)
    )
    return [{"agent_key": r.agent_key, "latest": r.latest, "name": r.name} for r in rows]


def enrolled_mode_totals(conn: Connection, cohort: str, *, by: str = "agent") -> list[ModeTotals]:
    """Counts and durations per learning mode of the learners enrolled in ``cohort``, by learner (``by``
    "agent") or for the whole cohort by month ("month"): their whole records (every statement they are the
    actor or object of), not only what names the cohort.

    One grouped query over the enrolled learners' days in ``learning_totals`` (a learner's days are side by
    side in its primary key): it costs the learners' active days, not their statements' rows."""
    extra = T.c.agent_key.label("agent_key") if by == "agent" else _totals_month().label("month")
    query = (
        select(*_totals_columns(), extra)
        .select_from(CE.join(T, T.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
        .group_by(T.c.mode, extra)
    )
    return _mode_totals(conn.execute(query).mappings())


# --- learning_totals: kept by the write path, read by the summaries of whole records ---------------------------

#: A learning_totals row as the write path makes it: agent_key, day, mode, verb_iri, statements, seconds, timed,
#: latest (aware UTC).
TotalsRow = tuple[str, str, str, str, int, float, int, datetime]
TOTALS_COLUMNS = ("agent_key", "day", "mode", "verb_iri", "statements", "seconds", "timed", "latest")


def totals_rows(prepared: Iterable[Any]) -> list[TotalsRow]:
    """What new statements (lrs.xapi.statement.PreparedStatement, none voided yet) add to ``learning_totals``,
    added up per key, in key order (so concurrent writers take the rows' locks in one order). A voiding statement
    adds nothing; every direct agent gets the statement."""
    acc: dict[tuple[str, str, str, str], list[Any]] = {}
    for p in prepared:
        if p.is_voiding:
            continue
        ts = p.timestamp
        iso = p.timestamp_iso  # ts.isoformat(), when prepare made it: its first ten characters are the UTC day
        day = iso[:10] if iso and iso.endswith("+00:00") else ts.astimezone(UTC).date().isoformat()  # zero-padded
        mode = p.learning_mode or ""
        verb = "" if mode else p.verb_iri
        seconds = p.duration_seconds
        for agent, direct in p.agents.items():
            if not direct:
                continue
            found = acc.get((agent, day, mode, verb))
            if found is None:
                acc[(agent, day, mode, verb)] = [1, seconds or 0.0, 0 if seconds is None else 1, ts]
            else:
                found[0] += 1
                if seconds is not None:
                    found[1] += seconds
                    found[2] += 1
                if ts > found[3]:
                    found[3] = ts
    return [(*key, *acc[key]) for key in sorted(acc)]


def _day(conn: Connection) -> ColumnElement[str]:
    """A statement's timestamp's UTC day, "YYYY-MM-DD"."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", S.c.timestamp), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", S.c.timestamp)


def _recount(day: ColumnElement[str], *conds: Any, one_day: bool = False) -> Any:  # noqa: ANN401
    """The learning_totals rows of the statements of the agent ``t_agent`` (and ``conds``), from the statements.
    ``one_day``: ``day`` is a parameter (the statements of one day), not grouped by."""
    mode = func.coalesce(S.c.learning_mode, "")
    verb = case((S.c.learning_mode.is_(None), S.c.verb_iri), else_="")
    return (
        select(
            SA.c.agent_key, day, mode, verb, func.count(), func.coalesce(func.sum(S.c.duration_seconds), 0.0),
            func.count(S.c.duration_seconds), func.max(S.c.timestamp),
        )
        .select_from(SA.join(S, S.c.seq == SA.c.statement_seq))
        .where(SA.c.agent_key == bindparam("t_agent"), SA.c.direct.is_(True), S.c.voided.is_(False),
               S.c.is_voiding.is_(False), *conds)
        .group_by(SA.c.agent_key, mode, verb, *([] if one_day else [day]))
    )


#: The statements refresh_totals runs, built once per database (building them cost more than running them).
_REFRESH: dict[str, tuple[Any, Any, Any]] = {}


def _refresh_statements(conn: Connection) -> tuple[Any, Any, Any]:
    """(delete one agent's day, count one agent's day again, count every day of one agent again)."""
    found = _REFRESH.get(conn.dialect.name)
    if found is None:
        # The agent rows' copy of the timestamp: one range of ix_statement_agents_key_time, where the statements'
        # own column made SQLite walk the learner's whole record to recount one day (a void's cost under the lock).
        ts = SA.c.timestamp
        one_day = _recount(
            bindparam("t_day", type_=T.c.day.type),
            ts >= bindparam("t_from", type_=ts.type),
            ts < bindparam("t_to", type_=ts.type),
            one_day=True,
        )
        found = _REFRESH[conn.dialect.name] = (
            delete(T).where(T.c.agent_key == bindparam("t_agent"), T.c.day == bindparam("t_day")),
            insert(T).from_select(TOTALS_COLUMNS, one_day),
            insert(T).from_select(TOTALS_COLUMNS, _recount(_day(conn))),
        )
    return found


def refresh_totals(
    conn: Connection, *, days: Iterable[tuple[str, str]] = (), agents: Iterable[str] = ()
) -> None:
    """Count again, from the statements, the ``learning_totals`` rows of these (agent, day) pairs and of every day
    of these agents: after statements are voided, reclassified, deleted or given another agent key."""
    agents = sorted(set(agents))
    pairs = sorted({(a, d) for a, d in days if a not in agents})
    # The learners' versions first: a writer takes a learner's version row before their totals rows
    # (lrs.store.learner_answers), so writers wait on each other there, in key order, and never deadlock.
    learner_answers.bump(conn, [*agents, *(a for a, _ in pairs)])
    delete_day, count_day, count_agent = _refresh_statements(conn)
    if pairs:
        conn.execute(delete_day, [{"t_agent": a, "t_day": d} for a, d in pairs])
        params = []
        for a, d in pairs:
            start = datetime.combine(date.fromisoformat(d), time.min, UTC)
            params.append({"t_agent": a, "t_day": d, "t_from": start, "t_to": start + timedelta(days=1)})
        conn.execute(count_day, params)
    if agents:
        conn.execute(delete(T).where(T.c.agent_key.in_(agents)))
        conn.execute(count_agent, [{"t_agent": a} for a in agents])
    _refresh_months(conn, pairs, agents)


#: SQLite: :func:`refresh_totals` of (agent, day) pairs as plain SQL for the driver (:func:`refresh_days_sqlite`): the
#: same statements as the Core ones of :func:`_refresh_statements` (delete the day, count it again from the agent
#: rows' timestamp copy, one range of ix_statement_agents_key_time), written once.
_SQLITE_DAY_DELETE = "DELETE FROM learning_totals WHERE agent_key = ? AND day = ?"
_SQLITE_DAY_COUNT = (
    f"INSERT INTO learning_totals ({', '.join(TOTALS_COLUMNS)}) SELECT sa.agent_key, ?, coalesce(s.learning_mode, ''), "
    "CASE WHEN s.learning_mode IS NULL THEN s.verb_iri ELSE '' END, count(*), coalesce(sum(s.duration_seconds), 0.0), "
    "count(s.duration_seconds), max(s.timestamp) FROM statement_agents AS sa JOIN statements AS s ON s.seq = "
    "sa.statement_seq WHERE sa.agent_key = ? AND sa.direct = 1 AND s.voided = 0 AND s.is_voiding = 0 AND "
    "sa.timestamp >= ? AND sa.timestamp < ? GROUP BY sa.agent_key, coalesce(s.learning_mode, ''), "
    "CASE WHEN s.learning_mode IS NULL THEN s.verb_iri ELSE '' END"
)
#: SQLite: the (direct agent, UTC day) pairs of statements by id (a JSON array): :func:`totals_days_of` in one
#: statement (the stored timestamp is UTC text, "YYYY-MM-DD HH:MM:SS.ffffff", so its day is its first ten characters).
SQLITE_DAYS_OF_IDS = (
    "SELECT DISTINCT sa.agent_key, substr(s.timestamp, 1, 10) FROM statements AS s JOIN statement_agents AS sa ON "
    "sa.statement_seq = s.seq WHERE s.id IN (SELECT value FROM json_each(?)) AND sa.direct = 1"
)


def refresh_days_sqlite(run: Any, days: Iterable[tuple[str, str]]) -> None:  # noqa: ANN401
    """SQLite: :func:`refresh_totals` of these (agent, day) pairs, the statements sent with ``run(sql, params,
    many)`` (the write path's, straight to the driver: through SQLAlchemy's execution layer the same statements
    cost a voiding batch ~2 M instructions under the write lock; docs/performance.md, "sixth pass")."""
    pairs = sorted(set(days))
    if not pairs:
        return
    run(_SQLITE_DAY_DELETE, pairs, many=True)
    params = []
    for a, d in pairs:
        start = date.fromisoformat(d)
        params.append((d, a, f"{d} 00:00:00.000000", f"{start + timedelta(days=1)} 00:00:00.000000"))
    run(_SQLITE_DAY_COUNT, params, many=True)
    keys = sorted({(a, m) for a, d in pairs for m in (d[:7], ALL_TIME)})
    run(_MONTH_DELETE.format("?"), keys, many=True)
    run(_MONTH_COUNT.format("?"), [(m, a, *_month_range(m)) for a, m in keys if m], many=True)
    run(_WHOLE_COUNT.format("?"), sorted({(a,) for a, _ in pairs}), many=True)
    run(learner_answers.SQLITE_BUMP, (json.dumps(sorted({a for a, _ in pairs})),), many=False)


def _month_range(month: str) -> tuple[str, str]:
    """The first and last day (text order) of a month's days."""
    return f"{month}-01", f"{month}-31"


def totals_days_of(conn: Connection, *, seqs: Sequence[int] = (), ids: Sequence[str] = ()) -> set[tuple[str, str]]:
    """The (direct agent, UTC day) pairs of these statements (by seq or id): the learning_totals rows they count in."""
    cond = S.c.seq.in_(list(seqs)) if seqs else S.c.id.in_(list(ids))
    if not seqs and not ids:
        return set()
    rows = conn.execute(
        select(SA.c.agent_key, S.c.timestamp)
        .select_from(S.join(SA, SA.c.statement_seq == S.c.seq))
        .where(cond, SA.c.direct.is_(True))
    )
    return {(agent, _utc_day(ts)) for agent, ts in rows}


def _utc_day(ts: datetime) -> str:
    # SQLite gives the stored (UTC) timestamp back without its zone.
    return (ts if ts.tzinfo is None else ts.astimezone(UTC)).date().isoformat()


def rebuild_totals(conn: Connection) -> int:
    """Remake ``learning_totals`` from the stored statements in one set-based statement (a bulk load, or a store
    whose totals are in doubt), and ``learning_month_totals`` from it; returns the number of day rows."""
    conn.execute(delete(W))
    conn.execute(delete(M))
    conn.execute(delete(T))
    mode = func.coalesce(S.c.learning_mode, "")
    verb = case((S.c.learning_mode.is_(None), S.c.verb_iri), else_="")
    day = _day(conn)
    everything = (
        select(
            SA.c.agent_key, day, mode, verb, func.count(), func.coalesce(func.sum(S.c.duration_seconds), 0.0),
            func.count(S.c.duration_seconds), func.max(S.c.timestamp),
        )
        .select_from(SA.join(S, S.c.seq == SA.c.statement_seq))
        .where(SA.c.direct.is_(True), S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .group_by(SA.c.agent_key, day, mode, verb)
    )
    conn.execute(insert(T).from_select(TOTALS_COLUMNS, everything))
    add_months(conn)
    # The statements may have been loaded without the write path (a bulk load): no kept answer can be trusted.
    learner_answers.bump_generation(conn)
    return int(conn.execute(select(func.count()).select_from(T)).scalar() or 0)


# --- learning_month_totals: the days added up per month and over all time, kept with them ---------------------

#: ``learning_month_totals.month`` of a learner's whole record (every month added up).
ALL_TIME = ""
MONTH_COLUMNS = ("agent_key", "month", "mode", "verb_iri", "statements", "seconds", "timed", "latest", "first_day")
_MONTH_ADD = (
    "ON CONFLICT (agent_key, month, mode, verb_iri) DO UPDATE SET statements = learning_month_totals.statements + "
    "excluded.statements, seconds = learning_month_totals.seconds + excluded.seconds, timed = "
    "learning_month_totals.timed + excluded.timed, latest = {greatest}(learning_month_totals.latest, excluded.latest), "
    "first_day = {least}(learning_month_totals.first_day, excluded.first_day)"
)
_DAYS_ADD = (
    "ON CONFLICT (agent_key, day, mode, verb_iri) DO UPDATE SET statements = learning_totals.statements + "
    "excluded.statements, seconds = learning_totals.seconds + excluded.seconds, timed = learning_totals.timed + "
    "excluded.timed, latest = greatest(learning_totals.latest, excluded.latest)"
)


def pg_totals_ctes(only: str = "") -> str:
    """PostgreSQL: the CTEs (names ltr, ltv, ltd, ltm) that bump a batch's learners' versions
    (lrs.store.learner_answers) and add its ``learning_totals`` rows (one JSON parameter, lrs.store.statements'
    encoding of :func:`totals_rows`) to the days and to their months and whole records, in key order, for the
    write path's one statement. ``only``: a further condition on the rows (the
    one-statement path's "only if stored")."""
    rows = (
        "SELECT r->>0 AS a, r->>1 AS d, r->>2 AS m, r->>3 AS v, (r->>4)::int AS n, (r->>5)::float8 AS s, "
        f"(r->>6)::int AS c, (r->>7)::timestamptz AS l FROM jsonb_array_elements(%s::jsonb) r{only}"
    )
    # The days and the months come from the rows joined to the versions' bump (ltv, RETURNING each learner): a
    # learner's totals rows are written only once their version row is locked, as on every other write path
    # (lrs.store.learner_answers), so two writers of the same learners wait at the version rows, in key order.
    days = (
        f"INSERT INTO learning_totals ({', '.join(TOTALS_COLUMNS)}) SELECT a, d, m, v, n, s, c, l FROM ltr "
        f"JOIN ltv ON ltv.agent_key = ltr.a ORDER BY 1, 2, 3, 4 {_DAYS_ADD}"
    )
    months = (
        f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT a, p, m, v, sum(n), sum(s), sum(c), "
        f"max(l), min(d) FROM ltr JOIN ltv ON ltv.agent_key = ltr.a, LATERAL (VALUES (substr(d, 1, 7)), "
        f"('{ALL_TIME}')) AS x(p) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
        + _MONTH_ADD.format(greatest="greatest", least="least")
    )
    return (f"ltr AS ({rows}), ltv AS ({learner_answers.pg_bump_cte('ltr', 'a')} RETURNING agent_key), "
            f"ltd AS ({days}), ltm AS ({months})")


_MONTH_SUMS = "sum(statements), sum(seconds), sum(timed), max(latest), min(day)"


def add_months(conn: Connection, agents: Sequence[str] | None = None) -> None:
    """Fill ``learning_month_totals`` of these learners (all when None), who must have no month rows yet, from
    their days in ``learning_totals``: one INSERT ... SELECT, the months and the whole records in key order."""
    where, params = "", ()
    if agents is not None:
        if not agents:
            return
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        where, params = f" WHERE agent_key IN ({', '.join([mark] * len(agents))})", tuple(agents)
    conn.exec_driver_sql(
        f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT * FROM ("
        f"SELECT agent_key, substr(day, 1, 7) AS month, mode, verb_iri, {_MONTH_SUMS} FROM learning_totals{where} "
        "GROUP BY agent_key, substr(day, 1, 7), mode, verb_iri UNION ALL "
        f"SELECT agent_key, '{ALL_TIME}', mode, verb_iri, {_MONTH_SUMS} FROM learning_totals{where} "
        "GROUP BY agent_key, mode, verb_iri) AS q ORDER BY 1, 2, 3, 4",
        params * 2,
    )


#: Count one learner's month (or whole record) again from their days: delete it, add up the days again.
_MONTH_DELETE = "DELETE FROM learning_month_totals WHERE agent_key = {0} AND month = {0}"
_MONTH_COUNT = (
    f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT agent_key, {{0}}, mode, verb_iri, "
    f"{_MONTH_SUMS} FROM learning_totals WHERE agent_key = {{0}} AND day >= {{0}} AND day <= {{0}} "
    "GROUP BY agent_key, mode, verb_iri"
)
#: Count one learner's whole record again from their months. A whole record is always its month rows added up,
#: whether or not a month waits on SQLite (lrs.store.learning.fold_months): the lead's dashboard reads a learner
#: with months waiting as the whole record less those months' rows plus their days (lrs.store.dashboard).
_WHOLE_COUNT = (
    f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT agent_key, '{ALL_TIME}', mode, verb_iri, "
    "sum(statements), sum(seconds), sum(timed), max(latest), min(first_day) FROM learning_month_totals "
    f"WHERE agent_key = {{0}} AND month <> '{ALL_TIME}' GROUP BY agent_key, mode, verb_iri"
)


def _refresh_months(conn: Connection, pairs: Sequence[tuple[str, str]], agents: Sequence[str]) -> None:
    """The month rows of the (agent, day) pairs' months and their learners' whole records, and every month row of
    ``agents``, added up again from ``learning_totals`` (just counted again by :func:`refresh_totals`)."""
    if agents:
        conn.execute(delete(M).where(M.c.agent_key.in_(list(agents))))
        add_months(conn, list(agents))
    if not pairs:
        return
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    keys = sorted({(a, m) for a, d in pairs for m in (d[:7], ALL_TIME)})
    conn.exec_driver_sql(_MONTH_DELETE.format(mark), keys)
    # A month's days lie between its "-01" and "-31" (text order); the whole record is its months added up.
    conn.exec_driver_sql(_MONTH_COUNT.format(mark), [(m, a, *_month_range(m)) for a, m in keys if m])
    conn.exec_driver_sql(_WHOLE_COUNT.format(mark), sorted({(a,) for a, _ in pairs}))


# --- SQLite: the months marked as waiting instead of upserted, and their fold ---------------------------------------

#: SQLite: the (learner, month) pairs of a batch's learning_totals rows marked in ``learning_months_waiting`` (one
#: JSON parameter: a list of [agent, month]); a pair marked already is skipped, so a batch that adds to the months
#: already waiting writes no page here.
SQLITE_MARK_MONTHS = (
    "INSERT OR IGNORE INTO learning_months_waiting (agent_key, month) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)"
)
#: SQLite: ``learning_months_waiting`` is folded by the writer once it holds this many pairs (checked when the
#: batch's statements pass a multiple of lrs.store.cohort_totals.FOLD_CHECK_STATEMENTS). A dashboard reads the
#: days of its learners' waiting months, ~30 rows a pair for a learner active every day; a fold counts each pair's
#: month again from its days and each learner's whole record from their months.
MONTHS_FOLD_ROWS = 2_000
_WAITING_KEYS = "SELECT agent_key, month FROM learning_months_waiting"
#: The waiting months, counted again from their days (a month's days lie between its "-01" and "-31"). CROSS JOIN:
#: SQLite then takes the waiting pairs first and seeks each one's days; without statistics (the LRS never runs
#: ANALYZE) it planned a scan of the whole of ``learning_totals`` instead.
_FOLD_MONTHS = (
    f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT t.agent_key, w.month, t.mode, "
    "t.verb_iri, sum(t.statements), sum(t.seconds), sum(t.timed), max(t.latest), min(t.day) "
    "FROM learning_months_waiting AS w CROSS JOIN learning_totals AS t ON t.agent_key = w.agent_key "
    "AND t.day >= w.month || '-01' AND t.day <= w.month || '-31' "
    "GROUP BY t.agent_key, w.month, t.mode, t.verb_iri ORDER BY 1, 2, 3, 4"
)
#: Their learners' whole records, added up again from their months (a few rows a month, not every day).
_FOLD_WHOLE = (
    f"INSERT INTO learning_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT agent_key, '{ALL_TIME}', mode, "
    "verb_iri, sum(statements), sum(seconds), sum(timed), max(latest), min(first_day) FROM learning_month_totals "
    f"WHERE agent_key IN (SELECT agent_key FROM learning_months_waiting) AND month <> '{ALL_TIME}' "
    "GROUP BY agent_key, mode, verb_iri ORDER BY 1, 2, 3, 4"
)


def sqlite_month_marks(totals: Iterable[Sequence[Any]]) -> str:
    """The parameter of :data:`SQLITE_MARK_MONTHS` for a batch's learning_totals rows (agent, day, ...)."""
    return json.dumps(sorted({(r[0], r[1][:7]) for r in totals}), separators=(",", ":"))


def last_seq(conn: Connection) -> int:
    """The largest statement seq stored (0 with none): it moves with every statement stored."""
    return int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM statements").scalar() or 0)


def months_waiting(conn: Connection) -> int:
    """How many (learner, month) pairs wait in ``learning_months_waiting`` (SQLite; PostgreSQL keeps none)."""
    return int(conn.exec_driver_sql("SELECT count(*) FROM learning_months_waiting").scalar() or 0)


def fold_months_if_full(conn: Connection) -> int:
    """SQLite: :func:`fold_months` when :data:`MONTHS_FOLD_ROWS` pairs or more wait. Returns the pairs folded."""
    if conn.dialect.name == "postgresql":
        return 0
    (held,) = conn.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM learning_months_waiting LIMIT {MONTHS_FOLD_ROWS})"
    ).one()
    return fold_months(conn) if held >= MONTHS_FOLD_ROWS else 0


def fold_months(conn: Connection) -> int:
    """SQLite: the ``learning_month_totals`` rows of the waiting (learner, month) pairs counted again from their
    days, and their learners' whole records from their months; then ``learning_months_waiting`` emptied. Returns
    the pairs folded. Run by the write path when :data:`MONTHS_FOLD_ROWS` wait, by ``lrs serve``'s answer keeper
    once writes pause (lrs.services.answer_keeper), by erasure and retention before they commit (no pair keeps a
    key they took out), and by the migration's downgrade. Counting again, not adding, makes a fold exact however
    the days changed meanwhile (voided, reclassified, counted again). PostgreSQL keeps nothing waiting."""
    if conn.dialect.name == "postgresql":
        return 0
    (folded,) = conn.exec_driver_sql("SELECT count(*) FROM learning_months_waiting").one()
    if not folded:
        return 0
    conn.exec_driver_sql(f"DELETE FROM learning_month_totals WHERE (agent_key, month) IN ({_WAITING_KEYS})")
    conn.exec_driver_sql(_FOLD_MONTHS)
    conn.exec_driver_sql(
        f"DELETE FROM learning_month_totals WHERE month = '{ALL_TIME}' AND agent_key IN "
        "(SELECT agent_key FROM learning_months_waiting)"
    )
    conn.exec_driver_sql(_FOLD_WHOLE)
    conn.exec_driver_sql("DELETE FROM learning_months_waiting")
    return int(folded)


def _totals_month() -> ColumnElement[str]:
    return func.substr(T.c.day, 1, 7)


def _totals_columns() -> list[Any]:
    return [
        T.c.mode.label("mode"),
        func.sum(T.c.statements).label("statements"),
        func.coalesce(func.sum(T.c.seconds), 0.0).label("seconds"),
        func.sum(T.c.timed).label("timed"),
    ]


def learner_totals(
    conn: Connection, agent_key: str, *, first: date | None = None, last: date | None = None, by_month: bool = False
) -> list[ModeTotals]:
    """A learner's whole record per learning mode (and month), from ``learning_totals``: what :func:`mode_totals`
    gives for ``agent_key`` and the UTC days ``first`` to ``last`` (both included), without reading a statement."""
    columns = _totals_columns()
    group: list[Any] = [T.c.mode]
    if by_month:
        month = _totals_month().label("month")
        columns.append(month)
        group.append(month)
    query = select(*columns).where(T.c.agent_key == agent_key, *_days(first, last)).group_by(*group)
    return _mode_totals(conn.execute(query).mappings())


def learner_unclassified_verbs(
    conn: Connection, agent_key: str, *, first: date | None = None, last: date | None = None, limit: int = 10
) -> list[tuple[str, int]]:
    """:func:`unclassified_verbs` of a learner's whole record, from ``learning_totals``."""
    count = func.sum(T.c.statements).label("n")
    rows = conn.execute(
        select(T.c.verb_iri, count)
        .where(T.c.agent_key == agent_key, T.c.mode == "", *_days(first, last))
        .group_by(T.c.verb_iri)
        .order_by(count.desc(), T.c.verb_iri)
        .limit(limit)
    ).all()
    return [(row.verb_iri, int(row.n)) for row in rows]


def _days(first: date | None, last: date | None) -> list[Any]:
    conds = []
    if first is not None:
        conds.append(T.c.day >= first.isoformat())
    if last is not None:
        conds.append(T.c.day <= last.isoformat())
    return conds


def _mode_totals(rows: Iterable[Any]) -> list[ModeTotals]:
    """Grouped rows (mode, statements, seconds, timed, optionally agent_key and month) as ModeTotals."""
    return [
        ModeTotals(
            # learning_totals keeps the unclassified as "" (a key column).
            mode=row["mode"] or None,
            statements=int(row["statements"]),
            seconds=float(row["seconds"] or 0.0),
            timed=int(row["timed"]),
            agent_key=row.get("agent_key"),
            month=row.get("month"),
        )
        for row in rows
    ]
