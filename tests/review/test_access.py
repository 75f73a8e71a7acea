"""Every role on every /api endpoint: nobody reads or decides on a learner's record outside their role.

The learner is Jo, in the north cohort. Ann (assessor) and Ian (IQA) review the north cohort; Bob (assessor) and
Iris (IQA) the south one, so they are outside Jo's. Kim is another participant. "lms" is an xAPI client that
reads and writes every statement; "writer" only writes. Both databases.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import JO, KIM, NORTH, SOUTH, U1

ROLES = ("admin", "jo", "kim", "ann", "bob", "ian", "iris", "lms", "writer")
JO_PATH = quote(JO, safe="")


def allowed(*names: str, status: int = 200) -> dict[str, int]:
    return {name: (status if name in names else 403) for name in ROLES}


READERS_OF_JO = ("admin", "jo", "ann", "ian", "lms")

#: endpoint -> (method, path or body maker, expected status per role)
ENDPOINTS = {
    "progress": ("GET", f"/api/learners/{JO_PATH}/progress?framework=ilm-l5-leadership", allowed(*READERS_OF_JO)),
    "evidence": ("GET", f"/api/learners/{JO_PATH}/evidence?framework=ilm-l5-leadership", allowed(*READERS_OF_JO)),
    "learner summary": (
        "GET", f"/api/learners/{JO_PATH}/summary?activity={quote(NORTH, safe='')}", allowed(*READERS_OF_JO)
    ),
    "cohort summary": ("GET", f"/api/cohorts/summary?activity={quote(NORTH, safe='')}", allowed("admin", "ann", "ian", "lms")),
    "journal entry for Jo": ("POST", "/api/journal", allowed("admin", "jo", "lms", "writer")),
    "review queue": ("GET", "/api/reviews/queue", allowed("admin", "ann", "bob", "ian", "iris")),
    "assessor decision on Jo's evidence": ("POST", "/api/reviews", allowed("ann", status=201)),
    "IQA decision on Jo's evidence": ("POST", "/api/reviews", allowed("ian", status=201)),
    "export Jo's CPD log": ("GET", f"/api/learners/{JO_PATH}/exports/cpd-log?format=json", allowed("admin", "jo", "ann", "ian")),
    "list frameworks": ("GET", "/api/frameworks", allowed(*ROLES)),
    "show a framework": ("GET", "/api/frameworks/ilm-l5-leadership", allowed(*ROLES)),
    "import a framework": ("POST", "/api/frameworks", allowed("admin", status=201)),
    "list exporters": ("GET", "/api/exporters", allowed(*ROLES)),
}


@pytest.fixture
def world(centre):
    """Jo's evidence in the north cohort, Kim's in the south, and one assessor decision on Jo's."""
    evidence = centre["jo"].journal(standards=[U1[0], U1[1]])
    centre["kim"].journal(standards=[U1[0]], programme=SOUTH)
    decision = centre["ann"].decide(evidence=evidence, criterion=U1[0], outcome="referred", feedback="More.")
    assert decision.status_code == 201
    return {"evidence": evidence, "decision": decision.get_json()["id"]}


def _body(name: str, world: dict, lrs_instance) -> object:  # noqa: ANN001
    if name == "journal entry for Jo":
        return {"agent": JO, "what": "Shadowed a duty manager", "mode": "on-the-job", "date": "2026-10-02",
                "reflection": {"learned": "How triage works.", "impact": "I triage earlier."}, "programme": NORTH}
    if name == "assessor decision on Jo's evidence":
        return {"evidence": world["evidence"], "criterion": U1[1], "outcome": "accepted", "rationale": "Meets 1.2."}
    if name == "IQA decision on Jo's evidence":
        return {"decision": world["decision"], "outcome": "confirmed", "rationale": "Referral well founded."}
    if name == "import a framework":
        from lrs.competency.evidence import registry

        return registry(lrs_instance).packages[
            "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
        ]
    return None


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_each_role_gets_what_its_role_allows(name, centre, world, lrs_instance):
    method, path, expected = ENDPOINTS[name]
    body = _body(name, world, lrs_instance)
    got = {}
    for role in ROLES:
        caller = centre[role]
        response = caller.get(path) if method == "GET" else caller.post(path, body)
        got[role] = response.status_code
        if response.status_code == 403:
            error = response.get_json()["error"]
            assert error["rule"] and error["message"], (role, error)
    assert got == expected
    anonymous = centre["admin"].flask.open(path, method=method, json=body)
    assert anonymous.status_code == 401


def test_refused_decisions_leave_no_trace(centre, world):
    """After every refused attempt, Jo's record holds Ann's one decision and nothing else."""
    for role in ("admin", "jo", "kim", "bob", "ian", "iris", "lms", "writer"):
        made = centre[role].decide(evidence=world["evidence"], criterion=U1[1], outcome="accepted")
        assert made.status_code == 403, role
    for role in ("admin", "jo", "kim", "ann", "bob", "iris", "lms", "writer"):
        made = centre[role].decide(decision=world["decision"], outcome="action-raised", feedback="No.")
        assert made.status_code == 403, role
    progress = centre["admin"].progress().get_json()
    decided = [
        d["id"] for unit in progress["units"] for c in unit["criteria"] for e in c["evidence"] for d in e["decisions"]
    ]
    assert decided == [world["decision"]]
    statements = centre["admin"].get("/xapi/statements?limit=100").get_json()["statements"]
    assert sum(1 for s in statements if s["object"].get("objectType") == "StatementRef") == 1


def test_queues_hold_only_the_reviewers_own_cohorts(centre, world):
    ann_items = centre["ann"].queue().get_json()["items"]
    assert {i["learner"] for i in ann_items} == {f"mbox:{JO}"}
    bob_items = centre["bob"].queue().get_json()["items"]
    assert {i["learner"] for i in bob_items} == {f"mbox:{KIM}"}
    assert centre["bob"].queue(cohort=NORTH).status_code == 403
    assert centre["ann"].queue(role="iqa").status_code == 400
    assert [i["decision"]["id"] for i in centre["ian"].queue().get_json()["items"]] == [world["decision"]]
    assert centre["iris"].queue().get_json()["items"] == []
    everyone = centre["admin"].queue().get_json()
    assert {i["learner"] for i in everyone["items"]} == {f"mbox:{JO}", f"mbox:{KIM}"}
    assert {i["learner"] for i in centre["admin"].queue(cohort=SOUTH).get_json()["items"]} == {f"mbox:{KIM}"}
    assert centre["admin"].queue(limit="0").status_code == 400


def test_a_participant_may_not_review_through_the_xapi_door(centre, world):
    """Jo can store an 'accepted' statement about her own evidence (valid xAPI), but it decides nothing."""
    statement = {
        "actor": {"objectType": "Agent", "mbox": JO},
        "verb": {"id": "https://w3id.org/xapi/social-work-leadership/verbs/accepted", "display": {"en": "accepted"}},
        "object": {"objectType": "StatementRef", "id": world["evidence"]},
        "context": {"contextActivities": {"other": [{"id": U1[1]}]}},
    }
    stored = centre["lms"].post("/xapi/statements", statement)
    assert stored.status_code == 200, json.dumps(stored.get_json())
    criteria = {c["uri"]: c["status"] for u in centre["jo"].progress().get_json()["units"] for c in u["criteria"]}
    assert criteria[U1[1]] == "awaiting-decision"
