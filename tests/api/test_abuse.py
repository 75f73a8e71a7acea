"""Abuse the server must absorb (issue 15), through the Flask app: oversized chunked bodies, forged ``more``
cursors, inputs that used to raise inside the app (deep nesting, huge integers, lone surrogates, NUL bytes),
throttled authentication failures and weak operator secrets."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from conftest import XAPIClient, make_credential, statement

from lrs.api.limits import payload_too_large_body
from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.xapi.query import StatementQuery

LIMIT = 50_000
ADMIN = {"role": "admin", "name": "admin"}


@pytest.fixture
def small_app(lrs_instance: LRS) -> Any:
    lrs_instance.settings.max_payload = LIMIT
    application = create_app(lrs=lrs_instance)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def small(small_app: Any, lrs_instance: LRS) -> XAPIClient:
    return XAPIClient(small_app.test_client(), *make_credential(lrs_instance, ["all"], **ADMIN))


def _chunked(client: XAPIClient, method: str, path: str, body: bytes, content_type: str) -> Any:
    """A body with no Content-Length, as a chunked upload reaches the app."""
    return client.request(
        method, path, input_stream=io.BytesIO(body),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
    )


def _count_statements(lrs: LRS) -> int:
    page = lrs.query_page(StatementQuery(limit=1000), lrs.operator_principal())
    return len(page.statements)


# --- 1. chunked bodies over LRS_MAX_PAYLOAD ---------------------------------------------------------------

def test_a_chunked_batch_over_the_limit_is_a_413_and_stores_nothing(small: XAPIClient, lrs_instance: LRS) -> None:
    batch = [statement(result={"response": "x" * 500}) for _ in range(200)]
    body = json.dumps(batch).encode()
    assert len(body) > LIMIT
    response = _chunked(small, "POST", "/xapi/statements", body, "application/json")
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["rule"] == "payload-too-large"
    assert "LRS_MAX_PAYLOAD" in error["message"] and str(LIMIT) in error["message"]
    assert _count_statements(lrs_instance) == 0


def test_a_chunked_document_over_the_limit_is_a_413_and_is_not_stored(small: XAPIClient) -> None:
    params = "activityId=" + quote("https://lrs.example/a") + "&agent=" + quote(json.dumps({"mbox": "mailto:jo@la.example"}))
    response = _chunked(small, "PUT", f"/xapi/activities/state?{params}&stateId=big", b"x" * (LIMIT + 10),
                        "application/octet-stream")
    assert response.status_code == 413
    assert small.get(f"/xapi/activities/state?{params}&stateId=big").status_code == 404


def test_a_chunked_api_body_over_the_limit_is_a_413(small: XAPIClient) -> None:
    body = json.dumps({"what": "x" * (LIMIT + 10)}).encode()
    assert _chunked(small, "POST", "/api/journal", body, "application/json").status_code == 413


def test_a_chunked_body_within_the_limit_is_read_whole(small: XAPIClient) -> None:
    sent = statement(id=str(uuid.uuid4()), result={"response": "y" * 20_000})
    response = _chunked(small, "POST", "/xapi/statements", json.dumps(sent).encode(), "application/json")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [sent["id"]]


def test_the_413_body_names_the_limit() -> None:
    error = json.loads(payload_too_large_body(123))["error"]
    assert error == {"status": 413, "rule": "payload-too-large", "limit": 123,
                     "message": error["message"]} and "LRS_MAX_PAYLOAD" in error["message"]


# --- 2. the more cursor -----------------------------------------------------------------------------------

def _more_token(client: XAPIClient) -> str:
    assert client.post_statements([statement() for _ in range(3)]).status_code == 200
    page = client.get("/xapi/statements?limit=1").get_json()
    assert page["more"]
    return page["more"].split("more=", 1)[1]


def _decode(token: str) -> tuple[str, str]:
    body, _, mac = token.partition(".")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), mac


@pytest.mark.parametrize("token", ["x", "eyJsaW1pdCI6IDEwMDAwMDB9", "e30.AAAA", "A" * 5000 + ".A", "e30", ".", "%F0%9F%98%80.x"])
def test_a_token_the_server_did_not_issue_is_a_400(client: XAPIClient, token: str) -> None:
    response = client.get(f"/xapi/statements?more={token}")
    assert response.status_code == 400
    assert response.get_json()["error"]["rule"] == "more-token"


def test_an_altered_token_is_a_400_never_a_bigger_page(client: XAPIClient) -> None:
    token = _more_token(client)
    raw, mac = _decode(token)
    forged_raw = raw.replace(b'"limit":1', b'"limit":1000000')
    assert forged_raw != raw
    forged = base64.urlsafe_b64encode(forged_raw).decode().rstrip("=") + "." + mac
    response = client.get(f"/xapi/statements?more={forged}")
    assert response.status_code == 400
    assert response.get_json()["error"]["rule"] == "more-token"
    # An unsigned token of the old shape, asking for a huge page, is refused too.
    old = base64.urlsafe_b64encode(json.dumps({"limit": 1000000, "after_seq": 10**9}).encode()).decode()
    assert client.get(f"/xapi/statements?more={old}").status_code == 400


def test_an_issued_token_works_in_another_instance_on_the_same_database(
    client: XAPIClient, lrs_instance: LRS, database_url: str
) -> None:
    token = _more_token(client)
    other = LRS(Settings(database_url=database_url, credential_cache_seconds=0), db=lrs_instance.db)
    other_app = create_app(lrs=other)
    other_client = XAPIClient(other_app.test_client(), client.key, client.secret)
    response = other_client.get(f"/xapi/statements?more={token}")
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["statements"]) == 1


# --- 3. 400s, not 500s ------------------------------------------------------------------------------------

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
DEEP_OBJECT = ('{"a":' * 10_000 + "1" + "}" * 10_000).encode()


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_nesting_is_a_400_on_every_json_endpoint(client: XAPIClient, body: bytes) -> None:
    agent = quote(json.dumps({"mbox": "mailto:jo@la.example"}))
    activity = quote("https://lrs.example/a")
    json_type = {"Content-Type": "application/json"}
    answers = {
        "statements": client.post("/xapi/statements", data=body, headers=json_type),
        "state": client.post(f"/xapi/activities/state?activityId={activity}&agent={agent}&stateId=s",
                             data=body, headers=json_type),
        "agent profile": client.post(f"/xapi/agents/profile?agent={agent}&profileId=p", data=body, headers=json_type),
        "journal": client.post("/api/journal", data=body, headers=json_type),
        "reviews": client.post("/api/reviews", data=body, headers=json_type),
        "agent param": client.get(f"/xapi/statements?agent={quote(DEEP.decode())}"),
    }
    for name, response in answers.items():
        assert response.status_code == 400, (name, response.status_code, response.get_data()[:300])
        assert response.get_json()["error"]["rule"], name


def test_a_400_digit_raw_score_is_a_400(client: XAPIClient) -> None:
    sent = statement()
    body = json.dumps(sent)[:-1] + ',"result":{"score":{"raw":' + "9" * 400 + "}}}"
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data()[:300]
    assert response.get_json()["error"]["path"].startswith("result.score")


@pytest.mark.parametrize("outcome", [{}, [], 3, None])
def test_a_review_outcome_that_is_not_a_word_is_a_400(client: XAPIClient, outcome: Any) -> None:
    response = client.post("/api/reviews", json={"evidence": str(uuid.uuid4()), "outcome": outcome,
                                                  "criterion": "1.1", "framework": "f"})
    assert response.status_code == 400, response.get_data()[:300]
    assert response.get_json()["error"]["path"] == "outcome"


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01&to=9999-12-31&period=week", "to=9999-12-31&period=month"])
def test_far_dates_on_summaries_are_not_a_500(client: XAPIClient, query: str) -> None:
    for path in ("/api/learners/mailto%3Ajo%40la.example/summary", "/api/cohorts/summary?activity=https%3A%2F%2Fx.example%2Fc"):
        joined = f"{path}{'&' if '?' in path else '?'}{query}"
        response = client.get(joined)
        assert response.status_code in (200, 400), (joined, response.status_code, response.get_data()[:300])


SURROGATE = '"\\ud800"'


def test_a_lone_surrogate_in_a_statement_is_a_400_naming_the_field(client: XAPIClient) -> None:
    body = json.dumps(statement())
    body = body.replace('"Jo Bloggs"', SURROGATE)
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data()[:300]
    assert response.get_json()["error"]["path"] == "actor.name"


def test_a_lone_surrogate_in_a_document_and_a_journal_entry_is_a_400(client: XAPIClient) -> None:
    agent = quote(json.dumps({"mbox": "mailto:jo@la.example"}))
    activity = quote("https://lrs.example/a")
    json_type = {"Content-Type": "application/json"}
    doc = client.post(f"/xapi/activities/state?activityId={activity}&agent={agent}&stateId=s",
                      data='{"note":' + SURROGATE + "}", headers=json_type)
    assert doc.status_code == 400, doc.get_data()[:300]
    journal = client.post("/api/journal", data='{"what":' + SURROGATE + ',"mode":"social","date":"2026-10-01"}',
                          headers=json_type)
    assert journal.status_code == 400, journal.get_data()[:300]


def test_a_nul_in_a_statement_is_a_400_on_both_databases(client: XAPIClient) -> None:
    body = json.dumps(statement()).replace('"Jo Bloggs"', '"Jo\\u0000Bloggs"')
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data()[:300]
    error = response.get_json()["error"]
    assert error["path"] == "actor.name" and error["rule"] == "nul-character"


def test_nul_bytes_in_query_parameters_paths_and_bodies_are_not_a_500(client: XAPIClient) -> None:
    agent = quote(json.dumps({"mbox": "mailto:jo\u0000@la.example"}))
    activity = quote("https://lrs.example/a\u0000")
    json_type = {"Content-Type": "application/json"}
    answers = [
        client.get(f"/xapi/statements?agent={agent}"),
        client.get(f"/xapi/statements?verb={quote('http://x.example/v' + chr(0))}"),
        client.get("/xapi/statements?statementId=%00"),
        client.get(f"/xapi/activities?activityId={activity}"),
        client.get(f"/xapi/activities/state?activityId={activity}&agent={agent}&stateId=%00"),
        client.put(f"/xapi/activities/state?activityId={quote('https://lrs.example/a')}"
                   f"&agent={quote(json.dumps({'mbox': 'mailto:jo@la.example'}))}&stateId=a%00b",
                   data=b"x", headers={"Content-Type": "text/plain"}),
        client.post("/xapi/activities/state?activityId=" + quote("https://lrs.example/a") + "&agent="
                    + quote(json.dumps({"mbox": "mailto:jo@la.example"})) + "&stateId=nul",
                    data='{"a":"b\\u0000"}', headers=json_type),
        client.get("/api/learners/mailto%3Ajo%00%40la.example/summary"),
        client.get("/api/cohorts/summary?activity=https%3A%2F%2Fx.example%2Fc%00"),
        client.post("/api/journal", data='{"what":"a\\u0000b","mode":"social","date":"2026-10-01"}', headers=json_type),
        client.get("/api/reviews/queue?cohort=a%00b"),
    ]
    for response in answers:
        assert response.status_code < 500, (response.request.url, response.status_code, response.get_data()[:300])
