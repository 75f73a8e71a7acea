"""Assessor and IQA decisions on evidence: SQL only.

``review_decisions`` is derived data, like ``evidence_links``: one row per decision statement the LRS accepted
as a decision (lrs.review.decisions says which), remade by ``lrs review rebuild``. The statements themselves
stay the record; feedback and the reviewer are read from them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    String,
    Table,
    Text,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from lrs.store import enrolments
from lrs.store.enrolments import enrolled_agents
from lrs.store.models import Base, EvidenceLink, SeqType, Statement, StatementActivity, StatementAgent

#: The table is declared here rather than in models.py because only this module reads or writes it.
R = Table(
    "review_decisions",
    Base.metadata,
    Column("statement_id", String(36), primary_key=True),
    #: The learner whose evidence was judged (the evidence statement's actor).
    Column("agent_key", Text, nullable=False),
    Column("evidence_id", String(36), nullable=False),
    Column("framework_uri", Text, nullable=False),
    Column("item_uri", Text, nullable=False),
    #: "assessor" or "iqa".
    Column("role", String(16), nullable=False),
    #: accepted / referred (assessor), confirmed / action-raised (iqa).
    Column("outcome", String(16), nullable=False),
    #: The credential key of the reviewer (from the decision statement's authority).
    Column("reviewer_key", Text, nullable=False),
    #: An IQA decision's target: the assessor decision it confirms or overturns.
    Column("target_id", String(36)),
    Column("decided", DateTime(timezone=True), nullable=False),
    #: The decision statement's place in the store (its ``statements.seq``), written with the row: store order
    #: (which decision supersedes which, a reviewer's first decisions) without a join to ``statements``.
    Column("seq", SeqType),
    Index("ix_review_agent_framework", "agent_key", "framework_uri"),
    Index("ix_review_evidence_item_seq", "evidence_id", "item_uri", "role", "seq"),
    Index("ix_review_target", "target_id"),
    Index("ix_review_reviewer_seq", "reviewer_key", "role", "seq"),
)
S = Statement.__table__
E = EvidenceLink.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__


def insert_decisions(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write derived decisions (their statements are stored), each with its statement's ``seq``."""
    if rows:
        from lrs.store import learner_criteria

        ids = [r["statement_id"] for r in rows]
        learners = {r["agent_key"] for r in rows} | set(
            conn.execute(select(R.c.agent_key).where(R.c.statement_id.in_(ids)).distinct()).scalars())
        conn.execute(delete(R).where(R.c.statement_id.in_(ids)))
        conn.execute(insert(R), [{**r, "seq": None} for r in rows])
        seq = select(S.c.seq).where(S.c.id == R.c.statement_id).scalar_subquery()
        conn.execute(update(R).where(R.c.statement_id.in_(ids)).values(seq=seq))
        learner_criteria.recount(conn, learners)


def delete_decisions(conn: Connection, statement_ids: Iterable[str]) -> int:
    """Forget these decisions (withdrawn: voided), and the IQA decisions on them: a sample of a withdrawn
    decision no longer counts, as a rebuild (which never derives one) has it."""
    from lrs.store import learner_criteria

    ids = list(statement_ids)
    if not ids:
        return 0
    learners = set(conn.execute(
        select(R.c.agent_key).where(or_(R.c.statement_id.in_(ids), R.c.target_id.in_(ids))).distinct()).scalars())
    samples = conn.execute(delete(R).where(R.c.role == "iqa", R.c.target_id.in_(ids))).rowcount or 0
    deleted = samples + (conn.execute(delete(R).where(R.c.statement_id.in_(ids))).rowcount or 0)
    learner_criteria.recount(conn, learners)
    return deleted


