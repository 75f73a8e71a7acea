"""What people wait on, at N stored statements: the /api answers, the participant's and the staff's pages and
the exports (issues 17, 18 and 23), on SQLite and PostgreSQL, in one command.

    .venv/bin/python bench/people.py --n 100000                                   # both databases, built and dropped
    .venv/bin/python bench/people.py --store-dir /work/bench-stores               # build the 1M stores once, keep them
    .venv/bin/python bench/people.py --store-dir /work/bench-stores --reuse       # measure again on a copy of them
    .venv/bin/python bench/people.py --report bench/results/2026-12-05-people-*-1000000.json   # the docs table

The store: the N-statement programme of bench/workload.py written straight into the schema through the raw bulk
path (bench/run.py's load_stores: executemany on SQLite, COPY on PostgreSQL, secondary indexes afterwards; both
databases from one generation of the statements), then the people on top of it, through the LRS's own services
(so every derived row is what the LRS makes): every learner enrolled in their cohort of 24, 500 learners enrolled
in the programme as one big cohort, an assessor and an IQA of 10 cohorts and a lead of those and the programme
(API credentials and web accounts), journal entries with evidence for the ILM criteria from every learner of those
10 cohorts (and 200 from the heaviest learner, the actor of ~2,000 statements), assessor decisions on part of
that evidence and IQA samples of part of those, CPD selections, and a participant account for the heaviest
learner.

Saving and reusing (``--store-dir DIR``): the built store is kept, SQLite as DIR/people_<N>.sqlite3, PostgreSQL
as the database lrs_bench_people_<N> (a template), each with DIR/people-<db>-<N>.json (what was built, the
credentials' secrets, the commit and the schema revision it was built at). Each measurement runs on a copy
(SQLite: the file copied; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``), brought to the current schema with the
LRS's own migrations (lrs.store.migrate.upgrade: a newer branch's backfilling migrations run here, timed), so the
saved store stays as built and every rerun starts from the same rows. ``--reuse`` measures without building.

Then, in-process through the Flask test client (server time: no network, no client), each measure ``--reps``
times: p50/p95 next to its target, the heaviest learner's exports with their peak Python memory (tracemalloc),
and the floor of the same run (GET /xapi/about and a fixed CPU loop, before and after) with the load average.
The lead's dashboard data is measured once more as on 1 October 2026, ten months into a CPD year, through the
service the route calls (LATE_DASHBOARD). Results: bench/results/<date>-people-<db>-<N>.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import sqlite3
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
from lrs.store import cohort_totals  # noqa: E402
from lrs.store import credentials as credential_store  # noqa: E402
from lrs.store import users as user_store  # noqa: E402
from lrs.store.db import Database  # noqa: E402
from lrs.store.enrolments import CE  # noqa: E402
from lrs.store.migrate import current_revision, upgrade  # noqa: E402
from lrs.xapi.ifi import agent_key  # noqa: E402

REPO = BENCH_DIR.parent
PASSWORD = "bench heron lantern kettle"
REVIEWED_COHORTS = 10
PROGRAMME_LEARNERS = 500
HEAVY_ENTRIES = 200
#: The staff's web accounts: the same agents and cohorts as their API credentials.
STAFF = {"assessor": "assessor@bench.example", "iqa": "iqa@bench.example", "lead": "lead@bench.example"}
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
    # Written straight into the table, so the cohorts are made known (and their totals counted) as enrol() would.
    lrs.db.write(lambda conn: (conn.execute(CE.insert(), rows), cohort_totals.know_enrolled(conn)))
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
    first_decision = ""
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
                first_decision = first_decision or decided.statement_id
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
    hashed = hash_password(PASSWORD)
    lrs.db.write(lambda conn: user_store.create_user(
        conn, email=email, password_hash=hashed, name=heavy["name"], role="participant",
        agent_key=agent_key(heavy)))
    cohorts_of = {"assessor": reviewed, "iqa": reviewed, "lead": [PROGRAMME_IRI, *reviewed]}
    for role, staff_email in STAFF.items():
        lrs.db.write(lambda conn, role=role, staff_email=staff_email: user_store.create_user(
            conn, email=staff_email, password_hash=hashed, name=f"Bench {role.upper() if role == 'iqa' else role.title()}",
            role=role, agent_key=f"mbox:mailto:{staff_email}", cohorts=cohorts_of[role]))
    # The learners' months the journals and decisions left waiting (SQLite) folded, as lrs serve's answer keeper
    # folds them once writes pause: the pages are measured at rest. (The cohort rows are left waiting, as in the
    # rounds before: the summaries' figures include reading them.) bench/lead_dashboard.py --months-waiting
    # measures the dashboard with months waiting.
    from lrs.store.learning import fold_months

    months_folded = lrs.db.write(fold_months)
    lrs.db.dispose()
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "months_folded": months_folded,
        "cohorts": cohorts,
        "enrolments": len(rows),
        "journal_entries": entries_written,
        "assessor_decisions": decisions,
        "iqa_decisions": iqa,
        "cpd_selections": len(cpd),
        "credentials": {name: secret for name, secret in creds.items()},
        "participant": email,
        "staff": STAFF,
        "evidence": evidence[0][0] if evidence.get(0) else "",
        "decision": first_decision,
        "heavy_agent_key": agent_key(heavy),
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


def sign_in(app: Any, email: str) -> Any:
    """A test client signed in to the pages as ``email`` (through the sign-in form, as a person would)."""
    browser = app.test_client()
    html = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    signed = browser.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if signed.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {signed.status_code}")
    return browser


def _measure_page(out: dict[str, Any], label: str, client: Any, path: str, reps: int) -> None:
    client.get(path)  # warm: templates compile on first use
    seconds, response = _time(lambda: client.get(path), reps)
    out[label] = {"path": path, "status": response.status_code, "target_ms": TARGETS_MS["page"],
                  "bytes": len(response.data), **summary_ms(seconds)}
    log(f"  page {label}: {response.status_code} p95 {out[label].get('p95_ms')} ms")


def api_dashboard_path(app: Any, cohort: str) -> str | None:
    """The lead's dashboard data under /api, where this branch has one (a route with "dashboard" in it)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "dashboard" in rule.rule and "GET" in (rule.methods or ()):
            if rule.arguments:
                with app.test_request_context():
                    from flask import url_for

                    try:
                        return url_for(rule.endpoint, **{a: cohort for a in rule.arguments})
                    except Exception:  # noqa: BLE001 - a route this bench does not know how to fill
                        return None
            return f"{rule.rule}?cohort={urllib.parse.quote(cohort, safe='')}"
    return None


