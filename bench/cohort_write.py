"""What keeping cohort_totals costs the write path (issue 23): batches of statements stored in-process through
``LRS.store_statements`` into three fresh databases, in turn, batch by batch (so load hits all three alike):

* ``before``: the write path without cohort_totals (its two calls patched out: no rows made, no SQL sent), i.e.
  the code before the change;
* ``none known``: this branch, no known cohort (the rows are made and sent, the join keeps none);
* ``known``: this branch, the workload's cohorts and programme known (every statement adds to two cohorts, as in
  a store whose cohorts have enrolments).

Each is the same statements (bench/workload.py) in the same batches. Prints the median and mean CPU time of the
process (SQLite runs in it; on PostgreSQL the server's work is not in it) and wall time per batch, with the load.

    .venv/bin/python bench/cohort_write.py --db sqlite --batches 200 --size 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run as bench_run  # noqa: E402
from workload import Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import cohort_totals  # noqa: E402
from lrs.store.db import Database  # noqa: E402

VARIANTS = ("before", "none known", "known")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--total", type=int, default=0, help="the workload's size (its learners: one per 50)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lrs-cohort-write-"))
    os.environ.setdefault("LRS_BENCH_PG_PREFIX", f"lrs_cohort_write_{os.getpid()}")
    target = bench_run.Target(args.db, workdir, args.pg_url)
    wl = Workload(args.seed, total=args.total or args.batches * args.size)
    stores: dict[str, tuple[LRS, Any]] = {}
    for k, variant in enumerate(VARIANTS):
        url = target.fresh(f"v{k}")
        lrs = LRS(Settings(database_url=url, bootstrap_key=None), db=Database(url))
        if variant == "known":
            bench_run.know_cohorts(url, wl)
        stores[variant] = (lrs, lrs.operator_principal())
    real_rows, real_take_out = cohort_totals.batch_rows, cohort_totals.take_out
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    wall: dict[str, list[float]] = {v: [] for v in VARIANTS}
    load_before = os.getloadavg()
    try:
        for b in range(args.batches):
            batch = list(wl.statements(b * args.size, args.size))
            for variant in VARIANTS:
                lrs, principal = stores[variant]
                if variant == "before":
                    cohort_totals.batch_rows = lambda prepared, postgres=True: (None, None) if postgres else None
                    cohort_totals.take_out = lambda conn, **kw: None
                c0, w0 = time.process_time(), time.perf_counter()
                lrs.store_statements(batch, principal, "1.0.3")
                cpu[variant].append((time.process_time() - c0) * 1000)
                wall[variant].append((time.perf_counter() - w0) * 1000)
                cohort_totals.batch_rows, cohort_totals.take_out = real_rows, real_take_out
        with stores["known"][0].db.read() as conn:
            rows = {"cohort_totals rows": conn.exec_driver_sql("SELECT count(*) FROM cohort_totals").scalar()}
    finally:
        for lrs, _ in stores.values():
            lrs.db.dispose()
        target.drop_all()
    print(f"{args.db}: {args.batches} batches of {args.size} statements, load average {load_before} -> "
          f"{os.getloadavg()} {rows}")
    base = statistics.median(cpu["before"])
    for variant in VARIANTS:
        print(f"  {variant:>10}: CPU per batch median {statistics.median(cpu[variant]):7.2f} ms "
              f"(mean {statistics.mean(cpu[variant]):7.2f}, {statistics.median(cpu[variant]) / base:5.3f}x before); "
              f"wall median {statistics.median(wall[variant]):7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
