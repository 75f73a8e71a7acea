"""What people wait on, at N stored statements: the /api answers, the participant's pages and the exports.

    .venv/bin/python bench/people.py --n 100000                   # both databases
    .venv/bin/python bench/people.py --db sqlite --n 1000000 --reps 30

For each database: the N-statement programme of bench/workload.py loaded straight into the schema (as
bench/run.py does), then the people on top of it, through the LRS's own services (so every derived row is
what the LRS makes): every learner enrolled in their cohort of 24 (store/enrolments.py), 500 learners
enrolled in the programme as one big cohort, an assessor and an IQA of 10 cohorts, a programme lead, journal
entries with evidence for the ILM criteria from every learner of those 10 cohorts (and 200 from the heaviest
learner, the actor of ~2,000 statements), assessor decisions on part of that evidence and IQA samples of
part of those, CPD selections, and a participant account for the heaviest learner.

Then, in-process through the Flask test client (server time: no network, no client), each measure ``--reps``
times: p50/p95 next to its target (issue 23), the heaviest learner's exports with their peak Python memory
(tracemalloc), and the load average. Results: bench/results/<date>-people-<db>-<N>.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run as bench_run  # noqa: E402
from harness import git_commit, machine, summary_ms  # noqa: E402
from workload import COHORT_SIZE, PROGRAMME_IRI, Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.demo import programme as demo_programme  # noqa: E402
from lrs.learning import journal  # noqa: E402
from lrs.review import service as review  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import credentials as credential_store  # noqa: E402
from lrs.store import users as user_store  # noqa: E402
from lrs.store.enrolments import CE  # noqa: E402
from lrs.xapi.ifi import agent_key  # noqa: E402

REPO = BENCH_DIR.parent
PASSWORD = "bench heron lantern kettle"
REVIEWED_COHORTS = 10
PROGRAMME_LEARNERS = 500
HEAVY_ENTRIES = 200
TARGETS_MS = {"api": 50.0, "page": 100.0, "cpd_export": 1000.0, "portfolio_zip": 2000.0}
ILM = demo_programme.ILM


def log(message: str) -> None:
    bench_run.log(message)


# --- the people on top of the statements ----------------------------------------------------------------------


def _entry(agent: dict[str, Any], r: Any, day: date, cohort_iri: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "agent": agent,
        "what": r.what,
        "mode": r.mode,
        "date": day.isoformat(),
        "duration": f"PT{int(r.hours * 60)}M",
        "reflection": {"learned": r.learned, "impact": r.impact},
        "programme": cohort_iri,
    }
    if r.standards:
        entry["standards"] = list(r.standards)
    if r.evidence_type:
        entry["evidence_type"] = r.evidence_type
    if r.witness_testimony:
        entry["witness"] = {"name": "Pat Manager", "role": "Team manager", "relationship": "line manager",
                            "date": day.isoformat(), "testimony": r.witness_testimony}
    return entry


def build_people(url: str, wl: Workload) -> dict[str, Any]:
    """Enrolments, credentials, journals with evidence, decisions, CPD selections and an account (see above)."""
    from lrs.web.passwords import hash_password

    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings)
    home = settings.authority_home_page
    t0 = time.perf_counter()
    cohorts = (wl.n_agents + COHORT_SIZE - 1) // COHORT_SIZE
    now = datetime.now(UTC)
    rows = [
        {"cohort": wl.cohort_iri(wl.cohort(j)), "agent_key": agent_key(wl.agent(j)), "role": "learner",
         "enrolled_by": "bench", "enrolled_at": now}
        for j in range(wl.n_agents)
    ]
    rows += [
        {"cohort": PROGRAMME_IRI, "agent_key": agent_key(wl.agent(j)), "role": "learner",
         "enrolled_by": "bench", "enrolled_at": now}
        for j in range(min(PROGRAMME_LEARNERS, wl.n_agents))
    ]
    known = {c.name for c in CE.columns}
    rows = [{k: v for k, v in r.items() if k in known} for r in rows]
    lrs.db.write(lambda conn: conn.execute(CE.insert(), rows))
    reviewed = [wl.cohort_iri(c) for c in range(REVIEWED_COHORTS)]

    def make(conn: Any) -> dict[str, tuple[str, str]]:
        made = {
            "admin": credential_store.create_credential(conn, name="bench admin", scopes=["all"], authority_home_page=home),
            "journal": credential_store.create_credential(
                conn, name="journal app", scopes=["statements/write"], authority_home_page=home),
            "assessor": credential_store.create_credential(
                conn, name="Bench Assessor", scopes=["statements/write"], authority_home_page=home, role="assessor",
                agent_key="mbox:mailto:assessor@bench.example", cohorts=reviewed),
            "iqa": credential_store.create_credential(
                conn, name="Bench IQA", scopes=["statements/write"], authority_home_page=home, role="iqa",
                agent_key="mbox:mailto:iqa@bench.example", cohorts=reviewed),
            "lead": credential_store.create_credential(
                conn, name="Bench Lead", scopes=["statements/read"], authority_home_page=home, role="lead",
                agent_key="mbox:mailto:lead@bench.example", cohorts=[PROGRAMME_IRI, *reviewed]),
        }
        return made

    creds = lrs.db.write(make)
    principals = {name: lrs.principal_for(key) for name, (key, _) in creds.items()}
    # Journals: every learner of the reviewed cohorts writes the ILM journal (evidence for the criteria) across
    # the last year; the heaviest learner writes 200 entries over the last two years.
    today = date.today()
    learners = [j for j in range(min(wl.n_agents, REVIEWED_COHORTS * COHORT_SIZE))]
    plan = demo_programme.ILM_JOURNAL
    entries_written = 0
    evidence: dict[int, list[str]] = {}
    for j in learners:
        agent = wl.agent(j)
        cohort_iri = wl.cohort_iri(wl.cohort(j))
        count = HEAVY_ENTRIES if j == 0 else len(plan)
        raw = [_entry(agent, plan[k % len(plan)], today - timedelta(days=(k * 730 // count) + j % 5), cohort_iri)
               for k in range(count)]
        ids: list[str] = []
        for s in range(0, len(raw), 50):
            ids += journal.record(lrs, [journal.parse_entry(e) for e in raw[s:s + 50]], principals["journal"])
        evidence[j] = ids[: len(plan)]
        entries_written += len(ids)
    log(f"  journals: {entries_written} entries ({time.perf_counter() - t0:.0f} s)")
    # Decisions: for the first half of each reviewed cohort, the assessor decides on the first two standards of
    # each evidence entry; the IQA samples one in four.
    decisions = iqa = 0
    for j in learners:
        if j % COHORT_SIZE >= COHORT_SIZE // 2:
            continue
        for k, statement_id in enumerate(evidence[j]):
            for criterion in plan[k].standards[:2]:
                outcome = "accepted" if (j + k) % 3 else "referred"
                decided = review.decide(lrs, principals["assessor"], {
                    "evidence": statement_id, "criterion": criterion, "outcome": outcome,
                    "feedback": "Meets the criterion: the reflection names the model and applies it to practice.",
                    "rationale": "The reflection explains the model and applies it to named practice."})
                decisions += 1
                if decisions % 4 == 0:
                    review.decide(lrs, principals["iqa"], {
                        "decision": decided.statement_id, "outcome": "confirmed",
                        "feedback": "Sampled: the judgement is supported by the evidence.",
                        "rationale": "The evidence supports the assessor's judgement."})
                    iqa += 1
    log(f"  decisions: {decisions} assessor, {iqa} IQA ({time.perf_counter() - t0:.0f} s)")
    # CPD: the heaviest learner selects 40 of their entries for CPD.
    heavy = wl.agent(0)
    cpd = [{
        "actor": heavy,
        "verb": {"id": "https://w3id.org/xapi/social-work-leadership/verbs/selected-for-cpd",
                 "display": {"en-GB": "selected for CPD"}},
        "object": {"objectType": "StatementRef", "id": sid},
        "timestamp": datetime.now(UTC).isoformat(),
    } for sid in ids_of_heavy(lrs, heavy)[:40]]
    lrs.store_statements(cpd, principals["journal"], "1.0.3")
    email = "heavy.learner@bench.example"
    lrs.db.write(lambda conn: user_store.create_user(
        conn, email=email, password_hash=hash_password(PASSWORD), name=heavy["name"], role="participant",
        agent_key=agent_key(heavy)))
    lrs.db.dispose()
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "cohorts": cohorts,
        "enrolments": len(rows),
        "journal_entries": entries_written,
        "assessor_decisions": decisions,
        "iqa_decisions": iqa,
        "cpd_selections": len(cpd),
        "credentials": {name: secret for name, secret in creds.items()},
        "participant": email,
    }


def ids_of_heavy(lrs: LRS, heavy: dict[str, Any]) -> list[str]:
    from sqlalchemy import select

    from lrs.store.models import Statement, StatementAgent

    S, SA = Statement.__table__, StatementAgent.__table__
    with lrs.db.read() as conn:
        rows = conn.execute(
            select(S.c.id).join(SA, SA.c.statement_seq == S.c.seq)
            .where(SA.c.agent_key == agent_key(heavy), SA.c.direct.is_(True), S.c.voided.is_(False),
                   S.c.is_voiding.is_(False))
            .order_by(S.c.seq.desc()).limit(200)
        )
        return [r.id for r in rows]


# --- measuring -----------------------------------------------------------------------------------------------


def _basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def _time(call: Any, reps: int, budget: float = 12.0) -> tuple[list[float], Any]:
    """``reps`` calls, or fewer (at least 3) when they take longer than ``budget`` seconds in all."""
    seconds: list[float] = []
    response = None
    for _ in range(reps):
        if len(seconds) >= 3 and sum(seconds) > budget:
            break
        t0 = time.perf_counter()
        response = call()
        seconds.append(time.perf_counter() - t0)
    return seconds, response


def measure(url: str, wl: Workload, people: dict[str, Any], reps: int) -> dict[str, Any]:
    from lrs.app import create_app

    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    client = app.test_client()
    creds = people["credentials"]
    h = {name: _basic(*creds[name]) for name in creds}
    heavy = urllib.parse.quote(json.dumps({k: v for k, v in wl.heavy_agent.items() if k != "objectType" and k != "name"}))
    learner_24 = urllib.parse.quote(json.dumps({k: v for k, v in wl.agent(1).items() if k in ("mbox", "account")}))
    year_from = (date.today() - timedelta(days=365)).isoformat()
    cohort0 = urllib.parse.quote(wl.cohort_iri(0), safe="")
    programme = urllib.parse.quote(PROGRAMME_IRI, safe="")
    framework = urllib.parse.quote(ILM, safe="")
    api: dict[str, tuple[str, str]] = {
        "learner summary (heaviest learner, a year)": (f"/api/learners/{heavy}/summary?from={year_from}&period=month", "admin"),
        "learner summary (a learner of cohort 0, all time)": (f"/api/learners/{learner_24}/summary", "admin"),
        "cohort summary, 24 learners (lead)": (f"/api/cohorts/summary?activity={cohort0}", "lead"),
        "cohort summary, 500 learners (lead)": (f"/api/cohorts/summary?activity={programme}", "lead"),
        "cohort summary, 500 learners, a year by month (lead)": (
            f"/api/cohorts/summary?activity={programme}&from={year_from}&period=month", "lead"),
        "evidence matrix (heaviest learner)": (f"/api/learners/{heavy}/evidence?framework={framework}", "admin"),
        "progress (heaviest learner)": (f"/api/learners/{heavy}/progress?framework={framework}", "admin"),
        "review queue, assessor of 10 cohorts": ("/api/reviews/queue", "assessor"),
        "IQA sample list, IQA of 10 cohorts": ("/api/reviews/queue", "iqa"),
    }
    out: dict[str, Any] = {"api": {}, "pages": {}, "exports": {}, "floor": floor(client, h["admin"], reps)}
    log(f"  floor: {out['floor']}")
    for label, (path, who) in api.items():
        client.get(path, headers=h[who])  # warm: the first request loads plugins and frameworks
        seconds, response = _time(lambda p=path, w=who: client.get(p, headers=h[w]), reps)
        status = response.status_code
        out["api"][label] = {"path": path, "as": who, "status": status, "target_ms": TARGETS_MS["api"],
                             "bytes": len(response.data), **summary_ms(seconds)}
        log(f"  {label}: {status} p95 {out['api'][label].get('p95_ms')} ms")
    # The participant's pages, signed in as the heaviest learner.
    browser = app.test_client()
    import re

    html = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    signed = browser.post("/sign-in", data={"email": people["participant"], "password": PASSWORD, "csrf_token": token})
    if signed.status_code != 302:
        raise SystemExit(f"sign-in failed: {signed.status_code}")
    for label, path in (("home", "/"), ("my record", "/record"), ("CPD log", "/cpd-log"),
                        ("qualification (progress)", "/progress")):
        browser.get(path)
        seconds, response = _time(lambda p=path: browser.get(p), reps)
        out["pages"][label] = {"path": path, "status": response.status_code, "target_ms": TARGETS_MS["page"],
                               **summary_ms(seconds)}
        log(f"  page {label}: {response.status_code} p95 {out['pages'][label].get('p95_ms')} ms")
    # Exports of the heaviest learner: time and peak Python memory of each (fewer repetitions: they are long).
    exports = [(f"CPD log {fmt}", f"/api/learners/{heavy}/exports/cpd-log?format={fmt}", "cpd_export")
               for fmt in cpd_formats(client, h["admin"])]
    exports.append(("ILM portfolio ZIP", f"/api/learners/{heavy}/exports/ilm-portfolio?qualification={framework}",
                    "portfolio_zip"))
    for label, path, target in exports:
        client.get(path, headers=h["admin"])
        tracemalloc.start()
        seconds, response = _time(lambda p=path: client.get(p, headers=h["admin"]), max(3, reps // 4))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        plain, _ = _time(lambda p=path: client.get(p, headers=h["admin"]), max(3, reps // 4))
        out["exports"][label] = {"path": path, "status": response.status_code, "bytes": len(response.data),
                                 "target_ms": TARGETS_MS[target], "peak_python_mib": round(peak / 2**20, 1),
                                 **summary_ms(plain)}
        log(f"  export {label}: {response.status_code} p95 {out['exports'][label].get('p95_ms')} ms, "
            f"peak {peak / 2**20:.1f} MiB")
    lrs.db.dispose()
    return out


def floor(client: Any, headers: dict[str, str], reps: int) -> dict[str, Any]:
    """What this machine does right now, for reading the figures of the same run: the cheapest authenticated
    request through the same test client (GET /xapi/about), and a fixed CPU-bound loop (JSON round trips)."""
    seconds, _ = _time(lambda: client.get("/xapi/about", headers=headers), max(reps, 20))
    t0 = time.perf_counter()
    blob = {"statements": [{"id": str(i), "verb": {"id": "x" * 40}, "result": {"score": i}} for i in range(200)]}
    for _ in range(300):
        json.loads(json.dumps(blob))
    return {"about_request": summary_ms(seconds), "json_loop_ms": round((time.perf_counter() - t0) * 1000, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def cpd_formats(client: Any, headers: dict[str, str]) -> list[str]:
    listed = client.get("/api/exporters", headers=headers).get_json()
    for exporter in listed.get("exporters", listed if isinstance(listed, list) else []):
        if exporter.get("name") == "cpd-log":
            return list(exporter.get("formats") or ["json"])
    return ["json"]


# --- plans ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--n", type=int, default=1_000_000, help="stored statements (default 1,000,000)")
    ap.add_argument("--reps", type=int, default=20, help="requests per measure (p95 of these)")
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite store (path printed) for EXPLAIN")
    args = ap.parse_args(argv)
    names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="lrs-people-"))
    stamp = date.today().isoformat()
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    for name in names:
        target = bench_run.Target(name, workdir, args.pg_url)
        cfg = bench_run.Config.quick(args.n)
        result: dict[str, Any] = {"n": args.n, "database": target.describe(), "machine": machine(),
                                  "git": git_commit(REPO), "targets_ms": TARGETS_MS}
        try:
            result["store"] = bench_run.load_stores([target], cfg)[name]
            url = target.url("store")
            wl = Workload(cfg.seed, args.n)
            log(f"{name}: building cohorts, journals and decisions")
            people = build_people(url, wl)
            result["people"] = {k: v for k, v in people.items() if k != "credentials"}
            log(f"{name}: people built: {result['people']}")
            if name == "postgresql":
                from lrs.store.db import Database

                db = Database(url)
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
                db.dispose()
            result["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
            result.update(measure(url, wl, people, args.reps))
            result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            if not args.keep:
                target.drop_all()
        out = results_dir / f"{stamp}-people-{name}-{args.n}.json"
        out.write_text(json.dumps(result, indent=1, default=str))
        log(f"{name}: saved {out}")
        print(report(result))
    return 0


def report(result: dict[str, Any]) -> str:
    lines = [f"\n### {result['database'].get('engine')} at N = {result['n']:,} (load {result.get('load_average_before')})",
             "", "| measure | target | p50 | p95 | peak memory |", "| --- | --- | ---: | ---: | ---: |"]
    fl = result.get("floor") or {}
    if fl:
        lines.insert(1, f"floor: GET /xapi/about p95 {fl['about_request'].get('p95_ms')} ms, fixed JSON loop "
                        f"{fl['json_loop_ms']} ms, load average {fl['load_average']}")
    for group in ("api", "pages", "exports"):
        for label, m in result.get(group, {}).items():
            ok = "✅" if m.get("p95_ms") is not None and m["p95_ms"] < m["target_ms"] and m["status"] == 200 else "❌"
            peak = f"{m['peak_python_mib']} MiB" if "peak_python_mib" in m else ""
            lines.append(f"| {label} | < {m['target_ms']:.0f} ms | {m.get('p50_ms')} ms | {m.get('p95_ms')} ms {ok} | {peak} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
