"""Imported frameworks and evidence links: SQL only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from lrs.store.models import EvidenceLink, ImportedFramework, Statement

F = ImportedFramework.__table__
E = EvidenceLink.__table__
S = Statement.__table__


def save_framework(conn: Connection, uri: str, slug: str, package: dict[str, Any]) -> bool:
    """Store (or replace) an imported framework. True when it replaced one."""
    existed = conn.execute(delete(F).where(F.c.uri == uri)).rowcount > 0
    conn.execute(insert(F).values(uri=uri, slug=slug, package=package, imported=datetime.now(UTC)))
    return existed


def imported_packages(conn: Connection) -> list[dict[str, Any]]:
    return [r.package for r in conn.execute(select(F.c.package).order_by(F.c.uri))]


#: The frameworks' version in SQL both databases run. The statement write path reads it with its look-up
#: (lrs.store.statements), so storing a statement needs no transaction of its own to know the frameworks.
FRAMEWORKS_VERSION_SQL = "SELECT count(*) AS n, CAST(max(imported) AS TEXT) AS latest FROM frameworks"


def imported_version(conn: Connection) -> tuple[int, str]:
    """Changes whenever a framework is imported, so workers know to reload their registry."""
    count, latest = conn.exec_driver_sql(FRAMEWORKS_VERSION_SQL).one()
    return frameworks_version(count, latest)


def frameworks_version(count: int | None, latest: str | None) -> tuple[int, str]:
    """The version from the row FRAMEWORKS_VERSION_SQL returns."""
    return int(count or 0), latest or ""


def replace_links(conn: Connection, statement_ids: list[str], rows: list[dict[str, Any]]) -> None:
    """The links of these statements are now ``rows`` (statement_id, agent_key, framework_uri, item_uri and
    evidence_type each); their learners' criteria (learner_criteria) are counted again. Each link gets its
    statement's ``stored``, ``seq`` and ``voided`` here, copied in SQL in this transaction (the values as the
    statement holds them); a link of a statement not stored (erased since) is not kept. On PostgreSQL the
    statements' rows are locked (FOR SHARE) first, until this transaction ends: a voiding meanwhile waits for it
    and then marks the new links voided (lrs.store.statements), or committed before and is copied here."""
    from lrs.store import learner_criteria

    learners = {r["agent_key"] for r in rows}
    if statement_ids:
        for start in range(0, len(statement_ids), 500):
            chunk = statement_ids[start:start + 500]
            learners |= set(conn.execute(select(E.c.agent_key).where(E.c.statement_id.in_(chunk)).distinct()).scalars())
        conn.execute(delete(E).where(E.c.statement_id.in_(statement_ids)))
    if rows:
        ids = sorted({r["statement_id"] for r in rows})
        if conn.dialect.name == "postgresql":
            conn.execute(select(S.c.seq).where(S.c.id.in_(ids)).with_for_update(read=True)).all()
        conn.execute(insert(E), [{"evidence_type": None, **r, "voided": False} for r in rows])
        statement = select(S.c.stored).where(S.c.id == E.c.statement_id)
        conn.execute(
            update(E)
            .where(E.c.statement_id.in_(ids))
            .values(
                stored=statement.scalar_subquery(),
                seq=statement.with_only_columns(S.c.seq).scalar_subquery(),
                voided=func.coalesce(statement.with_only_columns(S.c.voided).scalar_subquery(), False),
            )
        )
        conn.execute(delete(E).where(E.c.statement_id.in_(ids), E.c.seq.is_(None)))
    learner_criteria.recount(conn, learners)


def void_links(conn: Connection, statement_ids: list[str]) -> None:
    """These statements are voided: so are their links (in the voiding's transaction)."""
    if statement_ids:
        conn.execute(update(E).where(E.c.statement_id.in_(statement_ids)).values(voided=True))


def clear_links(conn: Connection) -> None:
    """Forget every link (a rebuild follows); the learners' criteria are those of the decisions alone until then."""
    from lrs.store import learner_criteria

    conn.execute(delete(E))
    learner_criteria.rebuild(conn)


def statements_after(conn: Connection, after_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Stored statements that can evidence something (not voiding), in store order, for a rebuild."""
    rows = conn.execute(
        select(S.c.seq, S.c.payload).where(S.c.seq > after_seq, S.c.is_voiding.is_(False)).order_by(S.c.seq).limit(limit)
    )
    return [(r.seq, r.payload) for r in rows]


def count_statements_to_link(conn: Connection) -> int:
    """How many statements a rebuild reads (the same condition as :func:`statements_after`): its progress total."""
    return int(conn.execute(select(func.count()).select_from(S).where(S.c.is_voiding.is_(False))).scalar() or 0)


def evidence_for(conn: Connection, agent_key: str, framework_uri: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """(item IRI, statement, learning mode) for every link of the learner in the framework, voided ones left out,
    oldest first."""
    rows = conn.execute(
        select(E.c.item_uri, S.c.payload, S.c.learning_mode)
        .join(S, S.c.id == E.c.statement_id)
        .where(E.c.agent_key == agent_key, E.c.framework_uri == framework_uri, S.c.voided.is_(False))
        .order_by(S.c.timestamp, S.c.seq)
    )
    return [(r.item_uri, r.payload, r.learning_mode) for r in rows]


def evidence_ids_for(conn: Connection, agent_key: str, framework_uri: str) -> list[tuple[str, str]]:
    """(item IRI, statement id) for every link of the learner in the framework, voided ones left out, oldest
    first: :func:`evidence_for` without reading (and decoding) every statement's payload."""
    rows = conn.execute(
        select(E.c.item_uri, S.c.id)
        .join(S, S.c.id == E.c.statement_id)
        .where(E.c.agent_key == agent_key, E.c.framework_uri == framework_uri, S.c.voided.is_(False))
        .order_by(S.c.timestamp, S.c.seq)
    )
    return [(r.item_uri, r.id) for r in rows]


def count_links(conn: Connection, statement_ids: Iterable[str] | None = None) -> int:
    query = select(func.count()).select_from(E)
    if statement_ids is not None:
        query = query.where(E.c.statement_id.in_(list(statement_ids)))
    return int(conn.execute(query).scalar() or 0)


def criteria_of(conn: Connection, statement_id: str) -> list[tuple[str, str]]:
    """(framework IRI, item IRI) of every criterion one statement is linked to (an index lookup)."""
    rows = conn.execute(
        select(E.c.framework_uri, E.c.item_uri).where(E.c.statement_id == statement_id).order_by(E.c.item_uri)
    )
    return [(r.framework_uri, r.item_uri) for r in rows]


def cohort_coverage(conn: Connection, cohort: str, framework_uri: str) -> dict[tuple[str, str], int]:
    """(learner, item IRI) -> how many statements evidence the item, for every learner enrolled in ``cohort``
    (voided statements left out): one grouped query for the whole cohort."""
    from lrs.store.enrolments import enrolled_agents

    rows = conn.execute(
        select(E.c.agent_key, E.c.item_uri, func.count().label("n"))
        .join(S, S.c.id == E.c.statement_id)
        .where(E.c.framework_uri == framework_uri, E.c.agent_key.in_(enrolled_agents([cohort])), S.c.voided.is_(False))
        .group_by(E.c.agent_key, E.c.item_uri)
    )
    return {(r.agent_key, r.item_uri): int(r.n) for r in rows}
