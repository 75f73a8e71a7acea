"""The heaviest learner's exports and the pages that show CPD readiness, on a store built once (issue 23).

    .venv/bin/python bench/exports.py build --db sqlite --n 100000 --state /tmp/ex   # store + people, kept
    .venv/bin/python bench/exports.py measure --state /tmp/ex/sqlite.json --label after
    .venv/bin/python bench/exports.py drop --state /tmp/ex/postgresql.json

``build`` loads the N statements and the people of bench/people.py (the same workload, the same services) into a
store of its own (PostgreSQL database ``lrs_bench_exports``, so it never collides with bench/people.py), and writes
the store's URL and the people's credentials to a state file. ``measure`` then times, in-process through the Flask
test client: the participant's home and CPD log pages (signed in as the heaviest learner), the programme lead's
dashboard and its CSV (500 learners), and every export of the heaviest learner (each CPD log format and the ILM
portfolio ZIP) with its peak Python memory (tracemalloc) and the number of SQL statements it sent. Because the
store is kept, the code before and after a change can be measured on the same data, one after the other (run the
older code with PYTHONPATH pointing at its ``src`` and plugin ``src`` directories).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from datetime import date
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import people  # noqa: E402
import run as bench_run  # noqa: E402
from harness import git_commit, summary_ms  # noqa: E402
from workload import PROGRAMME_IRI, Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402


class Target(bench_run.Target):
    """bench/run.py's target with databases of its own name."""

    @staticmethod
    def _pg_name(label: str) -> str:
        return f"lrs_bench_exports_{label}"


def build(args: argparse.Namespace) -> None:
    state_dir = Path(args.state)
    state_dir.mkdir(parents=True, exist_ok=True)
    target = Target(args.db, state_dir, args.pg_url)
    cfg = bench_run.Config.quick(args.n)
    bench_run.load_stores([target], cfg)
    url = target.url("store")
    wl = Workload(cfg.seed, args.n)
    built = people.build_people(url, wl)
    if args.db == "postgresql":
        from lrs.store.db import Database

        db = Database(url)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        db.dispose()
    state = {"db": args.db, "n": args.n, "seed": cfg.seed, "url": url, "people": built}
    (state_dir / f"{args.db}.json").write_text(json.dumps(state, indent=1, default=str))
    print(state_dir / f"{args.db}.json")


class Counter:
    """SQL statements sent through an engine (a SQLAlchemy event listener)."""

    def __init__(self, engine: Any):
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.n += 1


