"""PostgreSQL stores a batch of new statements with one SQL statement (lrs.store.statements.store_batch), and
hands every batch that needs more to the transaction: what a client sees must be the same either way."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import statement

from lrs.services.statements import LRS
from lrs.store import statements as statement_store
from lrs.xapi.errors import Conflict
from lrs.xapi.statement import merge_definitions, prepare

ACTIVITY = "https://lrs.example/activities/residential-1"


@pytest.fixture
def pg(lrs_instance: LRS) -> LRS:
    if lrs_instance.db.dialect != "postgresql":
        pytest.skip("the single-statement path is PostgreSQL's")
    return lrs_instance


def _batch(lrs: LRS, *bodies: dict[str, Any]) -> statement_store.StatementBatch:
    authority = lrs.operator_principal().authority
    now = datetime.now(UTC)
    prepared = [prepare(b, stored=now, authority=authority, version="1.0.3") for b in bodies]
    return statement_store.StatementBatch(prepared, lrs.db.engine.dialect)


def _named(name: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return statement(
        id=str(uuid.uuid4()),
        object={"objectType": "Activity", "id": ACTIVITY, "definition": {"name": name}},
        **overrides,
    )


class Calls:
    """Counts the database's single statements (Database.run_statement) and write transactions."""

    def __init__(self, lrs: LRS, monkeypatch: pytest.MonkeyPatch):
        self.statements: list[str] = []
        self.transactions = 0
        db = lrs.db
        run_statement, write = db.run_statement, db.write

        def counted_statement(sql, params):  # noqa: ANN001, ANN202
            self.statements.append(sql)
            return run_statement(sql, params)

        def counted_write(work, **options):  # noqa: ANN001, ANN003, ANN202
            self.transactions += 1
            return write(work, **options)

        monkeypatch.setattr(db, "run_statement", counted_statement)
        monkeypatch.setattr(db, "write", counted_write)


def _definition(lrs: LRS) -> dict[str, Any]:
    with lrs.db.read() as conn:
        return statement_store.canonical_definitions(conn, {ACTIVITY})[ACTIVITY]


def _count(lrs: LRS, sql: str) -> int:
    with lrs.db.read() as conn:
        return conn.exec_driver_sql(sql).scalar_one()


def test_new_statements_take_one_sql_statement_and_no_transaction(pg, monkeypatch):
    batch = _batch(pg, _named({"en-GB": "Residential 1"}), _named({"en-GB": "Residential 1"}))
    calls = Calls(pg, monkeypatch)
    stored = statement_store.store_batch(pg.db, batch, can_define=True)
    assert stored.ids == [p.id for p in batch.prepared]
    assert len(calls.statements) == 1 and calls.transactions == 0
    assert _count(pg, "SELECT count(*) FROM statements") == 2
    # The actor and the authority of each, and the activity of each.
    assert _count(pg, "SELECT count(*) FROM statement_agents") == 4
    assert _count(pg, "SELECT count(*) FROM statement_activities") == 2
    assert _definition(pg) == {"name": {"en-GB": "Residential 1"}}


def test_seqs_follow_the_batch_order(pg):
    bodies = [_named({"en-GB": "Residential 1"}) for _ in range(30)]
    statement_store.store_batch(pg.db, _batch(pg, *bodies), can_define=True)
    with pg.db.read() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM statements ORDER BY seq")]
    assert ids == [b["id"] for b in bodies]


def test_a_resent_statement_is_accepted_and_stored_once(pg):
    body = _named({"en-GB": "Residential 1"})
    statement_store.store_batch(pg.db, _batch(pg, body), can_define=True)
    again = statement_store.store_batch(pg.db, _batch(pg, body), can_define=True)
    assert again.ids == [body["id"]]
    assert _count(pg, "SELECT count(*) FROM statements") == 1


