"""The programme lead's dashboard of one cohort, SQL only: each enrolled learner's whole record per learning mode,
their latest statement and first day, and the cohort's months, from ``learning_month_totals`` (the learners' days
in ``learning_totals`` added up per month and over all time; lrs.store.learning keeps both in the statements'
transaction).

A learner's whole record is a few rows (month "", one per mode and verb of the unclassified) at the start of
their range of the table's primary key (agent_key, month, ...), and the cohort's months one range per learner
from the first month shown: the rows read are the learners' modes and months, not the days they learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select, true

from lrs.store.enrolments import CE, LEARNER
from lrs.store.learning import ALL_TIME, M, ModeTotals, _mode_totals


@dataclass(frozen=True)
class LearnerTotals:
    """One enrolled learner: their account's name (None without an enabled account), the timestamp of their
    latest statement (None when they have none), and their whole record per learning mode (ModeTotals with
    ``agent_key``, and the unclassified with mode None; none for a mode without statements). What the dashboard
    reads: each mode's statements and seconds (its balance on the time basis, falling back to statements); a
    mode's ``timed`` is not counted (0), nor the unclassified statements' seconds. ``first``: the UTC day
    ("YYYY-MM-DD") of their earliest statement (None when they have none)."""

    agent_key: str
    name: str | None
    latest: datetime | None
    modes: tuple[ModeTotals, ...]
    first: str | None = None


def _per_mode(mode: str, column: Any) -> Any:  # noqa: ANN401
    return func.sum(case((M.c.mode == mode, column), else_=None))


def _enrolled(cohort: str) -> Any:  # noqa: ANN401
    return select(CE.c.agent_key).where(CE.c.cohort == cohort, CE.c.role == LEARNER)


def cohort_learner_totals(conn: Connection, cohort: str, modes: tuple[str, ...]) -> list[LearnerTotals]:
    """Every learner enrolled in ``cohort`` (in agent key order) with their name, totals, latest statement and
    first day, for the whole cohort at once, never a query per learner. ``modes``: the learning modes the rules
    give (the classified ones).

    The totals add up each learner's whole-record rows of ``learning_month_totals`` (month "": a row per mode,
    and per verb of the unclassified), a column per mode (only the columns the balance reads). PostgreSQL: one
    statement, the enrolments with each learner's sums as a ``LATERAL`` aggregate (one index seek per learner;
    asked as a grouping, its planner preferred a scan of the whole table). SQLite: two (the learners and their
    names; their totals grouped by learner alone, in the key's order, without a sorter)."""
    from lrs.store.users import U

    names = (
        select(U.c.agent_key, func.min(U.c.name).label("name"))
        .where(U.c.disabled.is_(False), U.c.agent_key.is_not(None))
        .group_by(U.c.agent_key)
        .subquery()
    )
    sums = [func.max(M.c.latest), func.sum(M.c.statements), func.min(M.c.first_day)]
    for mode in modes:
        sums += [_per_mode(mode, M.c.statements), _per_mode(mode, M.c.seconds)]
    sums = [column.label(f"c{i}") for i, column in enumerate(sums)]
    learners = CE.outerjoin(names, names.c.agent_key == CE.c.agent_key)
    if conn.dialect.name == "postgresql":
        per_learner = select(*sums).where(M.c.agent_key == CE.c.agent_key, M.c.month == ALL_TIME).lateral("totals")
        rows = conn.execute(
            select(CE.c.agent_key, names.c.name, *per_learner.c)
            .select_from(learners.join(per_learner, true()))
            .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
            .order_by(CE.c.agent_key)
        ).all()
        # A learner without days has one row of NULLs (an aggregate without GROUP BY).
        enrolled = [(row[0], row[1]) for row in rows]
        totals = {row[0]: row[1:] for row in rows if row[3] is not None}
    else:
        enrolled = conn.execute(
            select(CE.c.agent_key, names.c.name)
            .select_from(learners)
            .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
            .order_by(CE.c.agent_key)
        ).all()
        grouped = (
            select(M.c.agent_key, *sums)
            .where(M.c.agent_key.in_(_enrolled(cohort)), M.c.month == ALL_TIME)
            .group_by(M.c.agent_key)
        )
        totals = {row[0]: row for row in conn.execute(grouped)}
    out = []
    for agent, name in enrolled:
        row = totals.get(agent)
        if row is None:
            out.append(LearnerTotals(agent, name, None, ()))
            continue
        # row: agent or name, then latest, statements, first day, and each mode's statements and seconds.
        found = []
        classified = 0
        for i, mode in enumerate(modes):
            n = row[4 + 2 * i]
            if n:
                classified += n
                found.append(ModeTotals(mode=mode, statements=int(n), seconds=float(row[5 + 2 * i] or 0.0), timed=0,
                                        agent_key=agent))
        if row[2] > classified:  # the rest: unclassified (or a mode the rules do not give, counted as unclassified)
            found.append(ModeTotals(mode=None, statements=int(row[2]) - classified, seconds=0.0, timed=0,
                                    agent_key=agent))
        out.append(LearnerTotals(agent, name, row[1], tuple(found), row[3]))
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
        .group_by(M.c.mode, M.c.month)
    )
    return _mode_totals(conn.execute(query).mappings())
