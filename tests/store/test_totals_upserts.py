"""SQLite's write path upserts a batch's learning_totals rows several rows to a statement and marks their months as
waiting (lrs.store.statements.sqlite_totals_writes): what it stores must be what the one-row upserts, run row by
row, store, for any number of rows and whether the rows' keys are stored already or not; and the months, once
folded (lrs.store.learning.fold_months), must be the days added up per month and over all time."""

from __future__ import annotations

import random
import sqlite3

import pytest

from lrs.store.learning import add_months, fold_months
from lrs.store.statements import SQLITE_ROWS_AT_ONCE, SQLITE_TOTALS_UPSERT, _Sql, sqlite_totals_writes

TABLES = ("learning_totals",)


def _batch(rng: random.Random, n: int) -> list[tuple]:
    """``n`` learning_totals rows as the write path encodes them on SQLite: distinct keys in key order, a few
    learners on several days (some in two months), fractional seconds, untimed rows, latest as text."""
    rows = {}
    while len(rows) < n:
        agent = f"mbox:mailto:l{rng.randrange(12)}@x.example"
        day = f"2026-{rng.choice(('01', '02'))}-{rng.randrange(1, 29):02d}"
        mode, verb = rng.choice((("formal", ""), ("social", ""), ("", "http://x.example/verbs/read")))
        timed = rng.randrange(2)
        seconds = rng.randrange(1, 10_000) / rng.choice((1, 3, 7, 10)) if timed else 0.0
        latest = f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00.{rng.randrange(10**6):06d}"
        rows[(agent, day, mode, verb)] = (rng.randrange(1, 4), seconds, timed, latest)
    return [(*key, *rows[key]) for key in sorted(rows)]


def _stored(conn: sqlite3.Connection) -> dict[str, list]:
    # Each value with its storage class, floats to the bit.
    def exact(value: object) -> object:
        return value.hex() if isinstance(value, float) else value

    return {
        t: [[(type(v).__name__, exact(v)) for v in row] for row in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4")]
        for t in TABLES
    }


def test_the_upserts_of_several_rows_store_what_one_row_at_a_time_stores(lrs_instance, db_dialect):  # noqa: ANN001
    if db_dialect != "sqlite":
        pytest.skip("PostgreSQL adds a batch's rows up in its one statement")
    db = lrs_instance.db
    sql = _Sql.of(db.engine.dialect)
    with db.engine.connect() as conn:
        schema = [
            ddl for (ddl,) in conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'learning_totals'"
            )
        ]
    reference = sqlite3.connect(":memory:")
    for ddl in schema:
        reference.execute(ddl)
    rng = random.Random(23)
    largest = SQLITE_ROWS_AT_ONCE[0]
    sizes = [0, 1, 7, 8, 9, largest - 1, largest, largest + 1, 2 * largest + 9, 100, 3, 64]
    marked: set[tuple[str, str]] = set()
    for n in sizes:
        rows = _batch(rng, n)
        writes = sqlite_totals_writes(rows)
        assert (writes == []) == (n == 0)

        def write(conn, writes=writes):  # noqa: ANN001, ANN202
            for statement, params, many in writes:
                sql.run(conn, statement, params, many=many)

        db.write(write)
        reference.executemany(SQLITE_TOTALS_UPSERT, rows)
        marked |= {(agent, day[:7]) for agent, day, *_ in rows}
    with db.engine.connect() as conn:
        ours = _stored(conn.connection.driver_connection)
        waiting = set(conn.exec_driver_sql("SELECT agent_key, month FROM learning_months_waiting").all())
        assert conn.exec_driver_sql("SELECT count(*) FROM learning_month_totals").scalar() == 0
    theirs = _stored(reference)
    assert ours == theirs
    # Both paths taken: new keys, and keys met again (the conflict path: more than one batch's count).
    assert len(ours["learning_totals"]) > 100
    assert sum(1 for row in ours["learning_totals"] if row[4][1] > 3) > 10
    # Every month the batches added to is marked, once; folded, the months are the days added up.
    assert waiting == marked
    assert db.write(fold_months) == len(marked)
    with db.engine.connect() as conn:
        folded = _months(conn)
        assert conn.exec_driver_sql("SELECT count(*) FROM learning_months_waiting").scalar() == 0
        conn.exec_driver_sql("DELETE FROM learning_month_totals")
        add_months(conn)
        assert _months(conn) == folded
        conn.rollback()
    assert {row[1] for row in folded} == {"", "2026-01", "2026-02"}


def _months(conn) -> list[tuple]:  # noqa: ANN001
    # Seconds to the microsecond: a whole record is its months added up, not its days.
    return [(*row[:5], round(row[5], 6), *row[6:]) for row in conn.exec_driver_sql(
        "SELECT * FROM learning_month_totals ORDER BY 1, 2, 3, 4")]
