"""Subject access export and erasure: after an erasure nothing of the person is in any answer of the API or in
any export, while other people's records about them (an assessor's decision, a team-mate's statement) stay,
under a pseudonym. A dry run changes nothing; every erasure leaves an audit row with counts and no identifiers."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from review.conftest import JO, KIM, NORTH, Caller, ac, centre  # noqa: F401 - centre is a fixture
from sqlalchemy import text

from lrs.review import units
from lrs.services import erasure
from lrs.store.users import create_reset, create_session, create_user, record_failure

JO_NAME = "Jo Bloggs"
JO_SHA1 = hashlib.sha1(JO.encode()).hexdigest()
NOTES = b"Jo's private notes about the supervision session"
NOTES_SHA2 = hashlib.sha256(NOTES).hexdigest()


def jo_agent() -> dict[str, Any]:
    return {"objectType": "Agent", "name": JO_NAME, "mbox": JO}


@pytest.fixture
def record(centre: dict[str, Caller], lrs_instance: Any) -> dict[str, Any]:  # noqa: F811
    """Jo's record: journal evidence with a decision on it, a statement with an attachment, one voided, a
    team-mate's statement naming Jo, documents, an account and a credential."""
    jo, ann, admin = centre["jo"], centre["ann"], centre["admin"]
    evidence = jo.journal(standards=[ac("U1.AC1.1")], evidence_type="reflective-account")
    decision = ann.decide(evidence=evidence, criterion=ac("U1.AC1.1"), outcome="referred",
                          feedback=f"{JO_NAME}: say how you involved the team.")
    assert decision.status_code == 201, decision.get_json()
    principal = lrs_instance.operator_principal()
    with_file = str(uuid.uuid4())
    lrs_instance.store_statements({
        "id": with_file, "actor": jo_agent(), "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://lrs.example/activities/supervision-1"},
        "attachments": [{"usageType": "http://id.tincanapi.com/attachment/supporting_media", "display": {"en-GB": "notes"},
                         "contentType": "text/plain", "length": len(NOTES), "sha2": NOTES_SHA2}],
    }, principal, "1.0.3", attachments={NOTES_SHA2: ("text/plain", NOTES)})
    mistaken = str(uuid.uuid4())
    lrs_instance.store_statements({"id": mistaken, "actor": jo_agent(), "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                                   "object": {"id": "https://lrs.example/activities/wrong"}}, principal, "1.0.3")
    lrs_instance.store_statements({"actor": jo_agent(), "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                                   "object": {"objectType": "StatementRef", "id": mistaken}}, principal, "1.0.3")
    teammate = str(uuid.uuid4())
    lrs_instance.store_statements({
        "id": teammate, "actor": {"mbox": KIM, "name": "Kim South"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://lrs.example/activities/team-day", "definition": {"name": {"en-GB": "Team day"}}},
        "context": {"team": {"objectType": "Group", "member": [jo_agent(), {"mbox": KIM}]},
                    "contextActivities": {"grouping": [{"id": NORTH}]}},
        "result": {"response": f"Worked with {JO_NAME} ({JO[7:]}) on the rota."},
    }, principal, "1.0.3")
    state = admin.flask.put(
        "/xapi/activities/state?activityId=https%3A%2F%2Flrs.example%2Factivities%2Fx&stateId=s1&agent="
        + quote(json.dumps({"mbox": JO})), data=json.dumps({"draft": "Jo's draft"}),
        headers={**admin.auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"})
    assert state.status_code == 204, state.get_data(as_text=True)
    user = lrs_instance.db.write(lambda conn: create_user(conn, email="jo@la.example", name=JO_NAME,
                                                           role="participant", agent_key=f"mbox:{JO}"))
    return {"evidence": evidence, "decision": decision.get_json()["id"], "teammate": teammate,
            "with_file": with_file, "mistaken": mistaken, "user": user}


@pytest.fixture
def workflow(centre: dict[str, Caller], record: dict[str, Any], lrs_instance: Any) -> dict[str, Any]:  # noqa: F811
    """Jo's record, plus what the web pages and the assessment workflow hold about Jo."""
    jo, user = centre["jo"], record["user"]

    def signed_in(conn: Any) -> None:  # a session, a password reset and a failed sign-in on Jo's account
        create_session(conn, user_id=user, session_id="jo-session", csrf_token="jo-csrf")
        create_reset(conn, user_id=user, token="jo-reset", valid_for=timedelta(hours=1))
        record_failure(conn, ["jo@la.example"])

    lrs_instance.db.write(signed_in)
    # The assessment workflow: a unit submitted, a registration number, a witness request (Jo is enrolled in
    # NORTH by the centre fixture).
    submitted = jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1",
                                                   "declaration": True})
    assert submitted.status_code == 201, submitted.get_json()
    units.set_registration_number(lrs_instance, f"mbox:{JO}", "JO-REG-2026")
    witnessed = jo.journal(what="Chaired the panel", evidence_type="witness-testimony", reflection=None,
                           standards=[ac("U1.AC1.1")],
                           witness={"name": "Priya Shah", "role": "Head of Service", "relationship": "line manager",
                                    "date": "2026-10-20", "testimony": "Calm and fair."})
    assert jo.post("/api/witness-requests", {"evidence": witnessed}).status_code == 201
    return record


def all_answers(centre: dict[str, Caller], record: dict[str, Any]) -> dict[str, str]:  # noqa: F811
    """Every API answer an admin, Kim or an assessor can get that might hold Jo's data."""
    admin, ann, kim = centre["admin"], centre["ann"], centre["kim"]
    jo_q = quote(JO, safe="")
    agent = quote(json.dumps({"mbox": JO}))
    paths = [
        "/xapi/statements?limit=1000", f"/xapi/statements?agent={agent}", f"/xapi/statements?agent={agent}&related_agents=true",
        f"/xapi/statements?related_agents=true&agent={quote(json.dumps({'mbox_sha1sum': JO_SHA1}))}",
        "/xapi/statements?attachments=true&limit=1000", "/xapi/statements?format=exact&limit=1000",
        f"/xapi/agents?agent={agent}", f"/xapi/agents/profile?agent={agent}",
        f"/xapi/activities/state?activityId=https%3A%2F%2Flrs.example%2Factivities%2Fx&agent={agent}",
        f"/xapi/activities/state?activityId=https%3A%2F%2Flrs.example%2Factivities%2Fx&stateId=s1&agent={agent}",
        "/xapi/activities?activityId=https%3A%2F%2Flrs.example%2Factivities%2Fteam-day",
        f"/api/learners/{jo_q}/summary", f"/api/cohorts/summary?activity={quote(NORTH, safe='')}",
        f"/api/learners/{jo_q}/evidence?framework=ilm-l5-leadership", f"/api/learners/{jo_q}/progress?framework=ilm-l5-leadership",
        f"/api/learners/{jo_q}/exports/cpd-log", f"/api/learners/{jo_q}/exports/ilm-portfolio",
        "/api/reviews/queue", "/api/admin/audit", "/api/admin/forward/targets",
    ]
    for sid in (record["evidence"], record["decision"], record["teammate"], record["with_file"], record["mistaken"]):
        paths += [f"/xapi/statements?statementId={sid}", f"/xapi/statements?voidedStatementId={sid}"]
    answers = {}
    for caller in (admin, ann, kim):
        for path in paths:
            answers[f"{caller.name} {path}"] = caller.get(path).get_data().decode("utf-8", "replace")
    export = admin.get(f"/api/admin/agents/export?agent={jo_q}")
    with zipfile.ZipFile(io.BytesIO(export.get_data())) as archive:
        for name in archive.namelist():
            answers[f"export {name}"] = archive.read(name).decode("utf-8", "replace")
    return answers


def database_traces(lrs: Any) -> list[str]:
    """Jo's identifiers, name or registration number in any row of any table (enrolments, unit submissions and
    claims, registrations, witness requests, accounts, sessions, resets, failed sign-ins, decisions ...)."""
    from lrs.store.models import Base

    needles = [JO[7:], f"mbox:{JO}", JO_SHA1, JO_NAME, "JO-REG-2026"]
    found = []
    with lrs.db.read() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                text_of_row = json.dumps({k: str(v) for k, v in row.items()}).lower()
                found += [f"{table.name}: {n}" for n in needles if n.lower() in text_of_row]
    return sorted(set(found))


def test_erasure_covers_every_table_and_session(lrs_instance: Any, workflow: dict[str, Any]) -> None:
    before = database_traces(lrs_instance)
    tables = {t.split(":")[0] for t in before}
    assert {"cohort_enrolments", "unit_submissions", "learner_registrations", "witness_requests", "users",
            "sign_in_failures"} <= tables, before
    person = erasure.Person.of([JO])
    with lrs_instance.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 1
    export = erasure.find(lrs_instance, person).workflow
    assert [r["registration_number"] for r in export["learner registrations"]] == ["JO-REG-2026"]
    assert len(export["unit submissions"]) == 1 and len(export["witness requests"]) == 1
    assert "token_hash" not in export["witness requests"][0]
    assert len(export["sign-in sessions"]) == 1 and len(export["password resets"]) == 1
    erasure.erase(lrs_instance, person, mode="pseudonymise", operator="test")
    assert database_traces(lrs_instance) == []
    with lrs_instance.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM password_resets")).scalar_one() == 0


def traces(answers: dict[str, str]) -> list[str]:
    """Jo's identifiers, name and words in the answers. An answer to a request that named Jo may echo the
    identifier it was asked about (a summary says whose it is; /xapi/agents echoes the agent), never more."""
    found = []
    for where, body in answers.items():
        asked = "jo%40la.example" in where or where == "export index.html"
        needles = [JO_NAME, NOTES.decode(), "Jo's draft"] + ([] if asked else [JO[7:], JO_SHA1])
        found += [f"{where}: {needle}" for needle in needles if needle.lower() in body.lower()]
    return found


def test_subject_access_export_has_everything(centre: dict[str, Caller], record: dict[str, Any]) -> None:  # noqa: F811
    response = centre["admin"].get(f"/api/admin/agents/export?agent={quote(JO, safe='')}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = set(archive.namelist())
        own = {s["id"] for s in json.loads(archive.read("statements-own.json"))}
        naming = {s["id"] for s in json.loads(archive.read("statements-naming-them.json"))}
        documents = json.loads(archive.read("documents.json"))
        accounts = json.loads(archive.read("accounts.json"))
        credentials = json.loads(archive.read("credentials.json"))
        decisions = json.loads(archive.read("decisions.json"))
        journal = json.loads(archive.read("journal.json"))
        index = archive.read("index.html").decode()
        notes = archive.read(f"attachments/{NOTES_SHA2}")
    assert {record["evidence"], record["with_file"], record["mistaken"]} <= own
    assert {record["teammate"], record["decision"]} <= naming
    assert [d["content"] for d in documents] == [{"draft": "Jo's draft"}]
    assert [a["email"] for a in accounts] == ["jo@la.example"] and "password_hash" not in accounts[0]
    assert [c["name"] for c in credentials] == [JO_NAME] and "secret_hash" not in credentials[0]
    assert [d["statement_id"] for d in decisions] == [record["decision"]]
    assert [s["id"] for s in journal] == [record["evidence"]]
    assert notes == NOTES
    assert "index.html" in names and "Personal data held" in index and "statements-own.json" in index


def test_a_participant_may_not_export_or_erase(centre: dict[str, Caller], record: dict[str, Any]) -> None:  # noqa: F811
    assert centre["jo"].get(f"/api/admin/agents/export?agent={quote(JO, safe='')}").status_code == 403
    assert centre["ann"].post("/api/admin/agents/erase", {"agent": JO, "mode": "delete"}).status_code == 403


def test_dry_run_counts_and_changes_nothing(centre: dict[str, Caller], record: dict[str, Any], lrs_instance: Any) -> None:  # noqa: F811
    before = traces(all_answers(centre, record))
    response = centre["admin"].post("/api/admin/agents/erase", {"agent": JO, "dryRun": True})
    assert response.status_code == 200, response.get_json()
    counts = response.get_json()["counts"]
    assert counts["own statements"] == 4  # the evidence, the one with a file, the mistaken one and its voiding
    assert counts["statements naming them (others' records)"] == 2  # the decision and the team-mate's statement
    assert counts["documents"] == 1 and counts["accounts"] == 1 and counts["credentials"] == 1
    assert counts["review decisions"] == 1 and counts["evidence links"] >= 1
    assert counts["attachments no other statement uses"] == 1
    assert traces(all_answers(centre, record)) == before


@pytest.mark.parametrize("mode", ["delete", "pseudonymise"])
def test_erasure_leaves_no_trace(centre: dict[str, Caller], workflow: dict[str, Any], lrs_instance: Any, mode: str) -> None:  # noqa: F811
    record = workflow
    assert traces(all_answers(centre, record))  # the search finds Jo before
    response = centre["admin"].post("/api/admin/agents/erase", {"agent": JO, "mode": mode})
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    pseudonym = report["pseudonym"]
    assert traces(all_answers(centre, record)) == []
    assert database_traces(lrs_instance) == []  # nor in any table: enrolments, units, sessions, ...

    # Others' records about Jo stay, under the pseudonym: the assessor's decision and the team-mate's statement.
    admin = centre["admin"]
    decision = admin.get(f"/xapi/statements?statementId={record['decision']}").get_json()
    assert decision["verb"]["id"].endswith("referred") and "[erased]" in decision["result"]["response"]
    team = admin.get(f"/xapi/statements?statementId={record['teammate']}").get_json()
    members = team["context"]["team"]["member"]
    assert {"mbox": KIM} in members and pseudonym.split("|")[1] in json.dumps(members)
    own = admin.get(f"/xapi/statements?statementId={record['evidence']}")
    if mode == "delete":
        assert own.status_code == 404
    else:
        assert own.status_code == 200 and "response" not in (own.get_json().get("result") or {})
    with lrs_instance.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM attachments")).scalar_one() == 0
        audit = conn.execute(text("SELECT action, operator, mode, subject, counts FROM data_audit")).all()
    assert len(audit) == 1 and audit[0][0] == "erasure" and audit[0][2] == mode
    assert audit[0][3] == pseudonym and JO[7:] not in str(audit[0]) and JO_NAME not in str(audit[0])
    # A credential bound to Jo no longer works.
    assert centre["jo"].get(f"/api/learners/{quote(JO, safe='')}/summary").status_code == 401


def test_erase_command_dry_run_and_refusals(lrs_instance: Any, record: dict[str, Any], database_url: str) -> None:
    from data.conftest import lrs_command

    dry = lrs_command(database_url, "agents", "erase", "--agent", JO, "--dry-run")
    out, err = dry.communicate(timeout=60)
    assert dry.returncode == 0, err
    assert json.loads(out)["counts"]["own statements"] == 4
    missing_mode = lrs_command(database_url, "agents", "erase", "--agent", JO, "--yes")
    _, err = missing_mode.communicate(timeout=60)
    assert missing_mode.returncode == 2 and "--mode" in err
    assert erasure.Person.of([JO]).keys == sorted([f"mbox:{JO}", f"mbox_sha1sum:{JO_SHA1}"])
