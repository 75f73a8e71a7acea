"""Where ``GET /api/cohorts/dashboard`` of the 500-learner programme spends its time, step by step, on a kept
store (a migrated copy of a bench/people.py store: ``people.py --keep``, or a copy made by hand): the credential
look-up, the learners' totals, the months, the unit progress, the CPD readiness hook, the rows, the JSON, each
timed in wall time and its thread's CPU time (the database server's time shows as wall time only) inside ``--reps``
requests through the Flask test client as the bench's lead, with the collector settled as in ``lrs serve``'s
workers. ``--explain``: then each SQL statement of one request under PostgreSQL's ``EXPLAIN (ANALYZE,
BUFFERS)`` (its execution time, buffers and the plan's first lines). ``--profile FILE``: a cProfile of the
requests (pstats file). ``--paired``: the requests in pairs, the readiness overlapped and in one thread in turns
(the same code under the same load). ``--callgrind N``: the instructions of N requests under callgrind (the
process's; on PostgreSQL the server's are not counted).

    .venv/bin/python bench/dashboard_steps.py --database postgresql://127.0.0.1:5432/COPY \
        --people /work/bench-stores/people-postgresql-1000000.json --reps 20 --explain

A step that runs in another thread (the readiness, overlapped) is timed in that thread; the request's CPU
figure is the whole process's, so it adds up both threads. The store is only read.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from people import STAFF, _basic, sign_in  # noqa: E402
from sqlalchemy import event  # noqa: E402
from workload import PROGRAMME_IRI  # noqa: E402

from lrs.app import create_app  # noqa: E402
from lrs.config import Settings  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402

STEPS: dict[str, list[float]] = {}
CPU: dict[str, list[float]] = {}
_local = threading.local()


def _wrap(module: Any, name: str, label: str) -> None:  # noqa: ANN401
    inner = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            _local.depth = depth
            if depth == 0:
                STEPS.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
                CPU.setdefault(label, []).append((time.thread_time() - c0) * 1000)

    setattr(module, name, timed)


def main() -> None:  # noqa: C901, PLR0915 - a bench script, read top to bottom
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", required=True)
    ap.add_argument("--people", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--what", choices=["api", "page", "csv"], default="api",
                    help="GET /api/cohorts/dashboard (default), the staff page /dashboard or its CSV")
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--plan-lines", type=int, default=40)
    ap.add_argument("--callgrind", type=int, default=0, metavar="N",
                    help="instead: the instructions of N requests (after 2 warm ones) under valgrind's callgrind, "
                    "the process's own (both threads; PostgreSQL's server not counted), printed per request")
    ap.add_argument("--under-callgrind", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--paired", action="store_true",
                    help="requests in pairs, the readiness overlapped and in one thread in turns (lrs.services."
                    "dashboard._can_overlap forced): the same code under the same load, compared request by request")
    args = ap.parse_args()
    if args.callgrind and not args.under_callgrind:
        return _callgrind(args)
    settings = Settings(database_url=args.database, bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    from lrs.review import cohort as review_cohort
    from lrs.services import dashboard as service
    from lrs.store import dashboard as store
    from lrs.xapi import jsontext

    _wrap(type(lrs), "authenticate", "credential look-up")
    _wrap(store, "cohort_learner_totals", "learners' totals")
    _wrap(store, "cohort_month_totals", "months")
    _wrap(review_cohort, "cohort_unit_progress", "unit progress")
    for name, label in (("read_unit_progress", "unit progress read"), ("unit_progress", "unit progress work")):
        if hasattr(review_cohort, name):
            _wrap(review_cohort, name, label)
    if hasattr(store, "cohort_learner_keys"):
        _wrap(store, "cohort_learner_keys", "enrolled keys")
    _wrap(service, "cpd_readiness", "CPD readiness")
    _wrap(service, "as_json", "as_json")
    _wrap(jsontext, "compact", "orjson")
    from lrs.cli.serve import settle_garbage_collector

    settle_garbage_collector()
    sent: list[tuple[str, Any]] = []
    event.listen(lrs.db.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, params, _ctx, _many: sent.append((sql, params)))
    cohort = urllib.parse.quote(PROGRAMME_IRI, safe="")
    if args.what == "api":
        path = f"/api/cohorts/dashboard?cohort={cohort}"
        headers = _basic(*json.loads(args.people.read_text())["people"]["credentials"]["lead"])
        client = app.test_client()
    else:  # the staff page or its CSV, signed in as the bench's lead
        path = f"/dashboard{'.csv' if args.what == 'csv' else ''}?cohort={cohort}"
        headers = {}
        client = sign_in(app, STAFF["lead"])
    assert client.get(path, headers=headers).status_code == 200  # warm
    if args.under_callgrind:
        from callgrind_path import _toggles

        assert client.get(path, headers=headers).status_code == 200
        toggles = _toggles(args.under_callgrind)
        toggles.start()
        for _ in range(args.callgrind):
            client.get(path, headers=headers)
        toggles.stop()
        lrs.db.dispose()
        return None
    STEPS.clear()
    CPU.clear()
    walls, cpus = [], []
    profiler = cProfile.Profile() if args.profile else None
    modes = [True, False] if args.paired else [None]
    paired: dict[Any, list[float]] = {m: [] for m in modes}
    real_overlap = getattr(service, "_can_overlap", None)
    for _ in range(args.reps):
        for mode in modes:
            if mode is not None:
                service._can_overlap = (lambda _lrs, mode=mode: mode)
            sent.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            response = client.get(path, headers=headers)
            if profiler:
                profiler.disable()
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
            paired[mode].append(walls[-1])
            assert response.status_code == 200
    if real_overlap is not None:
        service._can_overlap = real_overlap
    if args.paired:
        for mode, values in paired.items():
            w = sorted(values)
            print(f"{'overlapped' if mode else 'one thread'}: wall p50 {statistics.median(w):.1f} ms, p95 "
                  f"{w[min(len(w) - 1, round(0.95 * (len(w) - 1)))]:.1f} ms, min {w[0]:.1f} ms")
    if profiler:
        profiler.dump_stats(args.profile)
    print(f"request: wall p50 {statistics.median(walls):.1f} ms (min {min(walls):.1f}), CPU p50 "
          f"{statistics.median(cpus):.1f} ms (min {min(cpus):.1f}); {len(sent)} SQL statements (those through "
          "SQLAlchemy's engine)")
    for label, values in STEPS.items():
        cpu = CPU[label]
        print(f"  {label:20s} wall p50 {statistics.median(values):6.2f} ms  min {min(values):6.2f} ms;  "
              f"its thread's CPU p50 {statistics.median(cpu):6.2f} ms  min {min(cpu):6.2f} ms")
    if args.explain and lrs.db.dialect == "postgresql":
        with lrs.db.engine.connect() as conn:
            driver = conn.connection.driver_connection
            for sql, params in sent:
                if not sql.lstrip().upper().startswith("SELECT") and not sql.lstrip().upper().startswith("WITH"):
                    continue
                plan = [r[0] for r in driver.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()]
                # Without each node's clock (which costs plans of many rows more than their work): min of 5.
                alone = []
                for _ in range(5):
                    quiet = [r[0] for r in driver.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {sql}", params).fetchall()]
                    alone.append(float(quiet[-1].split(":")[1].split()[0]))
                print(f"\n--- {' '.join(sql.split())[:160]}")
                print(f"    execution {min(alone):.2f} ms without the nodes' timing (min of 5), "
                      f"{plan[-1].strip()} with it")
                for line in plan[:args.plan_lines]:
                    print("   ", line)
            conn.rollback()
    lrs.db.dispose()


def _callgrind(args: argparse.Namespace) -> None:
    import subprocess
    import tempfile

    from callgrind_path import _instructions

    with tempfile.TemporaryDirectory(prefix="dash-cg-") as tmp:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/callgrind.out",
             sys.executable, __file__, "--database", args.database, "--people", str(args.people),
             "--callgrind", str(args.callgrind), "--under-callgrind", tmp, "--what", args.what],
            env={**os.environ, "PYTHONHASHSEED": "0"}, check=True, capture_output=True,
        )
        per = _instructions(Path(tmp)) / args.callgrind / 1e6
    print(f"{per:.2f} M instructions a request (callgrind, {args.callgrind} requests)")


if __name__ == "__main__":
    main()
