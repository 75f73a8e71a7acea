"""How long a batch holds SQLite's write lock: the LRS's write transaction against the raw-insert floor's.

    .venv/bin/python bench/write_lock.py [--batches 150] [--size 100] [--trace]

In one process, on two fresh SQLite files migrated to this commit's schema, the workload's statements
(``bench/workload.py``, seed 8 as ``bench/run.py`` uses for ingest) go in batch by batch, alternately:

* the LRS: validated, prepared, classified and encoded as ``LRS.store_statements`` does (untimed), then
  ``statement_store.store_batch``: the lock is timed from just after ``BEGIN IMMEDIATE`` to just after COMMIT;
* the floor: the same statements prepared as ``bench/run.py`` prepares them, then ``RawInserter.insert``
  (bench/rawstore.py) timed whole (its BEGIN IMMEDIATE to its COMMIT, the parameter lists built in between).

Each side writes through ``--writers`` connections in turn (3, as ``lrs serve``'s workers on 2 CPUs: each
batch then starts with a page cache another connection's write made stale, as in the served LRS).
Checkpoints are taken out of the timings for both (the LRS's own after-the-lock checkpoint switched off, a
``wal_checkpoint(TRUNCATE)`` on both files every 10 batches, untimed), so each lock time is SQLite's work and
the Python run while holding it. Prints the median and mean wall time (and thread CPU time) a batch holds the
lock, split by batches with and without a voiding statement, the WAL pages each writes, and the ratio of the
floor's to the LRS's. ``--trace``: each SQL statement the LRS runs under the lock, with the time until the next
one (what ran between them is charged to it), added up by the statement's first words.

``--group N``: the LRS commits N consecutive batches in one write transaction, each in a SAVEPOINT of its own,
as one writer process would commit the requests that arrived while the previous transaction held the lock (a
design not built: docs/performance.md, "fifteenth round"). Its lock time and WAL pages are reported per batch
(the group's divided by N), and a group counts as voiding when any of its batches voids; the floor still
commits each batch on its own.

``--callgrind``: instead of times, the instructions each side runs while it holds the lock (a figure the
machine's load does not move): the script runs itself under ``valgrind --tool=callgrind`` with the
instrumentation on only from just after the LRS's ``BEGIN IMMEDIATE`` to just after its COMMIT, and around the
floor's ``insert``, one dump per side and batch; prints the mean per batch (fewer batches suffice: 20 after 10).

Run it with each commit's own interpreter (``/path/to/worktree/.venv/bin/python bench/write_lock.py``): the LRS
and the schema are those of the venv's ``lrs``; the workload and the floor those of this directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import rawstore  # noqa: E402
from sqlalchemy import event  # noqa: E402
from workload import Workload  # noqa: E402

import lrs.store.db as store_db  # noqa: E402
from lrs.config import Settings  # noqa: E402
from lrs.services.principal import Principal  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import statements as statement_store  # noqa: E402
from lrs.store.db import Database  # noqa: E402
from lrs.store.migrate import upgrade  # noqa: E402
from lrs.xapi.ifi import agent_key  # noqa: E402
from lrs.xapi.statement import prepare_batch  # noqa: E402
from lrs.xapi.validate import validate_batch  # noqa: E402

VERSION = "1.0.3"


def principal() -> Principal:
    authority = {"objectType": "Agent", "name": "bootstrap", "account": {"homePage": "https://lrs.local/", "name": "b"}}
    return Principal(key="b", name="bootstrap", scopes=frozenset({"all"}), authority=authority,
                     authority_key=agent_key(authority) or "")


class LockClock:
    """Times the LRS's write transactions: from just after BEGIN IMMEDIATE to just after COMMIT."""

    def __init__(self, trace: bool, counter: Any = None):
        #: --callgrind: the valgrind toggles (start/stop the count), the LRS's lock counted in each batch
        self.counter = counter
        #: --split: the instructions of each write-path SQL statement (lrs.store.statements._Sql.run) and of
        #: COMMIT counted apart from the rest
        self.split = False
        #: the name the rest of a batch's instructions are dumped under (the batches that void apart)
        self.rest = b"lrs"
        self.spans: list[tuple[float, float]] = []
        self.trace = trace
        self.statements: dict[str, list[float]] = defaultdict(list)
        self._t0: tuple[float, float] | None = None
        self._last: tuple[str, float] | None = None

    def watch(self, db: Database) -> None:
        trace = self.trace

        @event.listens_for(db.engine, "begin")
        def _begun(conn: Any) -> None:  # registered after the engine's own, which runs BEGIN IMMEDIATE
            if conn.info.get("write"):
                if self.counter is not None:
                    self.counter.start()
                self._t0 = (time.perf_counter(), time.thread_time())
                if trace:
                    conn.connection.driver_connection.set_trace_callback(self._traced)

        dialect = db.engine.dialect
        commit = dialect.do_commit

        def timed_commit(dbapi_conn: Any) -> None:
            if self.counter is not None and self._t0 is not None and self.split:
                self.counter.stop(self.rest)
                self.counter.start()
                commit(dbapi_conn)
                self.counter.stop(b"sql_COMMIT")
                self.counter.start()
            else:
                commit(dbapi_conn)
            if self.counter is not None and self._t0 is not None:
                self.counter.stop(self.rest)
            if self._t0 is not None:
                wall, cpu = self._t0
                self.spans.append((time.perf_counter() - wall, time.thread_time() - cpu))
                self._t0 = None
                self._close_trace()
                dbapi_conn.set_trace_callback(None)

        dialect.do_commit = timed_commit

    def _traced(self, sql: str) -> None:
        now = time.perf_counter()
        self._close_trace(now)
        self._last = (" ".join(sql.split()[:4])[:60], now)

    def _close_trace(self, now: float | None = None) -> None:
        if self._last is not None:
            name, started = self._last
            self.statements[name].append((now or time.perf_counter()) - started)
            self._last = None


