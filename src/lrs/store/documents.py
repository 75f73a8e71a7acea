"""Documents (State, Activity Profile, Agent Profile) in the ``documents`` table.

Writers read the current row with ``lock_document`` (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write
transaction already holds the database's write lock from BEGIN IMMEDIATE) and then change it only where its
ETag is still the one they read, so two writers holding the same ETag can never both succeed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from lrs.store.models import Document
from lrs.xapi.documents import DocumentAddress, NewDocument, StoredDocument

D = Document.__table__


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _one(address: DocumentAddress) -> list:
    return [
        D.c.kind == address.kind,
        D.c.activity_iri == address.activity_iri,
        D.c.agent_key == address.agent_key,
        D.c.registration == address.registration,
        D.c.document_id == address.document_id,
    ]


def _context(address: DocumentAddress) -> list:
    """Every document of the context: activity + agent, and the registration only when one was given."""
    conds = [
        D.c.kind == address.kind,
        D.c.activity_iri == address.activity_iri,
        D.c.agent_key == address.agent_key,
    ]
    if address.registration:
        conds.append(D.c.registration == address.registration)
    return conds


def _stored(row) -> StoredDocument:  # noqa: ANN001 - a Row
    return StoredDocument(row.content_type, bytes(row.content), row.etag, _aware(row.updated))


_COLUMNS = (D.c.content_type, D.c.content, D.c.etag, D.c.updated)


def get_document(conn: Connection, address: DocumentAddress) -> StoredDocument | None:
    row = conn.execute(select(*_COLUMNS).where(*_one(address))).first()
    return None if row is None else _stored(row)


def lock_document(conn: Connection, address: DocumentAddress) -> StoredDocument | None:
    """The document as it is now, locked until the transaction ends (PostgreSQL; SQLite ignores FOR UPDATE and
    needs no row lock, its writers being serialised by BEGIN IMMEDIATE)."""
    row = conn.execute(select(*_COLUMNS).where(*_one(address)).with_for_update()).first()
    return None if row is None else _stored(row)


def insert_document(conn: Connection, address: DocumentAddress, new: NewDocument, now: datetime) -> None:
    """Create the document. A concurrent creator makes this a unique violation, which the transaction runner
    retries: the retry then finds the winner's row and decides again."""
    conn.execute(
        insert(D).values(
            kind=address.kind,
            activity_iri=address.activity_iri,
            agent_key=address.agent_key,
            registration=address.registration,
            document_id=address.document_id,
            content_type=new.content_type,
            content=new.content,
            etag=new.etag,
            updated=now,
        )
    )


def update_document(
    conn: Connection, address: DocumentAddress, new: NewDocument, now: datetime, *, expected_etag: str
) -> bool:
    """Replace the document if its ETag is still ``expected_etag``. False when it is not (or it is gone)."""
    result = conn.execute(
        update(D)
        .where(*_one(address), D.c.etag == expected_etag)
        .values(content_type=new.content_type, content=new.content, etag=new.etag, updated=now)
    )
    return result.rowcount == 1


def delete_document(conn: Connection, address: DocumentAddress, *, expected_etag: str | None = None) -> bool:
    """Delete one document (only if its ETag is ``expected_etag``, when given). True when a row went."""
    conds = _one(address)
    if expected_etag is not None:
        conds.append(D.c.etag == expected_etag)
    return conn.execute(delete(D).where(*conds)).rowcount == 1


def delete_documents(conn: Connection, address: DocumentAddress) -> int:
    """Delete every document of the context (State's DELETE without stateId). Returns how many went."""
    return conn.execute(delete(D).where(*_context(address))).rowcount


def document_ids(
    conn: Connection, address: DocumentAddress, since: datetime | None = None
) -> tuple[list[str], datetime | None]:
    """The ids of the context's documents (updated after ``since``, exclusive, when given), in id order, each
    once (without a registration, State documents of several registrations may share an id), and the latest
    update among them."""
    conds = _context(address)
    if since is not None:
        conds.append(D.c.updated > since)
    rows = conn.execute(
        select(D.c.document_id, func.max(D.c.updated).label("updated"))
        .where(*conds)
        .group_by(D.c.document_id)
        .order_by(D.c.document_id)
    ).all()
    latest = max((_aware(r.updated) for r in rows), default=None)
    return [r.document_id for r in rows], latest
