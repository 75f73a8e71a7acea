"""Personal data: finding everything held about a person, erasing or pseudonymising it, retention, and the audit
of those runs (counts, never the data). SQL only; lrs.services.erasure decides what happens to each row."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    Unicode,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)

from lrs.store import cohort_totals, learner_answers, learner_criteria
from lrs.store import learning as learning_store
from lrs.store.assessment import CLAIM, REG, SUB, WITNESS
from lrs.store.credentials import C
from lrs.store.documents import D
from lrs.store.enrolments import CE
from lrs.store.forwarding import OUTBOX, TARGETS
from lrs.store.models import (
    Activity,
    Attachment,
    AttachmentStatement,
    Base,
    EvidenceLink,
    PendingStatementRef,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementRefActivity,
    StatementRefAgent,
)
from lrs.store.reviews import R
from lrs.store.users import PR, SF, WS, U

AUDIT = Table(
    "data_audit",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    #: "erasure" or "retention"
    Column("action", String(32), nullable=False),
    Column("operator", Text, nullable=False),
    Column("mode", String(16)),
    #: the pseudonym an erasure put in the person's place (never the person's identifiers)
    Column("subject", Text),
    Column("counts", JSON, nullable=False),
)
S = Statement.__table__
SA = StatementAgent.__table__
ATTS = AttachmentStatement.__table__
SACT = StatementActivity.__table__
RSA = StatementRefAgent.__table__
RSACT = StatementRefActivity.__table__
PEND = PendingStatementRef.__table__
E = EvidenceLink.__table__
ACT = Activity.__table__
ATT = Attachment.__table__


#: Every column of the store that holds an agent key (or, for an actor, a credential key), and what an erasure does
#: with it. Pseudonymising writes one key for the pseudonym everywhere: its whole agent key
#: (``account:urn:lrs:erased|NAME``, from lrs.xapi.ifi.agent_key), so its decisions, links, criteria, totals and
#: assessment rows line up. tests/data/test_pseudonym_keys.py fails when a column naming an agent is not here.
AGENT_KEY_COLUMNS: dict[str, str] = {
    "statement_agents.agent_key": "the pseudonym (replace_agent_keys)",
    "statement_ref_agents.agent_key": "the pseudonym (replace_agent_keys)",
    "learning_totals.agent_key": "counted again for the pseudonym (replace_agent_keys)",
    "learning_month_totals.agent_key": "with learning_totals: counted again for the pseudonym (replace_agent_keys)",
    "learning_months_waiting.agent_key": "SQLite: folded before the erasure commits; none is left (fold_months)",
    "evidence_links.agent_key": "deleted, or the pseudonym",
    "review_decisions.agent_key": "the pseudonym (the assessor's record)",
    "review_decisions.reviewer_key": "the pseudonym, for decisions by their credentials",
    "learner_criteria.agent_key": "counted again for the keys and the pseudonym (recount_criteria)",
    "documents.agent_key": "deleted",
    "credentials.agent_key": "deleted",
    "users.agent_key": "deleted",
    "cohort_enrolments.agent_key": "deleted, or the pseudonym",
    "cohort_enrolments.enrolled_by": "the pseudonym",
    "unit_submissions.agent_key": "deleted, or the pseudonym",
    "unit_claims.agent_key": "deleted, or the pseudonym",
    "unit_claims.claimed_by": "the pseudonym",
    "learner_registrations.agent_key": "deleted",
    "witness_requests.agent_key": "deleted",
    "forward_targets.agent_key": "the pseudonym (a forwarding filter on them)",
    "cohort_totals.agents": "their statements taken out, then counted again under the pseudonym (replace_agent_keys)",
    "cohort_month_totals.agents": "with cohort_totals: taken out, then counted again under the pseudonym",
    "cohort_member_totals.agent_key": "with cohort_totals: taken out, then counted again under the pseudonym",
    "cohort_member_totals.agents": "with cohort_totals: taken out, then counted again under the pseudonym",
    "cohort_recent_totals.agents": "with cohort_totals: taken out, then folded into it before the erasure commits",
    "cohort_agent_sets.agents": "the sets with them in it forgotten; the pseudonym's made when counted again",
    "cohort_agent_sets.agent_key": "the sets with them in it forgotten; the pseudonym's made when counted again",
    "learner_versions.agent_key": "deleted (forget_learner_answers); the pseudonym's made when counted again",
    "learner_answers.agent_key": "every learner's kept answers deleted, the generation bumped (forget_learner_answers)",
}


def _payload(value: Any) -> dict[str, Any]:  # noqa: ANN401
    return json.loads(value) if isinstance(value, str) else value


def statements_touching(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Every statement (voided ones too) in which one of ``keys`` appears in any role, or whose StatementRef
    target does (a decision on their evidence, a voiding of their statement), with seq, id and payload."""
    seqs = union(
        select(SA.c.statement_seq).where(SA.c.agent_key.in_(list(keys))),
        select(RSA.c.statement_seq).where(RSA.c.agent_key.in_(list(keys))),
    ).subquery()
    rows = conn.execute(
        select(S.c.seq, S.c.id, S.c.voided, S.c.is_voiding, S.c.object_statement_id, S.c.payload)
        .where(S.c.seq.in_(select(seqs.c[0])))
        .order_by(S.c.seq)
    ).mappings()
    return [{**dict(r), "payload": _payload(r["payload"])} for r in rows]


