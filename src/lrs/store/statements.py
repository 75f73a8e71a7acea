"""Statements in and out of the database. Every statement query is answered from the index tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Connection,
    Integer,
    LargeBinary,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from lrs.store import cohort_totals, learner_answers, learner_criteria
from lrs.store.enrolments import CE, unenrol_from_statements
from lrs.store.evidence import FRAMEWORKS_VERSION_SQL, frameworks_version, void_links
from lrs.store.learning import (
    SQLITE_DAYS_OF_IDS,
    SQLITE_MARK_MONTHS,
    fold_months_if_full,
    pg_totals_ctes,
    refresh_days_sqlite,
    refresh_totals,
    sqlite_month_marks,
    totals_days_of,
    totals_rows,
)
from lrs.store.models import (
    Activity,
    Attachment,
    AttachmentStatement,
    PendingStatementRef,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementRefActivity,
    StatementRefAgent,
)
from lrs.store.reviews import R as DECISIONS
from lrs.xapi.errors import Conflict
from lrs.xapi.jsontext import compact
from lrs.xapi.query import StatementQuery
from lrs.xapi.statement import PreparedStatement, merge_definitions

if TYPE_CHECKING:
    from lrs.store.db import Database

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__
RSA = StatementRefAgent.__table__
RSACT = StatementRefActivity.__table__
PEND = PendingStatementRef.__table__
ACT = Activity.__table__
ATT = Attachment.__table__
ATS = AttachmentStatement.__table__


class ReadScope(NamedTuple):
    """The statements a restricted reader may see (lrs.services.access makes it): those stored under its own
    ``authority_key``, and the record of the learners it may read: its own ``agents`` and the learners
    enrolled in its ``cohorts``. A learner's record is every statement a learner is the actor or object of
    (a group's members count), every statement referring to one of those (voids, StatementRefs, decisions),
    the decisions on their evidence, and the statements voiding those decisions."""

    agents: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    authority_key: str | None = None


def _insert_ignore(conn: Connection, table, rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    """INSERT ... ON CONFLICT DO NOTHING, in the connection's dialect."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


class Stored(NamedTuple):
    """What storing a batch returns."""

    #: the statements' ids, in the order given
    ids: list[str]
    #: the frameworks' version (lrs.store.evidence.imported_version), read with the look-up: the evidence
    #: links are derived next, and need it
    frameworks_version: tuple[int, str]


def insert_statements(
    conn: Connection,
    batch: StatementBatch | Sequence[PreparedStatement],
    *,
    can_define: bool,
    attachments: dict[str, tuple[str, bytes]] | None = None,
) -> Stored:
    """Store a batch in the caller's write transaction. Returns the ids in the order given (and see Stored).

    A statement whose id is already stored is skipped when it is the same statement (by fingerprint) and
    is a 409 Conflict when it is not; the whole batch then rolls back with the transaction.

    StatementRef statements also get their target's index rows (StatementRefAgent), whichever of the two is
    stored second, so that queries find them through an index (see :func:`query_page`).

    The SQL is written for each database and sent through ``exec_driver_sql``: SQLAlchemy's per-row
    parameter processing was about half the CPU time of a batch (docs/performance.md). One round trip looks
    everything up; then one statement per table. Pass a :class:`StatementBatch` made before the transaction
    began and the rows are already encoded: on SQLite the write lock is then held for SQL only.
    """
    if not isinstance(batch, StatementBatch):
        batch = StatementBatch(batch, conn.dialect)
    prepared = batch.prepared
    sql = _Sql.of(conn.dialect)
    ids = batch.ids
    # 1. One round trip: ids already stored, targets, waiting referrers, definitions, new sequence numbers (its
    # SQL and parameters made with the batch, before the transaction).
    found = _look_up(conn, sql, batch.look_up, allocate=len(prepared), iris=batch.iris)
    # 2. Which statements are new (the same statement again is skipped; a different one is a 409). SQLite: the
    # look-up did not probe the ids; every statement is taken as new, and the statements' INSERT, which probes
    # the unique index on id anyway, says whether one was stored (then it takes its rows out again, and the ids
    # are looked up as on PostgreSQL).
    fresh = list(range(len(prepared))) if not sql.postgres else _fresh(prepared, found)
    if not fresh:
        return Stored(ids, found.frameworks_version)

    # 3. Their rows: the statements (with what a StatementRef's stored target gives them) and index rows.
    def rows_of(fresh: list[int]) -> tuple[dict[str, PreparedStatement], _RefRows, list, list, list]:
        fresh_by_id = batch.by_id if len(fresh) == len(prepared) else {prepared[k].id: prepared[k] for k in fresh}
        refs = _RefRows()
        rows, agent_rows, activity_rows = _statement_rows(
            batch, fresh, found.seqs[: len(fresh)], _stored_target_keys(conn, sql, found, fresh_by_id), refs
        )
        return fresh_by_id, refs, rows, agent_rows, activity_rows

    if not sql.postgres:
        # The whole batch first, its statement rows as the batch made them (their seqs are the next rowids,
        # found.seqs: see Sql.insert_new_statements); only a StatementRef's row is made here.
        fresh_by_id, refs = batch.by_id, _RefRows()
        rows, agent_rows, activity_rows = _sqlite_batch_rows(
            batch, found.seqs, _stored_target_keys(conn, sql, found, fresh_by_id), refs
        )
        if not sql.insert_new_statements(conn, rows, seqs=found.seqs):
            # Some id is stored already (rare): nothing of the batch is written; the ids are looked up.
            found.existing = _existing(conn, sql, ids)
            fresh = _fresh(prepared, found)
            if not fresh:
                return Stored(ids, found.frameworks_version)
            fresh_by_id, refs, rows, agent_rows, activity_rows = rows_of(fresh)
            if not sql.insert_new_statements(conn, [(seq, rv, rr, *enc) for seq, rv, rr, enc in rows]):
                raise RuntimeError("statements stored during the write transaction")  # pragma: no cover - locked
        rows = []  # written
    else:
        fresh_by_id, refs, rows, agent_rows, activity_rows = rows_of(fresh)
    now = datetime.now(UTC)
    # The batch merged its definitions before the transaction; a statement stored before (a duplicate) must
    # not merge its definitions again, so then they are merged afresh from the new statements only.
    incoming = batch.definitions if len(fresh) == len(prepared) else _incoming_definitions(fresh_by_id.values())
    new_definitions, changed = _definitions(incoming, found.definitions, can_define=can_define)
    if len(fresh) == len(prepared):
        totals, derived = batch.totals, batch.derived
    else:
        totals = sql.encode_totals(totals_rows(fresh_by_id.values()))
        derived = None if sql.postgres else sqlite_totals_writes(totals)
    if not sql.postgres and not found.cohorts_known:
        cohort = None  # SQLite, no cohort known: cohort_totals.add would look the batch's activities up for nothing
    else:
        cohort = batch.cohort if len(fresh) == len(prepared) else cohort_totals.batch_rows(
            fresh_by_id.values(), postgres=sql.postgres
        )
    # The voiding statements are among the StatementRefs: when all are new, only those are looked at.
    candidates = [prepared[k] for k in batch.ref_positions] if len(fresh) == len(prepared) else fresh_by_id.values()
    # 4. One statement per table (learning_totals and cohort_totals included).
    inserted = sql.insert_batch(conn, rows, agent_rows, activity_rows, new_definitions, now, totals, cohort, derived)
    if not sql.postgres and totals:
        # SQLite: the months waiting are counted (up to lrs.store.learning.MONTHS_FOLD_ROWS) on the cohort rows'
        # cadence, when the batch's statements (seqs rising) pass a multiple of FOLD_CHECK_STATEMENTS.
        last, step = max(found.seqs[: len(fresh)]), cohort_totals.FOLD_CHECK_STATEMENTS
        if (last - len(fresh)) // step != last // step:
            fold_months_if_full(conn)
    # 5. What else the new statements change: referrers that waited for them, voided targets, definitions,
    # attachments.
    _resolve_waiting_referrers(conn, sql, found, fresh_by_id, refs)
    _void_targets(conn, sql, candidates, cohorts_known=found.cohorts_known)
    _update_definitions(conn, sql, changed, new_definitions, inserted, incoming, now, can_define=can_define)
    if attachments:
        _store_attachments(conn, attachments, fresh_by_id.values())
    return Stored(ids, found.frameworks_version)


def _fresh(prepared: list[PreparedStatement], found: _Found) -> list[int]:
    """The positions of the statements not stored yet. One stored with another fingerprint is a 409 Conflict,
    which rolls the whole batch back with the transaction."""
    fresh: list[int] = []
    for k, p in enumerate(prepared):
        if p.id in found.existing:
            if found.existing[p.id] != p.fingerprint:
                raise Conflict(
                    f"statement {p.id} is already stored with different content",
                    rule="statement-id-conflict",
                    path="id",
                )
            continue
        fresh.append(k)
    return fresh


def _statement_rows(
    batch: StatementBatch,
    fresh: list[int],
    seqs: list[int],
    stored_keys: dict[str, _Keys],
    refs: _RefRows,
) -> tuple[list[tuple[Any, ...]], list[tuple[int, str, bool, Any]], list[tuple[int, str, bool]]]:
    """The statement rows and their agent (with the statement's timestamp) and activity index rows. A
    StatementRef copies its target's index keys (from the batch or from ``stored_keys``) into ``refs``, or waits
    in ``refs.pending`` for it. The link rows were made with the batch (:attr:`StatementBatch.agent_links`):
    here each gets its statement's seq."""
    prepared = batch.prepared
    rows = []
    for k, seq in zip(fresh, seqs, strict=True):
        p = prepared[k]
        ref_verb = ref_registration = None
        target_id = p.object_statement_id
        if target_id is not None:
            keys = batch.keys_in_batch(target_id, fresh) or stored_keys.get(target_id)
            if keys is None:
                refs.pending.append((seq, target_id))
            else:
                refs.add(seq, keys)
                ref_verb, ref_registration = keys.verb_iri, keys.registration
        rows.append((seq, ref_verb, ref_registration, batch.encoded[k]))
    if len(fresh) == len(prepared):  # seqs[k] is statement k's
        agent_rows = [(seqs[k], key, d, t) for k, key, d, t in batch.agent_links]
        activity_rows = [(seqs[k], iri, d) for k, iri, d in batch.activity_links]
    else:
        seq_of = dict(zip(fresh, seqs, strict=True))
        agent_rows = [(seq_of[k], key, d, t) for k, key, d, t in batch.agent_links if k in seq_of]
        activity_rows = [(seq_of[k], iri, d) for k, iri, d in batch.activity_links if k in seq_of]
    return rows, agent_rows, activity_rows


def _sqlite_batch_rows(
    batch: StatementBatch, seqs: list[int], stored_keys: dict[str, _Keys], refs: _RefRows
) -> tuple[list[tuple[Any, ...]], list[tuple[int, str, int, Any]], list[tuple[int, str, int]]]:
    """SQLite, every statement of the batch new: :func:`_statement_rows`, the statement rows being the batch's
    :attr:`StatementBatch.statement_rows` (made before the write lock; without their seqs, which are the next
    rowids) with a StatementRef's row made again when its target gives it keys, and the link rows the batch made
    before the lock (:meth:`StatementBatch.link_rows_from`) when their first seq is the look-up's. The batch's own
    rows are never changed: a write retried from the start takes them again."""
    prepared = batch.prepared
    rows = batch.statement_rows
    for k in batch.ref_positions:
        target_id = prepared[k].object_statement_id
        keys = batch.keys_in_batch(target_id, range(len(prepared))) or stored_keys.get(target_id)
        if keys is None:
            refs.pending.append((seqs[k], target_id))
        else:
            refs.add(seqs[k], keys)
            if rows is batch.statement_rows:
                rows = list(rows)
            rows[k] = (keys.verb_iri, keys.registration, *batch.encoded[k])
    made = batch.link_rows
    if made is not None and seqs and made[0] == seqs[0]:
        return rows, made[1], made[2]
    agent_rows = [(seqs[k], key, d, t) for k, key, d, t in batch.agent_links]
    activity_rows = [(seqs[k], iri, d) for k, iri, d in batch.activity_links]
    return rows, agent_rows, activity_rows


def _resolve_waiting_referrers(
    conn: Connection, sql: _Sql, found: _Found, fresh_by_id: dict[str, PreparedStatement], refs: _RefRows
) -> None:
    """Statements stored earlier that target one of these get the target's index rows now (and stop waiting);
    then every reference row of the batch is written."""
    resolved = [(seq, target_id) for target_id, seq in found.waiting if target_id in fresh_by_id]
    for referrer_seq, target_id in resolved:
        keys = _keys_of(fresh_by_id[target_id])
        refs.add(referrer_seq, keys)
        refs.later.append((keys.verb_iri, keys.registration, referrer_seq))
    refs.write(conn, sql)
    if resolved:
        conn.execute(delete(PEND).where(PEND.c.statement_seq.in_([seq for seq, _ in resolved])))


def _void_targets(conn: Connection, sql: _Sql, fresh: Iterable[PreparedStatement], *, cohorts_known: bool) -> None:
    """Voiding: the target leaves query results. A voiding statement is never voided itself."""
    voided = sorted({p.object_statement_id for p in fresh if p.is_voiding and p.object_statement_id})
    if not voided:
        return
    if not sql.postgres:
        _void_targets_sqlite(conn, sql, voided, cohorts_known=cohorts_known)
        return
    # Their learners' versions first (lrs.store.learner_answers): every PostgreSQL writer takes a learner's version
    # row, in key order, before that learner's totals rows, so two writers never wait on each other's totals.
    days = totals_days_of(conn, ids=voided)
    learner_answers.bump(conn, [agent for agent, _ in days])
    # What they counted in the cohort totals is taken out first (those not voided already).
    cohort_totals.take_out(conn, ids=voided)
    conn.execute(update(S).where(S.c.id.in_(voided), S.c.is_voiding.is_(False)).values(voided=True))
    # Their evidence links carry the statement's voided (lrs.store.evidence): the queue reads them alone.
    void_links(conn, voided)
    # The voided statements leave the learning totals: their learners' days are counted again.
    refresh_totals(conn, days=days)
    # Voided evidence no longer counts for its learner's criteria (learner_criteria).
    learner_criteria.recount(conn, learner_criteria.learners_of_statements(conn, voided))
    # Voiding the statement that made an enrolment (under a credential trusted to enrol) removes it.
    unenrol_from_statements(conn, voided)


#: SQLite's voiding upkeep as plain SQL on the driver (see _void_targets_sqlite); ``?`` is the ids as a JSON array.
_IN_IDS = "IN (SELECT value FROM json_each(?))"
SQLITE_VOID = {
    "statements": f"UPDATE statements SET voided = 1 WHERE id {_IN_IDS} AND is_voiding = 0",
    "links": f"UPDATE evidence_links SET voided = 1 WHERE statement_id {_IN_IDS}",
    # lrs.store.learner_criteria.learners_of_statements in one statement: linked evidence, the evidence a
    # decision judged, a decision.
    "learners": (
        f"SELECT agent_key FROM evidence_links WHERE statement_id {_IN_IDS} UNION "
        f"SELECT agent_key FROM review_decisions WHERE evidence_id {_IN_IDS} UNION "
        f"SELECT agent_key FROM review_decisions WHERE statement_id {_IN_IDS}"
    ),
    "enrolments": f"DELETE FROM cohort_enrolments WHERE source_statement_id {_IN_IDS}",
}


def _void_targets_sqlite(conn: Connection, sql: _Sql, voided: list[str], *, cohorts_known: bool) -> None:
    """The same upkeep as on PostgreSQL, in the same order, with the statements of this module's own tables
    sent straight to the driver: through SQLAlchemy Core, its ten statements cost ~2.5 ms under SQLite's write
    lock in every other batch of the benchmark's workload (docs/performance.md, "The write lock of a batch").
    ``cohorts_known``: the look-up found a known cohort; without one, cohort_totals has nothing to take out."""
    ids = (compact(voided),)
    if cohorts_known:
        cohort_totals.take_out(conn, ids=voided)  # before the flag: it counts what is not voided yet
    sql.run(conn, SQLITE_VOID["statements"], ids)
    sql.run(conn, SQLITE_VOID["links"], ids)
    # The voided statements leave the learning totals: their learners' days (and months) are counted again.
    refresh_days_sqlite(lambda text, params, many: sql.run(conn, text, params, many=many),
                        sql.run(conn, SQLITE_DAYS_OF_IDS, ids))
    learners = {agent for (agent,) in sql.run(conn, SQLITE_VOID["learners"], ids * 3)}
    if learners:
        learner_criteria.recount(conn, learners)
    sql.run(conn, SQLITE_VOID["enrolments"], ids)


def _update_definitions(
    conn: Connection,
    sql: _Sql,
    changed: list[tuple[str, dict[str, Any]]],
    new_definitions: list[tuple[str, str]],
    inserted: set[str],
    incoming: dict[str, tuple[dict[str, Any], str]],
    now: datetime,
    *,
    can_define: bool,
) -> None:
    """Changed canonical definitions (rare: most batches repeat what is known)."""
    if sql.postgres:
        # The look-up read the definitions without a lock, and a concurrent transaction may have changed one
        # since, or inserted an activity this batch also found new. Merge again against the rows locked.
        lost = [iri for iri, _ in new_definitions if iri not in inserted] if can_define else []
        _merge_locked(conn, sql, sorted({iri for iri, _ in changed} | set(lost)), incoming, now)
    else:
        # SQLite: the transaction has held the write lock since BEGIN IMMEDIATE; what it read is current.
        for iri, definition in changed:
            conn.execute(update(ACT).where(ACT.c.iri == iri).values(definition=definition, updated=now))


def _store_attachments(
    conn: Connection, attachments: dict[str, tuple[str, bytes]], fresh: Iterable[PreparedStatement]
) -> None:
    """The content, once per hash, and which of the new statements carried it (only their readers get it)."""
    _insert_ignore(
        conn,
        ATT,
        [
            {"sha2": sha2, "content_type": ctype, "length": len(content), "content": content}
            for sha2, (ctype, content) in sorted(attachments.items())
        ],
    )
    carried = sorted(
        {
            (str(a.get("sha2", "")).strip().lower(), p.id)
            for p in fresh
            for a in p.payload.get("attachments") or []
            if isinstance(a, dict) and str(a.get("sha2", "")).strip().lower() in attachments
        }
    )
    _insert_ignore(conn, ATS, [{"sha2": sha2, "statement_id": sid} for sha2, sid in carried])


def store_batch(
    db: Database,
    batch: StatementBatch,
    *,
    can_define: bool,
    attachments: dict[str, tuple[str, bytes]] | None = None,
) -> Stored:
    """Store a batch, all or nothing, and commit: :func:`insert_statements` in a write transaction, or on
    PostgreSQL, for a batch of new statements that only add rows, :func:`_insert_new_in_one_statement`.

    That one statement is its own transaction: one round trip where a transaction takes four (BEGIN, the
    look-up, the insert, COMMIT), the larger part of a single-statement POST (docs/performance.md). It
    declines, writing nothing, whenever the batch needs more than inserts (see there); the transaction
    then runs as before.
    """
    if db.dialect == "postgresql" and not attachments and batch.only_adds_rows:
        stored = _insert_new_in_one_statement(db, batch, can_define=can_define)
        if stored is not None:
            return stored
    if db.dialect == "sqlite" and len(batch.agent_links) + len(batch.activity_links) >= LINK_ROWS_BEFORE_THE_LOCK:
        # The link rows with the seqs the batch will most likely get, made before the write lock (the last seq
        # read without it): the look-up under the lock says whether they are the seqs (_sqlite_batch_rows).
        batch.link_rows_from((db.read_row(SQLITE_LAST_SEQ, ()) or (0,))[0] + 1)
    # bounded: a batch is limited by the request's size (its statement journals stay in memory on SQLite).
    return db.write(
        lambda conn: insert_statements(conn, batch, can_define=can_define, attachments=attachments), bounded=True
    )


class StatementBatch:
    """Statements ready to write, their rows encoded for one database before the write transaction begins
    (payload JSON and all), so that on SQLite the write lock is held for SQL only: every writer waits for it."""

    def __init__(self, prepared: Sequence[PreparedStatement], dialect: Any):  # noqa: ANN401 - SQLAlchemy Dialect
        self.prepared = list(prepared)
        sql = _Sql.of(dialect)
        self.encoded = sql.encode_batch(self.prepared)
        #: each statement's timestamp as its statement_agents rows carry it (encoded as the statement row's)
        self.stamps = sql.stamps(self.prepared, self.encoded)
        #: iri -> (definition, its JSON): the batch's activity definitions merged, in IRI order
        self.definitions = _incoming_definitions(self.prepared)
        #: what the batch adds to learning_totals, added up and encoded
        self.totals = sql.encode_totals(totals_rows(self.prepared), self.prepared, self.stamps)
        #: SQLite: the upserts that write them and the marks of their months as waiting, parameters and all
        #: (:func:`sqlite_totals_writes`; PostgreSQL adds the months up in the batch's statement)
        self.derived = None if sql.postgres else sqlite_totals_writes(self.totals)
        #: what the batch adds to cohort_totals in the known cohorts among its activities, and its sets' members
        self.cohort = cohort_totals.batch_rows(self.prepared, postgres=sql.postgres)
        #: activities the batch defines: their canonical definitions are read with the rest of the look-up
        self.iris = list(self.definitions)
        #: no StatementRef (voiding included) among them: when none is stored yet and no stored statement
        #: waits for one, storing them is inserts only (see _insert_new_in_one_statement)
        self.only_adds_rows = all(p.object_statement_id is None for p in self.prepared)
        self.ids = [p.id for p in self.prepared]
        #: id -> statement (the statements stored when every one of them is new)
        self.by_id = {p.id: p for p in self.prepared}
        #: the positions of the StatementRefs (voiding included)
        self.ref_positions = [k for k, p in enumerate(self.prepared) if p.object_statement_id is not None]
        #: SQLite: the statement rows as Sql.insert_new_statements writes the whole batch (seq left to SQLite: the
        #: next rowids), the copied target keys (ref_verb_iri, ref_registration) empty: the few StatementRefs whose
        #: target is known get theirs under the write lock (_sqlite_batch_rows)
        self.statement_rows = None if sql.postgres else [(None, None, *enc) for enc in self.encoded]
        #: SQLite: (first seq, agent rows, activity rows) made before the write transaction (link_rows_from)
        self.link_rows: tuple[int, list[tuple[Any, ...]], list[tuple[Any, ...]]] | None = None
        target_ids = sorted({p.object_statement_id for p in self.prepared if p.object_statement_id})
        #: the look-up's SQL and parameters (see _look_up)
        self.look_up = _look_up_query(sql, self.ids, target_ids, self.iris)
        #: the link rows by the statement's position in the batch (insert_statements gives them their seqs):
        #: (k, agent key, direct, timestamp) and (k, activity IRI, direct)
        if sql.postgres:  # the rows go into one JSON parameter: true/false
            self.agent_links = [
                (k, key, d, stamp) for k, (p, stamp) in enumerate(zip(self.prepared, self.stamps, strict=True))
                for key, d in p.agents.items()
            ]
            self.activity_links = [
                (k, iri, d) for k, p in enumerate(self.prepared) for iri, d in p.activities.items()
            ]
        else:
            # 1 and 0, as sqlite3 stores a bool: it binds an int as it is, but a bool only after looking for an
            # adapter (two failed attribute look-ups, each formatting its AttributeError), under the write lock.
            self.agent_links = [
                (k, key, 1 if d else 0, stamp)
                for k, (p, stamp) in enumerate(zip(self.prepared, self.stamps, strict=True))
                for key, d in p.agents.items()
            ]
            self.activity_links = [
                (k, iri, 1 if d else 0) for k, p in enumerate(self.prepared) for iri, d in p.activities.items()
            ]

    def link_rows_from(self, first_seq: int) -> None:
        """SQLite: make the link rows (statement_agents', statement_activities') as if the batch's seqs began at
        ``first_seq``, before the write transaction; used under the write lock only when the look-up's seqs do
        begin there (else they are made again there), so what is written never depends on this guess."""
        self.link_rows = (
            first_seq,
            [(first_seq + k, key, d, t) for k, key, d, t in self.agent_links],
            [(first_seq + k, iri, d) for k, iri, d in self.activity_links],
        )

    def keys_in_batch(self, statement_id: str, fresh: Iterable[int]) -> _Keys | None:
        """The index keys of one of the batch's new statements (a StatementRef's target stored with it)."""
        for k in fresh:
            if self.prepared[k].id == statement_id:
                return _keys_of(self.prepared[k])
        return None


#: Statement columns as _Sql writes them: the seq and the copied target keys first (known only in the
#: transaction), then the rest (encoded beforehand by StatementBatch).
STATEMENT_COLUMNS = (
    "seq, ref_verb_iri, ref_registration, id, stored, timestamp, verb_iri, registration, object_statement_id, "
    "is_voiding, voided, authority_key, fingerprint, version, learning_mode, rules_fingerprint, duration_seconds, "
    "payload"
)
_PG_TYPES = ("bigint", "text", "text", "text", "timestamptz", "timestamptz", "text", "text", "text", "boolean",
             "boolean", "text", "text", "text", "text", "text", "float8")


def _sqlite_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(" ", "microseconds")[:26]


def _sqlite_datetime_of_iso(iso: str) -> str:
    """:func:`_sqlite_datetime` of a datetime from its ``isoformat()`` text ("2026-12-05T10:00:00.123000+00:00",
    no fraction when it is zero): the same characters, cut from the text instead of formatted again."""
    if iso[19:20] == ".":
        return f"{iso[:10]} {iso[11:26]}"
    return f"{iso[:10]} {iso[11:19]}.000000"


class _Sql:
    """The write path's SQL in one database's dialect, with its values encoded the way SQLAlchemy's column
    types encode them (so a row written here reads back through the models exactly as one written by them)."""

    _cache: dict[str, _Sql] = {}

    def __init__(self, dialect: Any):  # noqa: ANN401 - a SQLAlchemy Dialect
        self.postgres = dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"
        procs = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in S.c}
        # SQLite: SQLAlchemy's DateTime text ("2026-12-05 10:00:00.000000", the zone dropped) made by isoformat,
        # a third of the instructions of its %-format (tests/store/test_write_encoding.py checks they agree).
        self.datetime = (procs["stored"] or (lambda v: v)) if self.postgres else _sqlite_datetime

    @classmethod
    def of(cls, dialect: Any) -> _Sql:  # noqa: ANN401 - a SQLAlchemy Dialect
        found = cls._cache.get(dialect.name)
        if found is None:
            found = cls._cache[dialect.name] = cls(dialect)
        return found

    def in_list_sql(self, column: str, pg_type: str = "text") -> str:
        """The SQL of :meth:`in_list`, whose one parameter is the values as a JSON array."""
        if self.postgres:
            return f"{column} = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)::{pg_type}))"
        return f"{column} IN (SELECT value FROM json_each(?))"

    def in_list(self, column: str, values: Sequence[Any], pg_type: str = "text") -> tuple[str, list[Any]]:
        """``column IN (values)`` as SQL and parameters: one array parameter on PostgreSQL; on SQLite one JSON
        array (json_each), so a batch of any size stays within SQLite's limit on parameters."""
        # JSON, not a PostgreSQL array parameter: psycopg escapes array elements in Python, several times the
        # cost. ``= ANY(ARRAY(...))`` rather than ``IN (SELECT ...)``: the planner guesses 100 rows for the
        # subquery and, below some 100,000 rows, hash-joined it against a scan of the whole table (1 ms at
        # 2,000 statements, growing with the store); the array is an init plan and the index is probed.
        return self.in_list_sql(column, pg_type), [compact(list(values))]

    def encode(self, p: PreparedStatement) -> Any:  # noqa: ANN401
        """A statement's columns after the first three of STATEMENT_COLUMNS. Compact JSON: smaller rows, and
        the text a query passes on as it is."""
        payload = compact(p.payload)  # lrs.xapi.jsontext: orjson where it writes what json would mean
        if self.postgres:
            # A JSON array, spliced into the batch's one JSON parameter (see insert_statements).
            values = [p.id, p.stored.isoformat(), p.timestamp_iso or p.timestamp.isoformat(), p.verb_iri, p.registration,
                      p.object_statement_id, p.is_voiding, False, p.authority_key, p.fingerprint, p.version,
                      p.learning_mode, p.rules_fingerprint, p.duration_seconds]
            # The payload goes in as a JSON string, stored as text (a json column): the server then never builds
            # a jsonb value of it, only checks it is JSON.
            return compact(values)[:-1] + "," + compact(payload) + "]"
        dt = self.datetime
        return (p.id, dt(p.stored), dt(p.timestamp), p.verb_iri, p.registration, p.object_statement_id,
                int(p.is_voiding), 0, p.authority_key, p.fingerprint, p.version, p.learning_mode, p.rules_fingerprint,
                p.duration_seconds, payload)

    def encode_batch(self, prepared: list[PreparedStatement]) -> list[Any]:
        """:meth:`encode` of each statement. On SQLite the request's ``stored`` (one datetime for all of them) is
        formatted once, and each timestamp cut from the ``timestamp_iso`` text the fingerprint was made with."""
        if self.postgres or not prepared:
            return [self.encode(p) for p in prepared]
        dt = self.datetime
        stored_at, stored = None, None
        rows = []
        for p in prepared:
            if p.stored is not stored_at:
                stored_at, stored = p.stored, dt(p.stored)
            timestamp = dt(p.timestamp) if p.timestamp_iso is None else _sqlite_datetime_of_iso(p.timestamp_iso)
            rows.append((p.id, stored, timestamp, p.verb_iri, p.registration, p.object_statement_id,
                         int(p.is_voiding), 0, p.authority_key, p.fingerprint, p.version, p.learning_mode,
                         p.rules_fingerprint, p.duration_seconds, compact(p.payload)))
        return rows

    def stamps(self, prepared: list[PreparedStatement], encoded: list[Any]) -> list[Any]:
        """The statements' timestamps encoded for their statement_agents rows, as the statement rows hold them: on
        SQLite the text :meth:`encode` made, on PostgreSQL the ISO text the JSON parameter carries."""
        if self.postgres:
            return [p.timestamp_iso or p.timestamp.isoformat() for p in prepared]
        return [e[2] for e in encoded]

    def encode_totals(
        self, rows: list[Any], prepared: Sequence[PreparedStatement] = (), stamps: Sequence[Any] = ()
    ) -> Any:  # noqa: ANN401
        """learning_totals rows (lrs.store.learning.totals_rows) as insert_batch writes them: on PostgreSQL one
        JSON array (one parameter), on SQLite parameter tuples. On SQLite a row's ``latest``, one of the
        ``prepared`` statements' timestamps (the very object), takes the text already made for it (``stamps``,
        :meth:`stamps`) rather than being formatted again."""
        if self.postgres:
            return json.dumps([[*r[:7], r[7].isoformat()] for r in rows], separators=(",", ":")) if rows else None
        dt = self.datetime
        made = {id(p.timestamp): text for p, text in zip(prepared, stamps, strict=True)}
        return [(*r[:7], made.get(id(r[7])) or dt(r[7])) for r in rows]

    def insert_batch(
        self,
        conn: Connection,
        rows: list[tuple[int, str | None, str | None, Any]],
        agents: list[tuple[int, str, bool, Any]],
        activities: list[tuple[int, str, bool]],
        definitions: list[tuple[str, str]],
        now: datetime,
        totals: Any = None,  # noqa: ANN401
        cohort: Any = None,  # noqa: ANN401
        derived: list[tuple[str, Any, bool]] | None = None,
    ) -> set[str]:
        """The statements (``rows``: seq, ref_verb_iri, ref_registration, encoded), their link rows (``agents``
        with the statement's timestamp from :meth:`stamps`), the
        activities first defined by them (iri, definition JSON), what they add to learning_totals (``totals``,
        from :meth:`encode_totals`; on SQLite ``derived``, the upserts of them and the marks of their months,
        :func:`sqlite_totals_writes`, made before the transaction when given) and to cohort_totals (``cohort``: lrs.store.cohort_totals.batch_rows, the rows
        of the known cohorts among them kept by a join inside the SQL). Returns the IRIs of the activities inserted (a concurrent transaction may
        have inserted one first)."""
        if self.postgres:
            # One statement for the lot, each table's rows one JSON parameter taken apart by the server: one
            # round trip, one plan, and the cheapest encoding on the client (psycopg's arrays or a parameter
            # set per row cost 2-6x the CPU). Foreign keys are checked at the end of the statement, when the
            # statements inserted beside the link rows are there.
            dumps = json.dumps
            data = "[" + ",".join(f"[{seq},{dumps(rv)},{dumps(rr)},{enc[1:]}" for seq, rv, rr, enc in rows) + "]"
            values = ", ".join(f"(r->>{k})::{t}" for k, t in enumerate(_PG_TYPES))
            compact = {"separators": (",", ":")}
            link = "SELECT (r->>0)::bigint, r->>1, (r->>2)::boolean FROM jsonb_array_elements(%s::jsonb) r"
            result = conn.exec_driver_sql(
                f"WITH s AS (INSERT INTO statements ({STATEMENT_COLUMNS}) SELECT {values}, (r->>17)::json "
                "FROM jsonb_array_elements(%s::jsonb) r), "
                f"a AS (INSERT INTO statement_agents (statement_seq, agent_key, direct, timestamp) {PG_AGENT_LINK}), "
                f"c AS (INSERT INTO statement_activities (statement_seq, activity_iri, direct) {link}), "
                "d AS (INSERT INTO activities (iri, definition, updated) SELECT r->>0, (r->>1)::jsonb, %s "
                "FROM jsonb_array_elements(%s::jsonb) r ON CONFLICT DO NOTHING RETURNING iri), "
                f"{pg_totals_ctes()}, "
                f"{cohort_totals.pg_ctes()} "
                "SELECT iri FROM d",
                (data, dumps(agents, **compact), dumps(activities, **compact), now, dumps(definitions, **compact),
                 totals or "[]", *(cohort or (None, None))),
            )
            return {iri for (iri,) in result}
        if rows:
            self.insert_new_statements(conn, [(seq, rv, rr, *enc) for seq, rv, rr, enc in rows])
        self.insert_links(conn, "statement_agents", "agent_key", agents, stamped=True)
        self.insert_links(conn, "statement_activities", "activity_iri", activities)
        if definitions:
            updated = self.datetime(now)
            self.run(
                conn,
                "INSERT INTO activities (iri, definition, updated) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(iri, definition, updated) for iri, definition in definitions],
                many=True,
            )
        if totals:
            for sql, params, many in sqlite_totals_writes(totals) if derived is None else derived:
                self.run(conn, sql, params, many=many)
        cohort_totals.add(conn, cohort)
        # Under SQLite's write lock nobody else can have inserted them.
        return {iri for iri, _ in definitions}

    def insert_new_statements(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]], *, seqs: list[int] | None = None
    ) -> bool:
        """SQLite: insert the statement rows unless one's id is stored already: then none stays (False). The
        INSERT skips a stored id (ON CONFLICT DO NOTHING) and counts the rows it wrote; when that is short of all
        of them, the rows it did write (the highest seqs, this transaction's alone under the write lock) are
        deleted again. ``rows``: every column of STATEMENT_COLUMNS; or, with ``seqs`` (the look-up's, the next
        rowids), every column but the seq, which SQLite then gives each row: the table's largest rowid plus one
        (an INTEGER PRIMARY KEY without AUTOINCREMENT), the very seqs when every row goes in, in order."""
        if seqs is None:
            cursor = self.run(conn, SQLITE_STATEMENTS_INSERT, rows, many=True)
            first = rows[0][0] if rows else None
        else:
            cursor = self.run(conn, SQLITE_STATEMENTS_INSERT_NEXT, rows, many=True)
            first = seqs[0] if seqs else None
        if cursor.rowcount == len(rows):
            return True
        if cursor.rowcount:
            self.run(conn, "DELETE FROM statements WHERE seq >= ?", (first,))
        return False

    def insert_links(
        self, conn: Connection, table: str, key: str, rows: Sequence[tuple[Any, ...]], *, stamped: bool = False
    ) -> None:
        """Link rows (statement_seq, key, direct); ``stamped``: statement_agents' rows, with the timestamp too."""
        if not rows:
            return
        if self.postgres:
            select_rows = PG_AGENT_LINK if stamped else PG_LINK
            conn.exec_driver_sql(
                f"INSERT INTO {table} (statement_seq, {key}, direct{', timestamp' if stamped else ''}) {select_rows}",
                (json.dumps(rows, separators=(",", ":")),),
            )
            return
        # sqlite3 stores a bool as 0/1, as SQLAlchemy's Boolean does.
        columns = "statement_seq, {key}, direct, timestamp) VALUES (?, ?, ?, ?)" if stamped else (
            "statement_seq, {key}, direct) VALUES (?, ?, ?)")
        self.run(conn, f"INSERT INTO {table} ({columns.format(key=key)}", rows, many=True)

    def run(self, conn: Connection, sql: str, params: Any, *, many: bool = False) -> Any:  # noqa: ANN401
        """Run a write-path statement in ``conn``'s transaction and return its cursor (rows as tuples). On SQLite
        straight on the driver's connection: SQLAlchemy's execution layer cost ~25,000 instructions a statement,
        and a single-statement POST runs seven (docs/performance.md, "The statement path, third pass"). A driver
        error arrives as SQLAlchemy's, as from exec_driver_sql, so Database.write retries what it retried."""
        if self.postgres:
            return conn.exec_driver_sql(sql, params)
        driver = conn.connection.driver_connection
        try:
            return driver.executemany(sql, params) if many else driver.execute(sql, params)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=conn.dialect) from exc


