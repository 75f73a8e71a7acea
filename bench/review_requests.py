"""The review's requests (issue 23) on a kept store, for comparing two versions of the code on the same data:
the evidence matrix, progress, the assessor's queue and the IQA list (/api), the learner's qualification page,
and the staff's review pages (assessor queue, IQA sampling, evidence page, a learner's progress).

    .venv/bin/python bench/review_requests.py build --db sqlite --n 100000 --dir /tmp/review-store
    .venv/bin/python bench/review_requests.py measure --dir /tmp/review-store [--reps 20] [--queries] [--dump F]

``build`` makes the N-statement store of bench/people.py (its workload and its people: cohorts, journals,
decisions, CPD, the heaviest learner's account) and keeps it in --dir (PostgreSQL: the database ``--pg-name``,
``lrs_review_bench`` by default, so a run does not drop another's ``lrs_bench``). ``measure`` times each request
``--reps`` times in-process (the Flask test client: server time, no network) and prints p50/p95, with
``--queries`` the SQL statements one request runs, with ``--dump`` the answers (to check two versions give the
same). To measure another version of the code on the same store, put its ``src`` first on the path:

    git archive <commit> src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src .venv/bin/python bench/review_requests.py measure --dir /tmp/review-store

and alternate the two a few times: on a loaded machine the same request varies by 2x from one run to the next.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))


def build(args: argparse.Namespace) -> None:
    import people
    import run as bench_run
    from workload import Workload

    bench_run.Target._pg_name = staticmethod(lambda label: args.pg_name)  # type: ignore[method-assign]
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    target = bench_run.Target(args.db, workdir, args.pg_url)
    cfg = bench_run.Config.quick(args.n)
    bench_run.load_stores([target], cfg)
    url = target.url("store")
    made = people.build_people(url, Workload(cfg.seed, args.n))
    if args.db == "postgresql":
        from lrs.store.db import Database

        db = Database(url)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        db.dispose()
    (workdir / "people.json").write_text(
        json.dumps({"url": url, "n": args.n, "seed": cfg.seed, "people": made}, default=str)
    )
    print(f"built {url} ({workdir / 'people.json'})")


def _signed_in(app: Any, email: str, password: str) -> Any:
    browser = app.test_client()
    html = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    if (
        browser.post("/sign-in", data={"email": email, "password": password, "csrf_token": token}).status_code
        != 302
    ):
        raise SystemExit(f"sign-in failed for {email}")
    return browser


def measure(args: argparse.Namespace) -> None:
    import people as P
    from workload import Workload

    import lrs
    from lrs.app import create_app
    from lrs.config import Settings
    from lrs.services.statements import LRS
    from lrs.store import users as user_store
    from lrs.web.passwords import hash_password
    from lrs.xapi.ifi import agent_key

    print(f"code: {Path(lrs.__file__).parent}")
    meta = json.loads((Path(args.dir) / "people.json").read_text())
    made = meta["people"]
    wl = Workload(meta["seed"], meta["n"])
    settings = Settings(database_url=meta["url"], bootstrap_key=None)
    the_lrs = LRS(settings)
    app = create_app(settings, lrs=the_lrs)
    client = app.test_client()
    headers = {name: P._basic(*c) for name, c in made["credentials"].items()}
    heavy = urllib.parse.quote(
        json.dumps({k: v for k, v in wl.heavy_agent.items() if k not in ("objectType", "name")})
    )
    framework = urllib.parse.quote(P.ILM, safe="")
    api = {
        "/api evidence matrix (heaviest learner)": (
            f"/api/learners/{heavy}/evidence?framework={framework}",
            "admin",
        ),
        "/api progress (heaviest learner)": (
            f"/api/learners/{heavy}/progress?framework={framework}",
            "admin",
        ),
        "/api review queue, assessor of 10 cohorts": ("/api/reviews/queue", "assessor"),
        "/api IQA sample list, IQA of 10 cohorts": ("/api/reviews/queue", "iqa"),
    }
    calls = {label: (lambda p=p, w=w: client.get(p, headers=headers[w])) for label, (p, w) in api.items()}
    learner = _signed_in(app, made["participant"], P.PASSWORD)
    calls["page: qualification (progress)"] = lambda: learner.get("/progress")
    # The staff: web accounts for the bench's assessor and IQA (the same people as their credentials).
    cohorts = [wl.cohort_iri(c) for c in range(P.REVIEWED_COHORTS)]
    staff = {}
    for role in ("assessor", "iqa"):
        email = f"{role}.web@bench.example"
        with the_lrs.db.read() as conn:
            known = user_store.user_by_email(conn, email)
        if known is None:
            the_lrs.db.write(
                lambda conn, email=email, role=role: user_store.create_user(
                    conn,
                    email=email,
                    name=f"Bench {role}",
                    role=role,
                    agent_key=f"mbox:mailto:{role}@bench.example",
                    cohorts=cohorts,
                    password_hash=hash_password(P.PASSWORD),
                )
            )
        staff[role] = _signed_in(app, email, P.PASSWORD)
    progress = client.get(api["/api progress (heaviest learner)"][0], headers=headers["admin"]).get_json()
    evidence_id = progress["units"][0]["criteria"][0]["evidence"][-1]["id"]
    heavy_key = urllib.parse.quote(agent_key(wl.heavy_agent), safe="")
    calls["staff page: assessor queue"] = lambda: staff["assessor"].get("/review")
    calls["staff page: IQA sampling"] = lambda: staff["iqa"].get("/sampling")
    calls["staff page: evidence"] = lambda: staff["assessor"].get(f"/review/evidence/{evidence_id}")
    calls["staff page: a learner's progress"] = lambda: staff["assessor"].get(f"/review/learners/{heavy_key}")

    statements = [0]
    if args.queries:
        from sqlalchemy import event

        @event.listens_for(the_lrs.db.engine, "before_cursor_execute")
        def count(*_: Any, **__: Any) -> None:
            statements[0] += 1

    answers: dict[str, Any] = {}
    print(f"load average {os.getloadavg()}")
    for label, call in calls.items():
        response = call()  # warm: the first request loads plugins and frameworks
        if response.status_code != 200:
            raise SystemExit(f"{label}: {response.status_code}")
        answers[label] = (
            response.get_json()
            if response.is_json
            else re.sub(r'csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        )
        statements[0] = 0
        call()
        ran = statements[0]
        times = []
        for _ in range(args.reps):
            began = time.perf_counter()
            call()
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[max(0, round(len(times) * 0.95) - 1)]
        queries = f"  {ran} SQL statements" if args.queries else ""
        print(f"{label:45} p50 {statistics.median(times):8.1f} ms  p95 {p95:8.1f} ms{queries}", flush=True)
    print(f"load average {os.getloadavg()}")
    if args.dump:
        Path(args.dump).write_text(json.dumps(answers, indent=1, sort_keys=True, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="make and keep the store")
    b.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    b.add_argument("--n", type=int, default=100_000)
    b.add_argument("--dir", required=True)
    b.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    b.add_argument("--pg-name", default="lrs_review_bench")
    m = commands.add_parser("measure", help="time the requests on a kept store")
    m.add_argument("--dir", required=True)
    m.add_argument("--reps", type=int, default=20)
    m.add_argument("--queries", action="store_true", help="count the SQL statements of one request")
    m.add_argument("--dump", help="write the answers to this file")
    args = parser.parse_args()
    build(args) if args.command == "build" else measure(args)


if __name__ == "__main__":
    main()