def statements_targeting(conn: Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Statements whose StatementRef object is one of ``ids`` (voiding statements, decisions)."""
    if not ids:
        return []
    rows = conn.execute(
        select(S.c.seq, S.c.id, S.c.voided, S.c.is_voiding, S.c.object_statement_id, S.c.payload)
        .where(S.c.object_statement_id.in_(list(ids)))
    ).mappings()
    return [{**dict(r), "payload": _payload(r["payload"])} for r in rows]


def documents_of(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(D).where(D.c.agent_key.in_(list(keys))).order_by(D.c.id)).mappings()]


def users_of(conn: Connection, keys: Sequence[str], emails: Sequence[str]) -> list[dict[str, Any]]:
    condition = or_(U.c.agent_key.in_(list(keys)), func.lower(U.c.email).in_([e.lower() for e in emails]))
    rows = conn.execute(select(U).where(condition)).mappings()
    return [{k: v for k, v in dict(r).items() if k != "password_hash"} for r in rows]


def credentials_of(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = conn.execute(select(C).where(C.c.agent_key.in_(list(keys)))).mappings()
    return [{k: v for k, v in dict(r).items() if k != "secret_hash"} for r in rows]


def decisions_about(conn: Connection, keys: Sequence[str], reviewer_keys: Sequence[str]) -> list[dict[str, Any]]:
    condition = or_(R.c.agent_key.in_(list(keys)), R.c.reviewer_key.in_(list(reviewer_keys)))
    return [dict(r) for r in conn.execute(select(R).where(condition)).mappings()]


def evidence_links_of(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(E).where(E.c.agent_key.in_(list(keys)))).mappings()]


def attachments(conn: Connection, sha2s: Iterable[str]) -> list[dict[str, Any]]:
    sha2s = sorted(set(sha2s))
    if not sha2s:
        return []
    return [dict(r) for r in conn.execute(select(ATT).where(ATT.c.sha2.in_(sha2s))).mappings()]


def attachment_used_elsewhere(conn: Connection, sha2: str, excluding: Sequence[int]) -> bool:
    """Whether a statement other than ``excluding`` names the attachment (a scan of the payload text: erasure
    and retention are rare, and no index names attachments)."""
    query = select(S.c.seq).where(cast(S.c.payload, Unicode).like(f"%{sha2}%")).limit(len(excluding) + 1)
    return any(seq not in set(excluding) for seq in conn.execute(query).scalars())


def activities_only_used_by(conn: Connection, seqs: Sequence[int]) -> list[str]:
    """Activities no statement outside ``seqs`` touches (their canonical definitions go with them)."""
    if not seqs:
        return []
    mine = select(SACT.c.activity_iri).where(SACT.c.statement_seq.in_(list(seqs))).distinct()
    others = exists().where(SACT.c.activity_iri == ACT.c.iri, SACT.c.statement_seq.not_in(list(seqs)))
    return list(conn.execute(select(ACT.c.iri).where(ACT.c.iri.in_(mine), ~others)).scalars())


# --- changes -----------------------------------------------------------------------------------------------------


def delete_statements(conn: Connection, seqs: Sequence[int], ids: Sequence[str]) -> None:
    """Statements and every row derived from them."""
    if not seqs:
        return
    seqs = list(seqs)
    # Their learners' days in learning_totals are counted again once they are gone, and their criteria; what
    # they counted in the cohort totals is taken out.
    days = learning_store.totals_days_of(conn, seqs=seqs)
    learners = learner_criteria.learners_of_statements(conn, ids)
    cohort_totals.take_out(conn, seqs=seqs)
    # SQLite keeps what was taken out among the recent rows until they are folded: folded now, so that no row
    # of a cohort's totals is left with only deleted statements in it (nor, for an erasure, the person's key).
    cohort_totals.fold(conn)
    for table in (SA, SACT, RSA, RSACT, PEND):
        conn.execute(delete(table).where(table.c.statement_seq.in_(seqs)))
    conn.execute(delete(ATTS).where(ATTS.c.statement_id.in_(list(ids))))
    conn.execute(delete(OUTBOX).where(OUTBOX.c.statement_seq.in_(seqs)))
    conn.execute(delete(E).where(E.c.statement_id.in_(list(ids))))
    conn.execute(delete(R).where(R.c.statement_id.in_(list(ids))))
    conn.execute(delete(S).where(S.c.seq.in_(seqs)))
    learning_store.refresh_totals(conn, days=days)
    # SQLite: the months waiting counted too, so that none keeps a key whose statements are gone.
    learning_store.fold_months(conn)
    learner_criteria.recount(conn, learners)


def forget_learner_answers(conn: Connection, keys: Sequence[str]) -> None:
    """Every kept answer about any learner (an erasure rewrites statements of others that name the person, and a
    kept answer may quote them) and the person's record versions (lrs.store.learner_answers.forget)."""
    learner_answers.forget(conn, keys)


def recount_criteria(conn: Connection, agent_keys: Sequence[str]) -> None:
    """Count these learners' criteria again (after their links and decisions are erased or pseudonymised)."""
    learner_criteria.recount(conn, agent_keys)


def rewrite_statement(conn: Connection, seq: int, payload: dict[str, Any], fingerprint: str) -> None:
    conn.execute(update(S).where(S.c.seq == seq).values(payload=payload, fingerprint=fingerprint))


def replace_agent_keys(conn: Connection, keys: Sequence[str], pseudonym_key: str) -> dict[str, int]:
    """Every index row naming one of ``keys`` names the pseudonym instead (a row that would then repeat one the
    statement already has is dropped)."""
    counts: dict[str, int] = {}
    # cohort_totals: the statements the keys are direct agents of are taken out, their sets forgotten, and they
    # are put back under the pseudonym once the index rows name it.
    theirs = list(
        conn.execute(select(SA.c.statement_seq).where(SA.c.agent_key.in_(list(keys)), SA.c.direct.is_(True))).scalars()
    )
    cohort_totals.take_out(conn, seqs=theirs)
    cohort_totals.forget_agents(conn, keys)
    for table, name in ((SA, "statement_agents"), (RSA, "statement_ref_agents")):
        # statement_agents' rows carry their statement's timestamp, kept as it is under the pseudonym.
        extra = {"timestamp": table.c.timestamp} if table is SA else {}
        rows = conn.execute(
            select(table.c.statement_seq, table.c.direct, *extra.values()).where(table.c.agent_key.in_(list(keys)))
        ).all()
        conn.execute(delete(table).where(table.c.agent_key.in_(list(keys))))
        merged: dict[int, dict[str, Any]] = {}
        for row in rows:
            one = merged.setdefault(row.statement_seq, {"statement_seq": row.statement_seq, "agent_key": pseudonym_key,
                                                        "direct": False, **{k: row._mapping[k] for k in extra}})
            one["direct"] = one["direct"] or bool(row.direct)
        if merged:
            conn.execute(insert(table), list(merged.values()))
        counts[name] = len(rows)
    # learning_totals: the keys' days become the pseudonym's, counted again from its statements.
    learning_store.refresh_totals(conn, agents=[*keys, pseudonym_key])
    cohort_totals.put_back(conn, seqs=theirs)
    # No row of the cohort totals keeps the keys (SQLite: the recent rows folded, those left empty deleted), nor
    # a month waiting (SQLite: counted again, from days that are the pseudonym's now).
    cohort_totals.fold(conn)
    learning_store.fold_months(conn)
    return counts


def delete_documents(conn: Connection, keys: Sequence[str]) -> int:
    return conn.execute(delete(D).where(D.c.agent_key.in_(list(keys)))).rowcount or 0


def delete_evidence_links(conn: Connection, keys: Sequence[str]) -> int:
    return conn.execute(delete(E).where(E.c.agent_key.in_(list(keys)))).rowcount or 0


def pseudonymise_evidence_links(conn: Connection, keys: Sequence[str], pseudonym_key: str) -> int:
    return conn.execute(update(E).where(E.c.agent_key.in_(list(keys))).values(agent_key=pseudonym_key)).rowcount or 0


def pseudonymise_decisions(conn: Connection, keys: Sequence[str], reviewer_keys: Sequence[str], pseudonym_key: str) -> int:
    n = conn.execute(update(R).where(R.c.agent_key.in_(list(keys))).values(agent_key=pseudonym_key)).rowcount or 0
    if reviewer_keys:
        n += conn.execute(
            update(R).where(R.c.reviewer_key.in_(list(reviewer_keys))).values(reviewer_key=pseudonym_key)
        ).rowcount or 0
    return n


def pseudonymise_forward_filters(conn: Connection, keys: Sequence[str], pseudonym_key: str) -> int:
    """A forwarding target that forwards only the person's statements forwards the pseudonym's instead."""
    return conn.execute(
        update(TARGETS).where(TARGETS.c.agent_key.in_(list(keys))).values(agent_key=pseudonym_key)
    ).rowcount or 0


#: How every pseudonym key begins (lrs.services.erasure.PSEUDONYM_HOME_PAGE as an agent key).
PSEUDONYM_KEY_PREFIX = "account:urn:lrs:erased|"


def repair_pseudonym_keys(conn: Connection) -> int:
    """Stores pseudonymised before migration 0022 wrote the pseudonym's bare name (no ``account:`` prefix) in
    ``review_decisions`` (as the learner and as the reviewer), while its links and criteria had the whole key:
    write the whole key there, found from the erasures' audit rows, and count those pseudonyms' criteria again.
    Set-based; a store with nothing to repair changes nothing. Returns the decisions rewritten."""
    pseudonyms = sorted(set(conn.execute(
        select(AUDIT.c.subject).where(AUDIT.c.action == "erasure", AUDIT.c.subject.like(PSEUDONYM_KEY_PREFIX + "%"))
    ).scalars()))
    if not pseudonyms:
        return 0
    names = select(func.substr(AUDIT.c.subject, len(PSEUDONYM_KEY_PREFIX) + 1)).where(
        AUDIT.c.action == "erasure", AUDIT.c.subject.like(PSEUDONYM_KEY_PREFIX + "%"))
    prefix = literal(PSEUDONYM_KEY_PREFIX, Text)
    rewritten = 0
    for column in (R.c.agent_key, R.c.reviewer_key):
        rewritten += conn.execute(
            update(R).where(column.in_(names)).values({column.name: prefix + column})
        ).rowcount or 0
    if rewritten:
        bare = [p[len(PSEUDONYM_KEY_PREFIX):] for p in pseudonyms]
        learner_criteria.recount(conn, [*pseudonyms, *bare])
    return rewritten


def delete_credentials(conn: Connection, keys: Sequence[str]) -> int:
    return conn.execute(delete(C).where(C.c.agent_key.in_(list(keys)))).rowcount or 0


def delete_users(conn: Connection, user_ids: Sequence[int], emails: Sequence[str]) -> int:
    if emails:
        conn.execute(delete(SF).where(func.lower(SF.c.subject).in_([e.lower() for e in emails])))
    if not user_ids:
        return 0
    for table in (WS, PR):  # their sign-in sessions and password resets go with the account
        conn.execute(delete(table).where(table.c.user_id.in_(list(user_ids))))
    return conn.execute(delete(U).where(U.c.id.in_(list(user_ids)))).rowcount or 0


def delete_attachments(conn: Connection, sha2s: Sequence[str]) -> int:
    if not sha2s:
        return 0
    return conn.execute(delete(ATT).where(ATT.c.sha2.in_(list(sha2s)))).rowcount or 0


def delete_activities(conn: Connection, iris: Sequence[str]) -> int:
    if not iris:
        return 0
    return conn.execute(delete(ACT).where(ACT.c.iri.in_(list(iris)))).rowcount or 0


def record_audit(conn: Connection, *, at: datetime, action: str, operator: str, mode: str | None,
                 subject: str | None, counts: dict[str, Any]) -> None:
    conn.execute(insert(AUDIT).values(at=at, action=action, operator=operator, mode=mode, subject=subject, counts=counts))


def audit_log(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)).mappings()
    return [{**dict(r), "at": r["at"].isoformat()} for r in rows]