#: SQLite: a batch's statement rows; one whose id is stored is skipped (Sql.insert_new_statements counts them).
SQLITE_STATEMENTS_INSERT = (
    f"INSERT INTO statements ({STATEMENT_COLUMNS}) VALUES ({', '.join('?' * 18)}) ON CONFLICT (id) DO NOTHING"
)

#: SQLite: the last seq, read before a batch's write transaction (store_batch), to make its link rows beforehand.
SQLITE_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM statements"
#: ... for a batch with at least this many link rows: the read costs ~25,000 instructions (outside the lock), what
#: making and freeing ~36 link rows costs under it (~700 each); a single statement has a handful.
LINK_ROWS_BEFORE_THE_LOCK = 64

#: SQLite: the same without the seq (Sql.insert_new_statements with ``seqs``): SQLite gives each row the next rowid.
SQLITE_STATEMENTS_INSERT_NEXT = (
    f"INSERT INTO statements ({STATEMENT_COLUMNS.removeprefix('seq, ')}) VALUES ({', '.join('?' * 17)}) "
    "ON CONFLICT (id) DO NOTHING"
)

#: PostgreSQL: link rows from one JSON parameter; statement_agents' with the statement's timestamp as well.
PG_LINK = "SELECT (r->>0)::bigint, r->>1, (r->>2)::boolean FROM jsonb_array_elements(%s::jsonb) r"
PG_AGENT_LINK = (
    "SELECT (r->>0)::bigint, r->>1, (r->>2)::boolean, (r->>3)::timestamptz FROM jsonb_array_elements(%s::jsonb) r"
)

