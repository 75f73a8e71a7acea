"""The lead's dashboard page and its CSV are the same bytes (the page but its CSRF token) whether the CPD readiness
column is worked out in a second thread beside the other reads (lrs.services.dashboard) or in the request's own
thread. Both databases."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta

from conftest import make_credential

from lrs.services import dashboard
from lrs.store.enrolments import enrol

from .conftest import make_user
from .test_dashboard_readiness import COHORT, JO, SAM, journal
from .test_sessions import sign_in

NIA = "mbox:mailto:nia@la.example"


def test_the_page_and_the_csv_are_the_same_bytes_overlapped_or_not(lrs_instance, app, monkeypatch):  # noqa: ANN001
    for agent in (JO, SAM, NIA):
        lrs_instance.db.write(lambda conn, agent=agent: enrol(conn, COHORT, agent, enrolled_by="test"))
    make_user(lrs_instance, "jo@la.example", name="Jo Bloggs", agent_key=JO)
    make_user(lrs_instance, "lead@centre.example", name="Lee Lead", role="lead", agent_key=None, cohorts=[COHORT])
    today = date.today()
    for agent, entries in (
        (JO, [journal(today, "Supervision audit"), journal(today, "Action learning", peer=True)]),
        (SAM, [journal(today - timedelta(days=400), "Team meeting"), journal(today, "Shadowing")]),
    ):
        key, secret = make_credential(lrs_instance, [], name=agent, role="participant", agent_key=agent)
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        answer = app.test_client().post("/api/journal", json=entries, headers={"Authorization": f"Basic {token}"})
        assert answer.status_code == 200, answer.get_json()
    lead = app.test_client()
    assert sign_in(lead, "lead@centre.example").status_code == 302
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)  # SQLite too (it stays in one thread)

    def both() -> tuple[str, bytes]:
        html = lead.get(f"/dashboard?cohort={COHORT}")
        csv = lead.get(f"/dashboard.csv?cohort={COHORT}")
        assert html.status_code == 200 and csv.status_code == 200
        return re.sub(r'value="[^"]+"', "", html.get_data(as_text=True)), csv.get_data()

    overlapped = both()
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: False)
    assert both() == overlapped
    assert "Not ready: 1 of 2 complete pieces" in overlapped[0] and "Ready" in overlapped[0]
