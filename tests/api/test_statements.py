"""The Statement resource over HTTP, as an LMS meets it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import quote

import pytest
from conftest import make_credential, statement

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def count(client) -> int:  # noqa: ANN001
    total = 0
    url = "/xapi/statements?limit=1000"
    while url:
        body = client.get(url).get_json()
        total += len(body["statements"])
        url = body["more"]
    return total


def agent_param(mbox: str) -> str:
    return quote(json.dumps({"mbox": mbox}))


# --- writing -----------------------------------------------------------------------------------------


def test_post_one_statement_returns_its_id_and_it_reads_back_with_lrs_properties(client, credential):
    response = client.post_statements(statement())
    assert response.status_code == 200
    [statement_id] = response.get_json()
    uuid.UUID(statement_id)

    got = client.get(f"/xapi/statements?statementId={statement_id}")
    assert got.status_code == 200
    body = got.get_json()
    assert body["id"] == statement_id
    assert body["actor"]["mbox"] == "mailto:jo@la.example"
    assert body["version"] == "1.0.3"
    assert body["stored"].endswith("Z")
    assert body["timestamp"] == body["stored"]  # no timestamp sent: the LRS sets it to stored
    assert body["authority"]["account"]["name"] == credential[0]
    assert got.headers["Last-Modified"]
    assert got.headers["X-Experience-API-Consistent-Through"]
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_timestamp_outside_datetimes_range_in_utc_is_a_400_in_a_statement_and_in_since(client):
    # 0001-01-01T00:00:00+01:00 is 31 December of year 0 in UTC, which datetime cannot hold: it was a 500.
    instant = "0001-01-01T00:00:00+01:00"
    posted = client.post_statements(statement(timestamp=instant))
    assert posted.status_code == 400
    assert (posted.get_json()["error"]["rule"], posted.get_json()["error"]["path"]) == ("timestamp", "timestamp")
    for query in (f"since={quote(instant)}", f"until={quote('9999-12-31T23:59:59-01:00')}"):
        got = client.get(f"/xapi/statements?{query}")
        assert got.status_code == 400, query
        assert got.get_json()["error"]["rule"] == "timestamp"


def test_post_batch_returns_ids_in_order(client):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    response = client.post_statements([statement(id=i) for i in ids])
    assert response.status_code == 200
    assert response.get_json() == ids


def test_batch_is_all_or_nothing(client):
    good = statement(id=str(uuid.uuid4()))
    bad = statement(verb={"id": "not an iri"})
    response = client.post_statements([good, bad])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["path"].startswith("[1].verb")
    assert count(client) == 0


def test_put_stores_with_given_id_and_is_idempotent(client):
    statement_id = str(uuid.uuid4())
    body = statement()
    assert client.put(f"/xapi/statements?statementId={statement_id}", json=body).status_code == 204
    assert client.put(f"/xapi/statements?statementId={statement_id}", json=body).status_code == 204
    assert count(client) == 1
    changed = statement(verb={"id": "http://adlnet.gov/expapi/verbs/completed"})
    conflict = client.put(f"/xapi/statements?statementId={statement_id}", json=changed)
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["rule"] == "statement-id-conflict"


def test_put_rejects_missing_or_mismatched_id(client):
    missing = client.put("/xapi/statements", json=statement())
    assert missing.status_code == 400
    assert missing.get_json()["error"]["path"] == "statementId"
    mismatch = client.put(
        f"/xapi/statements?statementId={uuid.uuid4()}", json=statement(id=str(uuid.uuid4()))
    )
    assert mismatch.status_code == 400
    assert mismatch.get_json()["error"]["rule"] == "put-id-mismatch"
    bad_uuid = client.put("/xapi/statements?statementId=nope", json=statement())
    assert bad_uuid.status_code == 400


def test_post_with_known_id_same_content_ok_different_content_conflict(client):
    statement_id = str(uuid.uuid4())
    assert client.post_statements(statement(id=statement_id)).status_code == 200
    assert client.post_statements(statement(id=statement_id)).status_code == 200
    changed = client.post_statements(statement(id=statement_id, result={"completion": True}))
    assert changed.status_code == 409
    assert count(client) == 1


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused(client, constant):
    # Python's json reads them; stored, they were text no client could parse back (and a 500 on PostgreSQL).
    body = json.dumps(statement(result={"extensions": {"https://lrs.example/ext/score": 0.5}}))
    body = body.replace("0.5", constant)
    posted = client.post("/xapi/statements", data=body, content_type="application/json")
    assert posted.status_code == 400
    assert posted.get_json()["error"]["rule"] == "invalid-json"
    assert constant.lstrip("-") in posted.get_json()["error"]["message"]
    put = client.put(f"/xapi/statements?statementId={uuid.uuid4()}", data=body, content_type="application/json")
    assert put.status_code == 400 and put.get_json()["error"]["rule"] == "invalid-json"
    assert count(client) == 0
    # Large integers are JSON, and are kept exactly.
    big = 123456789012345678901234567890
    stored = client.post("/xapi/statements", data=body.replace(constant, str(big)), content_type="application/json")
    assert stored.status_code == 200
    [statement_id] = stored.get_json()
    got = client.get(f"/xapi/statements?statementId={statement_id}").get_json()
    assert got["result"]["extensions"]["https://lrs.example/ext/score"] == big


def test_invalid_json_and_wrong_content_type_are_400(client):
    broken = client.post("/xapi/statements", data="{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.get_json()["error"]["rule"] == "invalid-json"
    text = client.post("/xapi/statements", data=json.dumps(statement()), content_type="text/plain")
    assert text.status_code == 400
    assert text.get_json()["error"]["rule"] == "content-type"


def test_payload_limit_is_a_json_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = statement(result={"response": "x" * 5000})
    response = client.post_statements(big)
    assert response.status_code == 413
    assert response.get_json()["error"]["rule"] == "payload-too-large"


# --- headers, versions, auth ----------------------------------------------------------------------


def test_version_header_required_and_checked(client):
    missing = client.get("/xapi/statements", headers={"X-Experience-API-Version": None})
    assert missing.status_code == 400
    assert missing.get_json()["error"]["rule"] == "version-header"
    wrong = client.get("/xapi/statements", headers={"X-Experience-API-Version": "0.95"})
    assert wrong.status_code == 400
    two = client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert two.status_code == 200
    assert two.headers["X-Experience-API-Version"] == "2.0.0"


def test_about_needs_no_credentials(app):
    response = app.test_client().get("/xapi/about")
    assert response.status_code == 200
    assert set(response.get_json()["version"]) >= {"1.0.3", "2.0.0"}
    assert app.test_client().head("/xapi/about").status_code == 200


def test_missing_or_wrong_credentials_get_401_with_challenge(client, lrs_instance):
    no_auth = client.flask.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})
    assert no_auth.status_code == 401
    assert no_auth.headers["WWW-Authenticate"].startswith("Basic")
    assert no_auth.get_json()["error"]["rule"] == "authentication"
    wrong = client.get("/xapi/statements", auth=(client.key, "wrong secret"))
    assert wrong.status_code == 401
    key, secret = make_credential(lrs_instance, ["all"])
    from lrs.store.credentials import revoke_credential

    lrs_instance.db.write(lambda conn: revoke_credential(conn, key))
    assert client.get("/xapi/statements", auth=(key, secret)).status_code == 401


def test_scopes_are_enforced(client, lrs_instance):
    reader = make_credential(lrs_instance, ["statements/read"])
    writer = make_credential(lrs_instance, ["statements/write"])
    all_read = make_credential(lrs_instance, ["all/read"])
    state_only = make_credential(lrs_instance, ["state"])
    assert client.post_statements(statement(), auth=reader).status_code == 403
    assert client.post_statements(statement(), auth=all_read).status_code == 403
    assert client.post_statements(statement(), auth=writer).status_code == 200
    assert client.get("/xapi/statements", auth=writer).status_code == 403
    assert client.get("/xapi/statements", auth=state_only).status_code == 403
    assert client.get("/xapi/statements", auth=reader).status_code == 200
    assert client.get("/xapi/statements", auth=all_read).status_code == 200


def test_read_mine_sees_only_what_its_authority_stored(client, lrs_instance):
    mine = make_credential(lrs_instance, ["statements/write", "statements/read/mine"], name="tool A")
    other = make_credential(lrs_instance, ["statements/write"], name="tool B")
    [my_id] = client.post_statements(statement(), auth=mine).get_json()
    [other_id] = client.post_statements(statement(), auth=other).get_json()
    listed = client.get("/xapi/statements", auth=mine).get_json()["statements"]
    assert [s["id"] for s in listed] == [my_id]
    assert client.get(f"/xapi/statements?statementId={other_id}", auth=mine).status_code == 404
    assert client.get(f"/xapi/statements?statementId={my_id}", auth=mine).status_code == 200


def test_head_answers_like_get_without_body(client):
    client.post_statements(statement())
    response = client.head("/xapi/statements")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Experience-API-Consistent-Through"]


# --- voiding --------------------------------------------------------------------------------------


def void(target: str) -> dict:
    return statement(verb={"id": VOIDED, "display": {"en": "voided"}}, object={"objectType": "StatementRef", "id": target})


def test_voided_statement_leaves_queries_but_stays_retrievable(client):
    [target] = client.post_statements(statement()).get_json()
    [voider] = client.post_statements(void(target)).get_json()
    assert client.get(f"/xapi/statements?statementId={target}").status_code == 404
    voided = client.get(f"/xapi/statements?voidedStatementId={target}")
    assert voided.status_code == 200
    assert voided.get_json()["id"] == target
    ids = [s["id"] for s in client.get("/xapi/statements").get_json()["statements"]]
    assert ids == [voider]


def test_voiding_statement_cannot_be_voided(client):
    [target] = client.post_statements(statement()).get_json()
    [voider] = client.post_statements(void(target)).get_json()
    client.post_statements(void(voider))
    assert client.get(f"/xapi/statements?statementId={voider}").status_code == 200


def test_statements_referring_to_a_voided_statement_are_still_returned(client):
    [target] = client.post_statements(statement()).get_json()
    referrer = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/commented"}, object={"objectType": "StatementRef", "id": target}
    )
    [ref_id] = client.post_statements(referrer).get_json()
    client.post_statements(void(target))
    ids = [s["id"] for s in client.get("/xapi/statements").get_json()["statements"]]
    assert ref_id in ids and target not in ids


# --- queries --------------------------------------------------------------------------------------


def seed_for_queries(client) -> dict[str, str]:  # noqa: ANN001
    registration = str(uuid.uuid4())
    jo = {"mbox": "mailto:jo@la.example"}
    sam = {"mbox": "mailto:sam@la.example"}
    coach = {"mbox": "mailto:coach@la.example"}
    programme = "https://lrs.example/programmes/plp-2026"
    ids = {}
    ids["jo_attended"] = client.post_statements(statement(actor=jo)).get_json()[0]
    ids["sam_completed"] = client.post_statements(
        statement(
            actor=sam,
            verb={"id": "http://adlnet.gov/expapi/verbs/completed"},
            object={"id": "https://lrs.example/activities/elearning-1"},
            context={
                "registration": registration,
                "instructor": coach,
                "contextActivities": {"parent": {"id": programme}},
            },
        )
    ).get_json()[0]
    ids["coach_mentored_jo"] = client.post_statements(
        statement(actor=coach, verb={"id": "http://id.tincanapi.com/verb/mentored"}, object={"objectType": "Agent", **jo})
    ).get_json()[0]
    ids["registration"] = registration
    ids["programme"] = programme
    return ids


def query_ids(client, query: str) -> list[str]:  # noqa: ANN001
    response = client.get("/xapi/statements?" + query)
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()["statements"]]


def test_agent_filter_matches_actor_or_object(client):
    ids = seed_for_queries(client)
    jo = query_ids(client, "agent=" + agent_param("mailto:jo@la.example"))
    assert set(jo) == {ids["jo_attended"], ids["coach_mentored_jo"]}


def test_related_agents_includes_instructor(client):
    ids = seed_for_queries(client)
    direct = query_ids(client, "agent=" + agent_param("mailto:coach@la.example"))
    assert direct == [ids["coach_mentored_jo"]]
    related = query_ids(client, "agent=" + agent_param("mailto:coach@la.example") + "&related_agents=true")
    assert set(related) == {ids["coach_mentored_jo"], ids["sam_completed"]}


def test_verb_activity_registration_filters(client):
    ids = seed_for_queries(client)
    assert query_ids(client, "verb=" + quote("http://adlnet.gov/expapi/verbs/completed")) == [ids["sam_completed"]]
    assert query_ids(client, "activity=" + quote(ids["programme"])) == []
    assert query_ids(client, "activity=" + quote(ids["programme"]) + "&related_activities=true") == [
        ids["sam_completed"]
    ]
    assert query_ids(client, "registration=" + ids["registration"]) == [ids["sam_completed"]]


def test_statement_ref_targeting_a_match_is_returned(client):
    ids = seed_for_queries(client)
    comment = statement(
        actor={"mbox": "mailto:other@la.example"},
        verb={"id": "http://adlnet.gov/expapi/verbs/commented"},
        object={"objectType": "StatementRef", "id": ids["sam_completed"]},
    )
    [comment_id] = client.post_statements(comment).get_json()
    found = query_ids(client, "verb=" + quote("http://adlnet.gov/expapi/verbs/completed"))
    assert set(found) == {ids["sam_completed"], comment_id}


def test_since_until_ascending_and_limit(client):
    first = client.post_statements(statement()).get_json()[0]
    time.sleep(0.01)
    stored_first = client.get(f"/xapi/statements?statementId={first}").get_json()["stored"]
    time.sleep(0.002)
    second = client.post_statements(statement()).get_json()[0]
    third = client.post_statements(statement()).get_json()[0]
    assert query_ids(client, "since=" + quote(stored_first)) == [third, second]
    assert query_ids(client, "until=" + quote(stored_first)) == [first]
    assert query_ids(client, "ascending=true") == [first, second, third]
    assert query_ids(client, "limit=2") == [third, second]


def test_more_pages_stably_while_new_statements_arrive(client):
    sent = client.post_statements([statement() for _ in range(7)]).get_json()
    seen: list[str] = []
    body = client.get("/xapi/statements?limit=3").get_json()
    seen += [s["id"] for s in body["statements"]]
    client.post_statements([statement() for _ in range(2)])  # arrives between pages
    while body["more"]:
        assert body["more"].startswith("/xapi/statements?")
        body = client.get(body["more"]).get_json()
        seen += [s["id"] for s in body["statements"]]
    assert seen == list(reversed(sent))


def test_bad_query_parameters_are_400_naming_the_parameter(client):
    for query, path in [
        ("agent=notjson", "agent"),
        ("agent=" + quote(json.dumps({"name": "no ifi"})), "agent"),
        ("since=yesterday", "since"),
        ("limit=-1", "limit"),
        ("format=pretty", "format"),
        ("registration=abc", "registration"),
        ("ascending=maybe", "ascending"),
        ("colour=blue", "colour"),
        (f"statementId={uuid.uuid4()}&verb=x", "verb"),
        (f"statementId={uuid.uuid4()}&voidedStatementId={uuid.uuid4()}", "voidedStatementId"),
        ("more=garbage!", "more"),
    ]:
        response = client.get("/xapi/statements?" + query)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["path"] == path, query


def test_formats_ids_and_canonical(client):
    body = statement(
        object={
            "id": "https://lrs.example/activities/seminar-1",
            "definition": {"name": {"en-GB": "Seminar one", "fr": "Séminaire un"}, "type": "http://adlnet.gov/expapi/activities/meeting"},
        }
    )
    [statement_id] = client.post_statements(body).get_json()
    ids_form = client.get(f"/xapi/statements?statementId={statement_id}&format=ids").get_json()
    assert ids_form["actor"] == {"objectType": "Agent", "mbox": "mailto:jo@la.example"}
    assert ids_form["verb"] == {"id": ATTENDED}
    assert ids_form["object"] == {"id": "https://lrs.example/activities/seminar-1"}
    canonical = client.get(
        f"/xapi/statements?statementId={statement_id}&format=canonical", headers={"Accept-Language": "fr"}
    ).get_json()
    assert canonical["object"]["definition"]["name"] == {"fr": "Séminaire un"}
    assert canonical["actor"]["name"] == "Jo Bloggs"
