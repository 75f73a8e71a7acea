"""The alternate request syntax (xAPI 1.0.x, Communication 1.3; refused under 2.0.0) and CORS on /xapi.
Runs on SQLite and PostgreSQL. The alternate-syntax cases follow the ADL conformance suite's (XAPI-00336,
XAPI-00148) for 1.0.3 and its 2.0 refusals.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import XAPIClient, statement

from lrs.app import create_app

FORM = "application/x-www-form-urlencoded"


def basic(credential: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()


def alternate(
    client: XAPIClient,
    method: str,
    form: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
    query: str = "",
):  # noqa: ANN201
    """POST ?method=<method> with a form body; no headers but those given (the form carries the rest)."""
    return client.flask.post(
        f"/xapi/statements?method={method}{query}",
        data=urlencode(form),
        headers={"Content-Type": FORM, **(headers or {})},
    )


def form_headers(client: XAPIClient, version: str = "1.0.3") -> dict[str, str]:
    return {"Authorization": basic((client.key, client.secret)), "X-Experience-API-Version": version}


def error(response) -> dict:  # noqa: ANN001
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.get_json()["error"]


# --- alternate request syntax under 1.0.3 ----------------------------------------------------------------


def test_alternate_get_query(client):
    """XAPI-00148: headers as real headers, parameters in the form."""
    client.post_statements([statement(), statement()])
    response = alternate(client, "GET", {"limit": "1"}, headers=client.headers())
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["statements"]) == 1 and body["more"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_alternate_put_then_get_round_trip_with_everything_in_the_form(client):
    """Authorization and the version header travel as form parameters only."""
    statement_id = str(uuid.uuid4())
    form = {**form_headers(client), "statementId": statement_id, "content": json.dumps(statement())}
    response = alternate(client, "PUT", form)
    assert response.status_code == 204, response.get_data(as_text=True)

    got = alternate(client, "GET", {**form_headers(client), "statementId": statement_id})
    assert got.status_code == 200
    assert got.get_json()["id"] == statement_id
    assert got.get_json()["actor"]["mbox"] == "mailto:jo@la.example"


def test_alternate_post_stores_a_batch(client):
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    form = {
        **form_headers(client),
        "Content-Type": "application/json",
        "content": json.dumps([statement(id=i) for i in ids]),
    }
    response = alternate(client, "POST", form)
    assert response.status_code == 200
    assert response.get_json() == ids
    assert client.get(f"/xapi/statements?statementId={ids[1]}").status_code == 200


def test_alternate_head(client):
    client.post_statements(statement())
    response = alternate(client, "HEAD", form_headers(client))
    assert response.status_code == 200
    assert response.get_data() == b""


def test_content_is_utf8(client):
    statement_id = str(uuid.uuid4())
    stmt = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"cy": "mynychodd ŵyl"}}
    )
    alternate(
        client,
        "PUT",
        {
            **form_headers(client),
            "statementId": statement_id,
            "content": json.dumps(stmt, ensure_ascii=False),
        },
    )
    got = client.get(f"/xapi/statements?statementId={statement_id}").get_json()
    assert got["verb"]["display"]["cy"] == "mynychodd ŵyl"


def test_xdomainrequest_style_text_plain_body(client):
    """IE's XDomainRequest cannot set Content-Type; the form arrives as text/plain."""
    form = {**form_headers(client), "Content-Type": "application/json", "content": json.dumps(statement())}
    response = client.flask.post(
        "/xapi/statements?method=POST", data=urlencode(form), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200


def test_alternate_request_is_authenticated(client):
    form = {"Authorization": basic(("nobody", "wrong")), "X-Experience-API-Version": "1.0.3", "limit": "1"}
    response = alternate(client, "GET", form)
    assert response.status_code == 401
    assert alternate(client, "GET", {"X-Experience-API-Version": "1.0.3"}).status_code == 401


def test_form_version_is_negotiated_like_the_header(client):
    """The conformance suite's "0.8" in the form overrides a good header, and is refused."""
    form = {
        "X-Experience-API-Version": "0.8",
        "statementId": str(uuid.uuid4()),
        "content": json.dumps(statement()),
    }
    response = alternate(client, "PUT", form, headers=client.headers())
    assert error(response)["rule"] == "version-header"


def test_other_query_parameters_are_refused(client):
    statement_id = str(uuid.uuid4())
    form = {"statementId": statement_id, "content": json.dumps(statement())}
    response = alternate(client, "PUT", form, headers=client.headers(), query=f"&statementId={statement_id}")
    assert error(response)["rule"] == "alternate-syntax"
    assert error(response)["path"] == "statementId"
    assert client.get(f"/xapi/statements?statementId={statement_id}").status_code == 404


def test_method_parameter_on_anything_but_post_is_refused(client):
    body = urlencode({"content": json.dumps(statement())})
    response = client.put("/xapi/statements?method=POST", data=body, headers={"Content-Type": FORM})
    assert error(response)["rule"] == "alternate-syntax"
    assert error(response)["path"] == "method"


def test_unknown_method_is_refused(client):
    response = alternate(client, "PATCH", {"content": "{}"}, headers=client.headers())
    assert error(response)["rule"] == "alternate-method"
    assert error(response)["path"] == "method"


def test_put_without_content_is_refused(client):
    response = client.post("/xapi/statements?method=PUT")
    assert response.status_code == 400


def test_body_that_is_not_a_form_is_refused(client):
    """The conformance suite sends JSON labelled as a form: it carries no content or statementId parameter."""
    body = json.dumps({"statementId": str(uuid.uuid4()), "content": json.dumps(statement())})
    response = client.post("/xapi/statements?method=PUT", data=body, headers={"Content-Type": FORM})
    assert response.status_code == 400
    response = client.post(
        "/xapi/statements?method=PUT", data=body, headers={"Content-Type": "application/json"}
    )
    assert error(response)["rule"] == "alternate-syntax"
    assert error(response)["path"] == "Content-Type"


# --- refused under 2.0.0 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "NONSENSE"])
def test_any_method_parameter_is_refused_under_2(client, method):
    client.version = "2.0.0"
    form = {"statementId": str(uuid.uuid4()), "content": json.dumps(statement())}
    response = alternate(client, method, form, headers=client.headers())
    assert error(response)["rule"] == "alternate-syntax"
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert client.get("/xapi/statements").get_json()["statements"] == []


def test_version_2_in_the_form_is_refused(client):
    form = {
        **form_headers(client, "2.0.0"),
        "statementId": str(uuid.uuid4()),
        "content": json.dumps(statement()),
    }
    assert error(alternate(client, "PUT", form))["rule"] == "alternate-syntax"


def test_method_parameter_on_a_get_is_refused_under_2(client):
    client.version = "2.0.0"
    assert error(client.get("/xapi/statements?method=GET"))["rule"] == "alternate-syntax"


def test_alternate_put_over_a_real_socket(live_server, credential):
    url = urlsplit(live_server)
    statement_id = str(uuid.uuid4())
    form = urlencode(
        {
            "Authorization": basic(credential),
            "X-Experience-API-Version": "1.0.3",
            "statementId": statement_id,
            "content": json.dumps(statement()),
        }
    )
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("POST", "/xapi/statements?method=PUT", body=form, headers={"Content-Type": FORM})
    response = connection.getresponse()
    response.read()
    assert response.status == 204
    connection.request(
        "GET",
        f"/xapi/statements?statementId={statement_id}",
        headers={"Authorization": basic(credential), "X-Experience-API-Version": "1.0.3"},
    )
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["id"] == statement_id
    connection.close()


# --- CORS --------------------------------------------------------------------------------------------------


def preflight(flask_client, origin: str = "https://lms.example", method: str = "PUT"):  # noqa: ANN001, ANN201
    return flask_client.options(
        "/xapi/statements",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-experience-api-version",
        },
    )


