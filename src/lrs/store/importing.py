"""`lrs import`: checkpoints (where an interrupted import resumes), and attachment content for statements held
without it. SQL only."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Integer, String, Table, Text, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from lrs.store.models import Attachment, AttachmentStatement, Base, Statement

ATT = Attachment.__table__
ATS = AttachmentStatement.__table__

CHECKPOINTS = Table(
    "import_checkpoints",
    Base.metadata,
    Column("endpoint", String(500), primary_key=True),
    #: the ``stored`` of the last statement of the last page stored (the peer's clock)
    Column("since", Text),
    #: the peer's ``more`` URL for the next page
    Column("more", Text),
    Column("statements", Integer, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)


def load(conn: Connection, endpoint: str) -> dict[str, Any] | None:
    row = conn.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.endpoint == endpoint)).mappings().first()
    return dict(row) if row else None


def save(conn: Connection, endpoint: str, *, since: str | None, more: str | None, statements: int, now: datetime) -> None:
    conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.endpoint == endpoint))
    conn.execute(CHECKPOINTS.insert().values(endpoint=endpoint, since=since, more=more, statements=statements, updated=now))


def held_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` this store holds already (an import skips them)."""
    if not ids:
        return set()
    return set(conn.execute(select(Statement.id).where(Statement.id.in_(ids))).scalars())


def held_payloads(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The statements held here among ``ids``, as stored (voided ones included), by id."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = conn.execute(select(Statement.id, Statement.payload).where(Statement.id.in_(ids)))
    return {r.id: json.loads(r.payload) if isinstance(r.payload, str) else dict(r.payload) for r in rows}


def fill_in_content(conn: Connection, contents: dict[str, tuple[str, bytes]], carried: list[tuple[str, str]]) -> int:
    """Attachment content for statements held here without it (imported before imports carried attachments):
    ``contents`` by sha2, ``carried`` the (sha2, statement id) pairs it belongs to. Content already held is
    kept; returns how many statements got content they lacked."""
    if not carried:
        return 0
    query = select(ATS.c.sha2, ATS.c.statement_id).where(tuple_(ATS.c.sha2, ATS.c.statement_id).in_(sorted(set(carried))))
    have = {(r.sha2, r.statement_id) for r in conn.execute(query)}
    wanted = sorted(set(carried) - have)
    if not wanted:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [{"sha2": sha2, "content_type": contents[sha2][0], "length": len(contents[sha2][1]), "content": contents[sha2][1]}
            for sha2 in sorted({sha2 for sha2, _ in wanted})]
    conn.execute(dialect.insert(ATT).on_conflict_do_nothing(), rows)
    conn.execute(dialect.insert(ATS).on_conflict_do_nothing(), [{"sha2": h, "statement_id": i} for h, i in wanted])
    return len({statement_id for _, statement_id in wanted})


def forget(conn: Connection, endpoint: str) -> None:
    conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.endpoint == endpoint))