def test_a_conflicting_id_rejects_the_whole_batch(pg):
    stored = _named({"en-GB": "Residential 1"})
    statement_store.store_batch(pg.db, _batch(pg, stored), can_define=True)
    links = _count(pg, "SELECT count(*) FROM statement_agents")
    fresh = _named({"en-GB": "Residential 1"})
    changed = {**stored, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    with pytest.raises(Conflict):
        statement_store.store_batch(pg.db, _batch(pg, fresh, changed), can_define=True)
    assert _count(pg, "SELECT count(*) FROM statements") == 1
    assert _count(pg, "SELECT count(*) FROM statement_agents") == links


def test_a_changed_definition_is_merged_with_the_define_scope_only(pg):
    statement_store.store_batch(pg.db, _batch(pg, _named({"en-GB": "Residential 1"})), can_define=True)
    statement_store.store_batch(pg.db, _batch(pg, _named({"fr-FR": "Résidentiel 1"})), can_define=False)
    assert _definition(pg) == {"name": {"en-GB": "Residential 1"}}
    statement_store.store_batch(pg.db, _batch(pg, _named({"fr-FR": "Résidentiel 1"})), can_define=True)
    assert _definition(pg) == {"name": {"en-GB": "Residential 1", "fr-FR": "Résidentiel 1"}}
    assert _count(pg, "SELECT count(*) FROM statements") == 3


def test_a_statement_waited_for_by_a_stored_statementref_gives_it_its_keys(pg, client):
    target = _named({"en-GB": "Residential 1"})
    ref = statement(id=str(uuid.uuid4()), object={"objectType": "StatementRef", "id": target["id"]})
    assert client.post_statements(ref).status_code == 200
    assert _count(pg, "SELECT count(*) FROM statement_refs_pending") == 1
    assert client.post_statements(target).status_code == 200
    assert _count(pg, "SELECT count(*) FROM statement_refs_pending") == 0
    found = client.get("/xapi/statements", query_string={"activity": ACTIVITY}).get_json()["statements"]
    assert {s["id"] for s in found} == {target["id"], ref["id"]}


@contextmanager
def _another_transaction_storing(lrs: LRS, body: dict[str, Any]) -> Iterator[None]:
    """Inside: another transaction has stored ``body`` and not committed; it commits 0.5 s after it began."""
    written = threading.Event()

    def hold_open(conn) -> None:  # noqa: ANN001
        statement_store.insert_statements(conn, _batch(lrs, body), can_define=True)
        written.set()
        time.sleep(0.5)

    other = threading.Thread(target=lrs.db.write, args=(hold_open,))
    other.start()
    assert written.wait(10)
    yield
    other.join(10)


def test_an_activity_another_transaction_defines_first_gets_both_definitions(pg, monkeypatch):
    """The other transaction inserts the activity and commits while this batch's statement waits on its row:
    the statement writes nothing, and the transaction merges the two."""
    with _another_transaction_storing(pg, _named({"fr-FR": "Résidentiel 1"})):
        calls = Calls(pg, monkeypatch)
        statement_store.store_batch(pg.db, _batch(pg, _named({"de-DE": "Residenz 1"})), can_define=True)
    assert len(calls.statements) == 1 and calls.transactions == 1  # the statement wrote nothing; the transaction did
    assert _definition(pg) == {"name": {"fr-FR": "Résidentiel 1", "de-DE": "Residenz 1"}}
    assert _count(pg, "SELECT count(*) FROM statements") == 2


def test_a_statement_another_transaction_is_storing_is_stored_once(pg, monkeypatch):
    """The other transaction has inserted the same statement and not committed: this statement's insert waits
    for it on the unique index, fails when it commits, and the transaction finds the statement stored."""
    # The activity is known, so the two do not meet on its row first.
    statement_store.store_batch(pg.db, _batch(pg, _named({"en-GB": "Residential 1"})), can_define=True)
    body = _named({"en-GB": "Residential 1"})
    with _another_transaction_storing(pg, body):
        calls = Calls(pg, monkeypatch)
        stored = statement_store.store_batch(pg.db, _batch(pg, body), can_define=True)
    assert stored.ids == [body["id"]]
    assert len(calls.statements) == 1 and calls.transactions == 1  # the statement wrote nothing; the transaction did
    assert _count(pg, "SELECT count(*) FROM statements") == 2


UNCHANGED_CASES = [
    ({"name": {"en-GB": "A"}}, {"name": {"en-GB": "A"}}),
    ({"name": {"en-GB": "A", "fr-FR": "B"}}, {"name": {"en-GB": "A"}}),
    ({"name": {"en-GB": "A"}}, {"name": {"en-GB": "A", "fr-FR": "B"}}),
    ({"name": {"en-GB": "A"}}, {"name": {"en-GB": "Z"}}),
    ({"name": {"en-GB": "A"}, "type": "t"}, {"type": "t"}),
    ({"name": {"en-GB": "A"}, "type": "t"}, {"type": "u"}),
    ({"name": {"en-GB": "A"}}, {"type": "t"}),
    ({"extensions": {"https://x/e": {"a": 1, "b": 2}}}, {"extensions": {"https://x/e": {"a": 1}}}),
    ({"extensions": {"https://x/e": {"a": 1}}, "type": "t"}, {"extensions": {"https://x/e": {"a": 1}}}),
    ({"extensions": {"https://x/e": 1, "https://x/f": 2}}, {"extensions": {"https://x/f": 2}}),
    ({"choices": [{"id": "a"}, {"id": "b"}]}, {"choices": [{"id": "a"}]}),
    ({"choices": [{"id": "a"}, {"id": "b"}]}, {"choices": [{"id": "a"}, {"id": "b"}]}),
    ({"choices": [{"id": "a"}, {"id": "b"}]}, {"choices": [{"id": "b"}, {"id": "a"}]}),
    ({"name": "not a map"}, {"name": {"en-GB": "A"}}),
    ({"name": {"en-GB": "A"}}, {"name": "not a map"}),
    ({"description": {"en-GB": None}}, {"description": {"en-GB": None}}),
    ({"description": {}}, {"description": {"en-GB": None}}),
    ({}, {}),
    ({}, {"name": {"en-GB": "A"}}),
    (None, {}),
    (None, {"name": {"en-GB": "A"}}),
]


@pytest.mark.parametrize(("current", "incoming"), UNCHANGED_CASES)
def test_the_sql_test_for_an_unchanged_definition_agrees_with_the_merge(pg, current, incoming):
    expected = merge_definitions(current, incoming) == current
    with pg.db.read() as conn:
        found = conn.exec_driver_sql(
            f"SELECT {statement_store.PG_DEFINITION_UNCHANGED} FROM (SELECT %s::jsonb AS c, %s::jsonb AS n) AS m",
            (json.dumps(current), json.dumps(incoming)),
        ).scalar_one()
    assert found is expected
