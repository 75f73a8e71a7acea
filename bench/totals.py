"""The summaries of whole records, from ``learning_totals`` and from the statements, on the same store in the same
run (issue 23): what reading a learner's days instead of their statements changes.

    .venv/bin/python bench/totals.py --n 100000               # both databases
    .venv/bin/python bench/totals.py --db sqlite --n 1000000 --reps 30

For each database: the N-statement programme of bench/workload.py loaded straight into the schema (as
bench/run.py does, learning_totals rebuilt from it as ``lrs learning-totals rebuild`` would), every learner
enrolled in their cohort of 24 and 500 of them in the programme as one big cohort (as bench/people.py does).
Then, in-process (database and Python, no HTTP), ``--reps`` times each: the heaviest learner's summary for a
year by month and a small learner's for all time (``lrs.learning.summary.learner_summary``), and the lead
dashboard's data of the 24- and the 500-learner cohort (``enrolled_learners_summary`` by month and
``cohort_learners``), each both ways: from learning_totals (the code) and from the statements (the queries the
code ran before, kept here to compare). Both ways must give the same figures; the run stops if they do not.
Also: the rebuild's time, and the table's rows against the statements. Results:
bench/results/<date>-totals-<db>-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run as bench_run  # noqa: E402
from harness import git_commit, machine, summary_ms  # noqa: E402
from sqlalchemy import and_, func, select  # noqa: E402
from workload import PROGRAMME_IRI, Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.learning import summary  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import learning as learning_store  # noqa: E402
from lrs.store.enrolments import CE, LEARNER  # noqa: E402
from lrs.store.learning import SA, ModeTotals, S, T  # noqa: E402
from lrs.xapi.ifi import agent_key  # noqa: E402

REPO = BENCH_DIR.parent
PROGRAMME_LEARNERS = 500


def log(message: str) -> None:
    bench_run.log(message)


# --- the statements way: what the code ran before learning_totals ------------------------------------------


def learner_from_statements(lrs: LRS, key: str, query: summary.SummaryQuery) -> dict[str, Any]:
    scope = {"agent_key": key, "start": query.start, "end": query.end}
    with lrs.db.read() as conn:
        rows = learning_store.mode_totals(conn, by_month=bool(query.period), **scope)
        verbs = learning_store.unclassified_verbs(conn, **scope)
    return {
        "totals": summary.bucket(rows, query, top_unclassified=verbs),
        "periods": summary.periods(rows, query),
    }


def _enrolled_from_statements(conn: Any, cohort: str, by: str) -> list[ModeTotals]:
    columns: list[Any] = [
        S.c.learning_mode.label("mode"),
        func.count().label("statements"),
        func.coalesce(func.sum(S.c.duration_seconds), 0.0).label("seconds"),
        func.count(S.c.duration_seconds).label("timed"),
    ]
    extra = SA.c.agent_key.label("agent_key") if by == "agent" else learning_store._month(conn).label("month")
    query = (
        select(*columns, extra)
        .select_from(
            CE.join(SA, and_(SA.c.agent_key == CE.c.agent_key, SA.c.direct.is_(True))).join(
                S, S.c.seq == SA.c.statement_seq
            )
        )
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .group_by(S.c.learning_mode, extra)
    )
    return learning_store._mode_totals(conn.execute(query).mappings())


def _latest_from_statements(conn: Any, cohort: str) -> dict[str, Any]:
    rows = conn.execute(
        select(SA.c.agent_key, func.max(S.c.timestamp))
        .select_from(
            CE.join(SA, and_(SA.c.agent_key == CE.c.agent_key, SA.c.direct.is_(True))).join(
                S, S.c.seq == SA.c.statement_seq
            )
        )
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .group_by(SA.c.agent_key)
    )
    return {agent: latest for agent, latest in rows}


def dashboard_from_statements(lrs: LRS, cohort: str, query: summary.SummaryQuery) -> dict[str, Any]:
    with lrs.db.read() as conn:
        per_learner = _enrolled_from_statements(conn, cohort, "agent")
        per_month = _enrolled_from_statements(conn, cohort, "month")
        latest = _latest_from_statements(conn, cohort)
    return _dashboard(cohort, query, per_learner, per_month, latest)


def dashboard_from_totals(lrs: LRS, cohort: str, query: summary.SummaryQuery) -> dict[str, Any]:
    """What the lead dashboard reads of the learning model (lrs.web.staff_views.dashboard_data): the enrolled
    learners' summary by month and their latest statement."""
    data = summary.enrolled_learners_summary(lrs, cohort, query)
    with lrs.db.read() as conn:
        learners = learning_store.cohort_learners(conn, cohort)
    return {
        "summary": data,
        "latest": {r["agent_key"]: r["latest"] for r in learners if r["latest"] is not None},
    }


def _dashboard(
    cohort: str,
    query: summary.SummaryQuery,
    per_learner: list[ModeTotals],
    per_month: list[ModeTotals],
    latest: dict[str, Any],
) -> dict[str, Any]:
    by_agent: dict[str, list[ModeTotals]] = {}
    for row in per_learner:
        by_agent.setdefault(row.agent_key or "", []).append(row)
    data = {
        "activity": cohort,
        **summary._header(query),
        "learner_count": len(by_agent),
        "totals": summary.bucket(per_learner, query),
        "periods": summary.periods(per_month, query),
        "learners": [{"agent": a, **summary.bucket(found, query)} for a, found in sorted(by_agent.items())],
    }
    return {"summary": data, "latest": latest}