#: learning_totals: add a batch's rows (lrs.store.learning.totals_rows) to what is counted (PostgreSQL: with their
#: months, lrs.store.learning.pg_totals_ctes).
_TOTALS_ADD = (
    "ON CONFLICT (agent_key, day, mode, verb_iri) DO UPDATE SET statements = learning_totals.statements + "
    "excluded.statements, seconds = learning_totals.seconds + excluded.seconds, timed = learning_totals.timed + "
    "excluded.timed, latest = {greatest}(learning_totals.latest, excluded.latest)"
)
SQLITE_TOTALS_UPSERT = (
    "INSERT INTO learning_totals (agent_key, day, mode, verb_iri, statements, seconds, timed, latest) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) " + _TOTALS_ADD.format(greatest="max")
)

#: SQLite: how many rows one upsert of learning_totals or learning_month_totals takes at once (a VALUES list of
#: that many rows), the largest first; the rows left over go row by row (executemany). A row costs ~20,000
#: instructions with a statement run per row; a statement of 32 rows saves the run's fixed cost (reset, halt,
#: the GIL let go and taken again) on all but one (docs/performance.md, "SQLite batch ingest, eighth pass: the
#: derived-totals upserts").
SQLITE_ROWS_AT_ONCE = (32, 8)


def _rows_at_once(sql: str, n: int) -> str:
    """The one-row upsert ``sql`` (``... VALUES (?, ...) ON CONFLICT ...``) taking ``n`` rows."""
    head, rest = sql.split(" VALUES ", 1)
    row, tail = rest.split(") ", 1)
    return f"{head} VALUES {', '.join([row + ')'] * n)} {tail}"


