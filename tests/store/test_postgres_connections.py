"""PostgreSQL connections the database dropped: a pooled connection that sat idle is checked before use and
replaced, one in use moments ago is not pinged, and a write whose connection dies is run again."""

from __future__ import annotations

import time

import pytest
from conftest import DATABASES, POSTGRES_URL

from lrs.store import db as db_module
from lrs.store.db import Database

pytestmark = pytest.mark.skipif("postgresql" not in DATABASES, reason="PostgreSQL is not among LRS_TEST_DATABASES")


def _backend_pid(database: Database) -> int:
    with database.read() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _terminate(pid: int) -> None:
    other = Database(POSTGRES_URL)
    try:
        with other.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(%s)", (pid,))
            conn.commit()
    finally:
        other.dispose()


@pytest.fixture
def database(monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_SECONDS_BEFORE_PING", 0.2)
    database = Database(POSTGRES_URL)
    yield database
    database.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(database):
    first = _backend_pid(database)
    _terminate(first)
    time.sleep(0.3)
    assert _backend_pid(database) != first  # no error: the pool pinged it, found it dead and opened another


def test_a_connection_used_moments_ago_is_not_pinged(database, monkeypatch):
    pings = []
    real_ping = database.engine.dialect.do_ping
    monkeypatch.setattr(database.engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    _backend_pid(database)
    _backend_pid(database)
    assert pings == []
    time.sleep(0.3)
    _backend_pid(database)
    assert len(pings) == 1


def test_a_write_whose_connection_dies_runs_again_on_a_new_one(database):
    attempts = []

    def work(conn):  # noqa: ANN001, ANN202
        attempts.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        if len(attempts) == 1:
            _terminate(attempts[0])
            conn.exec_driver_sql("SELECT 1")  # the server has gone: a disconnect error
        return "done"

    assert database.write(work) == "done"
    assert len(attempts) == 2 and attempts[0] != attempts[1]


def test_a_single_statement_whose_connection_dies_runs_again_on_a_new_one(database):
    """Database.run_statement (the single-statement write) retries on a new connection as write() does."""
    used = database.run_statement("SELECT pg_backend_pid()", ())[0]
    _terminate(used)  # the connection goes back to the pool used moments ago: it is not pinged
    assert database.run_statement("SELECT pg_backend_pid()", ())[0] != used


def test_a_single_statement_error_arrives_as_sqlalchemys(database):
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError) as raised:
        database.run_statement("SELECT * FROM no_such_table", ())
    assert raised.value.orig.sqlstate == "42P01"
    assert database.run_statement("SELECT 1", ()) == (1,)  # and the connection is fit for the next one


def test_after_a_burst_one_connection_serves_a_quiet_stream(database):
    # Three connections in use at once (a burst of concurrent requests), then returned to the pool.
    held = [database.engine.connect() for _ in range(3)]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() for conn in held]
    for conn in held:
        conn.close()
    # One request at a time afterwards: each gets the connection returned last, so one backend with warm caches
    # serves them all (first-in-first-out would cycle through the three, each one colder).
    assert {_backend_pid(database) for _ in range(6)} == {pids[-1]}
