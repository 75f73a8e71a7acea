"""The write path encodes rows itself on SQLite (lrs.store.statements._Sql): what it writes must read back
through the models exactly as SQLAlchemy's own encoding would, and a driver error must arrive as SQLAlchemy's,
which is what Database.write retries (a lock timeout) or answers (a unique violation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from lrs.store.statements import S, _Sql


def test_sqlite_datetimes_are_the_text_sqlalchemy_writes():
    dialect = sqlite.dialect()
    theirs = S.c.stored.type.dialect_impl(dialect).bind_processor(dialect)
    ours = _Sql.of(dialect).datetime
    for value in (
        datetime(2026, 12, 5, 20, 1, 2, 345000, tzinfo=UTC),
        datetime(2026, 12, 5, 20, 1, 2, tzinfo=UTC),
        datetime(1, 1, 1),
        datetime(999, 3, 4, 5, 6, 7, 8),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ):
        assert ours(value) == theirs(value)
    assert ours(None) is None


def test_a_driver_error_on_sqlite_arrives_as_sqlalchemys(lrs_instance, db_dialect):
    if db_dialect != "sqlite":
        pytest.skip("PostgreSQL runs these through SQLAlchemy's exec_driver_sql already")
    sql = _Sql.of(lrs_instance.db.engine.dialect)

    def duplicate(conn):  # noqa: ANN001, ANN202
        sql.run(conn, "INSERT INTO activities (iri, definition, updated) VALUES (?, ?, ?)",
                [("https://x.example/a", "{}", "2026-12-05 00:00:00.000000")] * 2, many=True)

    with pytest.raises(IntegrityError):
        lrs_instance.db.write(duplicate)
    with pytest.raises(OperationalError), lrs_instance.db.engine.connect() as conn:
        sql.run(conn, "SELECT * FROM no_such_table", ())
    rows = lrs_instance.db.write(lambda conn: sql.run(conn, "SELECT count(*) FROM activities", ()).fetchall())
    assert rows == [(0,)]  # the failed transaction left nothing behind
