"""`lrs db backup` while statements keep arriving gives a consistent copy; `lrs db restore` puts it back, and
refuses while the database is in use unless forced."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from conftest import statement
from sqlalchemy import text

from data.conftest import lrs_command
from lrs.services.statements import LRS
from lrs.store.backup import BackupError, backup, restore
from lrs.store.db import Database


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        statements = conn.execute(text("SELECT count(*) FROM statements")).scalar_one()
        unlinked = conn.execute(
            text("SELECT count(*) FROM statements s WHERE NOT EXISTS "
                 "(SELECT 1 FROM statement_agents a WHERE a.statement_seq = s.seq)")
        ).scalar_one()
    return statements, unlinked


def test_backup_while_writing_then_restore(lrs_instance: LRS, tmp_path: Path, database_url: str) -> None:
    principal = lrs_instance.operator_principal()
    lrs_instance.store_statements([statement(id=str(uuid.uuid4())) for _ in range(200)], principal, "1.0.3")
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            lrs_instance.store_statements([statement(id=str(uuid.uuid4())) for _ in range(20)], principal, "1.0.3")
            written.append(20)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        copies = []
        for n in range(3):
            while len(written) < 3 * (n + 1):
                stop.wait(0.01)
            copies.append(backup(lrs_instance.db, tmp_path / f"copy-{n}.backup"))
    finally:
        stop.set()
        writer.join()
    assert len(written) >= 9  # the writes went on while the copies were taken
    total, _ = _counts(lrs_instance.db)

    # Put the second copy back into a new database and check it is whole: every statement with its index rows.
    if lrs_instance.db.dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/" + f"lrs_restore_{uuid.uuid4().hex[:8]}"
        admin = Database(database_url.rsplit("/", 1)[0] + "/test")
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    restored_db = Database(url)
    try:
        result = restore(restored_db, copies[1].path)
        statements, unlinked = _counts(restored_db)
        assert 200 < statements < total and unlinked == 0
        assert result.revision is not None
    finally:
        restored_db.dispose()
        if lrs_instance.db.dialect == "postgresql":
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            admin.dispose()


def test_restore_refuses_a_database_in_use(lrs_instance: LRS, tmp_path: Path) -> None:
    if lrs_instance.db.dialect != "sqlite":
        pytest.skip("the in-use check of PostgreSQL counts the test suite's own pool")
    lrs_instance.store_statements([statement()], lrs_instance.operator_principal(), "1.0.3")
    copy = backup(lrs_instance.db, tmp_path / "copy.backup")
    lrs_instance.store_statements([statement(id=str(uuid.uuid4()))], lrs_instance.operator_principal(), "1.0.3")
    holder = Database(lrs_instance.db.url)  # another process's open connection, as a running server has
    with holder.read() as conn:
        conn.execute(text("SELECT 1"))
        with pytest.raises(BackupError, match="in use"):
            restore(Database(lrs_instance.db.url), copy.path)
        restore(Database(lrs_instance.db.url), copy.path, force=True)
    holder.dispose()
    assert _counts(lrs_instance.db)[0] == 1


def test_backup_command(lrs_instance: LRS, tmp_path: Path, database_url: str) -> None:
    lrs_instance.store_statements([statement()], lrs_instance.operator_principal(), "1.0.3")
    target = tmp_path / "cli.backup"
    process = lrs_command(database_url, "db", "backup", str(target))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "backed up to" in out and target.stat().st_size > 0
    again = lrs_command(database_url, "db", "backup", str(target))
    _, err = again.communicate(timeout=60)
    assert again.returncode == 1 and "exists" in err