def store_group(db: Database, batches: list[statement_store.StatementBatch]) -> None:
    """``--group``: the batches in one write transaction, each in a SAVEPOINT (so that one batch's 409 would
    leave the others), their link rows made before the lock from the seqs they will get in turn."""
    after = (db.read_row(statement_store.SQLITE_LAST_SEQ, ()) or (0,))[0]
    for batch in batches:
        if len(batch.agent_links) + len(batch.activity_links) >= statement_store.LINK_ROWS_BEFORE_THE_LOCK:
            batch.link_rows_from(after + 1)
        after += len(batch.prepared)

    def work(conn: Any) -> None:  # noqa: ANN401 - SQLAlchemy Connection
        for batch in batches:
            with conn.begin_nested():
                statement_store.insert_statements(conn, batch, can_define=True)

    db.write(work, bounded=True)


def wal_pages(path: str) -> int:
    try:
        size = os.path.getsize(f"{path}-wal")
    except OSError:
        return 0
    return max(0, (size - 32) // (4096 + 24))


def checkpoint(path: str) -> None:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    conn.close()


_TOGGLE_C = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def _toggles(directory: Path) -> Any:  # noqa: ANN401
    """start() / stop(name) of callgrind's count (as bench/callgrind_path.py makes them), a dump per stop."""
    import ctypes
    import subprocess

    source, library = directory / "toggle.c", directory / "toggle.so"
    source.write_text(_TOGGLE_C)
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)], check=True)
    return ctypes.CDLL(str(library))


def _split_sql(clock: LockClock) -> None:
    """Count each statement lrs.store.statements._Sql.run sends apart, named by its first words."""
    import re

    clock.split = True
    run = statement_store._Sql.run

    def counted(self: Any, conn: Any, sql: str, params: Any, *, many: bool = False) -> Any:  # noqa: ANN401
        counter = clock.counter if clock._t0 is not None else None
        if counter is None:
            return run(self, conn, sql, params, many=many)
        counter.stop(clock.rest)
        # The name is made while nothing is counted: the harness's own work is neither the statement's nor the
        # rest's (splitting a long statement's whole text, as a VALUES list of many rows, was counted).
        name = ("sql_" + "_".join(re.sub(r"\W", "", w) for w in sql.split(None, 4)[:4])).encode()
        counter.start()
        try:
            cursor = run(self, conn, sql, params, many=many)
            # A SELECT's rows are stepped as they are fetched: fetched here, so its whole cost is counted.
            return iter(cursor.fetchall()) if sql.startswith("SELECT") else cursor
        finally:
            counter.stop(name)
            counter.start()

    statement_store._Sql.run = counted


