"""Cohort enrolments: who is a learner of which cohort. SQL only; who may enrol is lrs.services.access."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, insert, select, tuple_

from lrs.store import cohort_totals
from lrs.store.models import CohortEnrolment, Credential
from lrs.store.users import U
from lrs.xapi.ifi import agent_key as key_of

CE = CohortEnrolment.__table__
C = Credential.__table__
LEARNER = "learner"


def enrolled_agents(cohorts: Sequence[str]) -> Any:  # noqa: ANN401 - a SQLAlchemy select
    """The agent keys of the learners of ``cohorts``, as a subquery."""
    return select(CE.c.agent_key).where(CE.c.cohort.in_(list(cohorts)), CE.c.role == LEARNER)


def learner_in_cohorts(conn: Connection, agent_key: str, cohorts: Sequence[str]) -> bool:
    """True when ``agent_key`` is enrolled as a learner in one of ``cohorts`` (an index lookup)."""
    if not cohorts:
        return False
    query = select(
        exists().where(and_(CE.c.agent_key == agent_key, CE.c.cohort.in_(list(cohorts)), CE.c.role == LEARNER))
    )
    return bool(conn.execute(query).scalar())


def enrol(
    conn: Connection,
    cohort: str,
    agent_key: str,
    *,
    enrolled_by: str,
    source_statement_id: str | None = None,
) -> bool:
    """Enrol a learner; False when they already were (the first enrolment is kept)."""
    if is_enrolled(conn, cohort, agent_key):
        return False
    conn.execute(
        insert(CE).values(
            cohort=cohort,
            agent_key=agent_key,
            role=LEARNER,
            enrolled_at=datetime.now(UTC),
            enrolled_by=enrolled_by,
            source_statement_id=source_statement_id,
        )
    )
    # A cohort's first learner makes it known: its summary is kept in cohort_totals from now on.
    cohort_totals.know(conn, [cohort])
    return True


def is_enrolled(conn: Connection, cohort: str, agent_key: str) -> bool:
    return conn.execute(select(CE.c.agent_key).where(CE.c.cohort == cohort, CE.c.agent_key == agent_key)).first() is not None


def missing(conn: Connection, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Which (cohort, agent_key) pairs are not enrolments yet."""
    pairs = sorted(set(pairs))
    if not pairs:
        return []
    rows = conn.execute(select(CE.c.cohort, CE.c.agent_key).where(tuple_(CE.c.cohort, CE.c.agent_key).in_(pairs)))
    found = {(r.cohort, r.agent_key) for r in rows}
    return [p for p in pairs if p not in found]


def unenrol(conn: Connection, cohort: str, agent_key: str) -> bool:
    result = conn.execute(delete(CE).where(CE.c.cohort == cohort, CE.c.agent_key == agent_key))
    return (result.rowcount or 0) > 0


def unenrol_from_statements(conn: Connection, statement_ids: Iterable[str]) -> int:
    """Remove the enrolments these (now voided) statements made."""
    ids = sorted(set(statement_ids))
    if not ids:
        return 0
    return conn.execute(delete(CE).where(CE.c.source_statement_id.in_(ids))).rowcount or 0


def list_enrolments(conn: Connection, cohort: str | None = None, cohorts: Sequence[str] | None = None) -> list[dict[str, Any]]:
    query = select(CE).order_by(CE.c.cohort, CE.c.agent_key)
    if cohort is not None:
        query = query.where(CE.c.cohort == cohort)
    if cohorts is not None:
        query = query.where(CE.c.cohort.in_(list(cohorts)))
    return [dict(r) for r in conn.execute(query).mappings()]


def cohort_reviewers(conn: Connection, roles: Sequence[str]) -> dict[str, set[str]]:
    """cohort -> the agents of the active credentials and accounts with one of ``roles`` bound to it (a
    credential without an agent acts as its authority). Both tables are small: a handful of staff."""
    found: dict[str, set[str]] = {}
    rows = conn.execute(
        select(C.c.agent_key, C.c.authority, C.c.cohorts).where(C.c.role.in_(list(roles)), C.c.revoked.is_(None))
    ).all()
    people = [(r.agent_key or key_of(r.authority or {}), r.cohorts) for r in rows]
    users = conn.execute(select(U.c.agent_key, U.c.cohorts).where(U.c.role.in_(list(roles)), U.c.disabled.is_(False)))
    people += [(r.agent_key, r.cohorts) for r in users]
    for agent, cohorts in people:
        for cohort in cohorts or ():
            if agent:
                found.setdefault(cohort, set()).add(agent)
    return found
