"""The programme lead's dashboard of one cohort, SQL only: each enrolled learner's whole record per learning mode,
their latest statement and first day, and the cohort's months, from ``learning_month_totals`` (the learners' days
in ``learning_totals`` added up per month and over all time; lrs.store.learning keeps both in the statements'
transaction).

A learner's whole record is a few rows (month "", one per mode and verb of the unclassified) at the start of
their range of the table's primary key (agent_key, month, ...), and the cohort's months one range per learner
from the first month shown: the rows read are the learners' modes and months, not the days they learned.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from lrs.store.enrolments import CE, LEARNER
from lrs.store.learning import ALL_TIME, M, ModeTotals, _mode_totals


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


def cohort_month_totals(conn: Connection, cohort: str, first_day: str) -> list[ModeTotals]:
    """The enrolled learners' whole records per learning mode and month ("YYYY-MM", ``month``), counting the months
    from the one of ``first_day`` ("YYYY-MM-DD", the first of a month) on: lrs.store.learning.enrolled_mode_totals
    by month, for those months, from each learner's month rows."""
    month = M.c.month.label("month")
    query = (
        select(
            M.c.mode.label("mode"),
            func.sum(M.c.statements).label("statements"),
            func.coalesce(func.sum(M.c.seconds), 0.0).label("seconds"),
            func.sum(M.c.timed).label("timed"),
            month,
        )
        .select_from(CE.join(M, M.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, M.c.month >= first_day[:7])
        # Month first: SQLite's sorter of the ~8,000 rows compares the month before the mode (5.3 ms against 6.0).
        .group_by(M.c.month, M.c.mode)
    )
    return _mode_totals(conn.execute(query).mappings())