def measure(url: str, wl: Workload, people: dict[str, Any], reps: int, only: str = "") -> dict[str, Any]:
    """Every measure, or (``only``) those whose label holds that text, e.g. "lead dashboard"."""
    from flask import url_for

    def want(label: str) -> bool:
        return only.lower() in label.lower()

    def _page(out: dict[str, Any], label: str, client: Any, path: str, reps: int) -> None:
        if want(label):
            _measure_page(out, label, client, path, reps)

    from lrs.app import create_app

    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    # As lrs serve's workers do once their app is built (lrs.cli.serve._worker_app): what is alive now is left
    # out of the cycle collector's full collections, and the young generation is collected as often as there.
    from lrs.cli.serve import settle_garbage_collector

    settle_garbage_collector()
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
    dashboard = api_dashboard_path(app, PROGRAMME_IRI)
    if dashboard:
        api["lead dashboard data, 500 learners (lead)"] = (dashboard, "lead")
    out: dict[str, Any] = {"api": {}, "pages": {}, "staff": {}, "exports": {}, "floor": floor(client, h["admin"], reps)}
    log(f"  floor: {out['floor']}")
    if not dashboard and want("lead dashboard data, 500 learners (lead)"):
        out["api"]["lead dashboard data, 500 learners (lead)"] = {
            "path": None, "status": None, "target_ms": TARGETS_MS["api"], "n": 0,
            "note": "no /api route for the lead's dashboard data on this branch"}
    for label, (path, who) in api.items():
        if not want(label):
            continue
        client.get(path, headers=h[who])  # warm: the first request loads plugins and frameworks
        seconds, response = _time(lambda p=path, w=who: client.get(p, headers=h[w]), reps)
        status = response.status_code
        out["api"][label] = {"path": path, "as": who, "status": status, "target_ms": TARGETS_MS["api"],
                             "bytes": len(response.data), **summary_ms(seconds)}
        log(f"  {label}: {status} p95 {out['api'][label].get('p95_ms')} ms")
    if dashboard and want(LATE_DASHBOARD):
        out["api"][LATE_DASHBOARD] = late_dashboard(lrs, creds["lead"][0], reps, wl)
        log(f"  {LATE_DASHBOARD}: p95 {out['api'][LATE_DASHBOARD].get('p95_ms')} ms")
    # The participant's pages, signed in as the heaviest learner.
    browser = sign_in(app, people["participant"])
    for label, path in (("home", "/"), ("my record", "/record"), ("record learning (the form)", "/record/new"),
                        ("CPD log", "/cpd-log"), ("qualification (progress)", "/progress")):
        _page(out["pages"], label, browser, path, reps)
    # The staff's pages, signed in as the bench's assessor, IQA and lead (their cohorts: the 10 reviewed
    # cohorts; the lead's also the programme's 500 learners).
    staff = people.get("staff") or STAFF
    with app.test_request_context():
        evidence = url_for("pages.evidence_page", statement_id=people["evidence"]) if people.get("evidence") else None
        learner = url_for("pages.learner_progress", agent=people.get("heavy_agent_key") or agent_key(wl.heavy_agent))
        sample = url_for("pages.sample", decision_id=people["decision"]) if people.get("decision") else None
    lead = sign_in(app, staff["lead"])
    _page(out["staff"], "lead dashboard, 500 learners", lead, f"/dashboard?cohort={programme}", reps)
    _page(out["staff"], "lead dashboard CSV, 500 learners", lead, f"/dashboard.csv?cohort={programme}", reps)
    _page(out["staff"], "lead dashboard, 24 learners", lead, f"/dashboard?cohort={cohort0}", reps)
    assessor = sign_in(app, staff["assessor"])
    _page(out["staff"], "assessor queue, 10 cohorts", assessor, "/review", reps)
    if evidence:
        _page(out["staff"], "evidence page (heaviest learner)", assessor, evidence, reps)
    _page(out["staff"], "learner progress page (heaviest learner)", assessor, learner, reps)
    iqa = sign_in(app, staff["iqa"])
    _page(out["staff"], "IQA sampling page, 10 cohorts", iqa, "/sampling", reps)
    if sample:
        _page(out["staff"], "IQA sample (one decision)", iqa, sample, reps)
    _page(out["staff"], "IQA sampling log", iqa, "/sampling/log", reps)
    # Exports of the heaviest learner: time and peak Python memory of each (fewer repetitions: they are long).
    exports = [(f"CPD log {fmt}", f"/api/learners/{heavy}/exports/cpd-log?format={fmt}", "cpd_export")
               for fmt in cpd_formats(client, h["admin"])]
    exports.append(("ILM portfolio ZIP", f"/api/learners/{heavy}/exports/ilm-portfolio?qualification={framework}",
                    "portfolio_zip"))
    for label, path, target in exports:
        if not want(label):
            continue
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
    out["floor_after"] = floor(client, h["admin"], reps)
    log(f"  floor after: {out['floor_after']}")
    lrs.db.dispose()
    return out


