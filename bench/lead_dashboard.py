"""The lead's dashboard of the 500-learner programme cohort alone, on a kept store (a migrated copy of a
bench/people.py store: ``people.py --keep``, or one made by hand): the page, its CSV and the ``/api`` data through
the Flask test client as the bench's lead, each ``--reps`` times after a warm request, in turns (page, CSV, data,
page, ...) so that the machine's load falls on all three alike. Prints wall p50/p95, the process's CPU time p50
and the SQL statements per request, and the body sizes (to compare two versions' answers).

    .venv/bin/python bench/lead_dashboard.py --database sqlite:////path/copy.sqlite3 \
        --people /work/bench-stores/people-sqlite-1000000.json --reps 20

(``--people``: the saved store's description, for the lead's API credential.)

The store is only read, unless ``--months-waiting N`` (SQLite): then N (learner, month) pairs of the programme's
learners are first marked in ``learning_months_waiting``, as a stream of writes leaves them between folds
(lrs.store.learning.fold_months): each learner's latest month, then the one before, and so on. The dashboard
then reads those months from the learners' days; its CSV and data must hash the same as with none waiting.
To measure another version of the code on the same copy, put its ``src`` (and its plugins' ``src``) first on
PYTHONPATH: the bench imports ``lrs`` from there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from people import STAFF, _basic, api_dashboard_path, sign_in  # noqa: E402
from sqlalchemy import event  # noqa: E402
from workload import PROGRAMME_IRI  # noqa: E402

from lrs.app import create_app  # noqa: E402
from lrs.config import Settings  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402


def mark_months(conn: Any, n: int) -> int:  # noqa: ANN401
    """Mark ``n`` of the programme learners' months as waiting (each learner's latest first, in turns)."""
    from lrs.store.enrolments import LEARNER

    if conn.dialect.name != "sqlite":
        raise SystemExit("--months-waiting: only SQLite keeps months waiting")
    rows = conn.exec_driver_sql(
        "SELECT DISTINCT m.agent_key, m.month FROM learning_month_totals AS m JOIN cohort_enrolments AS e "
        "ON e.agent_key = m.agent_key WHERE e.cohort = ? AND e.role = ? AND m.month <> '' ORDER BY 1, 2 DESC",
        (PROGRAMME_IRI, LEARNER),
    ).all()
    months: dict[str, list[str]] = {}
    for agent, month in rows:
        months.setdefault(agent, []).append(month)
    pairs: list[tuple[str, str]] = []
    for turn in range(max((len(m) for m in months.values()), default=0)):
        pairs += [(agent, m[turn]) for agent, m in months.items() if turn < len(m)]
    conn.exec_driver_sql("INSERT OR IGNORE INTO learning_months_waiting (agent_key, month) VALUES (?, ?)", pairs[:n])
    return len(pairs[:n])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", required=True)
    ap.add_argument("--people", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--label", default="")
    ap.add_argument("--readiness", choices=["live", "once"], default="live",
                    help="once: the CPD readiness hook's answer computed once and reused (the rest measured alone)")
    ap.add_argument("--months-waiting", type=int, default=0,
                    help="SQLite: mark this many of the programme learners' months as waiting first (writes the copy)")
    args = ap.parse_args()
    settings = Settings(database_url=args.database, bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    if args.months_waiting:
        print(json.dumps({"months_waiting": lrs.db.write(lambda conn: mark_months(conn, args.months_waiting))}))
    if args.readiness == "once":
        from lrs.services import dashboard as dashboard_service

        computed = dashboard_service.cpd_readiness
        answers: dict[Any, Any] = {}

        def reused(lrs: Any, agent_keys: list[str], year: int) -> dict[str, Any]:
            key = (tuple(agent_keys), year)
            if key not in answers:
                answers[key] = computed(lrs, agent_keys, year)
            return answers[key]

        dashboard_service.cpd_readiness = reused
    # As lrs serve's workers do once their app is built (and bench/people.py).
    from lrs.cli.serve import settle_garbage_collector

    settle_garbage_collector()
    sent = [0]
    event.listen(lrs.db.engine, "before_cursor_execute", lambda *a: sent.__setitem__(0, sent[0] + 1))
    programme = urllib.parse.quote(PROGRAMME_IRI, safe="")
    lead = sign_in(app, STAFF["lead"])
    paths = {"page": f"/dashboard?cohort={programme}", "csv": f"/dashboard.csv?cohort={programme}"}
    data = api_dashboard_path(app, PROGRAMME_IRI)
    if data:
        paths["api data"] = data
    headers = {"api data": _basic(*json.loads(args.people.read_text())["people"]["credentials"]["lead"])}
    walls: dict[str, list[float]] = {k: [] for k in paths}
    cpus: dict[str, list[float]] = {k: [] for k in paths}
    queries: dict[str, int] = {}
    bodies: dict[str, Any] = {}
    for name, path in paths.items():
        response = lead.get(path, headers=headers.get(name))  # warm: templates, plugins
        assert response.status_code == 200, (path, response.status_code)
    for _ in range(args.reps):
        for name, path in paths.items():
            sent[0] = 0
            wall, cpu = time.perf_counter(), time.process_time()
            response = lead.get(path, headers=headers.get(name))
            walls[name].append((time.perf_counter() - wall) * 1000)
            cpus[name].append((time.process_time() - cpu) * 1000)
            queries[name] = sent[0]
            body = response.get_data()
            bodies[name] = (len(body), hashlib.sha256(body).hexdigest()[:12] if name != "page" else "")
    load = os.getloadavg()
    out = {"label": args.label, "readiness": args.readiness, "load": [round(x, 2) for x in load], "measures": {}}
    for name in paths:
        w = sorted(walls[name])
        p95 = w[min(len(w) - 1, round(0.95 * (len(w) - 1)))]
        out["measures"][name] = {"p50_ms": round(statistics.median(w), 1), "p95_ms": round(p95, 1),
                                 "cpu_p50_ms": round(statistics.median(cpus[name]), 1), "sql": queries[name],
                                 "bytes": bodies[name][0], "sha": bodies[name][1]}
    print(json.dumps(out))
    lrs.db.dispose()


if __name__ == "__main__":
    main()