# --- retention ----------------------------------------------------------------------------------------------------


def statements_stored_before(conn: Connection, cutoff: datetime, verb: str | None, exclude_verbs: Sequence[str],
                             limit: int) -> list[tuple[int, str]]:
    query = select(S.c.seq, S.c.id).where(S.c.stored < cutoff).order_by(S.c.seq).limit(limit)
    if verb is not None:
        query = query.where(S.c.verb_iri == verb)
    elif exclude_verbs:
        query = query.where(S.c.verb_iri.not_in(list(exclude_verbs)))
    return [(seq, sid) for seq, sid in conn.execute(query).all()]


def attachment_sha2s_of(conn: Connection, seqs: Sequence[int]) -> set[str]:
    found: set[str] = set()
    for payload in conn.execute(select(S.c.payload).where(S.c.seq.in_(list(seqs)))).scalars():
        for attachment in _payload(payload).get("attachments") or []:
            if isinstance(attachment, dict) and isinstance(attachment.get("sha2"), str):
                found.add(attachment["sha2"])
    return found


__all__ = ["AUDIT", "Text"]


# --- the assessment workflow's and enrolment's rows about a person ------------------------------------------------

#: Tables keyed by the learner's agent key: (name in the export, table, columns never exported).
PERSON_TABLES: tuple[tuple[str, Table, tuple[str, ...]], ...] = (
    ("cohort enrolments", CE, ()),
    ("unit submissions", SUB, ()),
    ("unit claims", CLAIM, ()),
    ("learner registrations", REG, ()),
    ("witness requests", WITNESS, ("token_hash",)),
)