_SQLITE_UPSERTS_AT_ONCE = {
    (SQLITE_TOTALS_UPSERT, n): _rows_at_once(SQLITE_TOTALS_UPSERT, n) for n in SQLITE_ROWS_AT_ONCE
}


def _sqlite_upserts(sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[str, Any, bool]]:
    """The statements (sql, parameters, many) that upsert ``rows`` with the one-row upsert ``sql``: in their order,
    :data:`SQLITE_ROWS_AT_ONCE` at once while enough are left, the rest one by one. Each row meets the stored row
    of its key in the same order as row by row, so the stored values are the same."""
    out: list[tuple[str, Any, bool]] = []
    start, end = 0, len(rows)
    for n in SQLITE_ROWS_AT_ONCE:
        at_once = _SQLITE_UPSERTS_AT_ONCE[sql, n]
        while end - start >= n:
            out.append((at_once, list(chain.from_iterable(rows[start : start + n])), False))
            start += n
    if start < end:
        out.append((sql, rows[start:], True))
    return out


def sqlite_totals_writes(totals: Sequence[Sequence[Any]]) -> list[tuple[str, Any, bool]]:
    """SQLite: the statements (sql, parameters, many) that add a batch's learning_totals rows (as
    :meth:`_Sql.encode_totals` encodes them) to learning_totals, mark their months as waiting
    (lrs.store.learning.SQLITE_MARK_MONTHS: their learning_month_totals rows are counted again when folded), and
    bump their learners' versions (lrs.store.learner_answers); made before the write transaction when they can be
    (StatementBatch)."""
    if not totals:
        return []
    learners = json.dumps(sorted({r[0] for r in totals}))
    return [*_sqlite_upserts(SQLITE_TOTALS_UPSERT, totals), (SQLITE_MARK_MONTHS, (sqlite_month_marks(totals),), False),
            (learner_answers.SQLITE_BUMP, (learners,), False)]