def _under_callgrind(argv: list[str]) -> None:
    """Run this script under callgrind (counting only inside the toggles) and print instructions a batch."""
    import re
    import subprocess

    with tempfile.TemporaryDirectory(prefix="lock-cg-") as tmp:
        env = {**os.environ, "PYTHONHASHSEED": "0", "LOCK_CALLGRIND_DIR": tmp}
        args = [a for a in argv if a != "--callgrind"]
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, __file__, *args],
                       env=env, check=True, capture_output=True)
        sums: dict[str, list[int]] = defaultdict(list)
        for out in Path(tmp).glob("callgrind.out*"):
            text = out.read_text()
            trigger = re.search(r"^desc: Trigger: Client Request: (\w+)", text.split("\nfl=", 1)[0], re.M)
            total = re.search(r"^totals:\s+(\d+)", text, re.M)
            if trigger and total:
                sums[trigger.group(1)].append(int(total.group(1)))
    batches = len(sums["floor"])
    parts = {k: sum(v) / batches / 1e6 for k, v in sums.items() if k != "floor"}
    names = {"lrs": "the rest (Python, SQLAlchemy), batches without a void",
             "lrs_voiding": "the rest (Python, SQLAlchemy), batches with a void"}
    lrs, floor = sum(parts.values()), statistics.fmean(sums["floor"]) / 1e6
    if len(parts) > 1:
        for name, m in sorted(parts.items(), key=lambda kv: -kv[1]):
            print(f"  {m:7.3f} M  x{len(sums[name]) / batches:6.2f}  {names.get(name, name)}")
    print(f"instructions under the write lock a batch (callgrind, {batches} batches each side): LRS {lrs:.2f} M, "
          f"floor {floor:.2f} M, floor/LRS {floor / lrs:.3f}")