#: The lead's dashboard data as a lead would get it on 1 October 2026, ten months into the CPD year 2025-26
#: (1 December 2025 to 30 November 2026), which holds ten months of the workload's learning (it ends on 30
#: September 2026). The /api measure above asks on the day the bench runs: in December, early in a CPD year whose
#: days hold only the journals written here, so its readiness column has little to read.
LATE_DASHBOARD = "lead dashboard data, 500 learners, ten months into a CPD year (in-process service)"
LATE_IN_A_YEAR = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def late_dashboard(lrs: LRS, lead_key: str, reps: int, wl: Workload) -> dict[str, Any]:
    """LATE_DASHBOARD: what ``GET /api/cohorts/dashboard`` runs for its answer (lrs.services.dashboard with its
    ``today``, then the JSON it writes), timed in-process, without Flask and the credential's check (the route
    has no date to ask for, and its clock is the machine's). The CPD plugin's own "today" (the deadline's
    warnings) stays the real one; it changes no read.

    The CPD log plugin keeps each learner's readiness until their record changes (lrs.plugin_api.kept_answers):
    ``first_ms`` is the first call, which works out all 500 (nothing of the year kept yet), the p50/p95 the calls
    after it; ``after_changes`` is one call after each of 1, 10 and 50 learners recorded a reflection (their
    answers worked out again), and the call after that; ``keeper`` the answer keeper's rounds (:func:`_keeper_rounds`)."""
    from lrs.learning import vocabulary
    from lrs.services import dashboard as dashboard_service
    from lrs.xapi import jsontext

    principal = lrs.principal_for(lead_key)

    def answer() -> bytes:
        data = dashboard_service.cohort_dashboard(lrs, principal, PROGRAMME_IRI, today=LATE_IN_A_YEAR)
        return jsontext.compact(dashboard_service.as_json(data))

    t0 = time.perf_counter()
    body = answer()
    first_ms = round((time.perf_counter() - t0) * 1000, 1)
    seconds, body = _time(answer, reps)
    data = json.loads(body)
    with_cpd = sum(1 for x in data["learners"] if x.get("cpd_readiness"))
    after: dict[str, Any] = {}
    learner = 1
    for changed in (1, 10, 50):
        reflections = []
        for _ in range(changed):
            reflections.append({
                "actor": wl.agent(learner), "verb": {"id": vocabulary.VERB_REFLECTED},
                "timestamp": "2026-09-20T10:00:00Z",
                "object": {"id": f"https://bench.example/activities/late-reflection-{learner}",
                           "definition": {"name": {"en-GB": "Supervision"}, "description": {"en-GB": "Case review"}}},
                "result": {"response": "What I learnt",
                           "extensions": {vocabulary.EXT_IMPACT: "What changed in my practice"}},
            })
            learner += 1
        lrs.store_statements(reflections, lrs.operator_principal(), "1.0.3")
        t0 = time.perf_counter()
        answer()
        then = round((time.perf_counter() - t0) * 1000, 1)
        t0 = time.perf_counter()
        answer()
        after[f"{changed} learners changed"] = {"ms": then, "next_call_ms": round((time.perf_counter() - t0) * 1000, 1)}
    keeper = _keeper_rounds(lrs, answer, wl, learner)
    return {"path": None, "as": "lead", "status": 200, "target_ms": TARGETS_MS["api"], "bytes": len(body),
            "cpd_year": data["cpd_year"]["label"], "learners_with_readiness": with_cpd, "first_ms": first_ms,
            "after_changes": after, "keeper": keeper, **summary_ms(seconds)}


