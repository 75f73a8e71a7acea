"""A whole cohort's evidence, decisions and claimed units in a qualification, for the lead's dashboard: SQL only.

Three queries answer for every learner of the cohort at once what lrs.review reads one learner at a time
(evidence.evidence_ids_for, reviews.decisions_for, assessment.claims and submissions); lrs.review.cohort turns
the rows into each learner's criteria and units with the review's own rules. Each query is a range of the
(agent, framework) indexes, for the cohort's enrolled learners.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from lrs.store.enrolments import LEARNER, enrolled_agents
from lrs.store.models import EvidenceLink, Statement
from lrs.store.reviews import R

S = Statement.__table__
E = EvidenceLink.__table__
# Made once: an alias of the statements table copies its many columns, which costs more than the queries' own
# compilation (SQLAlchemy caches that by the statement's structure).
EVIDENCE = S.alias("evidence")


def criteria(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> list[tuple[str, str, bool]]:
    """(learner, item IRI, met) for every criterion in ``framework_uris`` a learner of the cohort has evidence for
    (lrs.store.learner_criteria, derived from the links and decisions): one range of its key per learner.

    lrs.store.learner_criteria.cohort_criteria's statement written as the driver's SQL (SQLAlchemy's building of
    the expression cost more CPU than the statement on either database: ~1 ms of the lead's dashboard)."""
    if not framework_uris:
        return []
    mark = _mark(conn)
    sql = (
        f"SELECT agent_key, item_uri, met FROM learner_criteria WHERE agent_key IN ({_ENROLLED.format(m=mark)}) "
        f"AND framework_uri IN ({', '.join([mark] * len(framework_uris))})"
    )
    rows = conn.exec_driver_sql(sql, (cohort, LEARNER, *framework_uris)).cursor.fetchall()
    return [(agent, item, bool(met)) for agent, item, met in rows]


#: The agent keys of a cohort's enrolled learners (lrs.store.enrolments.enrolled_agents), as the driver's SQL.
_ENROLLED = "SELECT agent_key FROM cohort_enrolments WHERE cohort = {m} AND role = {m}"


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def evidenced_criteria(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> list[tuple[str, str]]:
    """(learner, item IRI) for every criterion in ``framework_uris`` that a learner of the cohort linked evidence
    to, voided statements left out (evidence.evidence_ids_for, for the whole cohort, one row per criterion)."""
    if not framework_uris:
        return []
    rows = conn.execute(
        select(E.c.agent_key, E.c.item_uri)
        .distinct()
        .join(S, S.c.id == E.c.statement_id)
        .where(
            E.c.agent_key.in_(enrolled_agents([cohort])),
            E.c.framework_uri.in_(list(framework_uris)),
            S.c.voided.is_(False),
        )
    )
    return [(r.agent_key, r.item_uri) for r in rows]


def decisions(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> list[Any]:
    """The decisions on the cohort's learners' evidence in ``framework_uris``, in store order, leaving out
    those on evidence since voided (reviews.decisions_for without the payloads, for the whole cohort). Each row
    has ``statement_id``, ``agent_key``, ``evidence_id``, ``criterion`` (the item IRI), ``role``, ``outcome``
    and ``target_id``: what lrs.review.decisions.current_outcomes reads of a decision."""
    if not framework_uris:
        return []
    evidence = EVIDENCE
    rows = conn.execute(
        select(
            R.c.statement_id,
            R.c.agent_key,
            R.c.evidence_id,
            R.c.item_uri.label("criterion"),
            R.c.role,
            R.c.outcome,
            R.c.target_id,
        )
        .join(evidence, evidence.c.id == R.c.evidence_id)
        .where(
            R.c.agent_key.in_(enrolled_agents([cohort])),
            R.c.framework_uri.in_(list(framework_uris)),
            evidence.c.voided.is_(False),
        )
        # The decision's place in the store, kept with the derived row (its statement is never read here: a
        # decision's row goes when its statement does, lrs.store.erasure.delete_statements).
        .order_by(R.c.seq)
    )
    return list(rows)


def claimed_units(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> set[tuple[str, str]]:
    """(learner, unit IRI) of the cohort's learners whose unit the centre has claimed certification of (the claim
    and a submission of the unit not voided), in ``framework_uris``. The driver's SQL (the lead's dashboard)."""
    if not framework_uris:
        return set()
    mark = _mark(conn)
    false = "false" if conn.dialect.name == "postgresql" else "0"
    sql = (
        "SELECT DISTINCT c.agent_key, c.unit_uri FROM unit_claims AS c "
        "JOIN statements AS claim_stmt ON claim_stmt.id = c.statement_id "
        "JOIN unit_submissions AS s ON s.agent_key = c.agent_key AND s.unit_uri = c.unit_uri "
        "JOIN statements AS sub_stmt ON sub_stmt.id = s.statement_id "
        f"WHERE c.framework_uri IN ({', '.join([mark] * len(framework_uris))}) "
        f"AND c.agent_key IN ({_ENROLLED.format(m=mark)}) "
        f"AND claim_stmt.voided IS {false} AND sub_stmt.voided IS {false}"
    )
    return {(agent, unit) for agent, unit in conn.exec_driver_sql(sql, (*framework_uris, cohort, LEARNER)).cursor}