def listed(header: str) -> set[str]:
    return {h.strip().lower() for h in header.split(",")}


def test_preflight_is_answered_without_credentials(client):
    response = preflight(client.flask)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"get", "head", "post", "put", "delete"} <= listed(
        response.headers["Access-Control-Allow-Methods"]
    )
    assert {
        "authorization",
        "content-type",
        "x-experience-api-version",
        "if-match",
        "if-none-match",
    } <= listed(response.headers["Access-Control-Allow-Headers"])
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_for_any_xapi_resource(client):
    response = client.flask.options(
        "/xapi/activities/state",
        headers={"Origin": "https://lms.example", "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_responses_expose_the_xapi_headers(client):
    [statement_id] = client.post_statements(statement()).get_json()
    response = client.get(
        f"/xapi/statements?statementId={statement_id}", headers={"Origin": "https://lms.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {
        "x-experience-api-version",
        "x-experience-api-consistent-through",
        "etag",
        "last-modified",
    } <= listed(response.headers["Access-Control-Expose-Headers"])


def test_errors_carry_cors_headers_too(client):
    """A script must be able to read a 401 or 400 to tell its user what went wrong."""
    response = client.flask.get("/xapi/statements", headers={"Origin": "https://lms.example"})
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_only_xapi_gets_cors_headers(client):
    response = client.flask.get("/not-xapi", headers={"Origin": "https://lms.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture
def listed_origins_client(lrs_instance, credential) -> XAPIClient:  # noqa: ANN001
    settings = dataclasses.replace(
        lrs_instance.settings, cors_origins="https://lms.example, https://CMS.example/"
    )
    application = create_app(settings, lrs=lrs_instance)
    application.config["TESTING"] = True
    return XAPIClient(application.test_client(), *credential)


def test_listed_origins_are_echoed(listed_origins_client):
    response = preflight(listed_origins_client.flask, "https://cms.example")
    assert response.headers["Access-Control-Allow-Origin"] == "https://cms.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]
    got = listed_origins_client.get("/xapi/statements", headers={"Origin": "https://lms.example"})
    assert got.status_code == 200
    assert got.headers["Access-Control-Allow-Origin"] == "https://lms.example"


def test_unlisted_origins_get_no_cors_headers(listed_origins_client):
    response = preflight(listed_origins_client.flask, "https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response.headers
    got = listed_origins_client.get("/xapi/statements", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in got.headers
    assert "Origin" in got.headers["Vary"]


def test_a_nul_in_a_parameter_is_refused_however_it_arrives(client):
    """The NUL guard reads the raw query string first: a NUL still reaches it as %00 in a value or a name, in
    the path, or inside an alternate-syntax form (which becomes the query string)."""
    answers = {
        "value": client.get("/xapi/statements?verb=http%3A%2F%2Fx.example%2Fv%00"),
        "name": client.get("/xapi/statements?li%00mit=1"),
        "path": client.get("/xapi/statements%00"),
        "form": alternate(client, "GET", {**form_headers(client), "verb": "http://x.example/v\x00"}),
    }
    for how, response in answers.items():
        assert response.status_code == 400, (how, response.get_data(as_text=True))
        assert response.get_json()["error"]["rule"] == "nul-character", how


def test_a_percent_escaped_cachebuster_is_still_recognised(client):
    client.post_statements([statement()])
    assert client.get("/xapi/statements?cache%62uster=1733400000123").status_code == 200
    assert client.get("/xapi/statements?cachebusters=1").status_code == 400