#: True when merging the definition ``n`` into the canonical ``c`` leaves ``c`` as it is (lrs.xapi.statement.
#: merge_definitions: name, description and extensions key by key, other properties replaced), in SQL for
#: _insert_new_in_one_statement. tests/store/test_single_statement_path.py checks it against the Python.
PG_DEFINITION_UNCHANGED = """(jsonb_typeof(c) = 'object' AND NOT EXISTS (
    SELECT 1 FROM jsonb_each(n) AS p(key, value) WHERE CASE
        WHEN p.key IN ('name', 'description', 'extensions') AND jsonb_typeof(p.value) = 'object'
            AND jsonb_typeof(c -> p.key) = 'object'
        THEN EXISTS (SELECT 1 FROM jsonb_each(p.value) AS q(key, value) WHERE (c -> p.key -> q.key) IS DISTINCT FROM q.value)
        ELSE (c -> p.key) IS DISTINCT FROM p.value
    END))"""


def _insert_new_in_one_statement(db: Database, batch: StatementBatch, *, can_define: bool) -> Stored | None:
    """PostgreSQL: store a batch of new statements with one SQL statement, its own transaction
    (Database.run_statement). None, with nothing written, when the batch needs :func:`insert_statements`: one of its
    ids is stored (a duplicate or a conflict), a stored StatementRef waits for one of them, or (with the
    define scope) it changes a canonical definition; also when a concurrent transaction defined one of its new
    activities first, whose definition the transaction then merges with this batch's.

    The checks and the inserts read one snapshot, and no row goes in unless every check passes. An id a
    concurrent transaction stored since fails the statement on the unique index; Database.run_statement runs it
    again, and the checks then see the id stored. Every look-up is an equality
    on a key, one per value: the plan is cached (generic) after a few runs, and a set look-up (``= ANY``)
    planned while a table was small stayed a scan of it as it grew.
    """
    prepared = batch.prepared
    stamps = batch.stamps
    dumps = json.dumps
    compact = {"separators": (",", ":")}
    ids = dumps([p.id for p in prepared])
    definitions = "[" + ",".join(f"[{dumps(iri)},{encoded}]" for iri, (_, encoded) in batch.definitions.items()) + "]"
    changes = f" AND NOT EXISTS (SELECT 1 FROM defs WHERE c IS NOT NULL AND NOT {PG_DEFINITION_UNCHANGED})"
    values = ", ".join(f"(r->>{k})::{t}" for k, t in enumerate(_PG_TYPES[3:]))
    link = "SELECT s.seq, r->>1, (r->>2)::boolean FROM jsonb_array_elements(%s::jsonb) AS r JOIN seqs AS s ON s.k = (r->>0)::int"
    agent_link = link.replace("::boolean", "::boolean, (r->>3)::timestamptz")
    query = (
        # The batch's activities with their canonical definitions (c: NULL when not stored; a stored NULL
        # definition reads as JSON null, which a merge changes).
        "WITH defs AS (SELECT i->>0 AS iri, i->1 AS n, (SELECT coalesce(a.definition, 'null') FROM activities AS a "
        "WHERE a.iri = i->>0) AS c FROM jsonb_array_elements(%s::jsonb) AS i), "
        # What insert_statements' look-up would decide on, reduced to go or not.
        "checks AS (SELECT NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(%s::jsonb) AS x(id) WHERE "
        "(SELECT true FROM statements AS s WHERE s.id = x.id) "
        "OR (SELECT true FROM statement_refs_pending AS w WHERE w.target_id = x.id LIMIT 1))"
        f"{changes if can_define else ''} AS go, (SELECT count(*) FROM defs WHERE c IS NULL) AS new_activities), "
        "d AS (INSERT INTO activities (iri, definition, updated) SELECT iri, n, %s FROM defs "
        "WHERE c IS NULL AND (SELECT go FROM checks) ON CONFLICT DO NOTHING RETURNING iri), "
        # Seqs, in the batch's order, only when the rest holds; with the define scope that includes every new
        # activity being this batch's (one another transaction inserted first needs the two merged).
        "seqs AS (SELECT row_number() OVER (ORDER BY seq) - 1 AS k, seq FROM (SELECT nextval(q.sequence) AS seq "
        "FROM (SELECT pg_get_serial_sequence('statements', 'seq')::regclass AS sequence OFFSET 0) AS q, "
        "jsonb_array_elements_text(%s::jsonb) WHERE (SELECT go FROM checks)"
        f"{' AND (SELECT count(*) FROM d) = (SELECT new_activities FROM checks)' if can_define else ''}) AS taken), "
        f"st AS (INSERT INTO statements ({STATEMENT_COLUMNS}) SELECT s.seq, NULL, NULL, {values}, (r->>14)::json "
        "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(r, n) JOIN seqs AS s ON s.k = t.n - 1), "
        f"ag AS (INSERT INTO statement_agents (statement_seq, agent_key, direct, timestamp) {agent_link}), "
        f"ac AS (INSERT INTO statement_activities (statement_seq, activity_iri, direct) {link}), "
        # learning_totals, only when the statements go in.
        f"{pg_totals_ctes(only=' WHERE EXISTS (SELECT 1 FROM seqs)')}, "
        # cohort_totals of the known cohorts among the batch's activities, and its sets' members.
        f"{cohort_totals.pg_ctes(only=' WHERE EXISTS (SELECT 1 FROM seqs)')} "
        f"SELECT (SELECT count(*) FROM seqs), v.n, v.latest FROM ({FRAMEWORKS_VERSION_SQL}) AS v"
    )
    params = (
        definitions, ids, datetime.now(UTC), ids, "[" + ",".join(batch.encoded) + "]",
        dumps([(k, key, d, stamps[k]) for k, p in enumerate(prepared) for key, d in p.agents.items()], **compact),
        dumps([(k, iri, d) for k, p in enumerate(prepared) for iri, d in p.activities.items()], **compact),
        batch.totals or "[]", batch.cohort[0] or "[]", batch.cohort[1] or "[]",
    )
    taken, count, latest = db.run_statement(query, params)
    if taken != len(prepared):
        return None
    return Stored([p.id for p in prepared], frameworks_version(count, latest))


@dataclass
class _Found:
    """What the look-up before a batch found in the store."""

    #: id -> fingerprint of the batch's statements that are already stored
    existing: dict[str, str] = field(default_factory=dict)
    #: (target id, referring seq): stored statements that wait for one of the batch's statements
    waiting: list[tuple[str, int]] = field(default_factory=list)
    #: id -> (seq, verb, registration) of the StatementRef targets that are already stored
    targets: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)
    #: seqs for the batch's new statements, ascending
    seqs: list[int] = field(default_factory=list)
    #: iri -> the canonical definition stored for the activities the batch defines, as its JSON text (decoded
    #: only when it is merged: see _definitions)
    definitions: dict[str, str | None] = field(default_factory=dict)
    frameworks_version: tuple[int, str] = (0, "")
    #: some activity is a known cohort (lrs.store.cohort_totals keeps totals only for those)
    cohorts_known: bool = True