def measure(args: argparse.Namespace) -> None:
    from lrs.app import create_app

    state = json.loads(Path(args.state).read_text())
    settings = Settings(database_url=state["url"], bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    counter = Counter(lrs.db.engine)
    wl = Workload(state["seed"], state["n"])
    creds = state["people"]["credentials"]
    h = {name: people._basic(*creds[name]) for name in creds}
    client = app.test_client()
    heavy = urllib.parse.quote(
        json.dumps({k: v for k, v in wl.heavy_agent.items() if k not in ("objectType", "name")})
    )
    framework = urllib.parse.quote(people.ILM, safe="")
    out: dict[str, Any] = {
        "label": args.label,
        "git": git_commit(people.REPO),
        "db": state["db"],
        "n": state["n"],
        "floor": people.floor(client, h["admin"], args.reps),
        "measures": {},
    }

    def run(label: str, call: Any, reps: int, target: float, memory: bool = False) -> None:
        response = call()  # warm: plugins, frameworks
        before = counter.n
        response = call()
        queries = counter.n - before
        entry: dict[str, Any] = {
            "status": response.status_code,
            "bytes": len(response.data),
            "queries": queries,
            "target_ms": target,
        }
        if memory:
            tracemalloc.start()
            call()
            entry["peak_python_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
        seconds, cpu = timed(call, reps)
        entry.update(summary_ms(seconds))
        # The process's CPU time: what the request costs this process, whatever else the machine is doing.
        entry.update({f"cpu_{k}": v for k, v in summary_ms(cpu).items() if k in ("p50_ms", "p95_ms")})
        out["measures"][label] = entry
        peak = f", peak {entry['peak_python_mib']} MiB" if memory else ""
        people.log(
            f"  {label}: {entry['status']} p95 {entry.get('p95_ms')} ms (p50 {entry.get('p50_ms')}), "
            f"CPU p50 {entry.get('cpu_p50_ms')} ms, {queries} queries{peak}"
        )

    browser = signed_in(app, state["people"]["participant"])
    last_year = (date.today().year + 1 if date.today().month == 12 else date.today().year) - 1
    for label, path in (
        ("page: home", "/"),
        ("page: CPD log", "/cpd-log"),
        ("page: CPD log, the year before (a full year)", f"/cpd-log?year={last_year}"),
    ):
        run(label, lambda p=path: browser.get(p), args.reps, 100.0)
    if args.dashboard:
        lead = signed_in(app, lead_account(lrs))
        programme = urllib.parse.quote(PROGRAMME_IRI, safe="")
        for label, path in (
            ("page: lead dashboard, 500 learners", f"/dashboard?cohort={programme}"),
            ("lead dashboard CSV, 500 learners", f"/dashboard.csv?cohort={programme}"),
        ):
            run(label, lambda p=path: lead.get(p), max(3, args.reps // 4), 100.0)
    formats = people.cpd_formats(client, h["admin"])
    exports = [
        (f"export: CPD log {fmt}", f"/api/learners/{heavy}/exports/cpd-log?format={fmt}", 1000.0)
        for fmt in formats
    ]
    exports.append(
        (
            "export: ILM portfolio ZIP",
            f"/api/learners/{heavy}/exports/ilm-portfolio?qualification={framework}",
            2000.0,
        )
    )
    for label, path, target in exports:
        run(
            label,
            lambda p=path: client.get(p, headers=h["admin"]),
            max(3, args.reps // 4),
            target,
            memory=True,
        )
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    lrs.db.dispose()
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def timed(call: Any, reps: int, budget: float = 12.0) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``reps`` calls, or fewer (at least 3) past ``budget`` wall seconds in all."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(reps):
        if len(wall) >= 3 and sum(wall) > budget:
            break
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return wall, cpu


def signed_in(app: Any, email: str) -> Any:
    browser = app.test_client()
    html = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    signed = browser.post("/sign-in", data={"email": email, "password": people.PASSWORD, "csrf_token": token})
    if signed.status_code != 302:
        raise SystemExit(f"sign-in failed: {signed.status_code}")
    return browser


def lead_account(lrs: LRS) -> str:
    """A programme lead's account for the 500-learner programme cohort (made once, on the first measure)."""
    from lrs.store import users as user_store
    from lrs.web.passwords import hash_password

    email = "lead@bench.example"

    def make(conn: Any) -> None:
        if user_store.user_by_email(conn, email) is None:
            user_store.create_user(
                conn,
                email=email,
                name="Bench Lead",
                role="lead",
                cohorts=[PROGRAMME_IRI],
                password_hash=hash_password(people.PASSWORD),
            )

    lrs.db.write(make)
    return email


def drop(args: argparse.Namespace) -> None:
    state = json.loads(Path(args.state).read_text())
    target = Target(state["db"], Path(args.state).parent, args.pg_url)
    target.made.append(target._pg_name("store"))
    target.drop_all()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    b.add_argument("--n", type=int, default=100_000)
    b.add_argument("--state", default=tempfile.mkdtemp(prefix="lrs-exports-"))
    b.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    m = sub.add_parser("measure")
    m.add_argument("--state", required=True)
    m.add_argument("--label", default="")
    m.add_argument("--reps", type=int, default=20)
    m.add_argument("--out")
    m.add_argument("--dashboard", action="store_true", help="also the lead dashboard and its CSV")
    d = sub.add_parser("drop")
    d.add_argument("--state", required=True)
    d.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    args = ap.parse_args(argv)
    {"build": build, "measure": measure, "drop": drop}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
