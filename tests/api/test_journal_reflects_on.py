"""POST /api/journal with ``reflects_on``: the reflection is tied to that statement of the learner's own."""

from __future__ import annotations

import uuid

import pytest
from conftest import make_credential, statement

JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"


def entry(**overrides) -> dict:
    body = {
        "what": "Reflection on the safeguarding refresher",
        "mode": "formal",
        "date": "2025-03-04",
        "reflection": {"learned": "The new referral route", "impact": "Fewer delays for families"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def jo_creds(lrs_instance) -> tuple[str, str]:
    return make_credential(lrs_instance, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}")


@pytest.fixture
def lms_ids(client) -> dict[str, str]:  # noqa: ANN001
    ids = {"jo": str(uuid.uuid4()), "sam": str(uuid.uuid4())}
    mine = statement(id=ids["jo"], timestamp="2025-03-03T10:00:00Z")
    other = statement(id=ids["sam"], actor={"objectType": "Agent", "mbox": SAM})
    assert client.post_statements([mine, other]).status_code == 200
    return ids


def test_a_reflection_on_the_learners_own_statement_points_at_it(client, jo_creds, lms_ids):  # noqa: ANN001
    response = client.post("/api/journal", json=entry(reflects_on=lms_ids["jo"].upper()), auth=jo_creds)
    assert response.status_code == 200, response.get_json()
    stored_id = response.get_json()["ids"][0]
    stored = client.get(f"/xapi/statements?statementId={stored_id}").get_json()
    assert stored["context"]["statement"] == {"objectType": "StatementRef", "id": lms_ids["jo"]}
    # The same activity as the event, so the two read as one piece of learning.
    assert stored["object"]["id"] == "https://lrs.example/activities/residential-1"


def test_an_own_activity_is_kept_when_given(client, jo_creds, lms_ids):  # noqa: ANN001
    body = entry(reflects_on=lms_ids["jo"], activity="https://lrs.example/activities/my-own")
    response = client.post("/api/journal", json=body, auth=jo_creds)
    stored = client.get(f"/xapi/statements?statementId={response.get_json()['ids'][0]}").get_json()
    assert stored["object"]["id"] == "https://lrs.example/activities/my-own"
    assert stored["context"]["statement"]["id"] == lms_ids["jo"]


@pytest.mark.parametrize("which", ["sam", "unknown", "voided"])
def test_someone_elses_unknown_or_voided_statement_is_a_400(client, jo_creds, lms_ids, which):  # noqa: ANN001
    target = {"sam": lms_ids["sam"], "unknown": str(uuid.uuid4()), "voided": lms_ids["jo"]}[which]
    if which == "voided":
        voiding = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                            object={"objectType": "StatementRef", "id": target})
        assert client.post_statements(voiding).status_code == 200
    response = client.post("/api/journal", json=entry(reflects_on=target), auth=jo_creds)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["rule"], error["path"]) == ("reflects-on", "reflects_on")
    reflected = client.get("/xapi/statements?verb=https%3A%2F%2Fw3id.org%2Fxapi%2Fsocial-work-leadership%2Fverbs%2Freflected")
    assert reflected.get_json()["statements"] == []


def test_a_malformed_id_and_a_list_position_are_named(client, jo_creds, lms_ids):  # noqa: ANN001
    response = client.post("/api/journal", json=entry(reflects_on="not-a-uuid"), auth=jo_creds)
    assert response.status_code == 400
    assert response.get_json()["error"]["rule"] == "reflects-on"
    response = client.post("/api/journal", json=[entry(), entry(reflects_on=str(uuid.uuid4()))], auth=jo_creds)
    assert response.status_code == 400
    assert response.get_json()["error"]["path"] == "[1].reflects_on"
    reflected = client.get("/xapi/statements?verb=https%3A%2F%2Fw3id.org%2Fxapi%2Fsocial-work-leadership%2Fverbs%2Freflected")
    assert reflected.get_json()["statements"] == []  # all or nothing: the good first entry is not stored either
