"""The raw-insert floor and the fast loader: the LRS's own rows written straight into its schema.

Rows are derived once, outside any timing, the way the service derives them (``lrs.xapi.statement.prepare``
plus the LRS's classifier), then encoded for one database with SQLAlchemy's own bind processors, so a row
written here is byte-for-byte the row the LRS writes (same ``stored`` text on SQLite, same JSON).

* :class:`RawInserter` is the floor: one DBAPI connection (sqlite3 or psycopg), one transaction per batch,
  ``executemany`` of the statement rows and the two link tables. No HTTP, no validation, no ORM.
* :func:`bulk_load` fills a store for the query benchmark (executemany in large transactions on SQLite,
  COPY on PostgreSQL, secondary indexes built afterwards) and leaves exactly the schema the migrations made.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from lrs.services.principal import Principal
from lrs.services.statements import LRS
from lrs.store.models import (
    Activity,
    PendingStatementRef,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementRefActivity,
    StatementRefAgent,
)
from lrs.xapi.statement import PreparedStatement, prepare

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__
ACT = Activity.__table__

#: Statement columns in insert order, seq excluded (the inserter assigns it).
COLUMNS = [c.name for c in S.c if c.name != "seq"]


def now_ms() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def prepare_all(
    lrs: LRS,
    principal: Principal,
    statements: Iterable[dict[str, Any]],
    *,
    version: str = "1.0.3",
    stored: Callable[[int], datetime] | None = None,
    first_index: int = 0,
) -> list[PreparedStatement]:
    """What ``LRS.store_statements`` derives before it writes (prepare, classify), minus validation."""
    fingerprint = lrs.classification_fingerprint()
    out = []
    fixed = now_ms()
    for k, statement in enumerate(statements):
        when = stored(first_index + k) if stored else fixed
        p = prepare(statement, stored=when, authority=principal.authority, version=version)
        if not p.is_voiding:
            p.learning_mode = lrs.classify(p.payload)
            p.rules_fingerprint = fingerprint
        out.append(p)
    return out


@dataclass
class EncodedBatch:
    """One batch encoded for one database: statement tuples (no seq) and link rows by statement index (the agent
    rows with the statement's encoded timestamp, as the LRS writes them)."""

    statements: list[tuple]
    agents: list[tuple[int, str, Any, Any]]
    activities: list[tuple[int, str, Any]]
    definitions: dict[str, Any] = field(default_factory=dict)
    voids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)


class Encoder:
    """Python values to DBAPI parameters, through the SQLAlchemy dialect the LRS itself uses."""

    def __init__(self, dialect_name: str):
        dialect = sqlite_dialect.dialect() if dialect_name == "sqlite" else psycopg_dialect.dialect()
        self.dialect_name = dialect_name
        self.processors = []
        for name in COLUMNS:
            proc = S.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            self.processors.append(proc)
        bool_proc = SA.c.direct.type.dialect_impl(dialect).bind_processor(dialect)
        self.bool = bool_proc or (lambda b: b)
        self.json = ACT.c.definition.type.dialect_impl(dialect).bind_processor(dialect)
        self.datetime = ACT.c.updated.type.dialect_impl(dialect).bind_processor(dialect) or (lambda d: d)

    def encode(self, prepared: Sequence[PreparedStatement]) -> EncodedBatch:
        procs = self.processors
        rows = []
        agents = []
        activities = []
        definitions: dict[str, Any] = {}
        voids = []
        b = self.bool
        for k, p in enumerate(prepared):
            values = (
                p.id, p.stored, p.timestamp, p.verb_iri, p.registration, p.object_statement_id, p.is_voiding,
                False, p.authority_key, p.fingerprint, p.version, p.learning_mode, p.rules_fingerprint,
                p.duration_seconds, None, None, p.payload,
            )
            row = tuple(v if proc is None or v is None else proc(v) for v, proc in zip(values, procs, strict=True))
            rows.append(row)
            agents.extend((k, key, b(d), row[2]) for key, d in p.agents.items())
            activities.extend((k, iri, b(d)) for iri, d in p.activities.items())
            for iri, definition in p.definitions.items():
                definitions.setdefault(iri, definition)
            if p.is_voiding and p.object_statement_id:
                voids.append(p.object_statement_id)
        return EncodedBatch(rows, agents, activities, definitions, voids)


