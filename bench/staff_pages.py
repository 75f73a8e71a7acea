"""Server time of the staff's pages (issue 18) over a cohort of many learners, in-process (Flask's test client,
so no network): the lead's dashboard and its CSV, an assessor's queue, an IQA's sampling page.

    .venv/bin/python bench/staff_pages.py [--learners 500] [--per-learner 20] [--runs 30] [--database URL]

Without --database it uses a fresh SQLite file in a temporary directory. It prints p50 and p95 per page.
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


def statements_for(learner: int, count: int, start: datetime) -> list[dict]:
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
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--per-learner", type=int, default=20)
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
        lrs.store_statements(statements_for(learner, args.per_learner, start), writer, "1.0.3")
    print(f"loaded {args.learners * args.per_learner} statements for {args.learners} learners "
          f"in {time.perf_counter() - loaded:.1f} s ({db.dialect})")
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
            times.sort()
            p95 = times[max(0, round(len(times) * 0.95) - 1)]
            print(f"{role:9} {path:16} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