def main() -> None:
    if "--callgrind" in sys.argv[1:]:
        _under_callgrind(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--warm", type=int, default=30, help="batches stored first (both sides), not counted")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--writers", type=int, default=3,
                        help="connections taking the batches in turn, on each side: SQLite's page cache of a "
                        "connection is dropped when another one has written, as between lrs serve's workers "
                        "(3 on 2 CPUs)")
    parser.add_argument("--group", type=int, default=1,
                        help="batches the LRS commits in one transaction, each in a SAVEPOINT (see above)")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead (see above)")
    parser.add_argument("--split", action="store_true",
                        help="with --callgrind: each write-path SQL statement and COMMIT counted apart")
    args = parser.parse_args()
    if args.group < 1 or args.warm % args.group or args.batches % args.group:
        parser.error("--group must be 1 or more and divide --warm and --batches")
    if args.group > 1 and (args.callgrind or os.environ.get("LOCK_CALLGRIND_DIR")):
        parser.error("--group counts no instructions: leave out --callgrind")
    counted = os.environ.get("LOCK_CALLGRIND_DIR")
    counter = _toggles(Path(counted)) if counted else None
    store_db.CHECKPOINT_AFTER_ROWS = 1 << 62  # checkpoints are taken below, outside the timings
    directory = args.dir or Path(tempfile.mkdtemp(prefix="write-lock-"))
    lrs_path, floor_path = str(directory / "lrs.sqlite3"), str(directory / "floor.sqlite3")
    for path in (lrs_path, floor_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        upgrade(db.engine)
        db.dispose()
    writers = [LRS(Settings(database_url=f"sqlite:///{lrs_path}", bootstrap_key=None)) for _ in range(args.writers)]
    clock = LockClock(args.trace, counter)
    if counter is not None and args.split:
        _split_sql(clock)
    for writer in writers:
        clock.watch(writer.db)
    floors = [rawstore.RawInserter(f"sqlite:///{floor_path}") for _ in range(args.writers)]
    for floor in floors:
        floor.conn.execute("PRAGMA wal_autocheckpoint=0")
    lrs_principal = principal()
    encoder = rawstore.Encoder("sqlite")
    wl = Workload(8, total=85_500)  # as bench/run.py's ingest phase makes it
    rows: list[dict[str, Any]] = []
    group: list[statement_store.StatementBatch] = []  # --group: the LRS's batches not yet written
    group_rows: list[dict[str, Any]] = []  # and their floor's figures
    for k in range(args.warm + args.batches):
        lrs = writers[k // args.group % args.writers]
        floor = floors[k % args.writers]
        statements = list(wl.statements(k * args.size, args.size))
        voids = any(s["verb"]["id"].endswith("/voided") for s in statements)
        # The LRS: everything LRS.store_statements does before the write, untimed.
        payload = json.loads(json.dumps(statements))
        valid = validate_batch(payload, VERSION)
        now = datetime.now(UTC)
        stored = now.replace(microsecond=now.microsecond // 1000 * 1000)
        prepared = prepare_batch(valid, stored=stored, authority=lrs_principal.authority, version=VERSION)
        lrs._classify_prepared(prepared)
        batch = statement_store.StatementBatch(prepared, lrs.db.engine.dialect)
        floor_batch = encoder.encode(rawstore.prepare_all(lrs, lrs_principal, statements))
        pages0 = (wal_pages(lrs_path), wal_pages(floor_path))
        traced = {name: len(times) for name, times in clock.statements.items()}
        spans = len(clock.spans)
        clock.counter = counter if k >= args.warm else None
        clock.rest = b"lrs_voiding" if voids else b"lrs"
        if args.group == 1:
            statement_store.store_batch(lrs.db, batch, can_define=True)
        if clock.counter is not None:
            counter.start()
        t0, c0 = time.perf_counter(), time.thread_time()
        floor.insert(floor_batch)
        floor_wall, floor_cpu = time.perf_counter() - t0, time.thread_time() - c0
        if clock.counter is not None:
            counter.stop(b"floor")
        floor_pages = wal_pages(floor_path) - pages0[1]
        if args.group > 1:
            group.append(batch)
            group_rows.append({"voids": voids, "floor_ms": floor_wall * 1e3, "floor_cpu_ms": floor_cpu * 1e3,
                               "floor_wal_pages": floor_pages})
            if len(group) < args.group:
                if k % 10 == 9:
                    checkpoint(lrs_path)
                    checkpoint(floor_path)
                continue
            lrs_pages0 = wal_pages(lrs_path)
            traced = {name: len(times) for name, times in clock.statements.items()}
            spans = len(clock.spans)
            store_group(lrs.db, group)
            pages0 = (lrs_pages0, 0)
        lrs_wall = sum(w for w, _ in clock.spans[spans:])
        lrs_cpu = sum(c for _, c in clock.spans[spans:])
        lrs_pages = wal_pages(lrs_path) - pages0[0]
        if args.group > 1:  # each batch of the group gets an equal share of its transaction
            voids = any(r["voids"] for r in group_rows)
            for r in group_rows:
                r.update({"voids": voids, "lrs_ms": lrs_wall * 1e3 / args.group,
                          "lrs_cpu_ms": lrs_cpu * 1e3 / args.group, "lrs_wal_pages": lrs_pages / args.group})
            done, group, group_rows = group_rows, [], []
        else:
            done = [{"voids": voids, "lrs_ms": lrs_wall * 1e3, "lrs_cpu_ms": lrs_cpu * 1e3,
                     "floor_ms": floor_wall * 1e3, "floor_cpu_ms": floor_cpu * 1e3,
                     "lrs_wal_pages": lrs_pages, "floor_wal_pages": floor_pages}]
        if k < args.warm:
            for name in clock.statements:
                del clock.statements[name][traced.get(name, 0):]
        else:
            rows.extend(done)
        if k % 10 == 9:
            checkpoint(lrs_path)
            checkpoint(floor_path)
    for floor, writer in zip(floors, writers, strict=True):
        floor.close()
        writer.db.dispose()
    if args.dir is None:  # the two databases are only this run's (--dir keeps them)
        shutil.rmtree(directory, ignore_errors=True)
    report(rows, clock, args)


def report(rows: list[dict[str, Any]], clock: LockClock, args: argparse.Namespace) -> None:
    def figures(subset: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"batches": len(subset)}
        for key in ("lrs_ms", "floor_ms", "lrs_cpu_ms", "floor_cpu_ms", "lrs_wal_pages", "floor_wal_pages"):
            values = [r[key] for r in subset]
            out[key] = {"median": round(statistics.median(values), 3), "mean": round(statistics.fmean(values), 3)}
        out["floor_over_lrs_mean"] = round(out["floor_ms"]["mean"] / out["lrs_ms"]["mean"], 3)
        return out

    result = {
        "load_average": os.getloadavg(),
        "all": figures(rows),
        "with_a_void": figures([r for r in rows if r["voids"]]) if any(r["voids"] for r in rows) else None,
        "without": figures([r for r in rows if not r["voids"]]) if not all(r["voids"] for r in rows) else None,
    }
    print(f"load average {result['load_average']}")
    print("| lock held a batch | batches | LRS median / mean ms | floor median / mean ms | LRS CPU mean ms | "
          "floor CPU mean ms | WAL pages LRS / floor | floor/LRS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label in ("all", "with_a_void", "without"):
        f = result[label]
        if f is None:
            continue
        print(f"| {label} | {f['batches']} | {f['lrs_ms']['median']:.2f} / {f['lrs_ms']['mean']:.2f} | "
              f"{f['floor_ms']['median']:.2f} / {f['floor_ms']['mean']:.2f} | {f['lrs_cpu_ms']['mean']:.2f} | "
              f"{f['floor_cpu_ms']['mean']:.2f} | {f['lrs_wal_pages']['mean']:.0f} / "
              f"{f['floor_wal_pages']['mean']:.0f} | {f['floor_over_lrs_mean']:.2f} |")
    if args.trace:
        n = len(rows)
        print("\nunder the LRS's lock, per batch (ms, mean over the batches; the time until the next statement):")
        for name, times in sorted(clock.statements.items(), key=lambda kv: -sum(kv[1])):
            print(f"  {sum(times) / n * 1e3:7.3f} ms  x{len(times) / n:5.2f}  {name}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
