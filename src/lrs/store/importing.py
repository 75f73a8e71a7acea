"""`lrs import` checkpoints: where an interrupted import resumes. SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Integer, String, Table, Text, delete, select

from lrs.store.models import Base, Statement

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


def forget(conn: Connection, endpoint: str) -> None:
    conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.endpoint == endpoint))