def voided_derivations(conn: Connection, statement_ids: Iterable[str]) -> tuple[set[str], set[str]]:
    """Which of these (voided) statements are indexed decisions, and which are indexed unit submissions, claims or
    sampling plans (what :func:`decided` and ``assessment.derived`` answer): one query where those are four,
    each ``IN`` list built by SQLAlchemy, in the hook that runs after every batch that voids something."""
    ids = sorted(set(statement_ids))
    if not ids:
        return set(), set()
    if conn.dialect.name == "postgresql":
        among = "= ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
    else:
        among = "IN (SELECT value FROM json_each(?))"
    tables = (("review_decisions", 0), ("unit_submissions", 1), ("unit_claims", 1), ("sampling_plans", 1))
    sql = " UNION ALL ".join(f"SELECT statement_id, {kind} FROM {table} WHERE statement_id {among}" for table, kind in tables)
    encoded = json.dumps(ids)
    decisions: set[str] = set()
    derived: set[str] = set()
    for statement_id, kind in conn.exec_driver_sql(sql, (encoded,) * len(tables)):
        (derived if kind else decisions).add(statement_id)
    return decisions, derived


def decided(conn: Connection, statement_ids: Iterable[str]) -> set[str]:
    """Which of these statements are indexed decisions."""
    ids = list(statement_ids)
    if not ids:
        return set()
    return set(conn.execute(select(R.c.statement_id).where(R.c.statement_id.in_(ids))).scalars())


def clear(conn: Connection) -> None:
    """Forget every decision (a rebuild follows): the learners' criteria are those of the links alone until then."""
    from lrs.store import learner_criteria

    conn.execute(delete(R))
    learner_criteria.rebuild(conn)


def decision(conn: Connection, statement_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(R).where(R.c.statement_id == statement_id)).mappings().first()
    return dict(row) if row else None


def decisions_on(conn: Connection, evidence_id: str, item_uri: str) -> list[dict[str, Any]]:
    """Every decision (assessor and IQA) on one piece of evidence for one criterion, in store order."""
    rows = conn.execute(
        select(R, S.c.payload)
        .join(S, S.c.id == R.c.statement_id)
        .where(R.c.evidence_id == evidence_id, R.c.item_uri == item_uri)
        .order_by(S.c.seq)
    ).mappings()
    return [dict(r) for r in rows]


def statement_summary(conn: Connection, statement_id: str) -> dict[str, Any] | None:
    """A stored statement by id with what a review needs: payload, voided, mode, and its seq."""
    row = conn.execute(
        select(S.c.seq, S.c.payload, S.c.voided, S.c.is_voiding, S.c.learning_mode).where(S.c.id == statement_id)
    ).mappings().first()
    return dict(row) if row else None


def decisions_for(conn: Connection, agent_key: str, framework_uri: str | None = None) -> list[dict[str, Any]]:
    """The learner's decisions (rows plus the decision statement's payload) in store order, leaving out those
    on evidence that has since been voided."""
    evidence = S.alias("evidence")
    query = (
        select(R, S.c.payload)
        .join(S, S.c.id == R.c.statement_id)
        .join(evidence, evidence.c.id == R.c.evidence_id)
        .where(R.c.agent_key == agent_key, evidence.c.voided.is_(False))
        .order_by(S.c.seq)
    )
    if framework_uri is not None:
        query = query.where(R.c.framework_uri == framework_uri)
    return [dict(r) for r in conn.execute(query).mappings()]


def judged_evidence(conn: Connection, evidence_ids: Sequence[str]) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Statements judged by a decision that the learner's links do not name (an assessor may map evidence to a
    criterion the learner did not): id -> (payload, learning mode), voided ones left out."""
    if not evidence_ids:
        return {}
    rows = conn.execute(
        select(S.c.id, S.c.payload, S.c.learning_mode).where(S.c.id.in_(list(evidence_ids)), S.c.voided.is_(False))
    )
    return {r.id: (r.payload, r.learning_mode) for r in rows}


def statements_by_id(conn: Connection, statement_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Statement id -> payload for these ids, voided or not, in one query (rather than one look-up each)."""
    ids = list(statement_ids)
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):  # a centre-wide EQA pack asks for thousands: in bounded IN lists
        query = select(S.c.id, S.c.payload).where(S.c.id.in_(ids[start : start + 500]))
        out.update((r.id, r.payload) for r in conn.execute(query))
    return out


def _cohort_learners(cohorts: Sequence[str]) -> Any:
    """The learners enrolled in ``cohorts`` (lrs.store.enrolments): an index lookup."""
    return enrolled_agents(cohorts)


def learner_in_cohorts(conn: Connection, agent_key: str, cohorts: Sequence[str]) -> bool:
    """True when the learner is enrolled in one of ``cohorts`` (kept here for the review workflow's callers)."""
    return enrolments.learner_in_cohorts(conn, agent_key, cohorts)


