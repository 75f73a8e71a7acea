"""Documents (State, Activity Profile, Agent Profile) and the Activities and Agents resources.

Like lrs.services.statements, it knows the xAPI rules (lrs.xapi.documents, lrs.xapi.resources) and the store, and nothing
about HTTP. Every write is one transaction that locks the document, decides on it as it is at that moment and
changes it only where its ETag is still the one it read; the function given to ``Database.write`` can be run
again from the start, as the runner requires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from lrs import metrics
from lrs.store import documents as document_store
from lrs.store import resources as resource_store
from lrs.store.db import Database
from lrs.xapi import documents as xdocs
from lrs.xapi import resources as xres
from lrs.xapi.errors import PreconditionFailed


def _now() -> datetime:
    # Millisecond precision, as statements' stored: a `since` copied from one answer compares as expected.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class DocumentService:
    """The three document resources over one database. Cheap to build; safe to share between threads."""

    def __init__(self, db: Database):
        self.db = db

    def get(self, address: xdocs.DocumentAddress) -> xdocs.StoredDocument | None:
        with self.db.read() as conn:
            return document_store.get_document(conn, address)

    def ids(self, query: xdocs.DocumentQuery) -> tuple[list[str], datetime | None]:
        """The ids of the context's documents (updated after ``since``) and the latest update among them."""
        with self.db.read() as conn:
            return document_store.document_ids(conn, query.address, query.since)

    def put(
        self,
        address: xdocs.DocumentAddress,
        upload: xdocs.Upload,
        pre: xdocs.Preconditions,
        version: str,
    ) -> str:
        """Store ``upload`` as the document. Returns the new ETag."""

        def work(conn: Connection) -> str:
            current = document_store.lock_document(conn, address)
            new = xdocs.plan_put(address.kind, version, current, upload, pre)
            return self._save(conn, address, current, new)

        etag = self.db.write(work)
        metrics.documents_written.labels(address.kind, "put").inc()
        return etag

    def post(self, address: xdocs.DocumentAddress, upload: xdocs.Upload, pre: xdocs.Preconditions) -> str:
        """Create the document, or merge ``upload`` into it (JSON objects only). Returns the new ETag."""

        def work(conn: Connection) -> str:
            current = document_store.lock_document(conn, address)
            new = xdocs.plan_post(current, upload, pre)
            return self._save(conn, address, current, new)

        etag = self.db.write(work)
        metrics.documents_written.labels(address.kind, "post").inc()
        return etag

    @staticmethod
    def _save(
        conn: Connection,
        address: xdocs.DocumentAddress,
        current: xdocs.StoredDocument | None,
        new: xdocs.NewDocument,
    ) -> str:
        now = _now()
        if current is None:
            document_store.insert_document(conn, address, new, now)
        elif not document_store.update_document(conn, address, new, now, expected_etag=current.etag):
            # Unreachable while the row is locked; kept so that a lost lock can never mean a lost update.
            raise PreconditionFailed("the document changed while this request was handled; read it again")
        return new.etag

    def delete(self, address: xdocs.DocumentAddress, pre: xdocs.Preconditions) -> None:
        """Delete one document; deleting one that is not there succeeds (unless If-Match asked for it)."""

        def work(conn: Connection) -> None:
            if not pre.given:
                document_store.delete_document(conn, address)
                return
            current = document_store.lock_document(conn, address)
            xdocs.check_preconditions(pre, current.etag if current else None)
            if current is not None and not document_store.delete_document(
                conn, address, expected_etag=current.etag
            ):
                raise PreconditionFailed("the document changed while this request was handled; read it again")

        self.db.write(work)
        metrics.documents_written.labels(address.kind, "delete").inc()

    def delete_all(self, address: xdocs.DocumentAddress) -> int:
        """Delete every State document of the context (registration included when given)."""
        deleted = self.db.write(lambda conn: document_store.delete_documents(conn, address))
        metrics.documents_written.labels(address.kind, "delete").inc(deleted)
        return deleted


class ResourceService:
    """The read-only Activities and Agents resources."""

    def __init__(self, db: Database):
        self.db = db

    def activity(self, iri: str) -> dict[str, Any]:
        with self.db.read() as conn:
            definition = resource_store.activity_definition(conn, iri)
        return xres.activity_object(iri, definition)

    def person(self, agent: dict[str, Any], key: str) -> dict[str, Any]:
        with self.db.read() as conn:
            statements = resource_store.agent_statements(conn, key, limit=xres.PERSON_STATEMENT_LIMIT)
        return xres.person(agent, key, statements)
