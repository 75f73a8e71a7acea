"""Server time of the staff's pages (issue 18) over a cohort of many learners, in-process (Flask's test client,
so no network): the lead's dashboard and its CSV, an assessor's queue, an IQA's sampling page.

    .venv/bin/python bench/staff_pages.py [--learners 500] [--per-learner 20] [--evidence 0] [--decisions 0]
                                          [--runs 30] [--database URL]

Without --database it uses a fresh SQLite file in a temporary directory. It prints p50 and p95 per page, and
the dashboard's unit-progress reading alone (lrs.review.cohort, two grouped queries) for the same cohort.
With ``--evidence N`` the first N statements of each learner name a criterion of the ILM L5 template, and
``--decisions M`` gives M of them an assessor decision (every third referred, the rest accepted), every fourth
confirmed by an IQA: a cohort part-way through its units, for the dashboard's unit-progress column (the
figures in docs/performance.md say which were used; the assessor's queue then holds the undecided evidence).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.principal import Principal
from lrs.services.statements import LRS
from lrs.store import users as user_store
from lrs.store.db import Database
from lrs.store.enrolments import enrol
from lrs.store.migrate import upgrade
from lrs.web.passwords import hash_password

COHORT = "https://centre.example/cohorts/bench"
ILM5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
VERBS = ["http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/attended",
         "https://w3id.org/xapi/social-work-leadership/verbs/reflected"]
PASSWORD = "plum kettle harbour lantern"


#: The criteria of the ILM L5 template's three units, which the evidence names in turn.
LEAVES = [f"{ILM5}/U{u}.AC{c}" for u, codes in ((1, ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")),
                                                 (2, ("1.1", "1.2", "2.1", "2.2", "2.3")),
                                                 (3, ("1.1", "1.2", "2.1", "2.2", "2.3"))) for c in codes]


def statements_for(learner: int, count: int, start: datetime, evidence: int = 0) -> list[dict]:
    """A learner's statements; the first ``evidence`` of them name a criterion (category), so they are evidence."""
    out = []
    for n in range(count):
        out.append({
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "mbox": f"mailto:learner{learner}@la.example"},
            "verb": {"id": VERBS[n % len(VERBS)]},
            "object": {"objectType": "Activity", "id": f"https://lms.example/courses/{n % 40}",
                       "definition": {"name": {"en-GB": f"Course {n % 40}"}}},
            "context": {"contextActivities": {"grouping": [{"id": COHORT}],
                                              "other": [{"id": f"{ILM5}/U1.AC1.{1 + n % 3}"}]}},
            "timestamp": (start + timedelta(days=(learner * 7 + n * 11) % 365)).isoformat(),
            "result": {"duration": "PT1H"},
        })
        if n < evidence:
            out[-1]["context"]["contextActivities"]["category"] = [{"id": LEAVES[(learner + n) % len(LEAVES)]}]
    return out