# --- the run -----------------------------------------------------------------------------------------------


def enrol(url: str, wl: Workload) -> None:
    lrs = LRS(Settings(database_url=url, bootstrap_key=None))
    now = datetime.now(UTC)
    rows = [
        {
            "cohort": wl.cohort_iri(wl.cohort(j)),
            "agent_key": agent_key(wl.agent(j)),
            "role": LEARNER,
            "enrolled_by": "bench",
            "enrolled_at": now,
        }
        for j in range(wl.n_agents)
    ]
    rows += [
        {
            "cohort": PROGRAMME_IRI,
            "agent_key": agent_key(wl.agent(j)),
            "role": LEARNER,
            "enrolled_by": "bench",
            "enrolled_at": now,
        }
        for j in range(min(PROGRAMME_LEARNERS, wl.n_agents))
    ]
    lrs.db.write(lambda conn: conn.execute(CE.insert(), rows))
    lrs.db.dispose()


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def measure(url: str, wl: Workload, reps: int) -> dict[str, Any]:
    lrs = LRS(Settings(database_url=url, bootstrap_key=None))
    heavy = agent_key(wl.heavy_agent)
    small = agent_key(wl.agent(1))
    # The heaviest learner's year ends with the workload's last statement (the bench's data is fixed in time).
    year_from = (datetime(2026, 9, 30).date() - timedelta(days=365)).isoformat()
    year = summary.parse_query(year_from, None, "month")
    everything = summary.parse_query()
    by_month = summary.parse_query(period="month")
    cases: dict[str, tuple[Any, Any]] = {
        "learner summary (heaviest learner, a year by month)": (
            lambda: {
                k: v
                for k, v in summary.learner_summary(lrs, heavy, year).items()
                if k in ("totals", "periods")
            },
            lambda: learner_from_statements(lrs, heavy, year),
        ),
        "learner summary (a learner of cohort 0, all time)": (
            lambda: {
                k: v
                for k, v in summary.learner_summary(lrs, small, everything).items()
                if k in ("totals", "periods")
            },
            lambda: learner_from_statements(lrs, small, everything),
        ),
        "lead dashboard data, 24 learners (summary by month + latest)": (
            lambda: dashboard_from_totals(lrs, wl.cohort_iri(0), by_month),
            lambda: dashboard_from_statements(lrs, wl.cohort_iri(0), by_month),
        ),
        "lead dashboard data, 500 learners (summary by month + latest)": (
            lambda: dashboard_from_totals(lrs, PROGRAMME_IRI, by_month),
            lambda: dashboard_from_statements(lrs, PROGRAMME_IRI, by_month),
        ),
    }
    out: dict[str, Any] = {}
    for label, (totals_way, statements_way) in cases.items():
        got, expected = totals_way(), statements_way()
        if not _same(got, expected):
            raise SystemExit(f"{label}: learning_totals and the statements disagree")
        times: dict[str, list[float]] = {"totals": [], "statements": []}
        for _ in range(reps):  # interleaved, so both ways see the same machine
            for way, call in (("totals", totals_way), ("statements", statements_way)):
                t0 = time.perf_counter()
                call()
                times[way].append(time.perf_counter() - t0)
        out[label] = {way: summary_ms(seconds) for way, seconds in times.items()}
        log(
            f"  {label}: totals p95 {out[label]['totals'].get('p95_ms')} ms, "
            f"statements p95 {out[label]['statements'].get('p95_ms')} ms"
        )
    with lrs.db.read() as conn:
        out["rows"] = {
            "learning_totals": conn.execute(select(func.count()).select_from(T)).scalar(),
            "statements": conn.execute(select(func.count()).select_from(S)).scalar(),
        }
    t0 = time.perf_counter()
    lrs.db.write(learning_store.rebuild_totals)
    out["rebuild_seconds"] = round(time.perf_counter() - t0, 2)
    lrs.db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    import os

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--n", type=int, default=1_000_000, help="stored statements (default 1,000,000)")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    args = ap.parse_args(argv)
    names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="lrs-totals-"))
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    for name in names:
        target = bench_run.Target(name, workdir, args.pg_url)
        cfg = bench_run.Config.quick(args.n)
        result: dict[str, Any] = {
            "n": args.n,
            "database": target.describe(),
            "machine": machine(),
            "git": git_commit(REPO),
        }
        try:
            result["store"] = bench_run.load_stores([target], cfg)[name]
            url = target.url("store")
            wl = Workload(cfg.seed, args.n)
            enrol(url, wl)
            result["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
            result["measures"] = measure(url, wl, args.reps)
            result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            target.drop_all()
        out = results_dir / f"{date.today().isoformat()}-totals-{name}-{args.n}.json"
        out.write_text(json.dumps(result, indent=1, default=str))
        log(f"{name}: saved {out}")
        print(
            f"\n### {name} at N = {args.n:,} (load {result['load_average_before']} → {result['load_average_after']})\n"
        )
        print("| measure | from learning_totals p50 / p95 | from the statements p50 / p95 |")
        print("| --- | ---: | ---: |")
        for label, m in result["measures"].items():
            if isinstance(m, dict) and "totals" in m:
                print(
                    f"| {label} | {m['totals'].get('p50_ms')} / {m['totals'].get('p95_ms')} ms | "
                    f"{m['statements'].get('p50_ms')} / {m['statements'].get('p95_ms')} ms |"
                )
        print(f"\nrows: {result['measures']['rows']}; rebuild {result['measures']['rebuild_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
