"""Two batches that change the same activity's definition at the same time both count: the canonical definition
merges both, whichever transaction read it first. On PostgreSQL the second writer reads the row under a lock
before it merges; on SQLite writers take turns."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from conftest import statement

from lrs.services.statements import LRS
from lrs.store import statements as statement_store
from lrs.xapi.statement import prepare

ACTIVITY = "https://lrs.example/activities/residential-1"


def _batch(lrs: LRS, name: dict[str, str]) -> statement_store.StatementBatch:
    body = statement(object={"objectType": "Activity", "id": ACTIVITY, "definition": {"name": name}})
    principal = lrs.operator_principal()
    prepared = prepare(body, stored=datetime.now(UTC), authority=principal.authority, version="1.0.3")
    return statement_store.StatementBatch([prepared], lrs.db.engine.dialect)


def _store(lrs: LRS, batch: statement_store.StatementBatch, *, then=None) -> None:  # noqa: ANN001
    def work(conn):  # noqa: ANN001, ANN202
        statement_store.insert_statements(conn, batch, can_define=True)
        if then:
            then()

    lrs.db.write(work)


def _definition(lrs: LRS) -> dict:
    with lrs.db.read() as conn:
        return statement_store.canonical_definitions(conn, {ACTIVITY})[ACTIVITY]


def _race(lrs: LRS, first_names: dict[str, str], second_names: dict[str, str]) -> None:
    """The first batch writes and holds its transaction open while the second reads and writes."""
    written = threading.Event()

    def hold_open() -> None:
        written.set()
        time.sleep(0.5)  # the second transaction reads the definition as it was, then waits for this one

    first = threading.Thread(target=_store, args=(lrs, _batch(lrs, first_names)), kwargs={"then": hold_open})
    first.start()
    assert written.wait(10)
    _store(lrs, _batch(lrs, second_names))
    first.join(10)


def test_concurrent_changes_to_a_known_activity_are_both_kept(lrs_instance):
    _store(lrs_instance, _batch(lrs_instance, {"en-GB": "Residential 1"}))
    _race(lrs_instance, {"fr-FR": "Résidentiel 1"}, {"de-DE": "Residenz 1"})
    assert _definition(lrs_instance)["name"] == {
        "en-GB": "Residential 1", "fr-FR": "Résidentiel 1", "de-DE": "Residenz 1"
    }


def test_two_batches_that_both_find_an_activity_new_both_define_it(lrs_instance):
    _race(lrs_instance, {"fr-FR": "Résidentiel 1"}, {"de-DE": "Residenz 1"})
    assert _definition(lrs_instance)["name"] == {"fr-FR": "Résidentiel 1", "de-DE": "Residenz 1"}
