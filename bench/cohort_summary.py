"""Cohort summaries from cohort_totals and from the statements, on the same store in the same run (issue 23).

    .venv/bin/python bench/people.py --store-dir /work/bench-stores --reuse --db sqlite --keep   # a migrated copy
    .venv/bin/python bench/cohort_summary.py --url sqlite:////work/bench-stores/people_1000000_run_<pid>.sqlite3

On a store bench/people.py built (and migrated: the cohorts known and counted), in-process (database and Python,
no HTTP): ``lrs.learning.summary.cohort_summary`` as the lead asks it (only the enrolled learners) for the cohort
of 24 learners, the 500-learner programme, and the programme for a year by month; each ``--reps`` times from
cohort_totals (the code) and, alternately, from the statements (the path an activity that is not a known cohort
takes: the code before). Both must give the same answer; the run stops if they do not. Prints p50/p95 of the
wall time and the process's CPU time (SQLite runs in the process; on PostgreSQL the server's time is in the wall
time only) with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from workload import END, PROGRAMME_IRI  # noqa: E402

from lrs.learning import summary  # noqa: E402
from lrs.store import cohort_totals  # noqa: E402
from lrs.store.db import Database  # noqa: E402

COHORT0 = f"{PROGRAMME_IRI}/cohorts/2024-0000"


class _Lrs:
    """What cohort_summary needs of an LRS: its database."""

    def __init__(self, db: Database) -> None:
        self.db = db


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--before-reps", type=int, default=5, help="from the statements (slow: fewer)")
    args = ap.parse_args()
    lrs: Any = _Lrs(Database(args.url))
    year_from = (END.date() - timedelta(days=365)).isoformat()
    cases = {
        "cohort summary, 24 learners (lead)": (COHORT0, summary.parse_query()),
        "cohort summary, 500 learners (lead)": (PROGRAMME_IRI, summary.parse_query()),
        "cohort summary, 500 learners, a year by month (lead)": (
            PROGRAMME_IRI, summary.parse_query(date_from=year_from, period="month")),
    }
    real = cohort_totals.is_known
    print(f"{args.url.split(':')[0]}: load average {os.getloadavg()}, {date.today()}")
    for name, (activity, query) in cases.items():
        times: dict[str, tuple[list[float], list[float]]] = {"totals": ([], []), "statements": ([], [])}
        answers: dict[str, Any] = {}
        for k in range(args.reps):
            for path in ("totals", "statements"):
                if path == "statements" and k >= args.before_reps:
                    continue
                cohort_totals.is_known = real if path == "totals" else (lambda conn, a: False)
                c0, w0 = time.process_time(), time.perf_counter()
                answers[path] = summary.cohort_summary(lrs, activity, query, enrolled_only=True)
                times[path][0].append((time.perf_counter() - w0) * 1000)
                times[path][1].append((time.process_time() - c0) * 1000)
                cohort_totals.is_known = real
        if answers["totals"] != answers["statements"]:
            print(f"  {name}: the two answers differ", file=sys.stderr)
            return 1
        line = [f"  {name} ({answers['totals']['learner_count']} learners, "
                f"{answers['totals']['totals']['statements']} statements):"]
        for path, (wall, cpu) in times.items():
            line.append(f"{path}: wall p50 {_p(wall, 0.5)} p95 {_p(wall, 0.95)} ms, CPU p50 {_p(cpu, 0.5)} "
                        f"p95 {_p(cpu, 0.95)} ms (n={len(wall)});")
        print(" ".join(line))
        print(f"    ratio of the p50 walls: {statistics.median(times['statements'][0]) / statistics.median(times['totals'][0]):.1f}x")
    print(f"  load average after: {os.getloadavg()}")
    lrs.db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
