"""The /api learning endpoints over HTTP: authentication, who may see and write what, agent identifiers.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from conftest import make_credential

from lrs.store.enrolments import enrol

JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"
COHORT = "https://lrs.example/programmes/pldp-2025"
OTHER_COHORT = "https://lrs.example/programmes/ilm5-2025"


def entry(**overrides) -> dict:
    body = {
        "what": "Chaired a multi-agency strategy meeting on a complex case",
        "mode": "on-the-job",
        "date": "2025-03-04",
        "duration": "PT2H",
        "reflection": {
            "learned": "Naming the disagreement early kept the partners engaged",
            "impact": "I will open strategy meetings by agreeing what we disagree about",
        },
        "programme": COHORT,
    }
    body.update(overrides)
    return body


@pytest.fixture
def creds(lrs_instance) -> dict[str, tuple[str, str]]:
    made = {
        "admin": make_credential(lrs_instance, ["statements/read"], name="programme admin", role="admin"),
        "all": make_credential(lrs_instance, ["all"], name="all scopes"),
        "jo": make_credential(lrs_instance, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}"),
        "unbound": make_credential(lrs_instance, ["all"], name="nobody", role="participant"),
        "assessor": make_credential(
            lrs_instance, ["all"], name="Assessor", role="assessor", cohorts=[COHORT]
        ),
        "reader": make_credential(lrs_instance, ["statements/read"], name="dashboard"),
        "mine": make_credential(lrs_instance, ["statements/read/mine"], name="app"),
        "writer": make_credential(lrs_instance, ["statements/write"], name="LMS"),
    }
    # An assessor reads the learners enrolled in its cohorts (issue 15): Jo is enrolled in COHORT.
    lrs_instance.db.write(lambda conn: enrol(conn, COHORT, f"mbox:{JO}", enrolled_by="test"))
    return made


def status(client, creds, who: str, method: str, path: str, **kwargs) -> int:  # noqa: ANN001
    return client.request(method, path, auth=creds[who], **kwargs).status_code


def learner(agent: str, query: str = "") -> str:
    return f"/api/learners/{quote(agent, safe='')}/summary{query}"


def cohort(activity: str = COHORT) -> str:
    return f"/api/cohorts/summary?activity={quote(activity, safe='')}"


# --- authentication --------------------------------------------------------------------------------------


def test_api_needs_basic_credentials_but_no_version_header(client, creds):
    anonymous = client.flask.get(learner(JO))
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert anonymous.get_json()["error"]["rule"] == "authentication"
    wrong = client.get(learner(JO), auth=(creds["jo"][0], "not the secret"))
    assert wrong.status_code == 401
    ok = client.flask.get(
        learner(JO), headers=client.headers({"X-Experience-API-Version": None}, auth=creds["all"])
    )
    assert ok.status_code == 200


# --- participants ----------------------------------------------------------------------------------------


def test_a_participant_sees_only_its_own_summary(client, creds):
    assert status(client, creds, "jo", "GET", learner(JO)) == 200
    assert status(client, creds, "jo", "GET", learner("mbox:" + JO)) == 200
    other = client.get(learner(SAM), auth=creds["jo"])
    assert other.status_code == 403
    assert other.get_json()["error"]["rule"] == "participant-own-data"
    assert status(client, creds, "jo", "GET", cohort()) == 403
    assert status(client, creds, "unbound", "GET", learner(JO)) == 403


def test_a_journal_entry_with_nan_is_not_json(client, creds):
    body = json.dumps({**entry(agent=JO), "duration_hours": 0.5}).replace("0.5", "NaN")
    response = client.post("/api/journal", data=body, content_type="application/json", auth=creds["all"])
    assert response.status_code == 400 and response.get_json()["error"]["rule"] == "invalid-json"


def test_a_participant_writes_only_its_own_journal(client, creds):
    own = client.post("/api/journal", json=entry(), auth=creds["jo"])
    assert own.status_code == 200, own.get_json()
    [statement_id] = own.get_json()["ids"]
    stored = client.get(f"/xapi/statements?statementId={statement_id}", auth=creds["all"]).get_json()
    assert stored["actor"]["mbox"] == JO
    assert stored["authority"]["account"]["name"] == creds["jo"][0]  # the caller's credential
    assert client.post("/api/journal", json=entry(agent=JO), auth=creds["jo"]).status_code == 200
    other = client.post("/api/journal", json=[entry(), entry(agent=SAM)], auth=creds["jo"])
    assert other.status_code == 403
    assert other.get_json()["error"]["path"] == "[1].agent"


# --- other roles and scopes ------------------------------------------------------------------------------


def test_admins_and_all_scope_see_and_write_for_anyone(client, creds):
    for who in ("admin", "all"):
        assert status(client, creds, who, "GET", learner(SAM)) == 200
        assert status(client, creds, who, "GET", cohort(OTHER_COHORT)) == 200
        assert status(client, creds, who, "POST", "/api/journal", json=entry(agent=SAM)) == 200


def test_an_assessor_sees_only_within_its_cohorts(client, creds):
    assert status(client, creds, "assessor", "GET", cohort()) == 200
    assert status(client, creds, "assessor", "GET", cohort(OTHER_COHORT)) == 403
    assert status(client, creds, "assessor", "GET", learner(JO, f"?activity={quote(COHORT)}")) == 200
    no_cohort = client.get(learner(JO), auth=creds["assessor"])
    assert no_cohort.status_code == 403
    assert no_cohort.get_json()["error"]["path"] == "activity"
    assert status(client, creds, "assessor", "POST", "/api/journal", json=entry(agent=JO)) == 403


def test_xapi_client_credentials_follow_their_scopes(client, creds):
    assert status(client, creds, "reader", "GET", learner(JO)) == 200
    assert status(client, creds, "reader", "GET", cohort()) == 200
    assert status(client, creds, "reader", "POST", "/api/journal", json=entry(agent=JO)) == 403
    assert status(client, creds, "mine", "GET", learner(JO)) == 403
    assert status(client, creds, "writer", "GET", learner(JO)) == 403
    assert status(client, creds, "writer", "POST", "/api/journal", json=entry(agent=JO)) == 200


# --- agent identifiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        "mailto:jo@la.example",
        "mbox:mailto:jo@la.example",
        json.dumps({"mbox": "mailto:jo@la.example"}),
        json.dumps({"objectType": "Agent", "name": "Jo", "mbox": "mailto:jo@la.example"}),
    ],
)
def test_the_same_learner_by_any_identifier(client, creds, identifier):
    assert client.post("/api/journal", json=entry(), auth=creds["jo"]).status_code == 200
    body = client.get(learner(identifier), auth=creds["all"]).get_json()
    assert body["agent"] == "mbox:mailto:jo@la.example"
    assert body["totals"]["statements"] == 1


def test_account_agents_with_slashes_in_the_home_page(client, creds):
    account = {"homePage": "https://sso.la.example/", "name": "jo.bloggs"}
    response = client.post("/api/journal", json=entry(agent={"account": account}), auth=creds["all"])
    assert response.status_code == 200, response.get_json()
    by_key = client.get(learner("account:https://sso.la.example/|jo.bloggs"), auth=creds["all"]).get_json()
    assert by_key["totals"]["statements"] == 1
    by_json = client.get(learner(json.dumps({"account": account})), auth=creds["all"]).get_json()
    assert by_json["agent"] == by_key["agent"]


def test_unreadable_agents_are_a_400(client, creds):
    for bad in ("{not json", json.dumps({"name": "Jo"})):
        response = client.get(learner(bad), auth=creds["all"])
        assert response.status_code == 400
        assert response.get_json()["error"]["path"] == "agent"