#: SQLite: the look-up's parts that find rows by a list of keys (a JSON array) as a join from the list, each key a
#: probe of the table's index, rather than ``key IN (SELECT value FROM json_each(?))``, which first builds a
#: temporary index of the list (the 100 ids, the activities' IRIs): ~0.8 M instructions a batch under the lock.
#: CROSS JOIN keeps the list first. The waiting referrers (kind 1) come in the order of the IN form, the target
#: id's and then the referrer's (_look_up sorts them). No statement waits for its target most of the time: the
#: list is then not even parsed (json_each of '[]'), which spared parsing the 100 ids and probing the empty index
#: with each (~0.1 M instructions a batch of 100 under the write lock).
#: Three columns (kind, key, text), not PostgreSQL's five: the definitions are most of the rows (~120 of a batch
#: of 100 in the benchmark's workload), and each column of each row cost sqlite3's cursor ~600 instructions.
SQLITE_WAITING = (
    "SELECT 1 AS kind, w.statement_seq AS key, w.target_id AS text FROM json_each("
    "CASE WHEN EXISTS (SELECT 1 FROM statement_refs_pending) THEN ? ELSE '[]' END) AS j "
    "CROSS JOIN statement_refs_pending AS w WHERE w.target_id = j.value"
)
#: The definitions (kind 4) come keyed by the IRI's position in the list (an integer), not by the IRI: the batch
#: has it already, and each as a new str object, hashed again for the dict, cost ~1,000 instructions a row.
SQLITE_DEFINITIONS = (
    "SELECT 4, j.key, a.definition FROM json_each(?) AS j CROSS JOIN activities AS a WHERE a.iri = j.value"
)
#: The StatementRef targets stored (kind 2, a few): their seq, verb and registration as one JSON array.
SQLITE_TARGETS = "SELECT 2, id, json_array(seq, verb_iri, registration) FROM statements WHERE id IN (SELECT value FROM json_each(?))"
SQLITE_LOOK_UP_END = (
    f"SELECT 5, n, latest FROM ({FRAMEWORKS_VERSION_SQL}) AS frameworks_version UNION ALL "
    # Without a known cohort, cohort_totals' upkeep is skipped (insert_statements).
    "SELECT 6, EXISTS (SELECT 1 FROM known_cohorts), NULL UNION ALL "
    "SELECT 3, coalesce(max(seq), 0), NULL FROM statements"
)


def _look_up_query(sql: _Sql, ids: list[str], target_ids: list[str], iris: list[str]) -> tuple[str, list[Any]]:
    """The SQL and parameters of :func:`_look_up` (the parameter of PostgreSQL's seqs appended there)."""
    encoded_ids = compact(ids)
    if not sql.postgres:
        # The statements' INSERT finds a stored id (insert_statements): the ids are not looked up.
        parts, params = [SQLITE_WAITING], [encoded_ids]
        if target_ids:
            parts.append(SQLITE_TARGETS)
            params.append(compact(target_ids))
        if iris:
            parts.append(SQLITE_DEFINITIONS)
            params.append(compact(iris))
        parts.append(SQLITE_LOOK_UP_END)
        return " UNION ALL ".join(parts), params
    stored, waiting = sql.in_list_sql("id"), sql.in_list_sql("target_id")
    parts = [
        f"SELECT 0 AS kind, id AS key, fingerprint AS text, NULL AS seq, NULL AS extra FROM statements WHERE {stored}",
        f"SELECT 1, target_id, NULL, statement_seq, NULL FROM statement_refs_pending WHERE {waiting}",
    ]
    params: list[Any] = [encoded_ids, encoded_ids]
    if target_ids:
        targets, p3 = sql.in_list("id", target_ids)
        parts.append(f"SELECT 2, id, verb_iri, seq, registration FROM statements WHERE {targets}")
        params += p3
    if iris:
        defined, p4 = sql.in_list("iri", iris)
        parts.append(f"SELECT 4, iri, definition::text, NULL, NULL FROM activities WHERE {defined}")
        params += p4
    parts.append(f"SELECT 5, NULL, latest, n, NULL FROM ({FRAMEWORKS_VERSION_SQL}) AS frameworks_version")
    # The sequence's name looked up once, not once per seq (0.8 -> 0.4 ms for a batch of 100).
    parts.append(
        "SELECT 3, NULL, NULL, nextval(q.sequence), NULL FROM (SELECT pg_get_serial_sequence('statements', "
        "'seq')::regclass AS sequence OFFSET 0) AS q, generate_series(1, %s)"
    )
    return " UNION ALL ".join(parts), params


def _look_up(
    conn: Connection, sql: _Sql, query: tuple[str, list[Any]], *, allocate: int, iris: Sequence[str] = ()
) -> _Found:
    """Everything a batch needs from the store, in one round trip (``query``: :func:`_look_up_query`): which of
    its ids are stored, which stored statements wait for one of them as their StatementRef target, the targets
    it refers to, the canonical definitions of the activities it defines, the frameworks' version, on SQLite
    whether any cohort is known, and seqs.

    Seqs are taken up front so the link rows go in with the statements. SQLite: the next rowids, which only
    this transaction can use (it holds the write lock from BEGIN IMMEDIATE). PostgreSQL: nextval() of the
    serial's sequence; a seq a duplicate leaves unused is a gap, as after any rollback. ``iris``: the list of
    IRIs the query's definitions were asked for (SQLite's come back by their position in it).
    """
    text_, params = query
    found = _Found()
    if not sql.postgres:
        for kind, key, text in sql.run(conn, text_, tuple(params)):
            if kind == 4:  # the most of the rows
                found.definitions[iris[key]] = text
            elif kind == 1:
                found.waiting.append((text, key))
            elif kind == 2:
                seq, verb, registration = json.loads(text)
                found.targets[key] = (seq, verb, registration)
            elif kind == 5:
                found.frameworks_version = frameworks_version(key, text)
            elif kind == 6:
                found.cohorts_known = bool(key)
            else:
                found.seqs = list(range(key + 1, key + 1 + allocate))
        found.waiting.sort()
        return found
    for kind, key, text, seq, extra in sql.run(conn, text_, (*params, allocate)):
        if kind == 0:
            found.existing[key] = text
        elif kind == 1:
            found.waiting.append((key, seq))
        elif kind == 2:
            found.targets[key] = (seq, text, extra)
        elif kind == 4:
            found.definitions[key] = text
        elif kind == 5:
            found.frameworks_version = frameworks_version(seq, text)
        else:
            found.seqs.append(seq)
    found.seqs.sort()
    return found


def _existing(conn: Connection, sql: _Sql, ids: list[str]) -> dict[str, str]:
    """id -> fingerprint of those of ``ids`` that are stored."""
    where, params = sql.in_list("id", ids)
    return dict(sql.run(conn, f"SELECT id, fingerprint FROM statements WHERE {where}", tuple(params)).fetchall())


@dataclass
class _Keys:
    """What a query filter can match in a statement: its own agents, activities, verb and registration."""

    agents: dict[str, bool]
    activities: dict[str, bool]
    verb_iri: str
    registration: str | None


def _keys_of(p: PreparedStatement) -> _Keys:
    return _Keys(p.agents, p.activities, p.verb_iri, p.registration)


def _stored_target_keys(
    conn: Connection, sql: _Sql, found: _Found, fresh_by_id: dict[str, PreparedStatement]
) -> dict[str, _Keys]:
    """The index keys of the stored statements the batch's new StatementRefs target (not in the batch)."""
    if not found.targets:  # none stored (or none referred to)
        return {}
    wanted = {p.object_statement_id for p in fresh_by_id.values() if p.object_statement_id} - fresh_by_id.keys()
    targets = {tid: found.targets[tid] for tid in wanted if tid in found.targets}
    if not targets:
        return {}
    keys = {seq: _Keys({}, {}, verb, registration) for seq, verb, registration in targets.values()}
    agents, p1 = sql.in_list("statement_seq", sorted(keys), "bigint")
    activities, p2 = sql.in_list("statement_seq", sorted(keys), "bigint")
    rows = sql.run(
        conn,
        f"SELECT 0, statement_seq, agent_key, direct FROM statement_agents WHERE {agents} UNION ALL "
        f"SELECT 1, statement_seq, activity_iri, direct FROM statement_activities WHERE {activities}",
        (*p1, *p2),
    )
    for kind, seq, key, direct in rows:
        (keys[seq].agents if kind == 0 else keys[seq].activities)[key] = bool(direct)
    return {tid: keys[seq] for tid, (seq, _, _) in targets.items()}


@dataclass
class _RefRows:
    """Rows that give StatementRef statements their targets' index keys."""

    agents: list[tuple[int, str, bool]] = field(default_factory=list)
    activities: list[tuple[int, str, bool]] = field(default_factory=list)
    #: (verb, registration, seq) of referring statements stored before their target
    later: list[tuple[str, str | None, int]] = field(default_factory=list)
    #: (seq, target id) of referring statements whose target is not stored
    pending: list[tuple[int, str]] = field(default_factory=list)

    def add(self, seq: int, keys: _Keys) -> None:
        self.agents.extend((seq, k, d) for k, d in keys.agents.items())
        self.activities.extend((seq, i, d) for i, d in keys.activities.items())

    def write(self, conn: Connection, sql: _Sql) -> None:
        sql.insert_links(conn, "statement_ref_agents", "agent_key", self.agents)
        sql.insert_links(conn, "statement_ref_activities", "activity_iri", self.activities)
        m = sql.mark
        if self.pending:
            sql.run(conn, f"INSERT INTO statement_refs_pending (statement_seq, target_id) VALUES ({m}, {m})",
                    self.pending, many=True)
        if self.later:
            sql.run(conn, f"UPDATE statements SET ref_verb_iri = {m}, ref_registration = {m} WHERE seq = {m}",
                    self.later, many=True)


def _incoming_definitions(prepared: Iterable[PreparedStatement]) -> dict[str, tuple[dict[str, Any], str]]:
    """iri -> (definition, JSON) of the activities these statements define, merged in statement order."""
    merged: dict[str, dict[str, Any]] = {}
    get = merged.get
    for p in prepared:
        for iri, definition in p.definitions.items():
            old = get(iri)
            # The first one as it is: merging it into nothing would copy it (PreparedStatement's own dict, which
            # nothing changes; a merge makes a new one).
            merged[iri] = definition if old is None else merge_definitions(old, definition)
    return {iri: (merged[iri], compact(merged[iri])) for iri in sorted(merged)}


_NOT_STORED = object()


def _definitions(
    incoming: dict[str, tuple[dict[str, Any], str]], current: dict[str, str | None], *, can_define: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, dict[str, Any]]]]:
    """Keep one canonical definition per activity: (iri, JSON) of the activities the batch is the first to
    define, and (iri, merged definition) of those whose definition it changes (only with the define scope).
    In IRI order, and only what changes, so concurrent batches sharing activities neither deadlock nor
    rewrite each other. ``current``: the stored definitions as JSON text. One stored as the very text the
    batch brings (the batch defined it first, or repeats what it says) is left as it is without decoding it:
    merging a definition into itself changes nothing."""
    new: list[tuple[str, str]] = []
    changed: list[tuple[str, dict[str, Any]]] = []
    get = current.get
    for iri, (definition, encoded) in incoming.items():
        text = get(iri, _NOT_STORED)  # one dict look-up for both questions (a stored definition may be None)
        if text is _NOT_STORED:
            new.append((iri, encoded))
        elif can_define and text != encoded:
            stored = _decoded(text)
            merged = merge_definitions(stored, definition)
            if merged != stored:
                changed.append((iri, merged))
    return new, changed