assert COLUMNS == [
    "id", "stored", "timestamp", "verb_iri", "registration", "object_statement_id", "is_voiding", "voided",
    "authority_key", "fingerprint", "version", "learning_mode", "rules_fingerprint", "duration_seconds",
    "ref_verb_iri", "ref_registration", "payload",
], COLUMNS


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def pg_dsn(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


class RawInserter:
    """The floor: one connection, one transaction per batch, executemany into statements and link tables.

    Seqs are allocated the cheapest correct way for each database (SQLite: max(seq) under the write lock;
    PostgreSQL: nextval() of the serial's sequence for the whole batch in one round trip).
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL"):
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        cols = ", ".join(["seq", *COLUMNS])
        if self.dialect == "sqlite":
            self.conn = sqlite3.connect(sqlite_path(url), isolation_level=None, check_same_thread=False, timeout=30)
            for pragma in ("journal_mode=WAL", f"synchronous={sqlite_synchronous}", "foreign_keys=ON",
                           "busy_timeout=30000"):
                self.conn.execute(f"PRAGMA {pragma}")
            marks = ", ".join("?" * (len(COLUMNS) + 1))
            self.sql_statement = f"INSERT INTO statements ({cols}) VALUES ({marks})"
            self.sql_agent = (
                "INSERT INTO statement_agents (statement_seq, agent_key, direct, timestamp) VALUES (?, ?, ?, ?)"
            )
            self.sql_activity = (
                "INSERT INTO statement_activities (statement_seq, activity_iri, direct) VALUES (?, ?, ?)"
            )
        else:
            import psycopg

            self.conn = psycopg.connect(pg_dsn(url))
            marks = ", ".join(["%s"] * len(COLUMNS)) + "::jsonb"
            self.sql_statement = f"INSERT INTO statements ({cols}) VALUES (%s, {marks})"
            self.sql_agent = (
                "INSERT INTO statement_agents (statement_seq, agent_key, direct, timestamp) VALUES (%s, %s, %s, %s)"
            )
            self.sql_activity = (
                "INSERT INTO statement_activities (statement_seq, activity_iri, direct) VALUES (%s, %s, %s)"
            )

    def insert(self, batch: EncodedBatch) -> None:
        n = len(batch.statements)
        if self.dialect == "sqlite":
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                base = cur.execute("SELECT coalesce(max(seq), 0) FROM statements").fetchone()[0] + 1
                seqs = range(base, base + n)
                cur.executemany(self.sql_statement, [(s, *row) for s, row in zip(seqs, batch.statements, strict=True)])
                cur.executemany(self.sql_agent, [(seqs[k], key, d, t) for k, key, d, t in batch.agents])
                cur.executemany(self.sql_activity, [(seqs[k], iri, d) for k, iri, d in batch.activities])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('statements', 'seq')) FROM generate_series(1, %s)", (n,)
            )
            seqs = [r[0] for r in cur.fetchall()]
            cur.executemany(self.sql_statement, [(s, *row) for s, row in zip(seqs, batch.statements, strict=True)])
            cur.executemany(self.sql_agent, [(seqs[k], key, d, t) for k, key, d, t in batch.agents])
            cur.executemany(self.sql_activity, [(seqs[k], iri, d) for k, iri, d in batch.activities])
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def run_floor(url: str, batches: Sequence[EncodedBatch], connections: int, *, time_limit: float = 120.0) -> dict:
    """Insert ``batches`` with ``connections`` concurrent connections (threads); statements per second."""
    inserters = [RawInserter(url) for _ in range(connections)]
    lock = threading.Lock()
    queue = list(reversed(batches))
    done = [0]
    errors: list[BaseException] = []
    deadline = time.monotonic() + time_limit

    def worker(ins: RawInserter) -> None:
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                batch = queue.pop()
            try:
                ins.insert(batch)
            except BaseException as exc:  # reported, and the run stops
                errors.append(exc)
                return
            with lock:
                done[0] += len(batch)

    threads = [threading.Thread(target=worker, args=(ins,)) for ins in inserters]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for ins in inserters:
        ins.close()
    if errors:
        raise errors[0]
    return {
        "connections": connections,
        "statements": done[0],
        "seconds": round(elapsed, 3),
        "statements_per_second": round(done[0] / elapsed, 1) if elapsed else None,
    }


# --- the fast loader for the query benchmark ------------------------------------------------------------------

SECONDARY_INDEXES = [
    *S.indexes, *SA.indexes, *SACT.indexes,
    *StatementRefAgent.__table__.indexes, *StatementRefActivity.__table__.indexes, *PendingStatementRef.__table__.indexes,
]


def drop_secondary_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        for index in SECONDARY_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))


def create_secondary_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        for index in SECONDARY_INDEXES:
            index.create(conn, checkfirst=True)


class BulkWriter:
    """Appends encoded batches to a store as fast as the database allows (not a measurement)."""

    def __init__(self, url: str):
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        self.seq = 0
        self.definitions: dict[str, Any] = {}
        self.voids: list[str] = []
        if self.dialect == "sqlite":
            self.raw = RawInserter(url)
            self.raw.conn.execute("PRAGMA synchronous=OFF")
            self.raw.conn.execute("PRAGMA foreign_keys=OFF")  # every link row points at a row of the same batch
            self.raw.conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        else:
            import psycopg

            self.conn = psycopg.connect(pg_dsn(url))
            self.conn.execute("SET synchronous_commit = off")
            self.conn.commit()

    def write(self, batch: EncodedBatch) -> None:
        for iri, definition in batch.definitions.items():
            self.definitions.setdefault(iri, definition)
        self.voids.extend(batch.voids)
        if self.dialect == "sqlite":
            self.raw.insert(batch)
            return
        n = len(batch.statements)
        seqs = range(self.seq + 1, self.seq + 1 + n)
        self.seq += n
        with self.conn.cursor() as cur:
            cols = ", ".join(["seq", *COLUMNS])
            with cur.copy(f"COPY statements ({cols}) FROM STDIN") as copy:
                for s, row in zip(seqs, batch.statements, strict=True):
                    copy.write_row((s, *row))
            with cur.copy("COPY statement_agents (statement_seq, agent_key, direct, timestamp) FROM STDIN") as copy:
                for k, key, d, t in batch.agents:
                    copy.write_row((seqs[k], key, d, t))
            with cur.copy("COPY statement_activities (statement_seq, activity_iri, direct) FROM STDIN") as copy:
                for k, iri, d in batch.activities:
                    copy.write_row((seqs[k], iri, d))
        self.conn.commit()

    def finish(self, encoder: Encoder) -> None:
        """Canonical activity definitions, voided flags, the serial's position."""
        now = datetime.now(UTC)
        defs = sorted(self.definitions.items())
        if self.dialect == "sqlite":
            conn = self.raw.conn
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT OR IGNORE INTO activities (iri, definition, updated) VALUES (?, ?, ?)",
                [(iri, encoder.json(d), encoder.datetime(now)) for iri, d in defs],
            )
            conn.executemany(
                "UPDATE statements SET voided = 1 WHERE id = ? AND is_voiding = 0", [(i,) for i in self.voids]
            )
            conn.execute("COMMIT")
            self.raw.close()
            return
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO activities (iri, definition, updated) VALUES (%s, %s::jsonb, %s) ON CONFLICT DO NOTHING",
                [(iri, encoder.json(d), now) for iri, d in defs],
            )
            cur.executemany(
                "UPDATE statements SET voided = true WHERE id = %s AND NOT is_voiding", [(i,) for i in self.voids]
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('statements', 'seq'), %s)", (max(self.seq, 1),))
        self.conn.commit()
        self.conn.close()
