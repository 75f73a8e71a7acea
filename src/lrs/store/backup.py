"""Backups while the server runs, and putting one back. SQLite: the online backup API; PostgreSQL: pg_dump and
pg_restore (custom format) when they are installed."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from lrs.store.db import Database

#: ``on_progress(description, completed, total)`` (total None: not known); the CLI passes
#: ``lrs.cli.progress.Meter.report``. SQLite reports pages copied of the total; pg_dump and pg_restore report
#: nothing countable, so they get their stage and a tick a second (elapsed time under a spinner).
OnProgress = Callable[[str, int, "int | None"], None]

#: Pages per step of SQLite's online backup: small enough for a moving bar, big enough to stay quick.
PAGES_PER_STEP = 1024


def _no_progress(description: str, completed: int, total: int | None) -> None:
    return None


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection, description: str,
                 tell: OnProgress) -> None:
    """SQLite's online backup a step at a time, telling pages copied of the total after each step."""
    tell(description, 0, None)

    def step(status: int, remaining: int, total: int) -> None:
        tell(description, total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def _run_with_ticks(command: list[str], description: str, tell: OnProgress) -> subprocess.CompletedProcess[str]:
    """A pg_dump / pg_restore run, ticking once a second so a spinner shows it is alive."""
    finished = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not finished.wait(1.0):
            tell(description, int(time.monotonic() - started), None)

    tell(description, 0, None)
    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        return subprocess.run(command, capture_output=True, text=True)
    finally:
        finished.set()
        ticker.join()


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, with a sentence saying why."""


@dataclass
class BackupResult:
    path: Path
    size: int
    statements: int | None
    revision: str | None


def _libpq_url(db: Database) -> str:
    """The URL pg_dump understands: without SQLAlchemy's driver suffix."""
    url = make_url(db.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _describe_sqlite(path: Path) -> tuple[int | None, str | None]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} is damaged: {check}")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        count = conn.execute("SELECT count(*) FROM statements").fetchone()
        return (count[0] if count else None), (revision[0] if revision else None)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an LRS database: {exc}") from exc
    finally:
        conn.close()


def backup(db: Database, target: Path, *, on_progress: OnProgress | None = None) -> BackupResult:
    """A consistent copy of the whole database at one moment, taken while others keep writing. ``on_progress``
    hears pages copied of the total (SQLite) or the stage with a tick a second (pg_dump)."""
    tell = on_progress or _no_progress
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if db.dialect == "sqlite":
        raw = db.engine.raw_connection()
        try:
            destination = sqlite3.connect(target)
            source = raw.driver_connection
            try:
                # One read transaction held across the steps: a snapshot in WAL mode, so writers go on meanwhile
                # and the step-wise copy (which shows progress) sees no change that would make it start over.
                source.execute("BEGIN")
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                try:
                    _sqlite_copy(source, destination, "Copying pages", tell)
                finally:
                    source.rollback()
                # A self-contained file: no -wal beside it to lose when it is copied elsewhere.
                destination.execute("PRAGMA journal_mode=DELETE")
            finally:
                destination.close()
        finally:
            raw.close()
        statements, revision = _describe_sqlite(target)
        return BackupResult(target, target.stat().st_size, statements, revision)
    if db.dialect == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError(
                "pg_dump is not installed here; install the PostgreSQL client tools (Debian: postgresql-client) "
                "or run `pg_dump --format=custom` on a machine that has them (docs/operations.md, Backup)"
            )
        # pg_dump reads one snapshot (a repeatable-read transaction), so the copy is consistent while writes go on.
        done = _run_with_ticks(
            [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={_libpq_url(db)}"],
            "Dumping with pg_dump", tell,
        )
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        with db.read() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return BackupResult(target, target.stat().st_size, None, revision)
    raise BackupError(f"backups of {db.dialect} databases are not supported")


def sqlite_in_use(path: Path) -> bool:
    """Whether another connection has the SQLite file open: leaving WAL mode needs the only connection."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode.lower() != "delete":
            return True
        conn.execute("PRAGMA journal_mode=WAL")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def restore(db: Database, source: Path, *, force: bool = False,
            on_progress: OnProgress | None = None) -> BackupResult:
    """Replace the database's content with a backup. Refuses while another process uses the database, unless
    ``force`` (then the copy is written under the LRS's writer lock, and running workers see it at once).
    ``on_progress`` hears pages copied of the total (SQLite) or the stage with a tick a second (pg_restore)."""
    tell = on_progress or _no_progress
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if db.dialect == "sqlite":
        statements, revision = _describe_sqlite(source)
        path = Path(db.engine.url.database or "")
        db.dispose()
        if path.exists() and not force and sqlite_in_use(path):
            raise BackupError(
                f"{path} is in use (is `lrs serve` running?); stop it first, or pass --force to restore under it"
            )
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            with db.writer_gate.hold() if db.writer_gate else _nothing():
                live = sqlite3.connect(path, timeout=30)
                try:
                    _sqlite_copy(backup_conn, live, "Restoring pages", tell)
                    live.execute("PRAGMA journal_mode=WAL")
                finally:
                    live.close()
        finally:
            backup_conn.close()
        return BackupResult(path, path.stat().st_size, statements, revision)
    if db.dialect == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise BackupError("pg_restore is not installed here; see docs/operations.md, Backup")
        with db.read() as conn:
            others = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalar()
        db.dispose()
        if others and not force:
            raise BackupError(
                f"{others} other connection(s) use the database (is `lrs serve` running?); stop them first, "
                "or pass --force"
            )
        done = _run_with_ticks(
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={_libpq_url(db)}", str(source)],
            "Restoring with pg_restore", tell,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        with db.read() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            statements = conn.execute(text("SELECT count(*) FROM statements")).scalar()
        return BackupResult(source, source.stat().st_size, statements, revision)
    raise BackupError(f"restoring {db.dialect} databases is not supported")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None