def _waiting_links(
    postgres: bool,
    cohorts: Sequence[str] | None,
    framework_uris: Sequence[str] | None,
    item_uris: Sequence[str] | None = None,
    evidence_type: str | None = None,
) -> Any:
    """The evidence links waiting for an assessor (a select of evidence_links; the caller picks the columns)."""
    # A decision an IQA raised an action on is back with the assessor: it does not count as decided.
    action = R.alias("action")
    not_returned = ~exists().where(and_(action.c.target_id == R.c.statement_id, action.c.outcome == "action-raised"))
    if postgres:
        # The decided (evidence, criterion) pairs worked out once, a set the links are checked against (NOT IN,
        # a hashed subplan; both sides' columns are NOT NULL): 4x less work than probing the decisions' index
        # once per link (~2,400 for 10 cohorts at 1,000,000 statements). A decision's learner is its evidence's,
        # so only the cohorts' learners' decisions can decide their links.
        returned = select(action.c.target_id).where(action.c.outcome == "action-raised", action.c.target_id.is_not(None))
        decided = select(R.c.evidence_id, R.c.item_uri).where(R.c.role == "assessor", R.c.statement_id.not_in(returned))
        if cohorts is not None:
            decided = decided.where(R.c.agent_key.in_(_cohort_learners(cohorts)))
        waiting = tuple_(E.c.statement_id, E.c.item_uri).not_in(decided)
    else:
        # SQLite: a probe of ix_review_evidence_item_seq per link (its row-value NOT IN was 10x slower).
        waiting = ~exists().where(
            R.c.evidence_id == E.c.statement_id, R.c.item_uri == E.c.item_uri, R.c.role == "assessor", not_returned
        )
    # The links carry their statement's stored, seq and voided (migration 0016, kept by the write path): the
    # waiting links, their order and their count come from evidence_links and review_decisions alone, and only
    # the page's rows read their statement (for its payload), by seq.
    conds: list[Any] = [E.c.voided.is_(False), waiting]
    if cohorts is not None:
        conds.append(E.c.agent_key.in_(_cohort_learners(cohorts)))
    if framework_uris is not None:
        conds.append(E.c.framework_uri.in_(list(framework_uris)))
    if item_uris is not None:
        conds.append(E.c.item_uri.in_(list(item_uris)))
    if evidence_type is not None:
        conds.append(E.c.evidence_type == evidence_type)
    return select(E.c.statement_id).where(*conds)


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def waiting_choices(
    conn: Connection, *, cohorts: Sequence[str] | None, framework_uris: Sequence[str] | None
) -> set[tuple[str, str | None]]:
    """(criterion IRI, evidence type) of the evidence waiting for an assessor of ``cohorts``: what the queue's
    unit and kind filters offer (one grouped read of evidence_links)."""
    waiting = _waiting_links(_postgres(conn), cohorts, framework_uris).with_only_columns(E.c.item_uri, E.c.evidence_type).distinct()
    return {(r.item_uri, r.evidence_type) for r in conn.execute(waiting)}