def _merge_locked(
    conn: Connection, sql: _Sql, iris: list[str], incoming: dict[str, tuple[dict[str, Any], str]], now: datetime
) -> None:
    """PostgreSQL: lock these activities' rows (in IRI order, as every writer does, so two batches cannot wait
    for each other), merge the batch's definitions into what they hold now and write what changes."""
    if not iris:
        return
    where, params = sql.in_list("iri", iris)
    rows = conn.exec_driver_sql(
        f"SELECT iri, definition::text FROM activities WHERE {where} ORDER BY iri FOR UPDATE", tuple(params)
    )
    for iri, text in rows.all():
        current = _decoded(text)
        merged = merge_definitions(current, incoming[iri][0])
        if merged != current:
            conn.execute(update(ACT).where(ACT.c.iri == iri).values(definition=merged, updated=now))


def _decoded(text: str | None) -> Any:  # noqa: ANN401 - JSON
    # SQLite returns an activities.definition written by SQLAlchemy's JSON type as text; a JSON null as "null".
    return None if text is None else json.loads(text)


def rebuild_statement_refs(conn: Connection) -> None:
    """Remake every StatementRef statement's copied index rows from the stored statements: what inserts
    maintain one batch at a time, for a store filled some other way (a bulk load). Migration 0005 does the
    same for stores that predate it."""
    for table in (RSA, RSACT, PEND):
        conn.execute(delete(table))
    referrer = S.alias("s")
    target = S.alias("t")
    joined = referrer.join(target, target.c.id == referrer.c.object_statement_id)
    for ref_table, link, key in ((RSA, SA, "agent_key"), (RSACT, SACT, "activity_iri")):
        rows = (
            select(referrer.c.seq, link.c[key], link.c.direct)
            .select_from(joined.join(link, link.c.statement_seq == target.c.seq))
            .where(referrer.c.object_statement_id.is_not(None))
        )
        conn.execute(insert(ref_table).from_select(["statement_seq", key, "direct"], rows))
    of_target = select(target.c.verb_iri).where(target.c.id == S.c.object_statement_id).scalar_subquery()
    registration = select(target.c.registration).where(target.c.id == S.c.object_statement_id).scalar_subquery()
    conn.execute(
        update(S).where(S.c.object_statement_id.is_not(None)).values(ref_verb_iri=of_target, ref_registration=registration)
    )
    missing = ~exists().where(target.c.id == referrer.c.object_statement_id)
    waiting = select(referrer.c.seq, referrer.c.object_statement_id).where(
        referrer.c.object_statement_id.is_not(None), missing
    )
    conn.execute(insert(PEND).from_select(["statement_seq", "target_id"], waiting))


def get_statement(
    conn: Connection, statement_id: str, *, voided: bool, scope: ReadScope | None = None
) -> dict[str, Any] | None:
    """One statement by id: ``voided=False`` for statementId (not voided), True for voidedStatementId. With a
    ``scope``, None unless the statement is one the scope may read."""
    s = S.alias("s")
    query = select(s.c.payload, s.c.authority_key).where(s.c.id == statement_id.lower(), s.c.voided.is_(voided))
    params: dict[str, Any] = {}
    if scope is not None:
        query = query.where(_visible(s, bool(scope.agents), bool(scope.cohorts), scope.authority_key is not None))
        params = _scope_parameters(scope)
    row = conn.execute(query, params).first()
    return None if row is None else {"statement": row.payload, "authority_key": row.authority_key}