def person_rows(conn: Connection, keys: Sequence[str], user_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    """What the enrolment, assessment and sign-in tables hold about a person (no token or session secret)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, table, secret in PERSON_TABLES:
        rows = conn.execute(select(table).where(table.c.agent_key.in_(list(keys)))).mappings()
        found[name] = [{k: v for k, v in r.items() if k not in secret} for r in rows]
    ids = list(user_ids)
    found["sign-in sessions"] = [
        {"created": r["created"], "last_seen": r["last_seen"]}
        for r in conn.execute(select(WS).where(WS.c.user_id.in_(ids))).mappings()
    ]
    found["password resets"] = [
        {"expires": r["expires"], "used": r["used"]}
        for r in conn.execute(select(PR).where(PR.c.user_id.in_(ids))).mappings()
    ]
    return found


def erase_person_rows(conn: Connection, keys: Sequence[str], pseudonym_key: str, *, delete_own: bool) -> dict[str, int]:
    """Delete the person's enrolment, registration and witness-request rows; their unit submissions and claims
    are deleted too, or (pseudonymising) keep the assessment history under the pseudonym."""
    counts: dict[str, int] = {}
    keys = list(keys)
    for name, table, _ in PERSON_TABLES:
        if not delete_own and table in (SUB, CLAIM, CE):
            query = update(table).where(table.c.agent_key.in_(keys)).values(agent_key=pseudonym_key)
        else:
            query = delete(table).where(table.c.agent_key.in_(keys))
        counts[name] = conn.execute(query).rowcount or 0
    # Who enrolled or claimed: a person's credential key or agent key recorded as the actor.
    conn.execute(update(CE).where(CE.c.enrolled_by.in_(keys)).values(enrolled_by=pseudonym_key))
    conn.execute(update(CLAIM).where(CLAIM.c.claimed_by.in_(keys)).values(claimed_by=pseudonym_key))
    return counts