def _keeper_rounds(lrs: LRS, answer: Any, wl: Workload, learner: int) -> dict[str, Any]:  # noqa: ANN401
    """What ``lrs serve``'s answer keeper (lrs.services.answer_keeper) does for the late dashboard, in-process and
    without its pauses (``duty`` 1: each round's seconds are its work; served, it spreads them over four times as
    long): its first round (every enrolled learner of every cohort, those of the programme kept already), a round
    after 50 learners recorded a reflection, and one after a new generation (what an erasure or ``lrs
    learning-totals rebuild`` does to every kept answer); after each, six dashboard calls."""
    from lrs.learning import vocabulary
    from lrs.services.answer_keeper import AnswerKeeper
    from lrs.store import learner_answers

    keeper = AnswerKeeper(lrs, today=lambda: LATE_IN_A_YEAR.date(), duty=1.0)
    out: dict[str, Any] = {}

    def round_then_view(label: str) -> None:
        t0 = time.perf_counter()
        asked = keeper.run_once()
        seconds = round(time.perf_counter() - t0, 2)
        views = []
        for _ in range(6):
            t0 = time.perf_counter()
            answer()
            views.append(round((time.perf_counter() - t0) * 1000, 1))
        out[label] = {"learners_asked": asked, "seconds": seconds, "dashboard_ms": views[0],
                      "next_calls_ms": views[1:]}

    round_then_view("first round")
    reflections = [{
        "actor": wl.agent(n), "verb": {"id": vocabulary.VERB_REFLECTED}, "timestamp": "2026-09-21T10:00:00Z",
        "object": {"id": f"https://bench.example/activities/kept-reflection-{n}",
                   "definition": {"name": {"en-GB": "Supervision"}, "description": {"en-GB": "Case review"}}},
        "result": {"response": "What I learnt", "extensions": {vocabulary.EXT_IMPACT: "What changed in my practice"}},
    } for n in range(learner, learner + 50)]
    lrs.store_statements(reflections, lrs.operator_principal(), "1.0.3")
    round_then_view("after 50 learners changed")
    lrs.db.write(learner_answers.bump_generation)
    round_then_view("after a new generation")
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


