"""``learner_versions`` and ``learner_answers``: each learner's record version, and plugins' answers about learners
kept against it (lrs.services.learner_answers orchestrates; this module is their SQL).

A learner's version is bumped in the transaction of every write that changes what ``learning_totals`` counts for
them (lrs.store.learning calls :func:`bump` and puts :data:`SQLITE_BUMP` / :func:`pg_bump_cte` in the write
path's statements), so it changes whenever their statements, their modes or their agent keys do. The generation
row (agent key :data:`GENERATION`) is bumped by a change that may touch any learner's answer. An answer is kept
only if, under a lock on the version rows it was worked out from, they still hold the versions it was worked out
from (:func:`keep`); an erasure bumps the generation first and then deletes every kept answer (:func:`forget`),
so no answer worked out before it survives it.

Every PostgreSQL writer bumps a learner's version before it writes that learner's totals rows (the write path's
CTEs join the days and months to the bump's RETURNING rows; ``refresh_totals`` and voiding bump first), in key
order: two writers of the same learners wait for each other at the version rows instead of deadlocking on their
totals rows (docs/performance.md, seventeenth round: 1-2 deadlocks in three runs of batches of 10 and 100, against
12 before the versions and 8 with the bump last).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from lrs.store.enrolments import LEARNER

log = logging.getLogger(__name__)

#: The agent key of the generation row (no agent key is empty).
GENERATION = ""

_ADD_ONE = "ON CONFLICT (agent_key) DO UPDATE SET version = learner_versions.version + 1"
#: SQLite: bump the versions of the agent keys in one JSON array parameter (distinct).
SQLITE_BUMP = f"INSERT INTO learner_versions (agent_key, version) SELECT value, 1 FROM json_each(?) WHERE true {_ADD_ONE}"
_PG_BUMP = (
    "INSERT INTO learner_versions (agent_key, version) SELECT k, 1 FROM jsonb_array_elements_text(%s::jsonb) AS k "
    f"ORDER BY 1 {_ADD_ONE}"
)


def pg_bump_cte(rows: str, agent: str) -> str:
    """PostgreSQL: the body of a CTE of the write path's one statement that bumps the version of every distinct
    ``agent`` of the CTE ``rows`` (in key order, the order every writer takes the rows' locks in)."""
    return f"INSERT INTO learner_versions (agent_key, version) SELECT DISTINCT {agent}, 1 FROM {rows} ORDER BY 1 {_ADD_ONE}"


def bump(conn: Connection, agent_keys: Sequence[str]) -> None:
    """Bump these learners' versions (in the caller's transaction)."""
    keys = sorted(set(agent_keys))
    if not keys:
        return
    postgres = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(_PG_BUMP if postgres else SQLITE_BUMP, (json.dumps(keys),))


def bump_generation(conn: Connection) -> None:
    """Bump the generation: every answer kept so far is out of date."""
    bump(conn, [GENERATION])


def _in(postgres: bool) -> str:
    return "= ANY(%s)" if postgres else "IN (SELECT value FROM json_each(?))"


#: PostgreSQL: the version rows of the keys of the array parameter, as a join (a hash join over the table or a
#: look-up per key: either is linear in the rows), not ``agent_key = ANY(%s)`` (see _PG_ANSWERS).
_PG_VERSIONS = (
    "SELECT v.agent_key, v.version FROM unnest(%s::text[]) AS k(key) JOIN learner_versions v ON v.agent_key = k.key"
)
#: PostgreSQL: the kept answers of the keys of the array parameter, one primary-key look-up per key (a LATERAL
#: subquery with a LIMIT is not flattened into a join). ``kind = %s AND agent_key = ANY(%s)``, once psycopg had
#: prepared it (the answer keeper runs it hundreds of times), kept a generic plan made while the table was small:
#: every row of the kind filtered against each of 500 keys, 144 ms for a dashboard's read of 500 answers once the
#: keeper had kept 20,000, against 4 ms this way (and the reads are no longer prepared: :func:`_rows`).
_PG_ANSWERS = (
    "SELECT t.* FROM unnest(%s::text[]) AS k(key) CROSS JOIN LATERAL (SELECT agent_key, code, version, generation, "
    "answer FROM learner_answers WHERE agent_key = k.key AND kind = %s LIMIT 1) AS t"
)


def _rows(conn: Connection, sql: str, params: tuple[object, ...]) -> list[Any]:
    """The rows of a read of many learners' rows. PostgreSQL: never prepared, so planned each time for the table as it
    is now: psycopg prepares a statement run five times (the answer keeper runs these hundreds of times, while the
    tables grow from nothing), and a generic plan made while a table was small stays in use."""
    if conn.dialect.name != "postgresql":
        return conn.exec_driver_sql(sql, params).all()
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(sql, params, prepare=False)
        return cursor.fetchall()


def _keys_param(postgres: bool, keys: Sequence[str]) -> object:
    return list(keys) if postgres else json.dumps(list(keys))


def read_versions(conn: Connection, agent_keys: Sequence[str]) -> tuple[dict[str, int], int]:
    """(agent key -> version, for those with a row; the generation)."""
    postgres = conn.dialect.name == "postgresql"
    sql = _PG_VERSIONS if postgres else f"SELECT agent_key, version FROM learner_versions WHERE agent_key {_in(postgres)}"
    versions = dict(_rows(conn, sql, (_keys_param(postgres, [GENERATION, *agent_keys]),)))
    return versions, int(versions.pop(GENERATION, 0))


def read_answers(conn: Connection, kind: str, agent_keys: Sequence[str]) -> dict[str, tuple[str, int, int, str]]:
    """The kept answers of ``kind`` about these learners: agent key -> (code, version, generation, answer text)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        sql, params = _PG_ANSWERS, (_keys_param(postgres, agent_keys), kind)
    else:
        sql = f"SELECT agent_key, code, version, generation, answer FROM learner_answers WHERE kind = ? AND agent_key {_in(postgres)}"
        params = (kind, _keys_param(postgres, agent_keys))
    rows = _rows(conn, sql, params)
    return {key: (code, int(version), int(generation), answer) for key, code, version, generation, answer in rows}


def keep(
    conn: Connection, kind: str, code: str, answers: Mapping[str, str], versions: Mapping[str, int], generation: int
) -> int:
    """Keep these answers (agent key -> JSON text), worked out from the learners' ``versions`` (0 without a row)
    and ``generation``, for those whose versions are still those: the version rows are read under a share lock
    (PostgreSQL; SQLite's writer holds the database's lock), so a write that bumps one waits for this transaction
    or this one sees its bump. Returns how many were kept."""
    if not answers:
        return 0
    postgres = conn.dialect.name == "postgresql"
    keys = sorted(answers)
    # The generation row is made by migration 0027; should it be gone, it is made again, so that there is a row
    # to lock (an erasure bumps it, waiting for this transaction).
    conn.exec_driver_sql(f"INSERT INTO learner_versions (agent_key, version) VALUES ('{GENERATION}', 0) ON CONFLICT DO NOTHING")
    if postgres:
        # Locked in key order (the rows are locked as the sort gives them), as every writer locks them.
        sql = f"{_PG_VERSIONS} ORDER BY v.agent_key FOR SHARE OF v"
    else:
        sql = f"SELECT agent_key, version FROM learner_versions WHERE agent_key {_in(postgres)}"
    now = dict(_rows(conn, sql, (_keys_param(postgres, [GENERATION, *keys]),)))
    if int(now.pop(GENERATION, 0)) != generation:
        return 0
    kept = [
        (kind, key, code, versions.get(key, 0), generation, answers[key])
        for key in keys
        if now.get(key, 0) == versions.get(key, 0)
    ]
    if kept:
        mark = "%s" if postgres else "?"
        conn.exec_driver_sql(
            "INSERT INTO learner_answers (kind, agent_key, code, version, generation, answer) "
            f"VALUES ({', '.join([mark] * 6)}) ON CONFLICT (kind, agent_key) DO UPDATE SET code = excluded.code, "
            "version = excluded.version, generation = excluded.generation, answer = excluded.answer",
            kept,
        )
    return len(kept)


def keep_if_possible(
    db: Any, kind: str, code: str, answers: Mapping[str, str], versions: Mapping[str, int], generation: int  # noqa: ANN401
) -> int | None:
    """:func:`keep` in a transaction of its own (``db``: lrs.store.db.Database), as best effort: a read-only
    database, or a writer holding the lock too long, leaves the answers not kept (logged; None)."""
    try:
        return db.write(lambda conn: keep(conn, kind, code, answers, versions, generation))
    except DBAPIError as exc:
        log.warning("answers of %s about %d learners worked out but not kept: %s", kind, len(answers), exc)
        return None


def forget(conn: Connection, agent_keys: Sequence[str]) -> None:
    """An erasure's part: every kept answer goes (an erasure rewrites other learners' statements that name the
    person, and an answer may quote them), after the generation is bumped so that none worked out before it is
    kept after it; the erased keys' version rows go too."""
    bump_generation(conn)
    conn.exec_driver_sql("DELETE FROM learner_answers")
    keys = sorted(set(agent_keys) - {GENERATION})
    if keys:
        postgres = conn.dialect.name == "postgresql"
        conn.exec_driver_sql(
            f"DELETE FROM learner_versions WHERE agent_key {_in(postgres)}", (_keys_param(postgres, keys),)
        )