def statement_authorities(conn: Connection, statement_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """id -> the ``authority`` of each stored statement (for the voiding rule)."""
    ids = sorted({i.lower() for i in statement_ids})
    if not ids:
        return {}
    rows = conn.execute(select(S.c.id, S.c.payload).where(S.c.id.in_(ids))).all()
    return {r.id: (_decoded(r.payload) if isinstance(r.payload, str) else r.payload).get("authority") or {} for r in rows}


def _learners(key_col, agents: bool, cohorts: bool):  # noqa: ANN001, ANN202
    """``key_col`` is one of the learners of a ReadScope: its own agents, or enrolled in its cohorts."""
    conds = []
    if agents:
        conds.append(key_col.in_(bindparam("scope_agents", expanding=True)))
    if cohorts:
        conds.append(
            key_col.in_(
                select(CE.c.agent_key).where(
                    CE.c.cohort.in_(bindparam("scope_cohorts", expanding=True)), CE.c.role == "learner"
                )
            )
        )
    return or_(*conds)


def _visible(s, agents: bool, cohorts: bool, authority: bool):  # noqa: ANN001, ANN202
    """The condition that statement ``s`` is one a ReadScope may read (see :class:`ReadScope`)."""
    conds = []
    if authority:
        conds.append(s.c.authority_key == bindparam("scope_authority"))
    if agents or cohorts:
        own = SA.alias("own")
        copied = RSA.alias("copied")
        target = S.alias("target")
        target_copied = RSA.alias("target_copied")
        conds += [
            exists().where(own.c.statement_seq == s.c.seq, own.c.direct.is_(True), _learners(own.c.agent_key, agents, cohorts)),
            exists().where(
                copied.c.statement_seq == s.c.seq, copied.c.direct.is_(True), _learners(copied.c.agent_key, agents, cohorts)
            ),
            exists().where(DECISIONS.c.statement_id == s.c.id, _learners(DECISIONS.c.agent_key, agents, cohorts)),
            # A void of a decision (or of another StatementRef) about the learner: two hops, through the target.
            exists().where(
                target.c.id == s.c.object_statement_id,
                target_copied.c.statement_seq == target.c.seq,
                target_copied.c.direct.is_(True),
                _learners(target_copied.c.agent_key, agents, cohorts),
            ),
        ]
    if not conds:
        return false()  # a scope with nothing in it reads nothing
    return or_(*conds)


def _scope_parameters(scope: ReadScope | None) -> dict[str, Any]:
    if scope is None:
        return {}
    values: dict[str, Any] = {}
    if scope.agents:
        values["scope_agents"] = list(scope.agents)
    if scope.cohorts:
        values["scope_cohorts"] = list(scope.cohorts)
    if scope.authority_key is not None:
        values["scope_authority"] = scope.authority_key
    return values


@dataclass
class StatementPage:
    """One page of a statement query, newest first (or oldest first with ``ascending``)."""

    #: The statements as dicts, or as their stored JSON text when the page was asked for ``raw`` (UTF-8 bytes on
    #: SQLite, str on PostgreSQL).
    statements: list[Any]
    #: When more statements match: the seq of the last one here (the ``more`` cursor continues after it).
    more_after: int | None
    #: The latest ``stored`` of the page (for Last-Modified), None for an empty page.
    last_stored: datetime | None


def query_page(
    conn: Connection, q: StatementQuery, *, raw: bool = False, scope: ReadScope | None = None
) -> StatementPage:
    """One page of a statement query.

    Two steps in one SQL statement: the seqs of the page, each branch walking an index in seq order and
    stopping after ``limit + 1`` rows, then the payloads of those seqs only. A filter (agent, verb, activity,
    registration) has three branches, because a statement also matches when the statement its StatementRef
    targets matches: the statement's own index rows, the index rows copied from its target
    (StatementRefAgent...), and the few statements whose target was not stored when they were (checked
    against the target itself). Without a filter there is one branch. No branch is an OR or a scan, so the
    cost of a page does not grow with the store.

    ``raw`` returns each statement as the JSON text the database holds, for callers that only pass it on.
    ``scope`` restricts every branch to the statements a restricted reader may see (:class:`ReadScope`), so
    paging, since/until and limit work as for anyone, and nothing else can come back.
    """
    shape = _Shape.of(q, postgres=conn.dialect.name == "postgresql", raw=raw, scope=scope)
    rows = conn.execute(_page_statement(shape), {**_parameters(q), **_scope_parameters(scope)}).all()
    more = None
    if len(rows) > q.limit:
        rows = rows[: q.limit]
        more = rows[-1][0]
    # Columns by position: a SQLAlchemy Row's attribute by name first fails as an attribute (an AttributeError
    # made and dropped, ~2,000 instructions), a tenth of a 100-statement page's cost.
    if not rows:
        return StatementPage([], more, None)
    _, payloads, stored = zip(*rows, strict=True)
    last = max(stored)
    if isinstance(last, str):  # SQLite, read as text (_page_statement): only the latest is made a datetime
        last = _SQLITE_DATETIME_RESULT(last)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite keeps the UTC wall time without its zone
    return StatementPage(list(payloads), more, last)


_SQLITE_DATETIME_RESULT = S.c.stored.type.dialect_impl(sqlite.dialect()).result_processor(sqlite.dialect(), None)


def query_statements(conn: Connection, q: StatementQuery) -> tuple[list[dict[str, Any]], int | None]:
    """One page of a statement query as dicts, and the ``more`` cursor's seq (see :func:`query_page`)."""
    page = query_page(conn, q)
    return page.statements, page.more_after


class _Shape(NamedTuple):
    """What the SQL of a statement query depends on (its values are parameters). A few dozen occur, and each
    is built once: building the statement cost more than running it (docs/performance.md)."""

    agent: bool
    related_agents: bool
    verb: bool
    activity: bool
    related_activities: bool
    registration: bool
    authority: bool
    since: bool
    until: bool
    after: bool
    ascending: bool
    postgres: bool
    raw: bool
    #: A ReadScope applies (and which of its parts).
    scoped: bool = False
    scope_agents: bool = False
    scope_cohorts: bool = False
    scope_authority: bool = False

    @classmethod
    def of(cls, q: StatementQuery, *, postgres: bool, raw: bool, scope: ReadScope | None = None) -> _Shape:
        return cls(
            bool(q.agent), bool(q.agent) and q.related_agents, bool(q.verb), bool(q.activity),
            bool(q.activity) and q.related_activities, bool(q.registration), bool(q.authority_key), bool(q.since),
            bool(q.until), q.after_seq is not None, q.ascending, postgres, raw,
            scope is not None, bool(scope and scope.agents), bool(scope and scope.cohorts),
            bool(scope and scope.authority_key is not None),
        )

    @property
    def filtered(self) -> bool:
        return self.agent or self.verb or self.activity or self.registration


def _parameters(q: StatementQuery) -> dict[str, Any]:
    values = {
        "agent": q.agent, "verb": q.verb, "activity": q.activity, "registration": q.registration,
        "authority": q.authority_key, "since": q.since_dt, "until": q.until_dt, "after": q.after_seq,
    }
    return {"n": q.limit + 1, **{k: v for k, v in values.items() if v is not None}}


P = {name: bindparam(name) for name in ("agent", "verb", "activity", "registration", "authority", "since", "until",
                                        "after")}


@lru_cache(maxsize=512)
def _page_statement(shape: _Shape):  # noqa: ANN202
    n = bindparam("n", type_=Integer)
    if shape.filtered:
        branches = [
            *_filter_branches(shape, n, via_ref=False),
            *_filter_branches(shape, n, via_ref=True),
            _pending_branch(shape, n),
        ]
    elif shape.scope_agents or shape.scope_cohorts:
        branches = _scoped_branches(shape, n)
    else:
        s = S.alias("s")
        branches = [_ordered(select(s.c.seq).where(*_common(s, shape), *_after(s.c.seq, shape)), s.c.seq, shape, n)]
    candidates = union_all(*[select(b.c.seq) for b in (branch.subquery() for branch in branches)])
    if not shape.raw:
        payload = S.c.payload
    elif shape.postgres:
        payload = cast(S.c.payload, Text)
    else:
        # SQLite keeps JSON as text already: read as its UTF-8 bytes, which the response joins as they are
        # (no decode of every statement into a str and encode of the page back).
        payload = type_coerce(cast(S.c.payload, LargeBinary), Text)
    # On SQLite ``stored`` is read as its text (fixed width, so the latest is the largest) and only the page's
    # latest made a datetime, not every row's.
    stored = S.c.stored if shape.postgres else type_coerce(S.c.stored, Text).label("stored")
    order = S.c.seq.asc() if shape.ascending else S.c.seq.desc()
    return select(S.c.seq, payload.label("payload"), stored).where(S.c.seq.in_(candidates)).order_by(order).limit(n)


def _common(s, shape: _Shape, *, visible: bool = True) -> list[Any]:  # noqa: ANN001
    """Conditions on the returned statement itself, whatever made it match: not voided, the caller's
    authority (statements/read/mine), since/until on its ``stored``, and (``visible``) the ReadScope."""
    conds = [s.c.voided.is_(False)]
    if shape.authority:
        conds.append(s.c.authority_key == P["authority"])
    if shape.since:
        conds.append(s.c.stored > P["since"])
    if shape.until:
        conds.append(s.c.stored <= P["until"])
    if shape.scoped and visible:
        conds.append(_visible(s, shape.scope_agents, shape.scope_cohorts, shape.scope_authority))
    return conds


def _scoped_branches(shape: _Shape, n):  # noqa: ANN001, ANN202
    """An unfiltered query of a restricted reader: one index walk per way a statement can be readable (see
    ReadScope), each stopped after one page, instead of walking every statement and testing each. Every row
    these walks find is readable by construction."""
    agents, cohorts = shape.scope_agents, shape.scope_cohorts
    branches = []
    for link in (SA, RSA):  # the learners' own statements; statements referring to them
        walk = link.alias("walk")
        s = S.alias("s")
        stmt = (
            select(walk.c.statement_seq.label("seq"))
            .select_from(walk.join(s, s.c.seq == walk.c.statement_seq))
            .where(walk.c.direct.is_(True), _learners(walk.c.agent_key, agents, cohorts),
                   *_common(s, shape, visible=False), *_after(walk.c.statement_seq, shape))
        )
        branches.append(_ordered(stmt, walk.c.statement_seq, shape, n))
    s = S.alias("s")
    decisions = (
        select(s.c.seq)
        .select_from(DECISIONS.join(s, s.c.id == DECISIONS.c.statement_id))
        .where(_learners(DECISIONS.c.agent_key, agents, cohorts), *_common(s, shape, visible=False),
               *_after(s.c.seq, shape))
    )
    branches.append(_ordered(decisions, s.c.seq, shape, n))
    s, target, copied = S.alias("s"), S.alias("target"), RSA.alias("target_copied")
    voids = (
        select(s.c.seq)
        .select_from(
            copied.join(target, target.c.seq == copied.c.statement_seq).join(s, s.c.object_statement_id == target.c.id)
        )
        .where(copied.c.direct.is_(True), _learners(copied.c.agent_key, agents, cohorts),
               *_common(s, shape, visible=False), *_after(s.c.seq, shape))
    )
    branches.append(_ordered(voids, s.c.seq, shape, n))
    if shape.scope_authority:
        s = S.alias("s")
        mine = select(s.c.seq).where(
            s.c.authority_key == bindparam("scope_authority"), *_common(s, shape, visible=False), *_after(s.c.seq, shape)
        )
        branches.append(_ordered(mine, s.c.seq, shape, n))
    return branches


def _after(seq, shape: _Shape) -> list[Any]:  # noqa: ANN001
    if not shape.after:
        return []
    return [seq > P["after"] if shape.ascending else seq < P["after"]]


def _ordered(stmt, seq, shape: _Shape, n):  # noqa: ANN001, ANN202
    return stmt.order_by(seq.asc() if shape.ascending else seq.desc()).limit(n)


def _filter_branches(shape: _Shape, n, *, via_ref: bool) -> list[Any]:  # noqa: ANN001
    """Seqs of statements matching the filters by their own index rows, or (``via_ref``) by the rows copied
    from their StatementRef target. Driven by the agent's or activity's link rows when the query has one
    (the most selective), else by the (verb, seq) or (registration, seq) index. A related_* query walks the
    direct and the related rows as two branches: each is in seq order on the (key, direct, seq) index, both
    together are not."""
    agents, activities = (RSA, RSACT) if via_ref else (SA, SACT)
    s = S.alias("s")
    verb_col = s.c.ref_verb_iri if via_ref else s.c.verb_iri
    registration_col = s.c.ref_registration if via_ref else s.c.registration
    conds = _common(s, shape)
    if shape.verb:
        conds.append(verb_col == P["verb"])
    if shape.registration:
        conds.append(registration_col == P["registration"])
    if shape.agent:
        link, key_col, key, related = agents, agents.c.agent_key, P["agent"], shape.related_agents
        if shape.activity:
            conds.append(_link_exists(activities, activities.c.activity_iri, s, P["activity"], shape.related_activities))
    elif shape.activity:
        link, key_col, key, related = activities, activities.c.activity_iri, P["activity"], shape.related_activities
    else:
        return [_ordered(select(s.c.seq).where(*conds, *_after(s.c.seq, shape)), s.c.seq, shape, n)]
    branches = []
    for direct in (True, False) if related else (True,):
        seq = link.c.statement_seq
        stmt = (
            select(seq.label("seq"))
            .select_from(link.join(s, s.c.seq == seq))
            .where(key_col == key, link.c.direct == direct, *conds, *_after(seq, shape))
        )
        branches.append(_ordered(stmt, seq, shape, n))
    return branches


def _link_exists(link, key_col, s, key, related: bool):  # noqa: ANN001, ANN202
    cond = and_(link.c.statement_seq == s.c.seq, key_col == key)
    return exists().where(cond if related else and_(cond, link.c.direct.is_(True)))


def _pending_branch(shape: _Shape, n):  # noqa: ANN001, ANN202
    """Statements whose StatementRef target was not stored when they were: the target itself is checked.
    Only a handful (targets that never came, or came in a concurrent transaction), and checked by id.

    Written as correlated EXISTS so that the pending rows are the only table a planner can start from:
    SQLite has no statistics to know they are few, and would otherwise walk every statement with the verb
    or in the since/until range."""
    s = S.alias("s")
    target = S.alias("target")
    seq = PEND.c.statement_seq
    the_target = [target.c.id == PEND.c.target_id]
    if shape.verb:
        the_target.append(target.c.verb_iri == P["verb"])
    if shape.registration:
        the_target.append(target.c.registration == P["registration"])
    if shape.agent:
        the_target.append(_link_exists(SA, SA.c.agent_key, target, P["agent"], shape.related_agents))
    if shape.activity:
        the_target.append(_link_exists(SACT, SACT.c.activity_iri, target, P["activity"], shape.related_activities))
    stmt = select(seq.label("seq")).where(
        exists().where(s.c.seq == seq, *_common(s, shape)),
        exists().where(*the_target),
        *_after(seq, shape),
    )
    return _ordered(stmt, seq, shape, n)


def canonical_definitions(conn: Connection, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
    iris = sorted(set(iris))
    if not iris:
        return {}
    rows = conn.execute(select(ACT.c.iri, ACT.c.definition).where(ACT.c.iri.in_(iris))).all()
    return {r.iri: r.definition for r in rows if r.definition}


def get_attachments(
    conn: Connection, sha2s: Iterable[str], scope: ReadScope | None = None
) -> dict[str, tuple[str, bytes]]:
    """The bytes held for these hashes; with a ``scope``, only those a statement the scope may read carried."""
    sha2s = sorted(set(sha2s))
    if not sha2s:
        return {}
    query = select(ATT.c.sha2, ATT.c.content_type, ATT.c.content).where(ATT.c.sha2.in_(sha2s))
    params: dict[str, Any] = {}
    if scope is not None:
        s = S.alias("s")
        visible = _visible(s, bool(scope.agents), bool(scope.cohorts), scope.authority_key is not None)
        query = query.where(exists().where(ATS.c.sha2 == ATT.c.sha2, s.c.id == ATS.c.statement_id, visible))
        params = _scope_parameters(scope)
    rows = conn.execute(query, params)
    return {r.sha2: (r.content_type, bytes(r.content)) for r in rows}


def latest_seq(conn: Connection) -> int:
    return conn.execute(select(S.c.seq).order_by(S.c.seq.desc()).limit(1)).scalar() or 0


def statement_counts(conn: Connection) -> dict[str, int]:
    """How many statements are stored, and how many of them are voided (for the admin's system page)."""
    row = conn.execute(
        select(func.count().label("stored"), func.count().filter(S.c.voided.is_(True)).label("voided")).select_from(S)
    ).one()
    return {"stored": int(row.stored or 0), "voided": int(row.voided or 0)}
