"""Engine creation and the transaction runner that retries serialisation failures and deadlocks."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from lrs import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

#: SQLite: rows a process writes between the checkpoints it runs itself (about SQLite's default 1000 pages).
CHECKPOINT_AFTER_ROWS = 5000
#: SQLite: the WAL's size in pages (4 KiB each, ~320 MiB) at which SQLite's own checkpoint runs inside a COMMIT.
#: Under a steady stream of writes the WAL starts again from its first frame only there: the LRS's own
#: checkpoints keep it copied, but the next writer has always begun before one ends. That checkpoint's two
#: fsyncs are waited for under the write lock (75-280 ms against ~20 for a batch of 100), so the larger the
#: WAL may grow, the rarer they are: at 20,000 pages, 13-14 in 250 batches of 100 took 11-27% of the lock's
#: time; at 80,000, 3 (docs/performance.md, "tenth round"). The WAL file keeps its largest size (its space is
#: reused; docs/operations.md, "Checkpoints", says how to give it back).
BACKSTOP_CHECKPOINT_PAGES = 80000
#: SQLite: each connection's page cache (KiB; SQLite's default is 2,000). A batch of 100 statements dirties
#: ~1,060 pages (4 MiB) and reads more: in 2 MiB the pages spilled to the WAL before COMMIT and were read back,
#: ~2.5 ms more CPU under the write lock in a batch that voids (docs/performance.md, "The write lock of a batch").
#: It fills only as pages are read; a connection's cache is dropped anyway when another one has written.
SQLITE_CACHE_KIB = 16384

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
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            # Database.write checkpoints after a writer has left the lock (see there); SQLite's own checkpoint,
            # run inside COMMIT, stays only as a backstop for a WAL that grows past ~320 MB (see its constant).
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            # Take the write lock up front: a deferred transaction that later upgrades to a writer can fail
            # with SQLITE_BUSY immediately instead of waiting, which would surface as an error to a client.
            # Straight to the driver: through SQLAlchemy's execution layer the BEGIN cost ~0.1 ms, held
            # inside the writer gate; an error still arrives as SQLAlchemy's, so Database.write retries it.
            sql = "BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN"
            driver = conn.connection.driver_connection
            try:
                # A request for this transaction only (Database.write sets it): a later transaction on this
                # pooled connection (a read, a migration's own connect) gets the default unless it asks again.
                _set_temp_store(conn.info, driver, in_memory=bool(conn.info.pop("journal_in_memory", False)))
                driver.execute(sql)
            except sqlite3.Error as exc:
                raise DBAPIError.instance(sql, (), exc, sqlite3.Error, dialect=conn.dialect) from exc

        return engine
    # Last in, first out: after a burst, requests one at a time reuse the connection returned last, so one
    # backend with warm caches serves them; first-in-first-out cycled through all of them (a backend's CPU per
    # single-statement POST 1.35 -> 1.12 ms with two connections, docs/performance.md).
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_use_lifo=True)
    _ping_connections_left_idle(engine, IDLE_SECONDS_BEFORE_PING)
    return engine


def _set_temp_store(info: dict[str, Any], driver: sqlite3.Connection, *, in_memory: bool) -> None:
    """SQLite: keep the next transaction's temporary storage in memory, or put back the default (files), switching
    only when the connection is not in that mode already (``info`` is the pooled connection's own).

    SQLite decides at BEGIN where the transaction's statement journals go. A statement that writes many rows (a
    batch's totals upserts, 32 rows at once) journals the pages it changes: in memory up to 64 KiB, then in a
    temporary file (under /var/tmp, or $SQLITE_TMPDIR) that is created, unlinked and written a page at a time
    under the write lock, hundreds of writes in a batch. In memory there is no file and no system call, the
    journal is emptied after each statement (so it stays the size of one upsert's pages), and a full or
    read-only temporary directory cannot fail a batch. Only for bounded transactions: the same setting keeps a
    sort in memory too, which for a rebuild of the whole store is large."""
    if info.get("temp_store_in_memory", False) != in_memory:
        driver.execute("PRAGMA temp_store=MEMORY" if in_memory else "PRAGMA temp_store=DEFAULT")
        info["temp_store_in_memory"] = in_memory


#: PostgreSQL: a pooled connection unused for this long is checked before it is handed out.
IDLE_SECONDS_BEFORE_PING = 10.0


def _ping_connections_left_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a connection with a round trip before use only when it sat in the pool for ``idle_seconds``.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip for every transaction, a twentieth of a
    single-statement POST. A connection the database dropped (a restart, an idle timeout on the way) has
    almost always been idle; one that fails anyway is invalidated with the rest of the pool, and
    Database.write retries its transaction on a fresh one.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):  # noqa: ANN001
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # noqa: ANN001
        last = record.info.get("checked_in")
        if last is None or time.monotonic() - last < idle_seconds:
            return  # new, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool discards this connection and checks out another (up to three times).
            raise DisconnectionError("connection dropped while idle") from exc


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            # The connection was lost (the database restarted): the pool is invalidated, so the next attempt
            # gets a new one. A transaction lost in its COMMIT is safe to run again: statements are stored
            # once by id, documents written whole.
            return True
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
        if sqlstate in _RETRY_SQLSTATES:
            return True
        if isinstance(exc, OperationalError) and "database is locked" in str(orig):
            return True
    return False


class WriterGate:
    """Queues a SQLite file's writers before they ask SQLite for its write lock.

    SQLite makes a writer that finds the lock taken sleep and retry (1, 2, 5, 10... ms apart), so under a
    stream of writes from several workers the lock sits free while the next writer sleeps: the benchmark saw
    the machine a quarter idle with writers waiting. Here writers wait on a thread lock (in a worker) and an
    flock on a file next to the database (between workers), and the kernel wakes the next one the moment the
    lock is released. Processes that do not use the gate (the sqlite3 shell) still meet busy_timeout as before.
    """

    def __init__(self, path: str):
        self.path = f"{path}-writers.lock"
        self._thread_lock = threading.RLock()
        self._local = threading.local()
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        asked = time.perf_counter()
        with self._thread_lock:
            depth = getattr(self._local, "depth", 0)
            self._local.depth = depth + 1
            try:
                if depth == 0:
                    fd = self._open()
                    if fd is not None:
                        fcntl.flock(fd, fcntl.LOCK_EX)
                    taken = time.perf_counter()
                    # From before the thread lock: a worker's own threads queue there first.
                    metrics.write_lock_wait.observe(taken - asked)
                try:
                    yield
                finally:
                    if depth == 0:
                        if self._fd is not None:
                            fcntl.flock(self._fd, fcntl.LOCK_UN)
                        metrics.write_lock_hold.observe(time.perf_counter() - taken)
            finally:
                self._local.depth = depth

    def _open(self) -> int | None:
        # One descriptor per process, opened after the fork (a worker must not share its parent's flock).
        if self._fd is None or self._pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            except OSError:  # a read-only directory: no gate, SQLite's own busy handling still applies
                log.warning("cannot open %s; SQLite writers will not be queued", self.path)
                self._fd = None
        return self._fd


#: Bumped in a forked child: a connection opened before the fork is never used after it.
_forks = [0]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


class ThreadReaders:
    """SQLite files: one driver connection per thread for :meth:`Database.read_row`, the credential look-up every
    request makes. Checking a connection out of SQLAlchemy's pool and back (and the pool's ROLLBACK on return)
    cost more than the look-up itself (docs/performance.md, "The statement path after the 2026-12-05 round").

    As fresh as the pool's: the connection is in autocommit, so each SELECT is a read transaction of its own
    that sees everything committed before it starts (WAL), by any process; the rows are fetched to the end,
    so the statement is reset and holds no snapshot (nor a checkpoint back) between requests. A connection
    is used only by the thread that opened it, in the process that opened it (a fork opens new ones), and
    :meth:`dispose` (Database.dispose: a restore, the end of a test) makes every thread open a new one. A
    thread's connection closes when the thread ends. SQLite only: a PostgreSQL connection per thread would
    count against the server's connections beside the pool's.
    """

    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._generation = 0

    def read_row(self, dialect: Any, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:  # noqa: ANN401
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.generation != (self._generation, _forks[0]):
            conn = self._open()
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            self._local.conn = None  # a new connection for the next attempt
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=dialect) from exc
        return rows[0] if rows else None

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        self._local.conn = conn
        self._local.generation = (self._generation, _forks[0])
        return conn

    def dispose(self) -> None:
        """Close this thread's connection and make every other thread open a new one on its next look-up."""
        self._generation += 1
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()


class Database:
    """One engine, plus the two ways to use it: a read connection and a retried write transaction."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", max_attempts: int = 8):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, sqlite_synchronous=sqlite_synchronous)
        self.max_attempts = max_attempts
        path = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        self.writer_gate = WriterGate(os.path.abspath(path)) if path and path != ":memory:" else None
        # A SQLite file: read_row uses a connection of each thread's own (see ThreadReaders).
        plain_file = path and path != ":memory:" and not path.startswith("file:") and not self.engine.url.query
        self._own_readers = ThreadReaders(os.path.abspath(path)) if plain_file else None
        self._rows_since_checkpoint = 0

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.info["write"] = False
            with conn.begin():
                yield conn

    def write(self, work: Callable[[Connection], T], *, bounded: bool = False) -> T:
        """Run ``work`` in one transaction and commit; retry the whole unit on a serialisation failure.

        ``work`` must be safe to run again from the start: it receives a fresh connection each attempt.
        ``bounded``: the transaction's size has a limit (a request's batch of statements, not a rebuild of the
        whole store); on SQLite its statement journals then stay in memory (see ``_set_temp_store``).
        """

        def attempt() -> T:
            with self.engine.connect() as conn:
                conn.info["write"] = True
                conn.info["journal_in_memory"] = bounded
                with self.writer_gate.hold() if self.writer_gate else nullcontext(), conn.begin():
                    result = work(conn)
                if self.writer_gate:
                    self._checkpoint_now_and_then(conn)
                return result

        return self._retrying(attempt)

    def run_statement(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """PostgreSQL: run one SQL statement as a transaction of its own (autocommit: no BEGIN or COMMIT round
        trip) and return its first row; retried as :meth:`write` retries.

        It goes straight to the driver's connection: SQLAlchemy's execution layer (a Connection, the isolation
        switch, the result) cost a single-statement POST 0.4 ms (docs/performance.md). A driver error arrives
        as SQLAlchemy's, as it would from a Connection (``IntegrityError`` for a unique violation, ...).
        """

        def attempt() -> tuple[Any, ...] | None:
            pooled = self.engine.raw_connection()
            try:
                driver = pooled.driver_connection
                driver.autocommit = True
                try:
                    return driver.execute(sql, params).fetchone()
                except self.engine.dialect.loaded_dbapi.Error as exc:
                    lost = driver.closed or driver.broken
                    if lost:
                        pooled.invalidate(exc)
                    raise DBAPIError.instance(
                        sql, params, exc, self.engine.dialect.loaded_dbapi.Error,
                        connection_invalidated=lost, dialect=self.engine.dialect,
                    ) from exc
                finally:
                    if not (driver.closed or driver.broken):
                        driver.autocommit = False
            finally:
                pooled.close()

        return self._retrying(attempt)

    def read_row(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """Run one SELECT as a transaction of its own and return its first row (None when there is none).

        For a look-up every request makes (the credential): straight to the driver's connection, without
        SQLAlchemy's execution layer or a BEGIN and COMMIT around it (SQLite's connections are in autocommit
        at the driver already; a PostgreSQL one is switched to it for the statement, as run_statement does).
        One statement is its own transaction, so it reads committed data as of its start, like a read
        transaction. ``sql`` uses the driver's parameter marks (``?`` on SQLite, ``%s`` on PostgreSQL). A
        connection lost while idle is retried on a fresh one.
        """
        if self._own_readers is not None:
            return self._retrying(lambda: self._own_readers.read_row(self.engine.dialect, sql, params))
        postgres = self.engine.dialect.name == "postgresql"

        def attempt() -> tuple[Any, ...] | None:
            pooled = self.engine.raw_connection()
            try:
                driver = pooled.driver_connection
                if postgres:
                    driver.autocommit = True
                try:
                    return driver.execute(sql, params).fetchone()
                except self.engine.dialect.loaded_dbapi.Error as exc:
                    lost = bool(postgres and (driver.closed or driver.broken))
                    if lost:
                        pooled.invalidate(exc)
                    raise DBAPIError.instance(
                        sql, params, exc, self.engine.dialect.loaded_dbapi.Error,
                        connection_invalidated=lost, dialect=self.engine.dialect,
                    ) from exc
                finally:
                    if postgres and not (driver.closed or driver.broken):
                        driver.autocommit = False
            finally:
                pooled.close()

        return self._retrying(attempt)

    def _retrying(self, attempt: Callable[[], T]) -> T:
        tries = 0
        while True:
            tries += 1
            try:
                return attempt()
            except Exception as exc:
                if tries >= self.max_attempts or not _is_retryable(exc):
                    raise
                delay = min(0.5, 0.01 * 2**tries) * random.uniform(0.5, 1.5)
                log.info("retrying transaction after %s (attempt %d)", type(exc).__name__, tries)
                metrics.database_retries.labels(type(exc).__name__).inc()
                time.sleep(delay)

    def _checkpoint_now_and_then(self, conn: Connection) -> None:
        """Copy the WAL into the database file once this process has written enough rows, after leaving the
        writer gate: SQLite's own checkpoint runs inside COMMIT, so the next writer would wait for its fsync.
        PASSIVE: it neither waits for nor blocks readers and writers. Durability is as before: a committed
        transaction is in the WAL either way (synchronous=NORMAL survives a process crash; FULL an OS crash)."""
        raw = conn.connection.driver_connection
        seen = conn.connection.info.get("total_changes", 0)
        now = raw.total_changes
        conn.connection.info["total_changes"] = now
        self._rows_since_checkpoint += now - seen
        if self._rows_since_checkpoint < CHECKPOINT_AFTER_ROWS:
            return
        self._rows_since_checkpoint = 0
        try:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception:  # a checkpoint is housekeeping: the next one (or SQLite's backstop) catches up
            log.debug("WAL checkpoint failed", exc_info=True)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._own_readers is not None:
            self._own_readers.dispose()


Row = TypeVar("Row", bound=tuple[Any, ...])


def batches_in_store_order(
    db: Database, fetch: Callable[[Connection, int, int], list[Row]], batch_size: int
) -> Iterator[list[Row]]:
    """Batches of rows in store order, for the rebuilds and the reclassification: ``fetch(conn, after_seq,
    limit)`` returns up to ``limit`` rows whose first value is the ``seq``, after ``after_seq``. Each batch is
    read in a read transaction of its own, closed before the caller works on it (and writes), so a long run
    holds no transaction and can be interrupted and run again."""
    after = 0
    while True:
        with db.read() as conn:
            batch = fetch(conn, after, batch_size)
        if not batch:
            return
        yield batch
        after = batch[-1][0]
