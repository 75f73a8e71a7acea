"""``learner_criteria``: each learner's evidenced criteria and whether each is met, derived from ``evidence_links``
and ``review_decisions`` in the same transaction that changes them (SQL only).

A criterion is evidenced when a statement not voided is linked to it, or an assessor judged such a statement
against it (lrs.review.records.learner_reviews); it is met when some of that evidence's current outcome is
accepted: its latest assessor decision on the criterion (store order, ``review_decisions.seq``) accepted it, and
the latest IQA decision on that decision did not raise an action (lrs.review.decisions.current_outcomes and
criterion_review). Every write that changes what that reads counts its learners again with :func:`recount`:
the evidence links of a statement (lrs.store.evidence), the decisions (lrs.store.reviews), voiding (the
statements' write path), deleting statements (retention, erasure) and erasing a person. The table is cleared
and remade whole with the links or the decisions (their rebuild commands) and by its migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, literal, select, union

from lrs.store.models import Base, EvidenceLink, LearnerCriterion, Statement

LC = LearnerCriterion.__table__
E = EvidenceLink.__table__
S = Statement.__table__
COLUMNS = ("agent_key", "framework_uri", "item_uri", "met")


def _decisions() -> Any:  # noqa: ANN401
    """The ``review_decisions`` table. lrs.store.reviews defines it and calls this module (its writes count the
    learners again), so it is found by name rather than imported (an import would be a cycle); the statements'
    write path imports lrs.store.reviews, so it is always defined by the time anything is written."""
    import lrs.store.models  # noqa: F401 - the metadata

    return Base.metadata.tables["review_decisions"]


def _criteria(agents: list[str] | None) -> Any:  # noqa: ANN401
    """(agent_key, framework_uri, item_uri, met) of these learners (None: everyone)."""
    R = _decisions()  # noqa: N806 - the table, named as elsewhere in the store
    linked_to = S.alias("lc_linked")
    judged_on = S.alias("lc_judged")
    linked = (
        select(E.c.agent_key, E.c.framework_uri, E.c.item_uri)
        .join(linked_to, linked_to.c.id == E.c.statement_id)
        .where(linked_to.c.voided.is_(False), *([E.c.agent_key.in_(agents)] if agents is not None else []))
    )
    judged = (
        select(R.c.agent_key, R.c.framework_uri, R.c.item_uri)
        .join(judged_on, judged_on.c.id == R.c.evidence_id)
        .where(R.c.role == "assessor", judged_on.c.voided.is_(False),
               *([R.c.agent_key.in_(agents)] if agents is not None else []))
    )
    evidenced = union(linked, judged).subquery("lc_evidenced")
    accepted, later, check, later_check = (R.alias(n) for n in ("lc_a", "lc_later", "lc_check", "lc_later_check"))
    evidence = S.alias("lc_evidence")
    returned = exists().where(
        check.c.target_id == accepted.c.statement_id,
        check.c.role == "iqa",
        check.c.outcome == "action-raised",
        ~exists().where(later_check.c.target_id == accepted.c.statement_id, later_check.c.role == "iqa",
                        later_check.c.seq > check.c.seq),
    )
    met = exists(
        select(literal(1))
        .select_from(accepted.join(evidence, evidence.c.id == accepted.c.evidence_id))
        .where(
            accepted.c.agent_key == evidenced.c.agent_key,
            accepted.c.framework_uri == evidenced.c.framework_uri,
            accepted.c.item_uri == evidenced.c.item_uri,
            accepted.c.role == "assessor",
            accepted.c.outcome == "accepted",
            evidence.c.voided.is_(False),
            ~exists().where(and_(later.c.evidence_id == accepted.c.evidence_id, later.c.item_uri == accepted.c.item_uri,
                                 later.c.role == "assessor", later.c.seq > accepted.c.seq)),
            ~returned,
        )
    )
    return select(evidenced.c.agent_key, evidenced.c.framework_uri, evidenced.c.item_uri, met.label("met"))


def recount(conn: Connection, agents: Iterable[str]) -> None:
    """Count these learners' criteria again from the links and decisions (after a change to either, or to the
    statements they name)."""
    keys = sorted({a for a in agents if a})
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        conn.execute(delete(LC).where(LC.c.agent_key.in_(chunk)))
        conn.execute(insert(LC).from_select(COLUMNS, _criteria(chunk)))


def rebuild(conn: Connection) -> int:
    """Remake the whole table from the links and decisions, set-based; returns its rows."""
    conn.execute(delete(LC))
    conn.execute(insert(LC).from_select(COLUMNS, _criteria(None)))
    return int(conn.execute(select(func.count()).select_from(LC)).scalar() or 0)


def learners_of_statements(conn: Connection, statement_ids: Iterable[str]) -> set[str]:
    """The learners whose criteria these statements count in: as linked evidence, as the evidence a decision
    judged, or as a decision."""
    ids = sorted(set(statement_ids))
    if not ids:
        return set()
    R = _decisions()  # noqa: N806
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found |= set(conn.execute(select(E.c.agent_key).where(E.c.statement_id.in_(chunk)).distinct()).scalars())
        found |= set(conn.execute(select(R.c.agent_key).where(R.c.evidence_id.in_(chunk)).distinct()).scalars())
        found |= set(conn.execute(select(R.c.agent_key).where(R.c.statement_id.in_(chunk)).distinct()).scalars())
    return found


def cohort_criteria(conn: Connection, agents_query: Any, framework_uris: list[str]) -> list[tuple[str, str, bool]]:  # noqa: ANN401
    """(learner, item IRI, met) of every evidenced criterion in ``framework_uris`` of the learners
    ``agents_query`` selects (a cohort's enrolled learners): one range of the key per learner."""
    if not framework_uris:
        return []
    rows = conn.execute(
        select(LC.c.agent_key, LC.c.item_uri, LC.c.met)
        .where(LC.c.agent_key.in_(agents_query), LC.c.framework_uri.in_(framework_uris))
    ).all()  # fetched at once: row by row cost more than the query (1,920 rows for 500 learners)
    return [(agent, item, bool(met)) for agent, item, met in rows]
