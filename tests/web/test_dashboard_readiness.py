"""The lead's dashboard and its CSV: each learner's CPD readiness for the registration year in progress (issue 18),
the same as the learner's own CPD log page says, for the whole cohort at once."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date

from conftest import make_credential

from lrs.store.enrolments import enrol

from .conftest import make_user
from .test_sessions import sign_in

COHORT = "https://centre.example/cohorts/ilm5-2026-north"
JO, SAM = "mbox:mailto:jo@la.example", "mbox:mailto:sam@la.example"


def journal(day: date, what: str, *, peer: bool = False) -> dict:
    entry = {
        "what": what,
        "description": f"{what}: why it matters for leading practice.",
        "mode": "social",
        "date": day.isoformat(),
        "reflection": {
            "learned": f"What {what} taught me.",
            "impact": f"What I do differently after {what}.",
        },
    }
    if peer:
        entry["peer"] = {
            "agent": "mailto:kim@la.example",
            "name": "Kim Lee",
            "reflection": "Kim saw me listen more.",
        }
    return entry


def test_the_dashboard_and_its_csv_show_each_learners_cpd_readiness(lrs_instance, app):  # noqa: ANN001
    for agent in (JO, SAM):
        lrs_instance.db.write(lambda conn, agent=agent: enrol(conn, COHORT, agent, enrolled_by="test"))
    make_user(lrs_instance, "jo@la.example", name="Jo Bloggs", agent_key=JO)
    make_user(lrs_instance, "sam@la.example", name="Sam Okafor", agent_key=SAM)
    make_user(
        lrs_instance, "lead@centre.example", name="Lee Lead", role="lead", agent_key=None, cohorts=[COHORT]
    )
    # Jo records two complete pieces this registration year, one with a peer's reflection: ready. Sam records one.
    today = date.today()  # in the year in progress whatever the day (1 December starts one)
    for agent, entries in (
        (JO, [journal(today, "Supervision audit"), journal(today, "Action learning", peer=True)]),
        (SAM, [journal(today, "Team meeting")]),
    ):
        key, secret = make_credential(lrs_instance, [], name=agent, role="participant", agent_key=agent)
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        answer = app.test_client().post(
            "/api/journal", json=entries, headers={"Authorization": f"Basic {token}"}
        )
        assert answer.status_code == 200, answer.get_json()
    lead = app.test_client()
    assert sign_in(lead, "lead@centre.example").status_code == 302
    html = lead.get(f"/dashboard?cohort={COHORT}").get_data(as_text=True)
    year = date.today().year + 1 if date.today().month == 12 else date.today().year
    label = f"{year - 1}–{str(year)[-2:]}"
    assert f"CPD readiness {label}" in html
    assert "Ready" in html and "Not ready: 1 of 2 complete pieces" in html
    rows = list(csv.reader(io.StringIO(lead.get(f"/dashboard.csv?cohort={COHORT}").get_data(as_text=True))))
    assert rows[0][-1] == f"CPD readiness {label}"
    assert {r[0]: r[-1] for r in rows[1:]} == {
        "Jo Bloggs": "Ready",
        "Sam Okafor": "Not ready: 1 of 2 complete pieces",
    }
    # The learners' own CPD log pages say the same.
    for email, words in (
        ("jo@la.example", "meets Social Work England’s requirements"),
        ("sam@la.example", "is not complete yet"),
    ):
        learner = app.test_client()
        assert sign_in(learner, email).status_code == 302
        assert words in learner.get("/cpd-log").get_data(as_text=True)
