"""The rules the access matrix cannot show cell by cell (issue 15): writing as oneself, who may void, decisions
withdrawn and kept on the trail, enrolment (who makes it, what removes it, who is never a learner), attachment
bytes, the commands, and the migration's backfill."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from conftest import make_credential
from sqlalchemy import text

from lrs.cli import cli
from lrs.services.principal import Principal
from lrs.store import enrolments
from lrs.store.migrate import alembic_config

ILM5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
AC = f"{ILM5}/U1.AC1.1"
NORTH = "https://centre.example/cohorts/rules-north"
JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"
ANN = "mailto:ann@centre.example"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(actor: str, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en": "attended"}},
        "object": {"objectType": "Activity", "id": "https://lrs.example/activities/rules"},
        **extra,
    }


def in_cohort(actor: str, cohort: str = NORTH) -> dict[str, Any]:
    return statement(actor, context={"contextActivities": {"grouping": [{"id": cohort}]}})


def void(actor: str, target: str) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": VOIDED, "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }


class Caller:
    def __init__(self, flask: Any, credential: tuple[str, str]):
        self.flask = flask
        self.key = credential[0]
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(":".join(credential).encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
        }

    def open(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.flask.open(path, method=method, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any) -> Any:
        return self.open("POST", path, json=body)

    def store(self, body: Any) -> str:
        response = self.post("/xapi/statements", body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()[0]


@pytest.fixture
def people(lrs_instance: Any, app: Any) -> dict[str, Caller]:
    flask = app.test_client()
    made = {
        "admin": make_credential(lrs_instance, ["all"], name="Admin", role="admin"),
        "jo": make_credential(lrs_instance, [], name="Jo", role="participant", agent_key=f"mbox:{JO}"),
        "jo_phone": make_credential(lrs_instance, [], name="Jo's phone", role="participant", agent_key=f"mbox:{JO}"),
        "sam": make_credential(lrs_instance, [], name="Sam", role="participant", agent_key=f"mbox:{SAM}"),
        "ann": make_credential(lrs_instance, [], name="Ann", role="assessor", agent_key=f"mbox:{ANN}", cohorts=[NORTH]),
        "lead": make_credential(lrs_instance, ["all"], name="Lee", role="lead", cohorts=[NORTH]),  # the role still bites
        "lms": make_credential(lrs_instance, ["all"], name="Trusted LMS", may_enrol=True),
        "tool": make_credential(lrs_instance, ["all"], name="Untrusted tool"),
    }
    return {name: Caller(flask, cred) for name, cred in made.items()}


def learners(lrs: Any) -> set[str]:
    with lrs.db.read() as conn:
        return {row["agent_key"] for row in enrolments.list_enrolments(conn, NORTH)}


def test_a_participant_writes_only_as_itself(people):
    response = people["jo"].post("/xapi/statements", [statement(JO), statement(SAM)])
    assert response.status_code == 403
    assert response.get_json()["error"]["rule"] == "actor-not-self"
    assert response.get_json()["error"]["path"] == "[1].actor"
    assert people["admin"].open("GET", "/xapi/statements").get_json()["statements"] == []  # all or nothing
    assert people["jo"].post("/xapi/statements", statement(JO)).status_code == 200


def test_only_the_author_the_same_person_or_an_admin_voids(people):
    first, second, third = (people["jo"].store(statement(JO)) for _ in range(3))
    for who in ("sam", "tool", "lms", "ann"):
        actor = {"sam": SAM, "ann": ANN}.get(who, JO)
        refused = people[who].post("/xapi/statements", void(actor, first))
        assert refused.status_code == 403, who
        assert refused.get_json()["error"]["rule"] == "void-not-author"
    assert people["jo"].post("/xapi/statements", void(JO, first)).status_code == 200
    assert people["jo_phone"].post("/xapi/statements", void(JO, second)).status_code == 200  # the same person
    assert people["admin"].post("/xapi/statements", void(JO, third)).status_code == 200


def test_a_decision_is_withdrawn_only_by_its_author_or_an_admin_and_the_withdrawal_stays_on_the_trail(people, lrs_instance):
    lrs_instance.db.write(lambda conn: enrolments.enrol(conn, NORTH, f"mbox:{JO}", enrolled_by="test"))
    evidence = people["jo"].post(
        "/api/journal",
        {"what": "Chaired a case review", "mode": "on-the-job", "date": "2026-10-01", "standards": [AC],
         "reflection": {"learned": "a", "impact": "b"}},
    ).get_json()["ids"][0]
    decided = people["ann"].post("/api/reviews", {"evidence": evidence, "criterion": AC, "outcome": "referred",
                                                   "feedback": "More.", "rationale": "Not yet met."})
    assert decided.status_code == 201
    decision = decided.get_json()["id"]
    refused = people["jo"].post("/xapi/statements", void(JO, decision))
    assert refused.status_code == 403 and refused.get_json()["error"]["rule"] == "void-not-author"
    withdrawal = people["ann"].store(void(ANN, decision))
    # Jo's record still shows the withdrawn decision (by voidedStatementId) and the withdrawal itself.
    assert people["jo"].open("GET", f"/xapi/statements?voidedStatementId={decision}").status_code == 200
    ids = {s["id"] for s in people["jo"].open("GET", "/xapi/statements").get_json()["statements"]}
    assert withdrawal in ids
    assert people["sam"].open("GET", f"/xapi/statements?statementId={withdrawal}").status_code == 404


def test_enrolment_comes_only_from_a_trusted_lms_and_voiding_its_statement_removes_it(people, lrs_instance):
    people["jo"].store(in_cohort(JO))
    people["tool"].store(in_cohort(SAM))
    people["ann"].store(in_cohort(ANN))
    assert learners(lrs_instance) == set()
    made = people["lms"].store(in_cohort(JO))
    people["lms"].store(in_cohort(ANN))  # a reviewer of the cohort is never its learner
    assert learners(lrs_instance) == {f"mbox:{JO}"}
    assert people["lms"].post("/xapi/statements", void(JO, made)).status_code == 200
    assert learners(lrs_instance) == set()


def test_admins_and_the_cohorts_lead_enrol_and_reviewers_are_never_learners(people, lrs_instance):
    path = f"/api/cohorts/{NORTH}/learners"
    assert people["ann"].post(path, {"agent": JO}).status_code == 403
    assert people["lms"].post(path, {"agent": JO}).status_code == 403
    assert people["lead"].post(path, {"agent": JO}).status_code == 201
    assert people["admin"].post(path, {"agent": JO}).status_code == 200
    refused = people["admin"].post(path, {"agent": ANN})
    assert refused.status_code == 403 and refused.get_json()["error"]["rule"] == "reviewer-not-learner"
    listed = people["ann"].open("GET", path).get_json()["learners"]
    assert [row["agent"] for row in listed] == [f"mbox:{JO}"]
    # Ann now reads Jo's record, and the lead still writes nothing.
    people["jo"].store(statement(JO))
    assert len(people["ann"].open("GET", "/xapi/statements").get_json()["statements"]) == 1
    read_only = people["lead"].post("/xapi/statements", statement(JO))
    assert read_only.status_code == 403 and read_only.get_json()["error"]["rule"] == "read-only"
    assert people["admin"].open("DELETE", path, query_string={"agent": JO}).status_code == 204
    assert people["ann"].open("GET", "/xapi/statements").get_json()["statements"] == []


def test_naming_a_known_hash_without_its_bytes_is_refused(people, lrs_instance):
    secret = b"sam's notes"
    sha2 = hashlib.sha256(secret).hexdigest()
    attachment = {"usageType": "https://lrs.example/usage/notes", "display": {"en": "notes"},
                  "contentType": "text/plain", "length": len(secret), "sha2": sha2}
    sam = lrs_instance.principal_for(people["sam"].key)
    lrs_instance.store_statements(statement(SAM, attachments=[attachment]), sam, "1.0.3",
                                  attachments={sha2: ("text/plain", secret)})
    refused = people["jo"].post("/xapi/statements", statement(JO, attachments=[attachment]))
    assert refused.status_code == 400
    assert "attachment-missing-part" in json.dumps(refused.get_json())
    # Named with a fileUrl, the statement is stored, but the bytes stay Sam's.
    people["jo"].store(statement(JO, attachments=[{**attachment, "fileUrl": "https://files.example/n.txt"}]))
    got = people["jo"].open("GET", "/xapi/statements?attachments=true")
    assert got.status_code == 200 and secret not in got.get_data()
    assert secret in people["sam"].open("GET", "/xapi/statements?attachments=true").get_data()


def test_the_commands_enrol_list_unenrol_and_describe_a_credential(lrs_instance, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    runner = CliRunner()
    made = runner.invoke(cli, ["credentials", "create", "--role", "participant", "--agent", JO, "--json"])
    assert made.exit_code == 0, made.output
    described = json.loads(made.output)
    assert described["scopes"] != ["all"] and "statements/write" in described["scopes"]
    assert any("only with mbox:mailto:jo@la.example as actor" in line for line in described["permissions"])
    words = runner.invoke(cli, ["credentials", "create", "--role", "lead", "--cohort", NORTH])
    assert words.exit_code == 0 and "write nothing" in words.output and NORTH in words.output
    assert runner.invoke(cli, ["credentials", "create", "--role", "assessor", "--may-enrol", "--cohort", NORTH]).exit_code != 0
    assert runner.invoke(cli, ["cohorts", "enrol", NORTH, "--agent", JO]).exit_code == 0
    listed = runner.invoke(cli, ["cohorts", "list", NORTH])
    assert listed.exit_code == 0 and "mbox:mailto:jo@la.example" in listed.output
    assert runner.invoke(cli, ["cohorts", "unenrol", NORTH, "--agent", JO]).exit_code == 0
    assert "mbox:mailto:jo@la.example" not in runner.invoke(cli, ["cohorts", "list", NORTH]).output
    assert runner.invoke(cli, ["cohorts", "unenrol", NORTH, "--agent", JO]).exit_code != 0
    lms = json.loads(runner.invoke(cli, ["credentials", "create", "--name", "LMS", "--json"]).output)
    assert lms["may_enrol"] is False and "enrol nobody (not --may-enrol)" in lms["permissions"]
    assert runner.invoke(cli, ["credentials", "trust", lms["key"], "--may-enrol"]).exit_code == 0
    assert lrs_instance.principal_for(lms["key"]).may_enrol
    assert runner.invoke(cli, ["credentials", "trust", described["key"], "--may-enrol"]).exit_code != 0  # a role


def test_the_migration_keeps_only_memberships_a_trusted_authority_recorded(people, lrs_instance):
    """0010 backfills the memberships the old statement rule derived, but only from statements stored under an
    admin credential or one without a role; never a reviewer of the cohort."""
    people["tool"].store(in_cohort(SAM))  # no role: trusted by the old rule, kept
    people["jo"].store(in_cohort(JO))  # a participant's own statement: not kept
    people["admin"].store(in_cohort(ANN))  # a reviewer of the cohort: never a learner
    engine = lrs_instance.db.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009_users")
    finally:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    assert learners(lrs_instance) == {f"mbox:{SAM}"}
    with lrs_instance.db.read() as conn:
        linked = conn.execute(text("SELECT count(*) FROM attachment_statements")).scalar()
    assert linked == 0


def test_a_web_account_gets_the_same_answers(lrs_instance):
    from lrs.services import access
    from lrs.web.principal import principal_for

    user = {"id": 7, "name": "Jo", "role": "participant", "agent_key": f"mbox:{JO}", "cohorts": []}
    web: Principal = principal_for(user, lrs_instance.settings.authority_home_page)
    with pytest.raises(Exception) as refused:
        access.check_read_learner(lrs_instance, web, f"mbox:{SAM}")
    assert getattr(refused.value, "rule", "") == "participant-own-data"
    access.check_read_learner(lrs_instance, web, f"mbox:{JO}")
    assert access.statement_read_scope(web) is not None  # never everything