def change_mark(conn: Connection) -> tuple[int | str, ...]:
    """A mark that differs after any version is bumped, a version row goes (an erasure), or an enrolment is
    added or removed: (the generation, the sum and the number of the version rows, the number of learner
    enrolments and the latest one's time). Versions only grow, so their sum does until an erasure deletes rows,
    which it counts. The latest enrolment's time tells one learner leaving and another joining between two looks
    (as many enrolments as before) from nothing. One scan of each table (a few thousand rows each), for a reader
    that asks "anything new?" every few seconds."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    versions = conn.exec_driver_sql(
        "SELECT coalesce(sum(CASE WHEN agent_key = '' THEN version ELSE 0 END), 0), coalesce(sum(version), 0), "
        "count(*) FROM learner_versions"
    ).one()
    enrolled, latest = conn.exec_driver_sql(
        f"SELECT count(*), max(enrolled_at) FROM cohort_enrolments WHERE role = {mark}", (LEARNER,)
    ).one()
    return (int(versions[0]), int(versions[1]), int(versions[2]), int(enrolled or 0), str(latest or ""))


def enrolled_learner_versions(conn: Connection) -> tuple[dict[str, int], int]:
    """(agent key -> version (0 without a row) of every learner enrolled in any cohort; the generation)."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    rows = conn.exec_driver_sql(
        "SELECT e.agent_key, coalesce(v.version, 0) FROM cohort_enrolments e "
        f"LEFT JOIN learner_versions v ON v.agent_key = e.agent_key WHERE e.role = {mark}",
        (LEARNER,),
    )
    versions = {key: int(version) for key, version in rows}
    generation = conn.exec_driver_sql(
        f"SELECT version FROM learner_versions WHERE agent_key = {mark}", (GENERATION,)
    ).scalar()
    return versions, int(generation or 0)
