"""SQLite: a batch's write transaction keeps its statement journals in memory (lrs.store.db._set_temp_store).

A statement that writes many rows (the totals upserts, 32 rows at once) journals the pages it changes; past
64 KiB SQLite moved that journal into a temporary file, created and written under the write lock. A batch
must make no such file, and every other transaction must keep SQLite's default (a rebuild's large sort would
otherwise be held in memory)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import statement
from sqlalchemy import event

from lrs.services.statements import LRS

#: SQLite names its temporary files etilqs_* (they are unlinked at once, so they show only as open files).
TEMPORARY_FILE_MARK = "etilqs_"


@pytest.fixture
def sqlite_lrs(lrs_instance: LRS) -> LRS:
    if lrs_instance.db.dialect != "sqlite":
        pytest.skip("the temporary storage of SQLite's transactions")
    return lrs_instance


def open_temporary_files() -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed in between
            continue
        if TEMPORARY_FILE_MARK in target:
            found.append(target)
    return found


def learner(k: int) -> dict[str, str]:
    # Long addresses: fewer totals rows to a page, so a batch's rows fall on many pages.
    return {"account": {"homePage": f"https://la.example/{'practice-educators/' * 10}", "name": f"learner-{k:03d}"}}


def on_day(k: int, day: int) -> dict[str, Any]:
    return statement(
        id=str(uuid.uuid4()),
        actor=learner(k),
        timestamp=(datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=day)).isoformat(),
        result={"duration": "PT30M"},
    )


def test_a_batch_makes_no_temporary_file_while_it_holds_the_write_lock(sqlite_lrs: LRS) -> None:
    lrs, principal = sqlite_lrs, sqlite_lrs.operator_principal()
    learners, days = 60, 50
    for first in range(0, days, 10):  # 60 learners' totals on 50 days: 3,000 rows on a few hundred pages
        lrs.store_statements([on_day(k, d) for d in range(first, first + 10) for k in range(learners)], principal,
                             "1.0.3")
    seen: list[list[str]] = []

    def before_commit(_conn: Any) -> None:  # noqa: ANN401
        seen.append(open_temporary_files())

    event.listen(lrs.db.engine, "commit", before_commit)
    try:
        # One row for each learner on one day: each 32-row upsert changes 32 pages that existed before it.
        for day in (3, 17, 41):
            lrs.store_statements([on_day(k, day) for k in range(learners)], principal, "1.0.3")
    finally:
        event.remove(lrs.db.engine, "commit", before_commit)
    assert len(seen) == 3, "each batch committed its own write transaction"
    assert seen == [[], [], []]


def test_only_a_batch_keeps_temporary_storage_in_memory(sqlite_lrs: LRS) -> None:
    db = sqlite_lrs.db

    def temp_store(conn: Any) -> int:  # noqa: ANN401
        return int(conn.exec_driver_sql("PRAGMA temp_store").scalar())

    in_memory, default = 2, 0
    assert db.write(temp_store, bounded=True) == in_memory
    # The same pooled connection next: a plain write (a rebuild, say) and a read are back on the default.
    assert db.write(temp_store) == default
    assert db.write(temp_store, bounded=True) == in_memory
    with db.read() as conn:
        assert temp_store(conn) == default
    sqlite_lrs.store_statements([statement(id=str(uuid.uuid4()))], sqlite_lrs.operator_principal(), "1.0.3")
    assert db.write(temp_store) == default
    db.write(temp_store, bounded=True)
    with db.engine.connect() as conn, conn.begin():  # as the migrations connect: no request, the default
        assert temp_store(conn) == default