# --- the stores: built once, saved, reused -------------------------------------------------------------------


class StoreTarget(bench_run.Target):
    """bench/run.py's Target with the store under a name of its own: DIR/people_<N>.sqlite3, or the PostgreSQL
    database lrs_bench_people_<N>; other labels (the working copy "run") likewise."""

    def __init__(self, name: str, workdir: Path, pg_admin_url: str, n: int):
        super().__init__(name, workdir, pg_admin_url)
        self.n = n

    def _label(self, label: str) -> str:
        return f"people_{self.n}" if label == "store" else f"people_{self.n}_{label}"

    def url(self, label: str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / f'{self._label(label)}.sqlite3'}"
        return f"{self.pg_admin_url.rsplit('/', 1)[0]}/{self._pg_name(label)}"

    def _pg_name(self, label: str) -> str:  # type: ignore[override]
        return f"lrs_bench_{self._label(label)}"

    def meta_path(self) -> Path:
        return self.workdir / f"people-{self.name}-{self.n}.json"

    def exists(self) -> bool:
        if not self.meta_path().exists():
            return False
        if self.name == "sqlite":
            return Path(rawstore_path(self.url("store"))).exists()
        import psycopg

        with psycopg.connect(bench_run.rawstore.pg_dsn(self.pg_admin_url), autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self._pg_name("store"),)).fetchone() \
                is not None

    def copy_to(self, label: str) -> tuple[str, float]:
        """A working copy of the saved store (SQLite: the file; PostgreSQL: CREATE DATABASE ... TEMPLATE)."""
        t0 = time.perf_counter()
        url = self.url(label)
        if self.name == "sqlite":
            source, copy = rawstore_path(self.url("store")), rawstore_path(url)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(source, copy)
        else:
            import psycopg

            name = self._pg_name(label)
            with psycopg.connect(bench_run.rawstore.pg_dsn(self.pg_admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                # FILE_COPY: a file-level copy (the default since 15, WAL_LOG, writes the whole store to the WAL).
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_name("store")}" STRATEGY = FILE_COPY')
            if name not in self.made:
                self.made.append(name)
        return url, round(time.perf_counter() - t0, 1)

    def drop(self, label: str) -> None:
        if self.name == "sqlite":
            path = rawstore_path(self.url(label))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(bench_run.rawstore.pg_dsn(self.pg_admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name(label)}" WITH (FORCE)')


def rawstore_path(url: str) -> str:
    return bench_run.rawstore.sqlite_path(url)


def settle(target: StoreTarget, url: str) -> dict[str, Any]:
    """After writing: PostgreSQL's statistics and visibility map (VACUUM ANALYZE, as autovacuum would); SQLite's
    WAL folded into the file (so the file alone is the store). Timed."""
    t0 = time.perf_counter()
    if target.name == "postgresql":
        db = Database(url)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        db.dispose()
        what = "VACUUM ANALYZE"
    else:
        with sqlite3.connect(rawstore_path(url)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        what = "wal_checkpoint(TRUNCATE); no ANALYZE (the LRS never runs it)"
    return {"what": what, "seconds": round(time.perf_counter() - t0, 1)}


def migrate(url: str) -> dict[str, Any]:
    """The LRS's own migrations on the working copy: a newer branch's schema (and its backfills) applied."""
    db = Database(url)
    before = current_revision(db.engine)
    t0 = time.perf_counter()
    upgrade(db.engine)
    seconds = round(time.perf_counter() - t0, 1)
    after = current_revision(db.engine)
    db.dispose()
    return {"from": before, "to": after, "seconds": seconds}


def build(targets: list[StoreTarget], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The statements (one generation, written to every target at once), then each database's people."""
    cfg = bench_run.Config.quick(args.n)
    t0 = time.perf_counter()
    stores = bench_run.load_stores(targets, cfg)
    statements_seconds = round(time.perf_counter() - t0, 1)
    wl = Workload(cfg.seed, args.n)
    metas = {}
    for target in targets:
        url = target.url("store")
        log(f"{target.name}: building cohorts, journals and decisions")
        people = build_people(url, wl)
        log(f"{target.name}: people built: { {k: v for k, v in people.items() if k != 'credentials'} }")
        settled = settle(target, url)
        db = Database(url)
        revision = current_revision(db.engine)
        db.dispose()
        metas[target.name] = {
            "n": args.n, "seed": cfg.seed, "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git": git_commit(REPO), "revision": revision, "url": url,
            "store": {**stores[target.name], "all_statements_seconds": statements_seconds},
            "people": people, "settle": settled,
            "build_seconds": round(statements_seconds + people["seconds"] + settled["seconds"], 1),
            "database_size_mib": target.size_mib("store"),
        }
        if args.store_dir:
            target.meta_path().write_text(json.dumps(metas[target.name], indent=1, default=str))
            log(f"{target.name}: store saved: {url} ({target.meta_path()})")
    return metas


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--n", type=int, default=1_000_000, help="stored statements (default 1,000,000)")
    ap.add_argument("--reps", type=int, default=20, help="requests per measure (p95 of these)")
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--store-dir", type=Path, help="save the built stores here (and their descriptions); with "
                    "--reuse, measure the stores saved here instead of building")
    ap.add_argument("--reuse", action="store_true", help="measure the stores saved in --store-dir (no build)")
    ap.add_argument("--build-only", action="store_true", help="build and save the stores, measure nothing")
    ap.add_argument("--keep", action="store_true", help="keep the measured store (path printed) for EXPLAIN")
    ap.add_argument("--only", default="", help="only the measures whose label holds this text (e.g. 'dashboard')")
    ap.add_argument("--tag", default="", help="added to the results' file names (e.g. 'before')")
    ap.add_argument("--report", nargs="+", type=Path, metavar="FILE", help="print the docs table from results")
    args = ap.parse_args(argv)
    if args.report:
        print(report_table([json.loads(f.read_text()) for f in args.report]))
        return 0
    if args.reuse and not args.store_dir:
        ap.error("--reuse needs --store-dir")
    names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="lrs-people-"))
    store_dir = args.store_dir.resolve() if args.store_dir else workdir
    store_dir.mkdir(parents=True, exist_ok=True)
    targets = [StoreTarget(name, store_dir, args.pg_url, args.n) for name in names]
    if args.reuse:
        missing = [t.name for t in targets if not t.exists()]
        if missing:
            raise SystemExit(f"no saved store for {', '.join(missing)} at N = {args.n} in {store_dir}: "
                             "build it first (--store-dir without --reuse)")
        metas = {t.name: json.loads(t.meta_path().read_text()) for t in targets}
    else:
        existing = [t.name for t in targets if args.store_dir and t.exists()]
        if existing:
            raise SystemExit(f"a saved store for {', '.join(existing)} at N = {args.n} is already in {store_dir}: "
                             "--reuse it, or remove it to build again")
        metas = build(targets, args)
    if args.build_only:
        return 0
    stamp = date.today().isoformat()
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    suffix = f"-{args.tag}" if args.tag else ""
    for target in targets:
        name, meta = target.name, metas[target.name]
        run_started = time.perf_counter()
        result: dict[str, Any] = {"n": args.n, "database": target.describe(), "machine": machine(),
                                  "git": git_commit(REPO), "targets_ms": TARGETS_MS,
                                  "store": {k: meta.get(k) for k in ("built_at", "git", "revision", "store",
                                                                     "build_seconds", "database_size_mib")},
                                  "people": {k: v for k, v in meta["people"].items() if k != "credentials"}}
        # Saved stores are measured on a copy, brought to this branch's schema; a fresh one in place. The copy's
        # name is this process's, so that runs from two worktrees at once never share (and delete) one copy.
        label = f"run_{os.getpid()}" if args.store_dir else "store"
        try:
            if args.store_dir:
                url, result["copy_seconds"] = target.copy_to(label)
                log(f"{name}: working copy {url} ({result['copy_seconds']} s)")
            else:
                url = target.url("store")
            result["migrate"] = migrate(url)
            log(f"{name}: schema {result['migrate']}")
            if result["migrate"]["from"] != result["migrate"]["to"]:
                result["settle"] = settle(target, url)
            wl = Workload(meta.get("seed", 1), args.n)
            result["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
            result.update(measure(url, wl, meta["people"], args.reps, args.only))
            result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            if args.keep:
                log(f"{name}: kept {target.url(label)}")
            elif args.store_dir:
                target.drop(label)
            else:
                target.drop("store")
        result["run_seconds"] = round(time.perf_counter() - run_started, 1)
        out = results_dir / f"{stamp}-people-{name}-{args.n}{suffix}.json"
        out.write_text(json.dumps(result, indent=1, default=str))
        log(f"{name}: saved {out} (measured in {result['run_seconds']} s)")
        print(report(result))
    if not args.store_dir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


# --- the tables ------------------------------------------------------------------------------------------------

GROUPS = (("api", "/api"), ("pages", "page"), ("staff", "staff page"), ("exports", "export"))


def _ok(m: dict[str, Any]) -> str:
    return "✅" if m.get("p95_ms") is not None and m["p95_ms"] < m["target_ms"] and m.get("status") == 200 else "❌"


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _floor_line(result: dict[str, Any]) -> str:
    parts = []
    for key, when in (("floor", "before"), ("floor_after", "after")):
        fl = result.get(key)
        if fl:
            about = fl["about_request"]
            parts.append(f"{when}: GET /xapi/about p50 {about.get('p50_ms')} ms p95 {about.get('p95_ms')} ms, "
                         f"JSON loop {fl['json_loop_ms']} ms, load {fl['load_average']}")
    return "; ".join(parts)


def report(result: dict[str, Any]) -> str:
    lines = [f"\n### {result['database'].get('engine')} at N = {result['n']:,} (load {result.get('load_average_before')})",
             "", "| measure | target | p50 | p95 | peak memory |", "| --- | --- | ---: | ---: | ---: |"]
    if result.get("floor"):
        lines.insert(1, "floor: " + _floor_line(result))
    for group, _ in GROUPS:
        for label, m in result.get(group, {}).items():
            peak = f"{m['peak_python_mib']} MiB" if "peak_python_mib" in m else ""
            lines.append(f"| {label} | < {m['target_ms']:.0f} ms | {m.get('p50_ms')} ms | {m.get('p95_ms')} ms "
                         f"{_ok(m)} | {peak} |")
    return "\n".join(lines)


def report_table(results: list[dict[str, Any]]) -> str:
    """The docs table: one row per measure, a column per results file in the order given (p95 (p50), ✅/❌),
    headed by its database and commit; each run's commit, N, load average and floor under it."""
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    def head(r: dict[str, Any]) -> str:
        return f"{names.get(r['database'].get('engine'), r['database'].get('engine'))} `{_commit(r)}`"

    n = results[0]["n"]
    lines = [f"| measure (N = {n:,}) | target | " + " | ".join(f"{head(r)} p95 (p50)" for r in results) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in results) + " |"]
    for group, prefix in GROUPS:
        labels: list[str] = []
        for r in results:
            labels += [k for k in r.get(group, {}) if k not in labels]
        for label in labels:
            target = next(r[group][label]["target_ms"] for r in results if label in r.get(group, {}))
            target_text = f"< {target / 1000:.0f} s" if target >= 1000 else f"p95 < {target:.0f} ms"
            cells = []
            for r in results:
                m = r.get(group, {}).get(label)
                if not m or not m.get("n"):
                    cells.append((m or {}).get("note") or "not measured")
                    continue
                cell = f"{_ms(m.get('p95_ms'))} ms ({_ms(m.get('p50_ms'))})"
                if "peak_python_mib" in m:
                    cell += f", peak {m['peak_python_mib']} MiB"
                if m.get("status") != 200:
                    cell += f", status {m.get('status')}"
                cells.append(f"{cell} {_ok(m)}")
            lines.append(f"| {prefix} {label} | {target_text} | " + " | ".join(cells) + " |")
    lines.append("")
    for r in results:
        store = r.get("store") or {}
        built = f"store built at `{((store.get('git') or {}).get('commit') or '')[:7]}`" if store.get("git") else ""
        migrated = r.get("migrate") or {}
        lines.append(f"- {head(r)}: N = {r['n']:,}, load average {r.get('load_average_before')} at the start and "
                     f"{r.get('load_average_after')} at the end; floor {_floor_line(r)}; {built}, schema "
                     f"{migrated.get('from')} → {migrated.get('to')} in {migrated.get('seconds')} s; measured in "
                     f"{r.get('run_seconds')} s.")
    return "\n".join(lines)


def _commit(r: dict[str, Any]) -> str:
    return ((r.get("git") or {}).get("commit") or "")[:7]


if __name__ == "__main__":
    sys.exit(main())
