"""Engine creation and the transaction runner that retries serialisation failures and deadlocks."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected, unique_violation
#: (two writers inserting the same new activity or document at once; the retry sees the winner's row).
_RETRY_SQLSTATES = {"40001", "40P01", "23505"}


def normalise_url(url: str) -> str:
    """Accept the URLs operators paste (``postgres://``, ``postgresql://``) and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DBAPI types
            # Autocommit at the driver level; we issue BEGIN IMMEDIATE ourselves (see below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            # Take the write lock up front: a deferred transaction that later upgrades to a writer can fail
            # with SQLITE_BUSY immediately instead of waiting, which would surface as an error to a client.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
        if sqlstate in _RETRY_SQLSTATES:
            return True
        if isinstance(exc, OperationalError) and "database is locked" in str(orig):
            return True
    return False


class Database:
    """One engine, plus the two ways to use it: a read connection and a retried write transaction."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", max_attempts: int = 8):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, sqlite_synchronous=sqlite_synchronous)
        self.max_attempts = max_attempts

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.info["write"] = False
            with conn.begin():
                yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction and commit; retry the whole unit on a serialisation failure.

        ``work`` must be safe to run again from the start: it receives a fresh connection each attempt.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.engine.connect() as conn:
                    conn.info["write"] = True
                    with conn.begin():
                        result = work(conn)
                    return result
            except Exception as exc:
                if attempt >= self.max_attempts or not _is_retryable(exc):
                    raise
                delay = min(0.5, 0.01 * 2**attempt) * random.uniform(0.5, 1.5)
                log.info("retrying transaction after %s (attempt %d)", type(exc).__name__, attempt)
                time.sleep(delay)

    def dispose(self) -> None:
        self.engine.dispose()
