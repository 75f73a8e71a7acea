"""The programme lead's dashboard of one cohort, SQL only: each enrolled learner's whole record per learning mode,
their latest statement and first day, and the cohort's months, from ``learning_month_totals`` (the learners' days
in ``learning_totals`` added up per month and over all time; lrs.store.learning keeps both in the statements'
transaction, except that on SQLite a batch marks its months in ``learning_months_waiting`` and a later fold counts
them: a learner with months waiting is read as their whole record less those months' rows plus their days).

A learner's whole record is a few rows (month "", one per mode and verb of the unclassified) at the start of
their range of the table's primary key (agent_key, month, ...), and the cohort's months one range per learner
from the first month shown: the rows read are the learners' modes and months, not the days they learned.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, and_, func, literal, select, union_all

from lrs.store.enrolments import CE, LEARNER
from lrs.store.learning import ALL_TIME, M, ModeTotals, T, W, _mode_totals


class LearnerTotals(NamedTuple):
    """One enrolled learner: their account's name (None without an enabled account), the timestamp of their
    latest statement (None when they have none), how many statements they have in all (the unclassified
    included), and per classified learning mode (the ``modes`` asked for, in their order) their statements and
    seconds: what the dashboard's balance reads (on the time basis, falling back to statements). ``first``: the
    UTC day ("YYYY-MM-DD") of their earliest statement (None when they have none)."""

    agent_key: str
    name: str | None
    latest: datetime | None
    statements: int
    #: (statements, seconds) per mode asked for; (0, 0.0) for a mode without statements.
    by_mode: tuple[tuple[int, float], ...]
    first: str | None = None


#: The names of the learners' enabled accounts (one per agent key: the smallest).
_NAMES = (
    "SELECT agent_key, min(name) AS name FROM users WHERE NOT disabled AND agent_key IS NOT NULL GROUP BY agent_key"
)
#: The SQL of cohort_learner_totals per database and modes, written once (SQLAlchemy's building of the
#: expression and its rows cost more than the statements: ~1,500 rows for 500 learners).
_LEARNER_SQL: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _learner_sql(postgres: bool, modes: tuple[str, ...]) -> tuple[str, ...]:
    found = _LEARNER_SQL.get(("postgresql" if postgres else "sqlite", modes))
    if found is not None:
        return found
    mark = "%s" if postgres else "?"
    sums = ["max(m.latest)", "sum(m.statements)", "min(m.first_day)"]
    for _ in modes:
        sums += [f"sum(CASE WHEN m.mode = {mark} THEN m.statements END)",
                 f"sum(CASE WHEN m.mode = {mark} THEN m.seconds END)"]
    enrolled = f"e.cohort = {mark} AND e.role = {mark}"
    if postgres:
        # The enrolments with each learner's sums as a LATERAL aggregate: one index seek per learner (asked as a
        # grouping, the planner preferred a scan of the whole table).
        found = (
            f"SELECT e.agent_key, n.name, t.* FROM cohort_enrolments AS e LEFT JOIN ({_NAMES}) AS n "
            f"ON n.agent_key = e.agent_key CROSS JOIN LATERAL (SELECT {', '.join(sums)} FROM learning_month_totals "
            f"AS m WHERE m.agent_key = e.agent_key AND m.month = '{ALL_TIME}') AS t WHERE {enrolled} "
            "ORDER BY e.agent_key",
        )
    else:
        # The learners and their names; their sums grouped by learner alone, in the key's order (no sorter).
        found = (
            f"SELECT e.agent_key, n.name FROM cohort_enrolments AS e LEFT JOIN ({_NAMES}) AS n "
            f"ON n.agent_key = e.agent_key WHERE {enrolled} ORDER BY e.agent_key",
            f"SELECT m.agent_key, {', '.join(sums)} FROM learning_month_totals AS m WHERE m.month = '{ALL_TIME}' "
            f"AND m.agent_key IN (SELECT e.agent_key FROM cohort_enrolments AS e WHERE {enrolled}) "
            "GROUP BY m.agent_key",
            # With months waiting (lrs.store.learning.fold_months), what to add to the whole records of the
            # learners they are of: less the waiting months' rows, plus those months' days. A whole record is its
            # month rows added up, and a waiting month's row only ever lacks what was stored since it was counted,
            # so the latest and first day are the larger and smaller of the whole record's and the days'.
            f"SELECT m.agent_key, {', '.join(sums)} FROM ("
            "SELECT x.agent_key, x.mode, -x.statements AS statements, -x.seconds AS seconds, NULL AS latest, "
            "NULL AS first_day FROM learning_months_waiting AS w JOIN cohort_enrolments AS e ON e.agent_key = "
            "w.agent_key CROSS JOIN learning_month_totals AS x ON x.agent_key = w.agent_key AND x.month = w.month "
            f"WHERE {enrolled} UNION ALL SELECT t.agent_key, t.mode, t.statements, t.seconds, t.latest, t.day FROM "
            "learning_months_waiting AS w JOIN cohort_enrolments AS e ON e.agent_key = w.agent_key CROSS JOIN "
            "learning_totals AS t ON t.agent_key = w.agent_key AND t.day >= w.month || '-01' AND t.day <= "
            f"w.month || '-31' WHERE {enrolled}) AS m GROUP BY m.agent_key",
        )
    _LEARNER_SQL[("postgresql" if postgres else "sqlite", modes)] = found
    return found


def cohort_learner_keys(conn: Connection, cohort: str) -> list[str]:
    """The agent keys of the learners enrolled in ``cohort``, in key order: the learners of
    :func:`cohort_learner_totals`, in its order (one range of the enrolments' key)."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = f"SELECT agent_key FROM cohort_enrolments WHERE cohort = {mark} AND role = {mark} ORDER BY agent_key"
    return [row[0] for row in conn.exec_driver_sql(sql, (cohort, LEARNER)).cursor.fetchall()]


def cohort_learner_totals(conn: Connection, cohort: str, modes: tuple[str, ...]) -> list[LearnerTotals]:
    """Every learner enrolled in ``cohort`` (in agent key order) with their name, totals, latest statement and
    first day, for the whole cohort at once, never a query per learner. ``modes``: the learning modes the rules
    give (the classified ones).

    The totals add up each learner's whole-record rows of ``learning_month_totals`` (month "": a row per mode,
    and per verb of the unclassified), a column per mode (only the columns the balance reads). PostgreSQL: one
    statement; SQLite: two. Sent as the driver's SQL and read as its rows."""
    postgres = conn.dialect.name == "postgresql"
    sql = _learner_sql(postgres, modes)
    per_mode = tuple(x for mode in modes for x in (mode, mode))
    if postgres:
        rows = conn.exec_driver_sql(sql[0], (*per_mode, cohort, LEARNER)).cursor.fetchall()
        enrolled = [(row[0], row[1]) for row in rows]
        # A learner without rows has one row of NULLs (an aggregate without GROUP BY).
        totals = {row[0]: row[1:] for row in rows if row[3] is not None}
    else:
        enrolled = conn.exec_driver_sql(sql[0], (cohort, LEARNER)).cursor.fetchall()
        totals = {row[0]: row for row in conn.exec_driver_sql(sql[1], (*per_mode, cohort, LEARNER)).cursor}
        if months_waiting_in(conn, cohort):
            for change in conn.exec_driver_sql(sql[2], (*per_mode, cohort, LEARNER, cohort, LEARNER)).cursor:
                totals[change[0]] = _changed(totals.get(change[0]), change)
    out = []
    nothing = ((0, 0.0),) * len(modes)
    for agent, name in enrolled:
        row = totals.get(agent)
        if row is None:
            out.append(LearnerTotals(agent, name, None, 0, nothing))
            continue
        # row: agent or name, then latest, statements, first day, and each mode's statements and seconds.
        latest = row[1]
        if isinstance(latest, str):  # SQLite's text of a DateTime (UTC, without its zone)
            latest = datetime.fromisoformat(latest)
        by_mode = tuple((int(row[k] or 0), float(row[k + 1] or 0.0)) for k in range(4, 4 + 2 * len(modes), 2))
        out.append(LearnerTotals(agent, name, latest, int(row[2]), by_mode, row[3]))
    return out


def _changed(row: tuple | None, change: tuple) -> tuple | None:
    """SQLite: a learner's whole-record row of :func:`cohort_learner_totals` (agent, latest, statements, first day,
    each mode's statements and seconds; None without one) with their waiting months' ``change`` added; None when
    that leaves no statement."""
    if row is None:
        row = (change[0], None, 0, None, *([None] * (len(change) - 4)))
    statements = (row[2] or 0) + (change[2] or 0)
    if not statements:
        return None
    latest = max((x for x in (row[1], change[1]) if x is not None), default=None)
    first = min((x for x in (row[3], change[3]) if x is not None), default=None)
    sums = tuple((a or 0) + (b or 0) for a, b in zip(row[4:], change[4:], strict=True))
    return (row[0], latest, statements, first, *sums)


def cohort_month_totals(conn: Connection, cohort: str, first_day: str) -> list[ModeTotals]:
    """The enrolled learners' whole records per learning mode and month ("YYYY-MM", ``month``), counting the months
    from the one of ``first_day`` ("YYYY-MM-DD", the first of a month) on: lrs.store.learning.enrolled_mode_totals
    by month, for those months, from each learner's month rows."""
    enrolled = (CE.c.cohort == cohort, CE.c.role == LEARNER)
    sums = (
        func.sum(M.c.statements).label("statements"),
        func.coalesce(func.sum(M.c.seconds), 0.0).label("seconds"),
        func.sum(M.c.timed).label("timed"),
    )
    query = (
        select(M.c.mode.label("mode"), *sums, M.c.month.label("month"))
        .select_from(CE.join(M, M.c.agent_key == CE.c.agent_key))
        .where(*enrolled, M.c.month >= first_day[:7])
        # Month first: SQLite's sorter of the ~8,000 rows compares the month before the mode (5.3 ms against 6.0).
        .group_by(M.c.month, M.c.mode)
    )
    found = _mode_totals(conn.execute(query).mappings())
    if conn.dialect.name == "postgresql" or not months_waiting_in(conn, cohort):
        return found
    # SQLite, months waiting (lrs.store.learning.fold_months): their rows out, their days in.
    waiting = (CE.join(W, W.c.agent_key == CE.c.agent_key), W.c.month >= first_day[:7])
    stale = (
        select(M.c.month, M.c.mode, (-M.c.statements).label("n"), (-M.c.seconds).label("s"), (-M.c.timed).label("t"))
        .select_from(waiting[0].join(M, and_(M.c.agent_key == W.c.agent_key, M.c.month == W.c.month)))
        .where(*enrolled, waiting[1])
    )
    days = (
        select(W.c.month, T.c.mode, T.c.statements, T.c.seconds, T.c.timed)
        .select_from(waiting[0].join(T, and_(
            T.c.agent_key == W.c.agent_key, T.c.day >= W.c.month.concat(literal("-01")),
            T.c.day <= W.c.month.concat(literal("-31")))))
        .where(*enrolled, waiting[1])
    )
    change = union_all(stale, days).subquery()
    rows = conn.execute(
        select(change.c.month, change.c.mode, func.sum(change.c.n), func.sum(change.c.s), func.sum(change.c.t))
        .group_by(change.c.month, change.c.mode)
    ).all()
    by_key = {(x.month, x.mode): x for x in found}
    for month, mode, n, seconds, timed in rows:
        mode = mode or None  # as _mode_totals gives it
        was = by_key.get((month, mode))
        if was is None:
            was = ModeTotals(mode=mode, statements=0, seconds=0.0, timed=0, month=month)
        by_key[(month, mode)] = replace(was, statements=was.statements + int(n), seconds=was.seconds + float(seconds),
                                        timed=was.timed + int(timed))
    # In the order the grouping gives (month, then mode with the unclassified first).
    return sorted((x for x in by_key.values() if x.statements), key=lambda x: (x.month, x.mode or ""))


def months_waiting_in(conn: Connection, cohort: str) -> bool:
    """SQLite: whether a learner enrolled in ``cohort`` has a month waiting in ``learning_months_waiting`` (its
    month rows not yet counted again from the days; lrs.store.learning.fold_months). PostgreSQL: never."""
    if conn.dialect.name == "postgresql":
        return False
    sql = (
        "SELECT 1 FROM learning_months_waiting AS w JOIN cohort_enrolments AS e ON e.agent_key = w.agent_key "
        "WHERE e.cohort = ? AND e.role = ? LIMIT 1"
    )
    return conn.exec_driver_sql(sql, (cohort, LEARNER)).first() is not None
