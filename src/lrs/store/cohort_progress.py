"""A whole cohort's standing on a qualification's criteria and units, for the lead's dashboard: SQL only.

One grouped query answers "where does each learner of the cohort stand on each criterion" for every learner at
once, and a second one which units the centre has claimed; lrs.review.cohort turns the answers into units
complete, in progress and not started. The questions are the ones lrs.review asks of one learner
(records.learner_reviews, decisions.current_outcomes, decisions.criterion_review, units.unit_records), asked of
the cohort in SQL:

- the evidence for a criterion: the statements the learner linked to it (``evidence_links``) and those an
  assessor judged against it (``review_decisions``), voided statements left out;
- the current outcome of a piece of evidence for a criterion: the latest assessor decision on the pair (store
  order), "returned" when the latest IQA decision on that assessor decision raised an action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select, union

from lrs.store.assessment import CLAIM, SUB
from lrs.store.enrolments import enrolled_agents
from lrs.store.models import EvidenceLink, Statement
from lrs.store.reviews import R

S = Statement.__table__
E = EvidenceLink.__table__


def criterion_flags(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> list[dict[str, Any]]:
    """For every (learner of ``cohort``, framework, criterion) with evidence: ``accepted`` (some evidence's
    current outcome is accepted), ``awaiting`` (some evidence has no assessor decision yet, or its decision was
    returned by an IQA action) and ``referred`` (some evidence's current outcome is referred), as 0 or 1.
    Criteria without evidence have no row."""
    if not framework_uris:
        return []
    fws = list(framework_uris)
    learners = enrolled_agents([cohort])
    linked_stmt = S.alias("linked_stmt")
    judged_stmt = S.alias("judged_stmt")
    linked = (
        select(E.c.agent_key, E.c.framework_uri, E.c.item_uri, E.c.statement_id.label("evidence_id"))
        .join(linked_stmt, linked_stmt.c.id == E.c.statement_id)
        .where(E.c.framework_uri.in_(fws), E.c.agent_key.in_(learners), linked_stmt.c.voided.is_(False))
    )
    judged = (
        select(R.c.agent_key, R.c.framework_uri, R.c.item_uri, R.c.evidence_id)
        .join(judged_stmt, judged_stmt.c.id == R.c.evidence_id)
        .where(
            R.c.role == "assessor",
            R.c.framework_uri.in_(fws),
            R.c.agent_key.in_(learners),
            judged_stmt.c.voided.is_(False),
        )
    )
    evidence = union(linked, judged).subquery("evidence")

    def latest(role: str, partition: tuple[Any, ...], name: str) -> Any:  # noqa: ANN401 - a SQLAlchemy subquery
        decision_stmt = S.alias(f"{name}_stmt")
        ranked = (
            select(
                R.c.statement_id,
                R.c.evidence_id,
                R.c.item_uri,
                R.c.target_id,
                R.c.outcome,
                func.row_number()
                .over(partition_by=partition, order_by=decision_stmt.c.seq.desc())
                .label("rn"),
            )
            .join(decision_stmt, decision_stmt.c.id == R.c.statement_id)
            .where(R.c.role == role, R.c.framework_uri.in_(fws), R.c.agent_key.in_(learners))
            .subquery(f"{name}_ranked")
        )
        return select(ranked).where(ranked.c.rn == 1).subquery(name)

    assessor = latest("assessor", (R.c.evidence_id, R.c.item_uri), "assessor")
    iqa = latest("iqa", (R.c.target_id,), "iqa")
    returned = iqa.c.outcome == "action-raised"
    standing = and_(assessor.c.statement_id.is_not(None), or_(iqa.c.outcome.is_(None), ~returned))

    def flag(condition: Any) -> Any:  # noqa: ANN401
        return func.max(case((condition, literal(1)), else_=literal(0)))

    query = (
        select(
            evidence.c.agent_key,
            evidence.c.framework_uri,
            evidence.c.item_uri,
            flag(and_(standing, assessor.c.outcome == "accepted")).label("accepted"),
            flag(or_(assessor.c.statement_id.is_(None), returned)).label("awaiting"),
            flag(and_(standing, assessor.c.outcome == "referred")).label("referred"),
        )
        .select_from(evidence)
        .outerjoin(
            assessor,
            and_(
                assessor.c.evidence_id == evidence.c.evidence_id, assessor.c.item_uri == evidence.c.item_uri
            ),
        )
        .outerjoin(iqa, iqa.c.target_id == assessor.c.statement_id)
        .group_by(evidence.c.agent_key, evidence.c.framework_uri, evidence.c.item_uri)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def claimed_units(conn: Connection, cohort: str, framework_uris: Sequence[str]) -> set[tuple[str, str]]:
    """(learner, unit IRI) of the cohort's learners whose unit the centre has claimed certification of (the claim
    and a submission of the unit not voided), in ``framework_uris``."""
    if not framework_uris:
        return set()
    claim_stmt = S.alias("claim_stmt")
    sub_stmt = S.alias("sub_stmt")
    rows = conn.execute(
        select(CLAIM.c.agent_key, CLAIM.c.unit_uri)
        .distinct()
        .join(claim_stmt, claim_stmt.c.id == CLAIM.c.statement_id)
        .join(SUB, and_(SUB.c.agent_key == CLAIM.c.agent_key, SUB.c.unit_uri == CLAIM.c.unit_uri))
        .join(sub_stmt, sub_stmt.c.id == SUB.c.statement_id)
        .where(
            CLAIM.c.framework_uri.in_(list(framework_uris)),
            CLAIM.c.agent_key.in_(enrolled_agents([cohort])),
            claim_stmt.c.voided.is_(False),
            sub_stmt.c.voided.is_(False),
        )
    )
    return {(r.agent_key, r.unit_uri) for r in rows}