def awaiting_assessment(
    conn: Connection,
    *,
    cohorts: Sequence[str] | None,
    framework_uris: Sequence[str] | None,
    limit: int,
    offset: int = 0,
    item_uris: Sequence[str] | None = None,
    evidence_type: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Evidence links no assessor has decided on, oldest stored first, for learners of ``cohorts`` (every
    learner when None), of ``item_uris`` only (a unit's criteria) and of one ``evidence_type`` when given.
    Returns (rows, total)."""
    rows, total, _ = _awaiting_assessment(
        conn, cohorts=cohorts, framework_uris=framework_uris, limit=limit, offset=offset, item_uris=item_uris,
        evidence_type=evidence_type, learners=False,
    )
    return rows, total


def awaiting_assessment_page(
    conn: Connection,
    *,
    cohorts: Sequence[str] | None,
    framework_uris: Sequence[str] | None,
    limit: int,
    offset: int = 0,
    item_uris: Sequence[str] | None = None,
    evidence_type: str | None = None,
) -> tuple[list[dict[str, Any]], int, int]:
    """:func:`awaiting_assessment` and how many learners the waiting evidence is from (the assessor's page
    says it): (rows, total, learners)."""
    return _awaiting_assessment(
        conn, cohorts=cohorts, framework_uris=framework_uris, limit=limit, offset=offset, item_uris=item_uris,
        evidence_type=evidence_type, learners=True,
    )


def _awaiting_assessment(
    conn: Connection,
    *,
    cohorts: Sequence[str] | None,
    framework_uris: Sequence[str] | None,
    limit: int,
    offset: int,
    item_uris: Sequence[str] | None,
    evidence_type: str | None,
    learners: bool,
) -> tuple[list[dict[str, Any]], int, int]:
    waiting = _materialized(
        _waiting_links(_postgres(conn), cohorts, framework_uris, item_uris, evidence_type)
        .with_only_columns(E.c.statement_id, E.c.agent_key, E.c.framework_uri, E.c.item_uri, E.c.seq, E.c.stored)
        .cte("waiting")
    )
    # The total comes with the page (a window count), not from a second pass.
    columns: list[Any] = [waiting, func.count().over().label("total")]
    page = (
        select(*columns)
        .order_by(waiting.c.stored, waiting.c.seq, waiting.c.item_uri)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    evidence = S.alias("evidence")
    query = (
        select(
            page.c.statement_id, page.c.agent_key, page.c.framework_uri, page.c.item_uri, evidence.c.payload,
            evidence.c.learning_mode, page.c.stored, page.c.total,
        )
        .join(evidence, evidence.c.seq == page.c.seq)
        .order_by(page.c.stored, page.c.seq, page.c.item_uri)
    )
    if learners:
        distinct = select(func.count(func.distinct(waiting.c.agent_key))).scalar_subquery()
        query = query.add_columns(distinct.label("learners"))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    if rows:
        total, people = rows[0]["total"], rows[0].get("learners", 0)
    elif offset == 0:
        total = people = 0
    else:  # an offset past the end: the counts still tell the whole queue
        found = conn.execute(
            select(func.count(), func.count(func.distinct(waiting.c.agent_key))).select_from(waiting)
        ).one()
        total, people = found[0], found[1]
    for r in rows:
        r.pop("total")
        r.pop("learners", None)
    return rows, int(total or 0), int(people or 0)


def _materialized(cte: Any) -> Any:
    """A CTE worked out on its own before the query that uses it (``AS MATERIALIZED``; both databases know it):
    the candidates of a queue, which the planner must not instead look for by walking an index in the page's
    order."""
    return cte.prefix_with("MATERIALIZED")


def _decisions_page(
    conn: Connection, keys: Any, order: Callable[[Any], tuple[Any, ...]], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the decisions whose (statement_id, seq, ...) ``keys`` (a CTE) names, in ``order`` (of the
    page's columns), with each decision's statement payload, and the total: the page's keys first, with the total
    as a window count, then the rows and payloads of those only (the payloads of the rest are never read)."""
    page = (
        select(keys, func.count().over().label("total"))
        .order_by(*order(keys.c))
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    decision = S.alias("decision")
    rows = [
        dict(r)
        for r in conn.execute(
            select(R, decision.c.payload, page.c.total)
            .join(page, page.c.statement_id == R.c.statement_id)
            .join(decision, decision.c.seq == page.c.seq)
            .order_by(*order(page.c))
        ).mappings()
    ]
    total = rows[0]["total"] if rows else _count(conn, keys, offset)
    for r in rows:
        r.pop("total")
    return rows, int(total)


def _count(conn: Connection, candidates: Any, offset: int) -> int:
    """The total of a queue whose page came back empty: none at all, or an offset past the end."""
    if offset == 0:
        return 0
    return int(conn.execute(select(func.count()).select_from(candidates)).scalar() or 0)


def _awaiting_quality_assurance(cohorts: Sequence[str] | None, framework_uris: Sequence[str] | None) -> Any:
    """The current assessor decisions no IQA has sampled, on evidence not voided (a select of review_decisions;
    the caller picks the columns)."""
    later = R.alias("later")
    iqa = R.alias("iqa")
    # Store order (each row's seq), not the decisions' timestamps: two decisions can carry the same millisecond.
    superseded = exists().where(
        and_(
            later.c.evidence_id == R.c.evidence_id,
            later.c.item_uri == R.c.item_uri,
            later.c.role == "assessor",
            later.c.seq > R.c.seq,
        )
    )
    sampled = exists().where(iqa.c.target_id == R.c.statement_id)
    conds: list[Any] = [
        R.c.role == "assessor", R.c.seq.is_not(None), ~superseded, ~sampled, _evidence_voided(R.c.evidence_id).is_(False)
    ]
    if cohorts is not None:
        conds.append(R.c.agent_key.in_(_cohort_learners(cohorts)))
    if framework_uris is not None:
        conds.append(R.c.framework_uri.in_(list(framework_uris)))
    return select(R.c.statement_id).where(*conds)


def _evidence_voided(evidence_id: Any) -> Any:
    """Whether the evidence statement is voided (NULL when it is not stored): from one of its evidence links
    (which carry it, migration 0016), else (evidence an assessor mapped, with no link) from the statement."""
    link = E.alias("voided_link")
    evidence = S.alias("evidence")
    return func.coalesce(
        select(link.c.voided).where(link.c.statement_id == evidence_id).limit(1).scalar_subquery(),
        select(evidence.c.voided).where(evidence.c.id == evidence_id).scalar_subquery(),
    )


def awaiting_quality_assurance(
    conn: Connection,
    *,
    cohorts: Sequence[str] | None,
    framework_uris: Sequence[str] | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Current assessor decisions (no later assessor decision on the same evidence and criterion) that no IQA
    has confirmed or overturned, oldest first. Returns (rows with the decision's payload, total)."""
    waiting = _materialized(
        _awaiting_quality_assurance(cohorts, framework_uris)
        .with_only_columns(R.c.statement_id, R.c.decided, R.c.seq)
        .cte("waiting")
    )
    # The page's keys first (the total with them, a window count), then the rows and payloads of those only:
    # sorting every waiting decision together with its statement's payload read each one's JSON (SQLite keeps it
    # in the row) to keep 50; the store order is each row's own ``seq`` (joined from ``statements``, PostgreSQL
    # hashed every statement to find them).
    return _decisions_page(conn, waiting, lambda c: (c.decided, c.seq), limit, offset)


def quality_assurance_candidates(
    conn: Connection, *, cohorts: Sequence[str] | None, framework_uris: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Every decision :func:`awaiting_quality_assurance` counts, oldest first, without payloads: what the
    reasons to sample need of its review_decisions row, the evidence's type (from its evidence links; ``linked`` False when the decision
    mapped evidence that has no link) and nothing else, for the IQA's reasons to sample (worked out for all of
    them, then ordered, then one page of them read in full)."""
    link = E.alias("link")
    evidence_type = (
        select(link.c.evidence_type).where(link.c.statement_id == R.c.evidence_id).limit(1).scalar_subquery()
    )
    linked = exists().where(link.c.statement_id == R.c.evidence_id)
    columns = (R.c.statement_id, R.c.evidence_id, R.c.framework_uri, R.c.item_uri, R.c.outcome, R.c.reviewer_key)
    query = (
        _awaiting_quality_assurance(cohorts, framework_uris)
        .with_only_columns(*columns, evidence_type.label("evidence_type"), linked.label("linked"))
        .order_by(R.c.decided, R.c.seq)
    )
    names = [c.name for c in columns] + ["evidence_type", "linked"]
    # Plain tuples into dicts: the rows are many (every waiting decision) and the columns few, none a date.
    return [dict(zip(names, r, strict=True)) for r in conn.execute(query)]


def decisions_with_payloads(conn: Connection, statement_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Decision id -> its review_decisions row with the decision statement's payload (a page's worth)."""
    ids = list(statement_ids)
    if not ids:
        return {}
    rows = conn.execute(select(R, S.c.payload).join(S, S.c.seq == R.c.seq).where(R.c.statement_id.in_(ids)))
    return {r.statement_id: dict(r._mapping) for r in rows}


def iqa_decisions_page(
    conn: Connection, *, cohorts: Sequence[str], limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The IQA decisions on evidence of learners of ``cohorts`` (evidence not voided), newest first, one page
    with their payloads, and how many there are in all: the sampling log."""
    evidence = S.alias("evidence")
    waiting = _materialized(
        select(R.c.statement_id, R.c.seq)
        .join(evidence, evidence.c.id == R.c.evidence_id)
        .where(
            R.c.role == "iqa", R.c.seq.is_not(None), R.c.agent_key.in_(_cohort_learners(cohorts)),
            evidence.c.voided.is_(False),
        )
        .cte("logged")
    )
    return _decisions_page(conn, waiting, lambda c: (c.seq.desc(),), limit, offset)


def decisions_made(conn: Connection, reviewer_keys: Sequence[str]) -> dict[str, int]:
    """Reviewer credential key -> how many assessor decisions it has made in all (one grouped query)."""
    keys = sorted(set(reviewer_keys))
    if not keys:
        return {}
    rows = conn.execute(
        select(R.c.reviewer_key, func.count().label("made"))
        .where(R.c.role == "assessor", R.c.reviewer_key.in_(keys))
        .group_by(R.c.reviewer_key)
    )
    return {r.reviewer_key: int(r.made) for r in rows}


def statements_after(conn: Connection, after_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Stored, non-voided statements in store order (for a rebuild)."""
    rows = conn.execute(
        select(S.c.seq, S.c.payload).where(S.c.seq > after_seq, S.c.voided.is_(False)).order_by(S.c.seq).limit(limit)
    )
    return [(r.seq, r.payload) for r in rows]


def count_statements_after(conn: Connection) -> int:
    """How many statements a rebuild reads (the same condition as :func:`statements_after`): its progress total."""
    return int(conn.execute(select(func.count()).select_from(S).where(S.c.voided.is_(False))).scalar() or 0)


def latest_decided(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(R.c.decided))).scalar()


def is_linked(conn: Connection, evidence_id: str, item_uri: str) -> bool:
    """True when the evidence statement is linked to the criterion (the learner mapped it)."""
    query = select(exists().where(and_(E.c.statement_id == evidence_id, E.c.item_uri == item_uri)))
    return bool(conn.execute(query).scalar())


def has_evidence_in_cohorts(conn: Connection, agent_key: str, cohorts: Sequence[str]) -> bool:
    """True when ``agent_key`` has evidence of their own and is a learner of one of ``cohorts``."""
    if not cohorts:
        return False
    if not conn.execute(select(exists().where(E.c.agent_key == agent_key))).scalar():
        return False
    return learner_in_cohorts(conn, agent_key, cohorts)


def assessor_decision_ids(conn: Connection, reviewer_key: str, limit: int | None = None) -> list[str]:
    """The assessor decisions of one reviewer credential, in store order (for "new assessor" sampling):
    every one, or the first ``limit`` (what the sampling plan's rank needs; ix_review_reviewer_seq walks them)."""
    # The reviewer's decisions in store order straight from ix_review_reviewer_seq (each row keeps its seq): the
    # first few without reading, or sorting, the others.
    query = (
        select(R.c.statement_id)
        .where(R.c.reviewer_key == reviewer_key, R.c.role == "assessor", R.c.seq.is_not(None))
        .order_by(R.c.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return [r.statement_id for r in conn.execute(query)]


def all_decisions(
    conn: Connection, *, cohorts: Sequence[str] | None = None, framework_uris: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Every decision (rows plus payload) in store order, for learners of ``cohorts`` (all when None)."""
    evidence = S.alias("evidence")
    query = (
        select(R, S.c.payload)
        .join(S, S.c.id == R.c.statement_id)
        .join(evidence, evidence.c.id == R.c.evidence_id)
        .where(evidence.c.voided.is_(False))
        .order_by(S.c.seq)
    )
    if cohorts is not None:
        query = query.where(R.c.agent_key.in_(_cohort_learners(cohorts)))
    if framework_uris is not None:
        query = query.where(R.c.framework_uri.in_(list(framework_uris)))
    return [dict(r) for r in conn.execute(query).mappings()]


def sampled_criteria(conn: Connection, cohorts: Sequence[str]) -> set[str]:
    """The criteria (item IRIs) an IQA has already sampled for learners of ``cohorts``: one grouped query."""
    rows = conn.execute(
        select(R.c.item_uri).where(R.c.role == "iqa", R.c.agent_key.in_(_cohort_learners(cohorts))).distinct()
    )
    return {r.item_uri for r in rows}
