"""A centre for the review tests: a cohort, a participant, assessors and IQAs in and out of the cohort, an
admin and a plain xAPI client, each with its own credential; and helpers to call /api as each of them."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from conftest import make_credential

ILM5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
NORTH = "https://centre.example/cohorts/ilm5-2026-north"
SOUTH = "https://centre.example/cohorts/ilm5-2026-south"
JO = "mailto:jo@la.example"
KIM = "mailto:kim@la.example"
U1 = [f"{ILM5}/U1.AC{n}" for n in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")]


def ac(code: str) -> str:
    """The IRI of an ILM L5 criterion: ac("U1.AC1.1")."""
    return f"{ILM5}/{code}"


class Caller:
    """Calls the app as one credential."""

    def __init__(self, flask_client: Any, credential: tuple[str, str], name: str):
        self.flask = flask_client
        self.name = name
        self.auth = {"Authorization": "Basic " + base64.b64encode(":".join(credential).encode()).decode()}
        self.key = credential[0]

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.flask.get(path, headers={**self.auth, "X-Experience-API-Version": "1.0.3"}, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.flask.post(path, json=body, headers={**self.auth, "X-Experience-API-Version": "1.0.3"}, **kwargs)

    def decide(self, **body: Any) -> Any:
        """POST a decision; a rationale is filled in unless the test names one (rationale=None sends none)."""
        body.setdefault("rationale", f"{self.name}: judged against the criterion's wording")
        return self.post("/api/reviews", {k: v for k, v in body.items() if v is not None or k != "rationale"})

    def progress(self, agent: str = JO, framework: str = "ilm-l5-leadership") -> Any:
        return self.get(f"/api/learners/{quote(agent, safe='')}/progress?framework={framework}")

    def queue(self, **params: str) -> Any:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        return self.get(f"/api/reviews/queue?{query}")

    def journal(self, **entry: Any) -> str:
        body = {
            "what": "Led a team meeting on the new duty rota",
            "mode": "on-the-job",
            "date": "2026-10-01",
            "reflection": {"learned": "Consultation takes longer than I planned.", "impact": "Rota changes now go to the team first."},
            "programme": NORTH,
            **entry,
        }
        response = self.post("/api/journal", body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["ids"][0]


@pytest.fixture
def centre(lrs_instance: Any, app: Any) -> dict[str, Caller]:
    flask = app.test_client()
    made = {
        "admin": make_credential(lrs_instance, ["all"], name="Centre admin", role="admin"),
        "jo": make_credential(lrs_instance, [], name="Jo Bloggs", role="participant", agent_key=f"mbox:{JO}"),
        "kim": make_credential(lrs_instance, [], name="Kim South", role="participant", agent_key=f"mbox:{KIM}"),
        "ann": make_credential(
            lrs_instance, [], name="Ann Assessor", role="assessor", agent_key="mbox:mailto:ann@centre.example", cohorts=[NORTH]
        ),
        "bob": make_credential(
            lrs_instance, [], name="Bob Assessor", role="assessor", agent_key="mbox:mailto:bob@centre.example", cohorts=[SOUTH]
        ),
        "ian": make_credential(
            lrs_instance, [], name="Ian Quality", role="iqa", agent_key="mbox:mailto:ian@centre.example", cohorts=[NORTH]
        ),
        "iris": make_credential(lrs_instance, [], name="Iris Quality", role="iqa", cohorts=[SOUTH]),
        "lms": make_credential(lrs_instance, ["statements/write", "statements/read"], name="The LMS"),
        "writer": make_credential(lrs_instance, ["statements/write"], name="A survey tool"),
    }
    # Membership is an enrolment, not a side effect of the learners' own statements (issue 15).
    enrol(lrs_instance, NORTH, f"mbox:{JO}")
    enrol(lrs_instance, SOUTH, f"mbox:{KIM}")
    return {name: Caller(flask, cred, name) for name, cred in made.items()}


def enrol(lrs: Any, cohort: str, agent_key: str) -> None:
    from lrs.store.enrolments import enrol as store_enrol

    lrs.db.write(lambda conn: store_enrol(conn, cohort, agent_key, enrolled_by="test"))
