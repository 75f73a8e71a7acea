"""Instructions and CPU time of the lead's cohort summaries in-process (issue 23): database and Python, no HTTP.

    .venv/bin/python bench/people.py --store-dir /work/bench-stores --reuse --db sqlite --keep   # a migrated copy
    .venv/bin/python bench/cohort_callgrind.py --url sqlite:////tmp/copy.sqlite3 cpu                # CPU p50s
    .venv/bin/python bench/cohort_callgrind.py --url sqlite:////tmp/copy.sqlite3 callgrind          # instructions

``cpu``: each summary (the cohort of 24, the 500-learner programme all time, the programme a year by month, as
bench/people.py asks them: ``enrolled_only``, the year from today less 365 days) ``--reps`` times after warm-ups,
the process's CPU time p50 and the wall time p50 (on PostgreSQL the server's time is in the wall time only).
``callgrind`` (SQLite: the database runs in the process): the same script under
``valgrind --tool=callgrind --instr-atstart=no``, the instrumentation on around ``--count`` summaries of each kind
only (bench/callgrind_path.py's toggles), and prints the instructions a summary costs; ``--keep DIR`` keeps the
callgrind files for callgrind_annotate. ``--json`` adds the JSON the HTTP answer writes (orjson).
``write`` (SQLite): what the write path costs, a fresh store with the workload's cohorts and programme known
(every statement adds to two cohorts), 5 batches of 100 workload statements stored in-process
(``LRS.store_statements``), then ``--count`` batches with the instrumentation on: instructions a batch.

    .venv/bin/python bench/cohort_callgrind.py --url sqlite:////tmp/w.sqlite3 write --count 8
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from workload import PROGRAMME_IRI  # noqa: E402

COHORT0 = f"{PROGRAMME_IRI}/cohorts/2024-0000"
KINDS = ("cohort24", "programme", "year")


class _Lrs:
    """What cohort_summary needs of an LRS: its database."""

    def __init__(self, db: Any) -> None:  # noqa: ANN401
        self.db = db


def _case(kind: str) -> tuple[str, Any]:
    from lrs.learning import summary

    if kind == "cohort24":
        return COHORT0, summary.parse_query()
    if kind == "programme":
        return PROGRAMME_IRI, summary.parse_query()
    year_from = (date.today() - timedelta(days=365)).isoformat()
    return PROGRAMME_IRI, summary.parse_query(date_from=year_from, period="month")


def _summarise(lrs: Any, kind: str, with_json: bool) -> Any:  # noqa: ANN401
    from lrs.learning import summary
    from lrs.xapi.jsontext import compact

    activity, query = _case(kind)
    out = summary.cohort_summary(lrs, activity, query, enrolled_only=True)
    return compact(out) if with_json else out


def cpu(url: str, reps: int, with_json: bool) -> None:
    from lrs.store.db import Database

    lrs = _Lrs(Database(url))
    print(f"{url.split(':')[0]}: load average {os.getloadavg()}")
    for kind in KINDS:
        for _ in range(3):
            _summarise(lrs, kind, with_json)
        walls, cpus = [], []
        for _ in range(reps):
            c0, w0 = time.process_time(), time.perf_counter()
            _summarise(lrs, kind, with_json)
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        print(f"  {kind}: CPU p50 {statistics.median(cpus):.1f} ms, wall p50 {statistics.median(walls):.1f} ms "
              f"(min {min(walls):.1f}), n={reps}")
    print(f"  load average after: {os.getloadavg()}")


def run(url: str, kind: str, count: int, with_json: bool, directory: Path) -> None:
    """The measured process (under valgrind)."""
    from callgrind_path import _toggles

    from lrs.store.db import Database

    lrs = _Lrs(Database(url))
    for _ in range(3):
        _summarise(lrs, kind, with_json)
    toggles = _toggles(directory)
    toggles.start()
    for _ in range(count):
        _summarise(lrs, kind, with_json)
    toggles.stop()


def run_write(url: str, count: int, directory: Path) -> None:
    """The measured process of ``write`` (under valgrind): a fresh store at ``url``."""
    from callgrind_path import _toggles
    from run import know_cohorts
    from workload import Workload

    from lrs.config import Settings
    from lrs.services.statements import LRS
    from lrs.store.db import Database
    from lrs.store.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    wl = Workload(seed=1, total=1_000_000)
    know_cohorts(url, wl)
    lrs = LRS(Settings(database_url=url, bootstrap_key=None))
    principal = lrs.operator_principal()
    batches = [list(wl.statements(k * 100, 100)) for k in range(5 + count)]
    for batch in batches[:5]:
        lrs.store_statements(batch, principal, "1.0.3")
    toggles = _toggles(directory)
    toggles.start()
    for batch in batches[5:]:
        lrs.store_statements(batch, principal, "1.0.3")
    toggles.stop()


def callgrind(url: str, count: int, with_json: bool, keep: Path | None, kinds: list[str]) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="cg-cohort-") as tmp:
            what = (["--url", f"sqlite:///{tmp}/write.sqlite3", "run-write"] if kind == "write"
                    else ["--url", url, "run", "--kind", kind])
            subprocess.run(
                ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/callgrind.out",
                 sys.executable, __file__, *what, "--count", str(count),
                 "--dir", tmp, *(["--json"] if with_json else [])],
                env=env, check=True, capture_output=True,
            )
            total = None
            for out in Path(tmp).glob("callgrind.out*"):
                text = out.read_text()
                if "measured" in text.split("\nfl=", 1)[0]:
                    match = re.search(r"^totals:\s+(\d+)", text, re.M)
                    total = int(match.group(1)) if match else None
                    if keep:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{kind}-{out.name}").write_text(text)
            per = "?" if total is None else f"{total / count / 1e6:.2f} M"
            print(f"  {kind}: {per} instructions a {'batch' if kind == 'write' else 'summary'} (n={count})",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="")
    ap.add_argument("--json", action="store_true", help="write the answer's JSON too, as the HTTP route does")
    ap.add_argument("command", choices=["cpu", "callgrind", "run", "write", "run-write"])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--kind", choices=KINDS)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    if args.command == "cpu":
        cpu(args.url, args.reps, args.json)
    elif args.command == "callgrind":
        callgrind(args.url, args.count, args.json, args.keep, args.kinds.split(","))
    elif args.command == "write":
        callgrind("", args.count, False, args.keep, ["write"])
    elif args.command == "run-write":
        run_write(args.url, args.count, args.dir)
    else:
        run(args.url, args.kind, args.count, args.json, args.dir)


if __name__ == "__main__":
    main()
