"""The learning journal: entries become well-formed statements that follow the profile, are classified into
the mode the participant chose, and bad entries get a 400 naming the field. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import XAPIClient, make_credential
from sqlalchemy import select

from lrs.app import create_app
from lrs.cli import cli
from lrs.hookspecs import hookimpl
from lrs.learning import vocabulary as v
from lrs.learning.journal import agent_from_key, parse_entries, to_statement
from lrs.plugins import make_plugin_manager
from lrs.services.statements import LRS
from lrs.store.models import Statement
from lrs.xapi.ifi import agent_key

JO = "mailto:jo@la.example"
PROGRAMME = "https://lrs.example/programmes/pldp-2025"
KSS_PL_4 = "https://w3id.org/xapi/social-work-leadership/frameworks/kss-practice-leaders/4"  # shipped frameworks' items
SWE_4_6 = "https://w3id.org/xapi/social-work-leadership/frameworks/swe-professional-standards/4.6"


def entry(**overrides) -> dict:
    body = {
        "agent": JO,
        "name": "Jo Bloggs",
        "what": "Action learning set: presented a dilemma about a stuck child protection plan",
        "description": "Six heads of service; I presented, the set asked questions for forty minutes.",
        "mode": "social",
        "date": "2025-03-04",
        "duration": "PT2H30M",
        "reflection": {
            "learned": "I had been asking 'why is the plan stuck' instead of 'who holds the risk'",
            "impact": "I will ask each team manager who holds the risk before reviewing a plan",
        },
        "peer": {"agent": "mailto:sam@la.example", "name": "Sam Okafor", "reflection": "Sam saw my pattern"},
        "standards": [KSS_PL_4, SWE_4_6],
        "programme": PROGRAMME,
    }
    body.update(overrides)
    return body


def stored_mode(lrs, statement_id: str) -> str | None:  # noqa: ANN001
    S = Statement.__table__
    with lrs.db.read() as conn:
        return conn.execute(select(S.c.learning_mode).where(S.c.id == statement_id)).scalar_one()


def test_an_entry_becomes_one_statement_following_the_profile(client, lrs_instance, credential):
    response = client.post("/api/journal", json=entry())
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()["ids"]
    s = client.get(f"/xapi/statements?statementId={statement_id}").get_json()
    assert s["actor"] == {"objectType": "Agent", "mbox": JO, "name": "Jo Bloggs"}
    assert s["verb"]["id"] == v.JOURNAL_VERB
    assert s["object"]["definition"]["type"] == v.JOURNAL_ACTIVITY_TYPES[v.Mode.SOCIAL]
    assert s["object"]["definition"]["name"]["en-GB"].startswith("Action learning set")
    assert s["object"]["id"].startswith(lrs_instance.settings.authority_home_page)
    assert s["timestamp"].startswith("2025-03-04T12:00:00")
    assert s["result"]["duration"] == "PT2H30M"
    assert s["result"]["response"].startswith("I had been asking")
    assert s["result"]["extensions"][v.EXT_IMPACT].startswith("I will ask")
    extensions = s["context"]["extensions"]
    assert extensions[v.EXT_PEER]["mbox"] == "mailto:sam@la.example"
    assert extensions[v.EXT_PEER_REFLECTION] == "Sam saw my pattern"
    assert extensions[v.EXT_STANDARDS] == [KSS_PL_4, SWE_4_6]
    categories = [a["id"] for a in s["context"]["contextActivities"]["category"]]
    assert v.PROFILE_VERSION in categories  # the statement opts in to the profile
    assert s["context"]["contextActivities"]["grouping"][0]["id"] == PROGRAMME
    assert s["authority"]["account"]["name"] == credential[0]
    assert stored_mode(lrs_instance, statement_id) == "social"


@pytest.mark.parametrize("mode", [m.value for m in v.Mode])
def test_the_profile_rules_classify_an_entry_in_the_mode_the_participant_chose(client, lrs_instance, mode):
    response = client.post("/api/journal", json=entry(mode=mode, peer=None))
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()["ids"]
    assert stored_mode(lrs_instance, statement_id) == mode
    summary = client.get(f"/api/learners/{quote(JO)}/summary").get_json()
    assert summary["totals"]["modes"][mode] == {"statements": 1, "seconds": 9000.0, "timed": 1}


def test_several_entries_are_all_or_nothing(client):
    response = client.post("/api/journal", json=[entry(), entry(mode="formal", date="2025-03-05")])
    assert response.status_code == 200
    assert len(response.get_json()["ids"]) == 2
    bad = client.post("/api/journal", json=[entry(date="2025-03-06"), entry(reflection={"learned": "x"})])
    assert bad.status_code == 400
    assert bad.get_json()["error"]["path"] == "[1].reflection.impact"
    summary = client.get(f"/api/learners/{quote(JO)}/summary").get_json()
    assert summary["totals"]["statements"] == 2


def _without(key: str) -> dict:
    body = entry()
    del body[key]
    return body


TOMORROW_BUT_ONE = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (_without("agent"), "agent"),
        (entry(agent="jo at the council"), "agent"),
        (entry(agent={"name": "Jo"}), "agent"),
        (_without("what"), "what"),
        (entry(what="   "), "what"),
        (entry(what=42), "what"),
        (_without("mode"), "mode"),
        (entry(mode="hardship"), "mode"),
        (_without("date"), "date"),
        (entry(date="04/03/2025"), "date"),
        (entry(date="2025-03-04T10:00:00"), "date"),
        (entry(date=TOMORROW_BUT_ONE), "date"),
        (entry(duration="two hours"), "duration"),
        (entry(duration="PT0S"), "duration"),
        (_without("reflection"), "reflection"),
        (entry(reflection="it was good"), "reflection"),
        (entry(reflection={"impact": "more questions"}), "reflection.learned"),
        (entry(reflection={"learned": "", "impact": "more questions"}), "reflection.learned"),
        (entry(reflection={"learned": "a lot"}), "reflection.impact"),
        (entry(reflection={"learned": "a", "impact": "b", "mood": "c"}), "reflection.mood"),
        (entry(peer={"name": "Sam"}), "peer.agent"),
        (entry(peer={"agent": JO}), "peer.agent"),
        (entry(peer="Sam"), "peer"),
        (entry(standards="KSS-PL 4"), "standards"),
        (entry(standards=[KSS_PL_4, "KSS-PL 4"]), "standards[1]"),
        (entry(programme="PLDP 2025"), "programme"),
        (entry(colour="blue"), "colour"),
    ],
)
def test_a_bad_entry_is_a_400_naming_the_field(client, body, path):
    response = client.post("/api/journal", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["path"] == path, error
    assert error["message"]


def test_a_standard_must_be_an_item_of_a_loaded_framework(client):
    typo = KSS_PL_4.replace("/4", "/44")
    response = client.post("/api/journal", json=entry(standards=[SWE_4_6, SWE_4_6, typo]))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["rule"], error["path"]) == ("unknown-standard", "standards[2]")  # its place in the request
    assert typo in error["message"]
    in_a_list = client.post("/api/journal", json=[entry(), entry(standards=["https://frameworks.example/kss/4"])])
    assert in_a_list.status_code == 400
    assert (in_a_list.get_json()["error"]["rule"], in_a_list.get_json()["error"]["path"]) == ("unknown-standard", "[1].standards[0]")
    summary = client.get(f"/api/learners/{quote(JO)}/summary").get_json()
    assert summary["totals"]["statements"] == 0  # all or nothing
    # A standard given twice is stored once.
    assert client.post("/api/journal", json=entry(standards=[SWE_4_6, SWE_4_6])).status_code == 200


def test_the_body_must_be_json_entries(client):
    assert client.post("/api/journal", data="{", content_type="application/json").status_code == 400
    assert client.post("/api/journal", data="what=x", content_type="text/plain").status_code == 400
    empty = client.post("/api/journal", json=[])
    assert empty.status_code == 400
    not_an_object = client.post("/api/journal", json=["an entry"])
    assert not_an_object.get_json()["error"]["path"] == "[0]"


class NoLongDays:
    @hookimpl
    def lrs_validate_statement(self, statement: dict, version: str) -> list[dict[str, str]]:
        if (statement.get("result") or {}).get("duration") == "PT25H":
            return [{"rule": "long-day", "path": "result.duration", "message": "nobody learns for 25 hours"}]
        return []


def test_entries_pass_through_plugin_validation_like_any_statement(settings, shared_database, lrs_instance):
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(NoLongDays(), name="no-long-days")
    app = create_app(lrs=LRS(settings, db=shared_database, pm=pm))
    client = XAPIClient(app.test_client(), *make_credential(lrs_instance))
    response = client.post("/api/journal", json=[entry(), entry(duration="PT25H")])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["rule"], error["path"]) == ("plugin:no-long-days:long-day", "[1].result.duration")


def test_agent_keys_round_trip():
    for agent in (
        {"objectType": "Agent", "mbox": JO},
        {"objectType": "Agent", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"objectType": "Agent", "openid": "https://id.la.example/jo"},
        {"objectType": "Agent", "account": {"homePage": "https://sso.la.example/", "name": "jo|b"}},
    ):
        assert agent_from_key(agent_key(agent)) == agent


def test_to_statement_is_pure_and_minimal_without_the_optional_fields():
    [parsed] = parse_entries(
        {
            "agent": JO,
            "what": "Shadowed the duty manager",
            "mode": "on-the-job",
            "date": "2025-01-02",
            "reflection": {"learned": "a", "impact": "b"},
        }
    )
    s = to_statement(parsed, activity_base="https://lrs.example/")
    assert "duration" not in s["result"]
    assert "extensions" not in s["context"]
    assert "grouping" not in s["context"]["contextActivities"]
    assert s["object"]["id"].startswith("https://lrs.example/journal/")


def test_lrs_journal_add_records_through_the_same_path(client, lrs_instance, settings):
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    runner = CliRunner()
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    args = [
        "journal",
        "add",
        "--agent",
        JO,
        "--mode",
        "on-the-job",
        "--date",
        "2025-02-10",
        "--what",
        "Led the Ofsted focused visit feedback session",
        "--duration",
        "PT1H",
        "--learned",
        "Inspectors wanted the practice story, not the data",
        "--impact",
        "Lead with cases",
        "--peer",
        "mailto:sam@la.example",
        "--peer-reflection",
        "Sam: you were calm",
        "--standard",
        KSS_PL_4,
        "--programme",
        PROGRAMME,
    ]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    statement_id = result.output.strip()
    s = client.get(f"/xapi/statements?statementId={statement_id}").get_json()
    assert s["authority"]["account"]["name"] == "lrs-cli"
    assert s["context"]["extensions"][v.EXT_STANDARDS] == [KSS_PL_4]
    assert stored_mode(lrs_instance, statement_id) == "on-the-job"

    key, _ = make_credential(lrs_instance, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}")
    as_jo = runner.invoke(cli, [*args, "--credential", key], env=env)
    assert as_jo.exit_code == 0, as_jo.output
    s = client.get(f"/xapi/statements?statementId={as_jo.output.strip()}").get_json()
    assert s["authority"]["account"]["name"] == key

    bad = runner.invoke(cli, [*args[:-2], "--duration", "soon"], env=env)
    assert bad.exit_code != 0
    assert "duration:" in bad.output
    unknown = runner.invoke(cli, [*args, "--credential", "nope"], env=env)
    assert unknown.exit_code != 0 and "no active credential" in unknown.output
