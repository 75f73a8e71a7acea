"""Store a fixed sequence of batches through the write path and print a hash of every table's rows: run it with two
commits' interpreters (same arguments) and compare, to show a change to the write path stores the same rows.

    /path/to/worktree/.venv/bin/python bench/store_rows_hash.py --url sqlite:////tmp/a.sqlite3 [--batches 40]
    /path/to/worktree/.venv/bin/python bench/store_rows_hash.py --url postgresql+psycopg://127.0.0.1:5432/name

The store at ``--url`` is emptied (SQLite: the file removed; PostgreSQL: the database dropped and made again) and
migrated to the interpreter's schema. The batches are ``bench/workload.py``'s (seed 8, as bench/write_lock.py,
voiding statements among them), in batches of ``--size``, and between them, batches that exercise the rarer paths:
a batch sent again whole (every statement stored: skipped), one half stored and half new, a statement sent again
with other content (409 Conflict: the message and rule printed, nothing stored), StatementRefs to statements not
stored yet (they wait) and their targets arriving later (alone, and among duplicates), changed activity
definitions with and without the define scope. ``stored`` and the clock of the write path are fixed per batch, so
two runs store the same values. Prints one line per table (rows, sha256 over the rows in key order; SQLite rowid
tables with their rowid) and the outcome of each special batch.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from sqlalchemy import create_engine, inspect, text  # noqa: E402
from workload import Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import statements as statement_store  # noqa: E402
from lrs.store.migrate import upgrade  # noqa: E402
from lrs.xapi.errors import Conflict  # noqa: E402
from lrs.xapi.statement import prepare_batch  # noqa: E402
from lrs.xapi.validate import validate_batch  # noqa: E402

VERSION = "1.0.3"
AUTHORITY = {"objectType": "Agent", "name": "bootstrap", "account": {"homePage": "https://lrs.local/", "name": "b"}}
CLOCK = [datetime(2026, 1, 1, tzinfo=UTC)]


class _Clock(datetime):
    """The write path's ``datetime``: now() is the batch's fixed time."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # noqa: ANN401
        return CLOCK[0]


def _fresh_store(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _rows_hash(url: str) -> dict[str, tuple[int, str]]:
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in sorted(inspect(engine).get_table_names()):
            if table == "alembic_version":
                continue
            query = f'SELECT * FROM "{table}"'
            if engine.dialect.name == "sqlite":
                try:
                    conn.exec_driver_sql(f'SELECT rowid FROM "{table}" LIMIT 0')
                    query = f'SELECT rowid AS "__rowid", * FROM "{table}"'
                except Exception:  # noqa: BLE001 - WITHOUT ROWID
                    conn.rollback()
            result = conn.exec_driver_sql(query)
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in result)
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
    engine.dispose()
    return out


def _plain(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    _fresh_store(args.url)
    lrs = LRS(Settings(database_url=args.url, bootstrap_key=None))
    upgrade(lrs.db.engine)
    statement_store.datetime = _Clock
    wl = Workload(8, total=85_500)
    sent: list[list[dict[str, Any]]] = []
    outcomes: list[str] = []
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def store(statements: list[dict[str, Any]], k: int, *, can_define: bool = True) -> str:
        CLOCK[0] = start + timedelta(minutes=k, seconds=30)
        valid = validate_batch(json.loads(json.dumps(statements)), VERSION)
        prepared = prepare_batch(valid, stored=start + timedelta(minutes=k), authority=AUTHORITY, version=VERSION)
        lrs._classify_prepared(prepared)
        batch = statement_store.StatementBatch(prepared, lrs.db.engine.dialect)
        try:
            stored = statement_store.store_batch(lrs.db, batch, can_define=can_define)
        except Conflict as exc:
            return f"409 {exc} rule={getattr(exc, 'rule', None)} path={getattr(exc, 'path', None)}"
        return f"stored {len(stored.ids)} ids, frameworks {stored.frameworks_version}"

    def later_ref(target_id: str, n: int) -> dict[str, Any]:
        return {"id": str(uuid.UUID(int=(1 << 120) + n)), "actor": wl.agent(3),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
                "object": {"objectType": "StatementRef", "id": target_id},
                "timestamp": "2026-02-01T10:00:00+00:00"}

    k = 0
    for b in range(args.batches):
        statements = list(wl.statements(b * args.size, args.size))
        if b % 10 == 3:  # refer to two statements of the next batch (they wait), and one never stored
            ahead = list(wl.statements((b + 1) * args.size, 2))
            statements[-3:] = [later_ref(ahead[0]["id"], 3 * b), later_ref(ahead[1]["id"], 3 * b + 1),
                               later_ref(str(uuid.UUID(int=(1 << 121) + b)), 3 * b + 2)]
        if b % 10 == 5:  # a changed definition of a stored activity (a name in another language)
            for s in statements:
                obj = s.get("object", {})
                if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("definition"), dict):
                    obj["definition"].setdefault("name", {})["fr-FR"] = f"nom {b}"
                    break
        k += 1
        out = store(statements, k, can_define=b % 20 != 15)
        sent.append(statements)
        if b % 10 == 4:
            outcomes.append(f"batch {b} (its first two statements awaited): {out}")
        if b % 10 == 6:  # the previous batch again, whole: every statement stored
            k += 1
            outcomes.append(f"batch {b - 1} again: {store(copy.deepcopy(sent[-2]), k)}")
        if b % 10 == 7:  # half stored, half new (the next batch's first half, which then comes again whole)
            ahead = list(wl.statements((b + 1) * args.size, args.size // 2))
            for s in sent[-1]:  # and a new statement changing a stored activity's definition
                obj = s.get("object", {})
                if isinstance(obj.get("definition"), dict):
                    defining = copy.deepcopy(s)
                    defining["id"] = str(uuid.UUID(int=(1 << 123) + b))
                    defining["object"]["definition"].setdefault("description", {})["de-DE"] = f"Beschreibung {b}"
                    ahead.append(defining)
                    break
            k += 1
            outcomes.append(f"half of batch {b} and half new: "
                            f"{store(copy.deepcopy(sent[-1][: args.size // 2]) + ahead, k)}")
        if b % 10 == 8:  # a stored statement with other content among new ones: 409, nothing stored
            changed = copy.deepcopy(sent[-2][10])
            changed["verb"]["display"] = {"en-US": "something else"}
            fresh = [later_ref(str(uuid.UUID(int=(1 << 122) + b)), 10_000 + b)]
            k += 1
            outcomes.append(f"conflict in batch {b}: {store(fresh + [changed], k)}")
    for line in outcomes:
        print(line)
    for table, (n, digest) in _rows_hash(args.url).items():
        print(f"{table:36} {n:7} {digest}")
    lrs.db.dispose()


if __name__ == "__main__":
    main()
