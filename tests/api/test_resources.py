"""The Activities and Agents resources over HTTP. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest
from conftest import XAPIClient, make_credential, statement

from lrs.xapi import resources as xres

ACTIVITY = "https://lrs.example/activities/residential-1"
JO = {"objectType": "Agent", "name": "Jo Bloggs", "mbox": "mailto:jo@la.example"}
SAM = {"objectType": "Agent", "name": "Sam Smith", "mbox": "mailto:sam@la.example"}


def activities(iri: str) -> str:
    return "/xapi/activities?" + urlencode({"activityId": iri})


def agents(agent: dict) -> str:
    return "/xapi/agents?" + urlencode({"agent": json.dumps(agent)})


def activity(definition: dict | None = None, iri: str = ACTIVITY) -> dict:
    obj: dict = {"objectType": "Activity", "id": iri}
    if definition is not None:
        obj["definition"] = definition
    return obj


def stored(client: XAPIClient, *statements: dict) -> None:
    response = client.post_statements(list(statements))
    assert response.status_code == 200, response.get_data(as_text=True)


# --- Activities --------------------------------------------------------------------------------------------


def test_activity_has_the_canonical_definition_merged_from_statements(client):
    stored(
        client,
        statement(
            object=activity(
                {
                    "name": {"en-GB": "First residential"},
                    "type": "http://adlnet.gov/expapi/activities/meeting",
                }
            )
        ),
    )
    stored(
        client,
        statement(
            object=activity({"name": {"fr-FR": "Première résidence"}, "description": {"en-GB": "Two days"}})
        ),
    )
    response = client.get(activities(ACTIVITY))
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            "name": {"en-GB": "First residential", "fr-FR": "Première résidence"},
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "description": {"en-GB": "Two days"},
        },
    }


def test_activity_from_two_statements_of_one_batch_and_from_context(client):
    parent = "https://lrs.example/activities/programme"
    first = statement(object=activity({"name": {"en-US": "example meeting"}}))
    second = statement(
        object=activity({"name": {"fr-FR": "réunion"}}),
        context={"contextActivities": {"parent": [activity({"name": {"en-GB": "Programme"}}, iri=parent)]}},
    )
    stored(client, first, second)
    assert client.get(activities(ACTIVITY)).get_json()["definition"]["name"] == {
        "en-US": "example meeting",
        "fr-FR": "réunion",
    }
    assert client.get(activities(parent)).get_json()["definition"] == {"name": {"en-GB": "Programme"}}


def test_a_statement_sent_again_does_not_bring_back_its_older_definition(client):
    """An LMS that retries a batch resends statements the LRS already has; their definitions were merged when
    they were first stored, and must not overwrite what later statements changed."""
    first = {**statement(object=activity({"name": {"en-GB": "Residential 1"}})), "id": str(uuid.uuid4())}
    stored(client, first)
    stored(client, statement(object=activity({"name": {"en-GB": "Residential one (Leeds)"}})))
    stored(client, first, statement(object=activity(iri="https://lrs.example/activities/seminar-2")))
    assert client.get(activities(ACTIVITY)).get_json()["definition"]["name"] == {"en-GB": "Residential one (Leeds)"}


def test_activity_without_a_definition_is_still_an_activity_object(client):
    bare = "https://lrs.example/activities/bare"
    stored(client, statement(object={"id": bare}))
    assert client.get(activities(bare)).get_json() == {"objectType": "Activity", "id": bare}
    never = f"https://lrs.example/never-seen/{uuid.uuid4()}"
    response = client.get(activities(never))
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Activity", "id": never}
    assert client.head(activities(never)).status_code == 200


@pytest.mark.parametrize(
    ("query", "path", "rule"),
    [
        ("", "activityId", "parameter-required"),
        ("?activityId=not%20an%20iri", "activityId", "iri"),
        (f"?activityId={ACTIVITY}&agent=x", "agent", "unknown-parameter"),
        (f"?activityId={ACTIVITY}&activityId={ACTIVITY}", "activityId", "parameter-repeated"),
    ],
)
def test_activities_bad_parameters_are_400(client, query, path, rule):
    response = client.get("/xapi/activities" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["path"] == path
    assert response.get_json()["error"]["rule"] == rule


# --- Agents ------------------------------------------------------------------------------------------------


def test_person_combines_the_names_seen_with_the_agent_in_any_role(client):
    group = {
        "objectType": "Group",
        "name": "Cohort A",
        "member": [{"name": "J. Bloggs", "mbox": JO["mbox"]}, SAM],
    }
    stored(client, statement(actor=JO))
    stored(client, statement(actor=SAM, object={**JO, "name": "Joanne Bloggs"}))
    stored(client, statement(actor=SAM, context={"instructor": {**JO, "name": "Ms Bloggs"}}))
    stored(client, statement(actor=group))
    stored(
        client,
        statement(
            actor=SAM,
            object={
                "objectType": "SubStatement",
                "actor": {**JO, "name": "Jo B."},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                "object": {"id": ACTIVITY},
            },
        ),
    )
    stored(client, statement(actor={"mbox": JO["mbox"]}))  # no name: adds none

    response = client.get(agents({"mbox": JO["mbox"]}))
    assert response.status_code == 200
    person = response.get_json()
    assert person["objectType"] == "Person"
    # Newest statement first; each name once; Sam's name never (a different IFI in the same statements).
    assert person["name"] == ["Jo B.", "J. Bloggs", "Ms Bloggs", "Joanne Bloggs", "Jo Bloggs"]
    assert person["mbox"] == [JO["mbox"]]
    assert person["mbox_sha1sum"] == []
    assert person["openid"] == []
    assert person["account"] == []


def test_person_for_an_unknown_agent_holds_what_the_query_says(client):
    account = {"homePage": "https://sso.la.example", "name": "nobody"}
    person = client.get(agents({"objectType": "Agent", "name": "No Body", "account": account})).get_json()
    assert person == {
        "objectType": "Person",
        "name": ["No Body"],
        "mbox": [],
        "mbox_sha1sum": [],
        "openid": [],
        "account": [account],
    }


@pytest.mark.parametrize(
    "ifi",
    [
        {"mbox_sha1sum": "a" * 40},
        {"openid": "https://id.la.example/jo"},
        {"account": {"homePage": "https://sso.la.example", "name": "jo"}},
    ],
)
def test_person_lists_the_queried_ifi_under_its_own_property(client, ifi):
    stored(client, statement(actor={"name": "Jo", **ifi}))
    person = client.get(agents(ifi)).get_json()
    prop = next(iter(ifi))
    assert person[prop] == [ifi[prop]]
    assert person["name"] == ["Jo"]
    assert all(person[p] == [] for p in ("mbox", "mbox_sha1sum", "openid", "account") if p != prop)


def test_person_ignores_voided_statements(client):
    stored(client, statement(actor={**JO, "name": "Typo Name"}, id=(typo := str(uuid.uuid4()))))
    stored(client, statement(actor=JO))
    stored(
        client,
        statement(
            actor=SAM,
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": typo},
        ),
    )
    assert client.get(agents(JO)).get_json()["name"] == ["Jo Bloggs"]


def test_person_reads_only_the_latest_statements(client, monkeypatch):
    monkeypatch.setattr(xres, "PERSON_STATEMENT_LIMIT", 2)
    for name in ("Oldest", "Middle", "Newest"):
        stored(client, statement(actor={**JO, "name": name}))
    assert client.get(agents({"mbox": JO["mbox"]})).get_json()["name"] == ["Newest", "Middle"]


@pytest.mark.parametrize(
    ("query", "path", "rule"),
    [
        ("", "agent", "parameter-required"),
        ("?agent=%7Bnot%20json", "agent", "agent-json"),
        (
            "?" + urlencode({"agent": json.dumps({"objectType": "Agent", "name": "Rick James"})}),
            "agent",
            "ifi-count",
        ),
        (
            "?" + urlencode({"agent": json.dumps({"objectType": "Group", "mbox": "mailto:g@la.example"})}),
            "agent",
            "agent-json",
        ),
        (
            "?" + urlencode({"agent": json.dumps(JO), "activityId": ACTIVITY}),
            "activityId",
            "unknown-parameter",
        ),
    ],
)
def test_agents_bad_parameters_are_400(client, query, path, rule):
    response = client.get("/xapi/agents" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["path"] == path
    assert response.get_json()["error"]["rule"] == rule


# --- scopes and versions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["all"], True),
        (["all/read"], True),
        (["statements/read"], True),
        (["define"], True),
        (["statements/read/mine"], False),
        (["statements/write"], False),
        (["state", "profile"], False),
    ],
)
def test_scopes(app, lrs_instance, scopes, allowed):
    c = XAPIClient(app.test_client(), *make_credential(lrs_instance, scopes, name="limited"))
    for path in (activities(ACTIVITY), agents(JO)):
        response = c.get(path)
        assert response.status_code == (200 if allowed else 403), (path, scopes)
        if not allowed:
            assert response.get_json()["error"]["rule"] == "scope"


def test_both_versions_answer(app, credential):
    for version in ("1.0.3", "2.0.0"):
        c = XAPIClient(app.test_client(), *credential, version=version)
        for path in (activities(ACTIVITY), agents(JO)):
            response = c.get(path)
            assert response.status_code == 200
            assert response.headers["X-Experience-API-Version"] == version
