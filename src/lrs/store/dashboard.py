"""The programme lead's dashboard of one cohort, SQL only: each enrolled learner's whole record per learning mode
and their latest statement, and the cohort's months, from ``learning_totals`` (lrs.store.learning keeps it in the
statements' transaction).

Each query is one range of the table's primary key (agent_key, day, ...) per enrolled learner. The learners'
totals are grouped by the learner alone, with a column per mode (so SQLite groups in the key's order, without a
sorter), and the months only over the months the page shows, not the cohort's whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from lrs.store.enrolments import CE, LEARNER
from lrs.store.learning import (
    ModeTotals,
    T,
    _mode_totals,
    _totals_columns,
    _totals_month,
)


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
    return func.sum(case((T.c.mode == mode, column), else_=None))


def _enrolled(cohort: str) -> Any:  # noqa: ANN401
    return select(CE.c.agent_key).where(CE.c.cohort == cohort, CE.c.role == LEARNER)


def cohort_learner_totals(conn: Connection, cohort: str, modes: tuple[str, ...]) -> list[LearnerTotals]:
    """Every learner enrolled in ``cohort`` (in agent key order) with their totals, latest statement and first
    day: two queries for the whole cohort (the learners and their names; their totals grouped by learner alone,
    a column per mode), never one per learner. ``modes``: the learning modes the rules give (the classified
    ones)."""
    from lrs.store.users import U

    names = (
        select(U.c.agent_key, func.min(U.c.name).label("name"))
        .where(U.c.disabled.is_(False), U.c.agent_key.is_not(None))
        .group_by(U.c.agent_key)
        .subquery()
    )
    enrolled = conn.execute(
        select(CE.c.agent_key, names.c.name)
        .select_from(CE.outerjoin(names, names.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
        .order_by(CE.c.agent_key)
    ).all()
    # Each CASE costs SQLite a comparison per row of every learner's days: only the columns the balance reads.
    columns = [T.c.agent_key, func.max(T.c.latest), func.sum(T.c.statements), func.min(T.c.day)]
    for mode in modes:
        columns += [_per_mode(mode, T.c.statements), _per_mode(mode, T.c.seconds)]
    rows = conn.execute(select(*columns).where(T.c.agent_key.in_(_enrolled(cohort))).group_by(T.c.agent_key)).all()
    totals = {row[0]: row for row in rows}
    out = []
    for agent, name in enrolled:
        row = totals.get(agent)
        if row is None:
            out.append(LearnerTotals(agent, name, None, ()))
            continue
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
    """The enrolled learners' whole records per learning mode and month ("YYYY-MM", ``month``), counting the UTC
    days from ``first_day`` ("YYYY-MM-DD") on: lrs.store.learning.enrolled_mode_totals by month, for those days."""
    month = _totals_month().label("month")
    query = (
        select(*_totals_columns(), month)
        .select_from(CE.join(T, T.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, T.c.day >= first_day)
        .group_by(T.c.mode, month)
    )
    return _mode_totals(conn.execute(query).mappings())
