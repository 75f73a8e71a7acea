"""Frameworks and evidence over HTTP and the CLI: what a coach or assessor reads. Both databases."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import make_credential

from lrs.cli import cli
from lrs.competency.evidence import rebuild as rebuild_links
from lrs.hookspecs import hookimpl
from lrs.learning import vocabulary as v

JO = "mailto:jo@la.example"
BASE = "https://w3id.org/xapi/social-work-leadership/frameworks"
KSS_PL = f"{BASE}/kss-practice-leaders"
ORG = "https://practice.example/frameworks/our-practice-model"


def basic(credential: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(":".join(credential).encode()).decode()}


def case_package(uri: str, codes: list[str]) -> dict:
    """A small valid CASE 1.1 package: a document and top-level items."""
    stamp = "2026-01-01T00:00:00+00:00"

    def ident(value: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, value))

    items = [
        {"identifier": ident(f"{uri}/{c}"), "uri": f"{uri}/{c}", "humanCodingScheme": f"OPM {c}",
         "fullStatement": f"Practice principle {c}", "lastChangeDateTime": stamp}
        for c in codes
    ]
    associations = [
        {"identifier": ident(f"{uri}/a/{c}"), "uri": f"{uri}/associations/{c}", "associationType": "isChildOf",
         "originNodeURI": {"title": f"OPM {c}", "identifier": ident(f"{uri}/{c}"), "uri": f"{uri}/{c}"},
         "destinationNodeURI": {"title": "Our practice model", "identifier": ident(uri), "uri": uri},
         "lastChangeDateTime": stamp}
        for c in codes
    ]
    return {
        "CFDocument": {"identifier": ident(uri), "uri": uri, "creator": "Our council", "title": uri.rsplit("/", 1)[-1].replace("-", " ").capitalize(),
                       "lastChangeDateTime": stamp},
        "CFItems": items,
        "CFAssociations": associations,
    }


@pytest.fixture
def people(lrs_instance):  # noqa: ANN001, ANN201
    return {
        "admin": make_credential(lrs_instance, ["all"], name="admin", role="admin"),
        "jo": make_credential(lrs_instance, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}"),
        "sam": make_credential(lrs_instance, ["all"], name="Sam", role="participant", agent_key="mbox:mailto:sam@la.example"),
    }


def post_statement(client, people, statement) -> str:  # noqa: ANN001
    headers = {**basic(people["admin"]), "X-Experience-API-Version": "1.0.3"}
    response = client.post("/xapi/statements", json=statement, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()[0]


def evidence(client, who, framework: str = "kss-practice-leaders"):  # noqa: ANN001, ANN201
    return client.get(f"/api/learners/{quote(JO)}/evidence?framework={quote(framework)}", headers=basic(who))


def test_shipped_frameworks_are_listed_and_shown(app, people):
    client = app.test_client()
    listed = client.get("/api/frameworks", headers=basic(people["jo"])).get_json()["frameworks"]
    slugs = {f["slug"]: f for f in listed}
    assert {"swe-professional-standards", "pcf", "kss-practice-leaders", "kss-practice-supervisors",
            "ilm-l5-leadership", "ilm-l7-leadership"} <= set(slugs)
    assert slugs["kss-practice-leaders"]["items"] == 6
    shown = client.get("/api/frameworks/kss-practice-leaders", headers=basic(people["jo"])).get_json()
    assert [i["code"] for i in shown["items"]] == [f"KSS-PL {n}" for n in range(1, 7)]
    case = client.get("/api/frameworks/kss-practice-leaders?format=case", headers=basic(people["jo"])).get_json()
    assert case["CFDocument"]["uri"] == KSS_PL
    assert client.get("/api/frameworks/nope", headers=basic(people["jo"])).status_code == 404


def test_statements_become_evidence_and_voiding_removes_it(app, people):
    client = app.test_client()
    stated = post_statement(client, people, {
        "actor": {"mbox": JO, "name": "Jo"},
        "verb": {"id": v.ADL_ATTENDED},
        "object": {"id": "https://lrs.example/seminar-5", "definition": {"name": {"en-GB": "Seminar 5: decision making"}}},
        "context": {"contextActivities": {"category": [{"id": f"{KSS_PL}/5"}]}},
        "timestamp": "2026-02-01T10:00:00Z",
    })
    entry = {"what": "Led a quality assurance audit", "mode": "on-the-job", "date": "2026-03-01",
             "reflection": {"learned": "Audits found drift in plans at month three.", "impact": "Reviews now at week ten."},
             "standards": [f"{KSS_PL}/6", f"{KSS_PL}/5"]}
    assert client.post("/api/journal", json=entry, headers=basic(people["jo"])).status_code == 200
    matrix = evidence(client, people["jo"]).get_json()
    by_code = {i["code"]: i for i in matrix["items"]}
    assert [e["title"] for e in by_code["KSS-PL 5"]["evidence"]] == ["Seminar 5: decision making", "Led a quality assurance audit"]
    assert by_code["KSS-PL 5"]["evidence"][0] | {"statement_id": stated} == by_code["KSS-PL 5"]["evidence"][0]
    assert by_code["KSS-PL 6"]["evidence"][0]["mode"] == "on-the-job"
    assert by_code["KSS-PL 6"]["evidence"][0]["reflection_excerpt"] == "Audits found drift in plans at month three."
    assert matrix["without_evidence"] == ["KSS-PL 1", "KSS-PL 2", "KSS-PL 3", "KSS-PL 4"]
    post_statement(client, people, {
        "actor": {"mbox": JO}, "verb": {"id": v.ADL_VOIDED}, "object": {"objectType": "StatementRef", "id": stated},
    })
    after = {i["code"]: i for i in evidence(client, people["jo"]).get_json()["items"]}
    assert [e["title"] for e in after["KSS-PL 5"]["evidence"]] == ["Led a quality assurance audit"]


def test_evidence_access_and_bad_requests(app, people):
    client = app.test_client()
    assert evidence(client, people["jo"]).status_code == 200
    assert evidence(client, people["admin"]).status_code == 200
    assert evidence(client, people["sam"]).status_code == 403
    missing = client.get(f"/api/learners/{quote(JO)}/evidence", headers=basic(people["jo"]))
    assert missing.status_code == 400 and missing.get_json()["error"]["path"] == "framework"
    unknown = evidence(client, people["jo"], "no-such-framework")
    assert unknown.status_code == 404


def test_import_an_organisations_framework_and_rebuild(app, people, lrs_instance, settings, monkeypatch, tmp_path):
    client = app.test_client()
    # A statement citing the framework before it is known: no link yet.
    post_statement(client, people, {
        "actor": {"mbox": JO}, "verb": {"id": v.ADL_ATTENDED}, "object": {"id": "https://lrs.example/workshop-1"},
        "context": {"contextActivities": {"category": [{"id": f"{ORG}/2"}]}},
    })
    package = case_package(ORG, ["1", "2", "3"])
    denied = client.post("/api/frameworks", json=package, headers=basic(people["jo"]))
    assert denied.status_code == 403
    broken = client.post("/api/frameworks", json={**package, "CFDocument": {"title": "no uri"}}, headers=basic(people["admin"]))
    assert broken.status_code == 400 and broken.get_json()["error"]["path"].startswith("CFDocument")
    for body in ("{not json", json.dumps(package).replace('"CFItems"', '"x": NaN, "CFItems"', 1)):
        not_json = client.post("/api/frameworks", data=body, content_type="application/json", headers=basic(people["admin"]))
        assert not_json.status_code == 400 and not_json.get_json()["error"]["rule"] == "invalid-json"
    created = client.post("/api/frameworks", json=package, headers=basic(people["admin"]))
    assert created.status_code == 201 and created.get_json()["items"] == 3
    before = {i["code"]: i["evidence"] for i in evidence(client, people["jo"], ORG).get_json()["items"]}
    assert before["OPM 2"] == []
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)  # as `lrs` itself does at start-up
    result = CliRunner().invoke(cli, ["evidence", "rebuild"])
    assert result.exit_code == 0, result.output
    after = {i["code"]: i["evidence"] for i in evidence(client, people["jo"], ORG).get_json()["items"]}
    assert len(after["OPM 2"]) == 1
    # The CLI import takes a file, and refuses a broken one naming the path.
    good = tmp_path / "fw.json"
    good.write_text(json.dumps(case_package("https://practice.example/frameworks/other", ["1"])))
    assert "imported other" in CliRunner().invoke(cli, ["frameworks", "import", str(good)]).output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"CFDocument": {}}))
    refused = CliRunner().invoke(cli, ["frameworks", "import", str(bad)])
    assert refused.exit_code != 0 and "CFDocument" in refused.output
    listed = CliRunner().invoke(cli, ["frameworks", "list"]).output
    assert "kss-practice-leaders" in listed and "our-practice-model" in listed


class _LinksByVerb:
    """A plugin that links every `mentored` statement to KSS-PL 3 (and to an item no framework has)."""

    @staticmethod
    @hookimpl
    def lrs_competency_links(statement):  # noqa: ANN001, ANN205
        if statement["verb"]["id"] == "http://id.tincanapi.com/verb/mentored":
            return [(KSS_PL, f"{KSS_PL}/3"), (KSS_PL, f"{KSS_PL}/99")]
        return None


def _batch_for_links() -> list[dict]:
    def one(n: int, verb: str, context: dict | None = None) -> dict:
        statement = {
            "actor": {"mbox": JO}, "verb": {"id": verb},
            "object": {"id": f"https://lrs.example/activity-{n}", "definition": {"name": {"en-GB": f"Activity {n}"}}},
            "timestamp": f"2026-02-0{n}T10:00:00Z",
        }
        if context is not None:
            statement["context"] = context
        return statement

    return [
        # A profile category only (what most LMS statements carry): no link.
        one(1, v.ADL_ATTENDED, {"contextActivities": {"category": [{"id": v.PROFILE_VERSION}]}}),
        # The item among other categories, and as a single Activity object rather than a list.
        one(2, v.ADL_ATTENDED, {"contextActivities": {"category": [{"id": v.PROFILE_VERSION}, {"id": f"{KSS_PL}/1"}]}}),
        one(3, v.ADL_ATTENDED, {"contextActivities": {"category": {"id": f"{KSS_PL}/2"}}}),
        # No context: linked only by the plugin, when there is one.
        one(4, "http://id.tincanapi.com/verb/mentored"),
        # An item no framework has: no link.
        one(5, v.ADL_ATTENDED, {"contextActivities": {"category": [{"id": f"{KSS_PL}/99"}]}}),
    ]


@pytest.mark.parametrize("with_plugin", [False, True])
def test_a_batch_links_only_the_statements_that_name_items_in_force(app, people, lrs_instance, with_plugin):
    """Most statements of a batch name no framework item: they get no link, and the ones that do (in a list or
    as a single category Activity, or through a plugin's lrs_competency_links) get theirs; `lrs evidence
    rebuild` (lrs.competency.evidence.rebuild) derives the same links again."""
    if with_plugin:
        lrs_instance.pm.register(_LinksByVerb, name="links-by-verb")
    client = app.test_client()
    headers = {**basic(people["admin"]), "X-Experience-API-Version": "1.0.3"}
    response = client.post("/xapi/statements", json=_batch_for_links(), headers=headers)
    assert response.status_code == 200, response.get_json()

    def linked() -> dict[str, list[str]]:
        items = evidence(client, people["jo"]).get_json()["items"]
        return {i["code"]: [e["title"] for e in i["evidence"]] for i in items if i["evidence"]}

    expected = {"KSS-PL 1": ["Activity 2"], "KSS-PL 2": ["Activity 3"]}
    if with_plugin:
        expected["KSS-PL 3"] = ["Activity 4"]
    assert linked() == expected
    assert rebuild_links(lrs_instance)["links"] == len(expected)
    assert linked() == expected
