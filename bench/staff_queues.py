"""The assessor's and the IQA's lists (issues 18 and 23) on a store built by bench/people.py, request by request:
wall time, the process's CPU time and the SQL statements each page sends, next to a floor of the same run.

    .venv/bin/python bench/staff_queues.py --database sqlite:////tmp/copy.sqlite3 [--runs 20] [--no-upgrade]
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/staff_queues.py --database URL --no-upgrade   # older code

``--database``: a COPY of a saved bench/people.py store (never the saved store itself: the LRS's migrations run
on it first unless ``--no-upgrade``). Signed in as the bench's assessor and IQA (10 cohorts each), through the
Flask test client (no network): ``/review`` (its first and second page, and filtered by kind of evidence),
``/sampling``, ``/sampling/log`` and the two /api queues. Per measure: wall p50 / p95, CPU p50 (``thread_time``:
less swayed than wall time by the other processes of a shared machine), SQL statements per request (a SQLAlchemy
event listener; SQLite counts none for BEGIN) and the page's size. The floor: ``GET /xapi/about`` through the same
client, before and after, with the load average. Older code (a copy of its ``src/`` on PYTHONPATH) runs the same
requests, so before and after can be measured one after the other on copies of the same store.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.db import Database
from lrs.store.migrate import upgrade

PASSWORD = "bench heron lantern kettle"  # bench/people.py's staff accounts
ASSESSOR, IQA = "assessor@bench.example", "iqa@bench.example"


def sign_in(app: Any, email: str) -> Any:
    client = app.test_client()
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed ({answer.status_code}): is this a bench/people.py store?")
    return client


def measure(call: Any, runs: int, counter: list[int]) -> dict[str, Any]:
    call()  # warm: templates compile, plugins load
    wall, cpu, statements = [], [], []
    for _ in range(runs):
        counter[0] = 0
        c0, t0 = time.thread_time(), time.perf_counter()
        response = call()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        statements.append(counter[0])
        assert response.status_code == 200, response.status_code
    wall.sort()
    return {"wall_p50_ms": round(statistics.median(wall), 1), "wall_p95_ms": round(wall[max(0, round(runs * 0.95) - 1)], 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1), "statements": max(statements), "bytes": len(response.data)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", required=True, help="a copy of a bench/people.py store")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-upgrade", action="store_true", help="measure the schema as it is (older code)")
    ap.add_argument("--meta", type=Path, help="the store's people-<db>-<N>.json (credentials for the /api queues)")
    args = ap.parse_args()
    db = Database(args.database)
    if not args.no_upgrade:
        upgrade(db.engine)
    settings = Settings(database_url=args.database, bootstrap_key=None)
    lrs = LRS(settings, db=db)
    app = create_app(settings, lrs=lrs)
    counter = [0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        counter[0] += 1

    import lrs as package

    out: dict[str, Any] = {"code": str(Path(package.__file__).parent), "database": db.dialect, "measures": {}}
    floor_client = app.test_client()
    about = lambda: floor_client.get("/xapi/about")  # noqa: E731
    out["floor_before"] = {**measure(about, args.runs, counter), "load": os.getloadavg()}
    assessor, iqa = sign_in(app, ASSESSOR), sign_in(app, IQA)
    pages = {
        "assessor queue (/review)": (assessor, "/review"),
        "assessor queue, page 2": (assessor, "/review?page=2"),
        "assessor queue, reflective accounts": (assessor, "/review?type=reflective-account"),
        "IQA sampling page (/sampling)": (iqa, "/sampling"),
        "IQA sampling log (/sampling/log)": (iqa, "/sampling/log"),
    }
    for label, (client, path) in pages.items():
        out["measures"][label] = measure(lambda c=client, p=path: c.get(p), args.runs, counter)
        print(f"{label:40} {out['measures'][label]}", flush=True)
    if args.meta:
        credentials = json.loads(args.meta.read_text())["people"]["credentials"]
        for label, who in (("/api/reviews/queue as assessor", "assessor"), ("/api/reviews/queue as IQA", "iqa")):
            auth = {"Authorization": "Basic " + base64.b64encode(":".join(credentials[who]).encode()).decode(),
                    "X-Experience-API-Version": "1.0.3"}
            client = app.test_client()
            out["measures"][label] = measure(lambda c=client, a=auth: c.get("/api/reviews/queue", headers=a),
                                             args.runs, counter)
            print(f"{label:40} {out['measures'][label]}", flush=True)
    out["floor_after"] = {**measure(about, args.runs, counter), "load": os.getloadavg()}
    print("floor before", out["floor_before"])
    print("floor after ", out["floor_after"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
