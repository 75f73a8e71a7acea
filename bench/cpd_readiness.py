"""The lead's dashboard's CPD readiness column alone, on a saved store, read-only: what the ``lrs_readiness``
hook of the CPD log plugin reads for a cohort (lrs.store.records.learners_statements with skip_idle, as the
plugin reads: the year's statements of all its learners and the selections of those with any; --every-learner
for the selections of every learner, as before skip_idle; with
``--two-steps`` as the plugin read before the agent rows carried the timestamp: agents_with_statements first, then
learners_statements for the learners with anything in the year), and what that costs: the learners' index rows,
those of the year (a range of the agent rows' time index: only their statements are read; before the agent rows
carried the timestamp, every statement of the learners was read for it), the statements of the year it gives
back, the SQL statements sent, and wall and CPU time, the readiness itself included.

    .venv/bin/python bench/cpd_readiness.py --database 'sqlite:///file:/work/bench-stores/people_1000000.sqlite3?mode=ro&uri=true'

Nothing is written (open a SQLite file with mode=ro as above; on PostgreSQL use a copy, never a template that
others copy from). The cohort is bench/workload.py's programme cohort of 500 learners; the year is the CPD
year in progress today, or ``--year`` (the year it ends in). bench/workload.py's statements end on 30 September
2026, so the year in progress early in December holds only what people.py wrote in its last days (its journals),
while ``--year 2026`` (1 December 2025 to 30 November 2026) holds ten months of the programme's learning: what a
lead's dashboard reads late in a year.

``--hook``: the hook as the lead's dashboard calls it instead (lrs.services.dashboard.cpd_readiness: the read, the
records, the plugin's readiness of every learner), ``--runs`` calls after warm ones, wall and CPU p50 and
smallest, the SQL statements a call and a hash of the answers (to compare two versions' answers); with
``--callgrind N`` the instructions a call of the process (the client's: PostgreSQL's server is not in them) over
N calls under ``valgrind --tool=callgrind``, the instrumentation on around them only (bench/callgrind_path.py's
toggles). To measure another version of the code, put its ``src`` and the plugin's ``src`` first on PYTHONPATH.

    .venv/bin/python bench/cpd_readiness.py --database postgresql+psycopg://127.0.0.1:5432/copy --hook --runs 40
    .venv/bin/python bench/cpd_readiness.py --database sqlite:////path/copy.sqlite3 --hook --callgrind 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import create_engine, event, func, select

sys.path.insert(0, os.path.dirname(__file__))

from lrs_cpd_log.build import STATUS_VERBS  # noqa: E402
from lrs_cpd_log.model import rules_for  # noqa: E402
from lrs_cpd_log.plugin import readiness  # noqa: E402
from workload import PROGRAMME_IRI  # noqa: E402

from lrs.hookspecs import ExportRecord  # noqa: E402
from lrs.services.dashboard import MODES, cpd_year  # noqa: E402
from lrs.store.dashboard import cohort_learner_totals  # noqa: E402
from lrs.store.records import SA, agents_with_statements, learners_statements  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--cohort", default=PROGRAMME_IRI)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--two-steps", action="store_true", help="find the learners with anything first (as before)")
    parser.add_argument("--every-learner", action="store_true",
                        help="read the selections of every learner, idle or not (the read before skip_idle)")
    parser.add_argument("--hook", action="store_true", help="the hook as the dashboard calls it (see above)")
    parser.add_argument("--year", type=int, default=None,
                        help="the CPD year (the year it ends in, e.g. 2026); default: the one in progress today")
    parser.add_argument("--callgrind", type=int, default=0, metavar="N",
                        help="with --hook: the instructions a call, over N calls under callgrind")
    args = parser.parse_args()
    if args.hook:
        hook(args)
        return
    engine = create_engine(args.database)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    today = date.today()
    year = args.year or cpd_year(today)
    rules = rules_for(year)
    first, last = rules.start - timedelta(days=1), rules.end + timedelta(days=1)
    since = datetime.combine(first, clock_time.min, tzinfo=UTC)
    until = datetime.combine(last, clock_time.max, tzinfo=UTC)
    verbs = sorted(STATUS_VERBS)
    with engine.connect() as conn:
        keys = [x.agent_key for x in cohort_learner_totals(conn, args.cohort, MODES)]

    def read() -> tuple[set[str], dict]:
        with engine.connect() as conn:
            if not args.two_steps:
                # As the plugin reads: only the learners with anything in the year (skip_idle).
                found = learners_statements(conn, keys, since=since, until=until, any_time_verbs=verbs,
                                            skip_idle=not args.every_learner)
                return {key for key, rows in found.items() if rows}, found
            some = agents_with_statements(conn, keys, first_day=first.isoformat(), last_day=last.isoformat(),
                                          any_time_verbs=verbs)
            return some, learners_statements(conn, [k for k in keys if k in some], since=since, until=until,
                                             any_time_verbs=verbs)

    walls, cpus, reads = [], [], []
    for _ in range(args.runs):
        sent.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        some, found = read()
        reads.append((time.perf_counter() - wall) * 1000)
        for key in keys:
            rows = found.get(key, [])
            record = ExportRecord(agent={"objectType": "Agent"}, agent_key=key, statements=[s for s, _ in rows],
                                  modes={s["id"]: m for s, m in rows})
            readiness(record, year, today)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    statements = len(sent)
    with engine.connect() as conn:
        theirs = [SA.c.agent_key.in_(sorted(some)), SA.c.direct.is_(True)]
        looked_at = conn.execute(select(func.count()).select_from(SA).where(*theirs)).scalar_one()
        in_period = conn.execute(select(func.count()).select_from(SA).where(
            *theirs, SA.c.timestamp >= since, SA.c.timestamp <= until)).scalar_one()
    print(f"cohort {args.cohort}: {len(keys)} learners, CPD year {year}; load {os.getloadavg()[0]:.1f}")
    print(f"{statements} SQL statements; {len(some)} learners with anything in the year; their index rows: "
          f"{looked_at} (before statement_agents.timestamp every one's statement was read for its timestamp), "
          f"{in_period} of them in the year (a range of ix_statement_agents_key_time); statements read: "
          f"{sum(len(v) for v in found.values())}")
    print(f"over {args.runs} runs: reading p50 {statistics.median(reads):.0f} ms (min {min(reads):.0f}); with the "
          f"readiness p50 {statistics.median(walls):.0f} ms (min {min(walls):.0f}), CPU p50 "
          f"{statistics.median(cpus):.0f} ms (min {min(cpus):.0f})")


def hook(args: argparse.Namespace) -> None:
    """--hook: lrs.services.dashboard.cpd_readiness for the cohort, as the dashboard calls it."""
    if args.callgrind and os.environ.get("CPD_READINESS_MEASURED") != "1":
        print(f"{args.callgrind} calls under callgrind: {_instructions(args) / args.callgrind / 1e6:.2f} M "
              "instructions a call (the client's)")
        return
    from lrs.cli.serve import settle_garbage_collector
    from lrs.config import Settings
    from lrs.services.dashboard import cpd_readiness
    from lrs.services.statements import LRS

    lrs = LRS(Settings(database_url=args.database, bootstrap_key=None))
    with lrs.db.read() as conn:
        keys = [x.agent_key for x in cohort_learner_totals(conn, args.cohort, MODES)]
    year = args.year or cpd_year(date.today())
    sent: list[str] = []
    event.listen(lrs.db.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    for _ in range(10):  # warm: the plugins, the pool, psycopg's prepared statements
        answers = cpd_readiness(lrs, keys, year)
    digest = hashlib.sha256(repr(sorted(answers.items())).encode()).hexdigest()[:16]
    settle_garbage_collector()  # as lrs serve's workers do
    if args.callgrind:
        from callgrind_path import _toggles

        toggles = _toggles(Path(os.environ["CPD_READINESS_DIR"]))
        toggles.start()
        for _ in range(args.callgrind):
            cpd_readiness(lrs, keys, year)
        toggles.stop()
        return
    walls, cpus = [], []
    for _ in range(args.runs):
        sent.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        cpd_readiness(lrs, keys, year)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(json.dumps({
        "learners": len(keys), "year": year, "with_pieces": sum(1 for r in answers.values() if r.pieces),
        "sql_a_call": len(sent), "answers_sha": digest, "load": round(os.getloadavg()[0], 2), "runs": args.runs,
        "wall_p50_ms": round(statistics.median(walls), 1), "wall_min_ms": round(min(walls), 1),
        "cpu_p50_ms": round(statistics.median(cpus), 1), "cpu_min_ms": round(min(cpus), 1)}))
    lrs.db.dispose()


def _instructions(args: argparse.Namespace) -> int:
    """Run this script again under callgrind (instrumentation off until the toggles) and read the measured dump."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/callgrind.out",
             sys.executable, *sys.argv],
            env={**os.environ, "CPD_READINESS_MEASURED": "1", "CPD_READINESS_DIR": tmp}, check=True,
            capture_output=True)
        for out in Path(tmp).glob("callgrind.out*"):
            text = out.read_text()
            if "measured" in text.split("\nfl=", 1)[0]:
                match = re.search(r"^totals:\s+(\d+)", text, re.M)
                if match:
                    return int(match.group(1))
    raise SystemExit("no measured dump")


if __name__ == "__main__":
    main()