def add_decisions(lrs: LRS, writer: Principal, learners: int, per_learner: int, decisions: int,
                  start: datetime) -> int:
    """Decisions on each learner's first evidence: a statement per decision (an assessor's, naming the
    evidence) and its review_decisions row written directly, which is what the dashboard reads; deriving them
    through the review rules is not what is measured here."""
    from sqlalchemy import select

    from lrs.store import reviews

    rows: list[dict] = []
    with lrs.db.read() as conn:
        links = conn.execute(select(reviews.E.c.agent_key, reviews.E.c.statement_id, reviews.E.c.item_uri)
                             .order_by(reviews.E.c.agent_key, reviews.E.c.statement_id)).all()
    mine: dict[str, list] = {}
    for link in links:
        mine.setdefault(link.agent_key, []).append(link)
    when = start + timedelta(days=300)
    for agent, evidence in mine.items():
        for n, link in enumerate(evidence[:decisions]):
            statement = {"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:ann@c.example", "name": "Ann"},
                         "verb": {"id": "http://adlnet.gov/expapi/verbs/scored"},
                         "object": {"objectType": "StatementRef", "id": link.statement_id},
                         "timestamp": when.isoformat()}
            rows.append({"statement": statement, "row": {
                "statement_id": statement["id"], "agent_key": agent, "evidence_id": link.statement_id,
                "framework_uri": ILM5, "item_uri": link.item_uri, "role": "assessor",
                "outcome": "referred" if n % 3 == 2 else "accepted", "reviewer_key": "bench-assessor",
                "target_id": None, "decided": when}})
            if n % 4 == 0:
                check = {**statement, "id": str(uuid.uuid4()), "object": {"objectType": "StatementRef",
                                                                            "id": statement["id"]}}
                rows.append({"statement": check, "row": {
                    **rows[-1]["row"], "statement_id": check["id"], "role": "iqa", "outcome": "confirmed",
                    "reviewer_key": "bench-iqa", "target_id": statement["id"]}})
    for at in range(0, len(rows), 500):
        batch = rows[at:at + 500]
        lrs.store_statements([r["statement"] for r in batch], writer, "1.0.3")
        lrs.db.write(lambda conn, batch=batch: reviews.insert_decisions(conn, [r["row"] for r in batch]))
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--per-learner", type=int, default=20)
    parser.add_argument("--evidence", type=int, default=0,
                        help="how many of each learner's statements name a criterion (are evidence)")
    parser.add_argument("--decisions", type=int, default=0, help="assessor decisions per learner (on its evidence)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db = Database(url)
    upgrade(db.engine)
    settings = Settings(database_url=url)
    lrs = LRS(settings, db=db)
    writer = Principal(key="bench", name="bench", scopes=frozenset({"all"}), authority={
        "objectType": "Agent", "account": {"homePage": settings.authority_home_page, "name": "bench"}},
        authority_key="account:https://lrs.local/|bench", role="admin")
    start = datetime.now(UTC) - timedelta(days=365)
    loaded = time.perf_counter()
    for learner in range(args.learners):
        key = f"mbox:mailto:learner{learner}@la.example"
        db.write(lambda conn, key=key: enrol(conn, COHORT, key, enrolled_by="bench"))
        lrs.store_statements(statements_for(learner, args.per_learner, start, args.evidence), writer, "1.0.3")
    decided = add_decisions(lrs, writer, args.learners, args.per_learner, args.decisions, start)
    print(f"loaded {args.learners * args.per_learner} statements and {decided} decisions for {args.learners} "
          f"learners in {time.perf_counter() - loaded:.1f} s ({db.dialect})")
    hashed = hash_password(PASSWORD)
    for email, role in (("lead@c.example", "lead"), ("ann@c.example", "assessor"), ("ian@c.example", "iqa")):
        db.write(lambda conn, email=email, role=role: user_store.create_user(
            conn, email=email, name=role, role=role, agent_key=f"mbox:mailto:{email}", cohorts=[COHORT],
            password_hash=hashed))
    app = create_app(settings, lrs=lrs)
    pages = {"lead": ["/dashboard", "/dashboard.csv"], "assessor": ["/review"], "iqa": ["/sampling"]}
    for role, paths in pages.items():
        client = app.test_client()
        email = {"lead": "lead@c.example", "assessor": "ann@c.example", "iqa": "ian@c.example"}[role]
        page = client.get("/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
        for path in paths:
            times = []
            for _ in range(args.runs):
                began = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            report(role, path, times)
    try:
        from lrs.review import cohort as review_cohort
    except ImportError:  # a checkout from before the unit-progress column (a before/after comparison)
        return
    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        found = review_cohort.cohort_unit_progress(lrs, COHORT)
        times.append((time.perf_counter() - began) * 1000)
    report("lead", "unit progress", times, f"  (the reading alone; {len(found['learners'])} learners with evidence)")
    # The dashboard with and without its unit-progress column, interleaved in this run (the floor): without, the
    # reading is replaced by one that finds nothing, so the page shows the column empty.
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/sign-in", data={"email": "lead@c.example", "password": PASSWORD, "csrf_token": token})
    real = review_cohort.cohort_unit_progress

    def nothing(lrs: LRS, cohort: str) -> dict:
        return {"qualifications": [], "learners": {}, "nothing_yet": {}}

    with_column: list[float] = []
    without: list[float] = []
    for n in range(2 * args.runs):
        review_cohort.cohort_unit_progress = real if n % 2 == 0 else nothing
        began = time.perf_counter()
        assert client.get("/dashboard").status_code == 200
        (with_column if n % 2 == 0 else without).append((time.perf_counter() - began) * 1000)
    review_cohort.cohort_unit_progress = real
    report("lead", "/dashboard", with_column, "  (interleaved: with the unit-progress column)")
    report("lead", "/dashboard", without, "  (interleaved: without it, the floor)")


def report(role: str, path: str, times: list[float], note: str = "") -> None:
    times = sorted(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(f"{role:9} {path:16} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms{note}")


if __name__ == "__main__":
    main()
