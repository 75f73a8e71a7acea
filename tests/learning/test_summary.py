"""Learner and cohort 70/20/10 summaries against figures computed by hand. Runs on SQLite and PostgreSQL.

A test classifier maps four made-up verbs to the modes, so the arithmetic here does not depend on the
profile's rules (tests/learning/test_journal.py and tests/plugins/ exercise those).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import XAPIClient, make_credential

from lrs.app import create_app
from lrs.cli import cli
from lrs.hookspecs import hookimpl
from lrs.plugins import make_plugin_manager
from lrs.services.statements import LRS

LED = "https://lrs.example/verbs/led"  # on-the-job
DISCUSSED = "https://lrs.example/verbs/discussed"  # social
STUDIED = "https://lrs.example/verbs/studied"  # formal
PONDERED = "https://lrs.example/verbs/pondered"  # unclassified
PROGRAMME = "https://lrs.example/programmes/pldp-2025"
OTHER_PROGRAMME = "https://lrs.example/programmes/ilm5-2025"
JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"


class VerbClassifier:
    MODES = {LED: "on-the-job", DISCUSSED: "social", STUDIED: "formal"}

    @hookimpl(tryfirst=True)
    def lrs_classify_statement(self, statement: dict[str, Any]) -> str | None:
        return self.MODES.get(statement["verb"]["id"])


def make(
    actor: str, verb: str, when: str, duration: str | None = None, programme: str | None = PROGRAMME
) -> dict:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": actor},
        "verb": {"id": verb},
        "object": {"id": f"https://lrs.example/activities/{uuid.uuid4()}"},
        "timestamp": when,
    }
    if duration:
        body["result"] = {"duration": duration}
    if programme:
        body["context"] = {"contextActivities": {"grouping": [{"id": programme}]}}
    return body


@pytest.fixture
def lrs(lrs_instance: LRS, settings, shared_database) -> LRS:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(VerbClassifier(), name="verb-classifier")
    return LRS(settings, db=shared_database, pm=pm)


@pytest.fixture
def client(lrs: LRS) -> XAPIClient:
    app = create_app(lrs=lrs)
    app.config["TESTING"] = True
    client = XAPIClient(app.test_client(), *make_credential(lrs, ["all"], name="admin"))
    voided = make(JO, STUDIED, "2025-01-25T10:00:00Z", "PT10H")
    statements = [
        make(JO, LED, "2025-01-10T09:00:00Z", "PT2H"),
        make(JO, DISCUSSED, "2025-01-20T09:00:00Z", "PT1H"),
        voided,
        make(JO, STUDIED, "2025-02-05T09:00:00Z", "PT1H"),
        make(JO, LED, "2025-02-06T09:00:00Z", "PT4H", programme=None),
        make(JO, PONDERED, "2025-02-07T09:00:00Z", "PT30M"),
        make(JO, DISCUSSED, "2025-03-01T09:00:00Z"),
        make(JO, STUDIED, "2025-02-20T09:00:00Z", "PT2H", programme=OTHER_PROGRAMME),
        make(SAM, LED, "2025-01-15T09:00:00Z", "PT3H"),
        make(SAM, DISCUSSED, "2025-02-15T09:00:00Z", "PT1H"),
    ]
    assert client.post_statements(statements).status_code == 200
    voiding = {
        "actor": {"mbox": JO},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": voided["id"]},
    }
    assert client.post_statements(voiding).status_code == 200
    return client


def get(client: XAPIClient, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def modes(block: dict) -> dict[str, tuple[int, float, int]]:
    return {m: (c["statements"], c["seconds"], c["timed"]) for m, c in block["modes"].items()}


def test_learner_summary_totals_and_balance(client):
    body = get(client, f"/api/learners/{quote(JO)}/summary")
    assert body["agent"] == "mbox:mailto:jo@la.example"
    assert body["target"] == {"on-the-job": 0.7, "social": 0.2, "formal": 0.1}
    totals = body["totals"]
    assert modes(totals) == {
        "on-the-job": (2, 21600.0, 2),
        "social": (2, 3600.0, 1),
        "formal": (2, 10800.0, 2),  # the voided ten hours are not counted
    }
    assert totals["unclassified"] == {
        "statements": 1,
        "seconds": 1800.0,
        "timed": 1,
        "verbs": [{"verb": PONDERED, "statements": 1}],
    }
    assert (totals["statements"], totals["seconds"]) == (7, 37800.0)
    assert totals["balance"] == {
        "basis": "time",
        "shares": {"on-the-job": 0.6, "social": 0.1, "formal": 0.3},
        "difference": {"on-the-job": -0.1, "social": -0.1, "formal": 0.2},
    }
    assert body["periods"] == []


def test_balance_by_statement_count_and_a_custom_target(client):
    body = get(client, f"/api/learners/{quote(JO)}/summary?basis=statements&target=60/30/10")
    assert body["target"] == {"on-the-job": 0.6, "social": 0.3, "formal": 0.1}
    assert body["totals"]["balance"] == {
        "basis": "statements",
        "shares": {"on-the-job": 0.3333, "social": 0.3333, "formal": 0.3333},
        "difference": {"on-the-job": -0.2667, "social": 0.0333, "formal": 0.2333},
    }


def test_learner_summary_per_month(client):
    body = get(client, f"/api/learners/{quote(JO)}/summary?period=month")
    jan, feb, mar = body["periods"]
    assert (jan["period"], jan["from"], jan["to"]) == ("2025-01", "2025-01-01", "2025-01-31")
    assert modes(jan) == {"on-the-job": (1, 7200.0, 1), "social": (1, 3600.0, 1), "formal": (0, 0.0, 0)}
    assert jan["balance"]["shares"] == {"on-the-job": 0.6667, "social": 0.3333, "formal": 0.0}
    assert (feb["period"], feb["to"]) == ("2025-02", "2025-02-28")
    assert modes(feb) == {"on-the-job": (1, 14400.0, 1), "social": (0, 0.0, 0), "formal": (2, 10800.0, 2)}
    assert feb["unclassified"]["statements"] == 1
    assert feb["balance"]["shares"] == {"on-the-job": 0.5714, "social": 0.0, "formal": 0.4286}
    # March has one social statement without a duration: the balance falls back to counting statements.
    assert mar["balance"] == {
        "basis": "statements",
        "shares": {"on-the-job": 0.0, "social": 1.0, "formal": 0.0},
        "difference": {"on-the-job": -0.7, "social": 0.8, "formal": -0.1},
    }
    # The periods add up to the totals.
    assert sum(p["statements"] for p in body["periods"]) == body["totals"]["statements"]
    assert sum(p["seconds"] for p in body["periods"]) == body["totals"]["seconds"]


def test_date_range_includes_both_days_and_lists_empty_periods(client):
    feb = get(client, f"/api/learners/{quote(JO)}/summary?from=2025-02-01&to=2025-02-28")
    assert (feb["from"], feb["to"]) == ("2025-02-01", "2025-02-28")
    assert modes(feb["totals"]) == {
        "on-the-job": (1, 14400.0, 1),
        "social": (0, 0.0, 0),
        "formal": (2, 10800.0, 2),
    }
    one_day = get(client, f"/api/learners/{quote(JO)}/summary?from=2025-03-01&to=2025-03-01")
    assert one_day["totals"]["statements"] == 1
    spring = get(client, f"/api/learners/{quote(JO)}/summary?from=2025-01-01&to=2025-04-30&period=month")
    assert [p["period"] for p in spring["periods"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    april = spring["periods"][-1]
    assert april["statements"] == 0 and april["balance"] == {"basis": None, "shares": {}, "difference": {}}
    quarter = get(client, f"/api/learners/{quote(JO)}/summary?period=quarter")
    [q1] = quarter["periods"]
    assert (q1["period"], q1["from"], q1["to"]) == ("2025-Q1", "2025-01-01", "2025-03-31")
    assert modes(q1) == modes(quarter["totals"])


def test_learner_summary_within_a_programme(client):
    body = get(client, f"/api/learners/{quote(JO)}/summary?activity={quote(PROGRAMME)}")
    assert body["activity"] == PROGRAMME
    assert modes(body["totals"]) == {
        "on-the-job": (1, 7200.0, 1),
        "social": (2, 3600.0, 1),
        "formal": (1, 3600.0, 1),
    }
    assert body["totals"]["balance"]["shares"] == {"on-the-job": 0.5, "social": 0.25, "formal": 0.25}


def test_cohort_summary_with_its_learners(client):
    body = get(client, f"/api/cohorts/summary?activity={quote(PROGRAMME)}")
    assert body["activity"] == PROGRAMME
    assert body["learner_count"] == 2
    totals = body["totals"]
    assert modes(totals) == {
        "on-the-job": (2, 18000.0, 2),
        "social": (3, 7200.0, 2),
        "formal": (1, 3600.0, 1),
    }
    assert (totals["statements"], totals["seconds"]) == (7, 30600.0)
    assert totals["balance"]["shares"] == {"on-the-job": 0.625, "social": 0.25, "formal": 0.125}
    jo, sam = body["learners"]
    assert jo["agent"] == "mbox:mailto:jo@la.example"
    assert modes(jo)["on-the-job"] == (1, 7200.0, 1)
    assert sam["agent"] == "mbox:mailto:sam@la.example"
    assert sam["balance"]["shares"] == {"on-the-job": 0.75, "social": 0.25, "formal": 0.0}
    lean = get(client, f"/api/cohorts/summary?activity={quote(PROGRAMME)}&learners=false&period=month")
    assert "learners" not in lean
    assert [p["period"] for p in lean["periods"]] == ["2025-01", "2025-02", "2025-03"]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("from=2025-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2025-03-01&to=2025-02-01", "from"),
        ("period=fortnight", "period"),
        ("target=70/30", "target"),
        ("target=70/-20/10", "target"),
        ("basis=vibes", "basis"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, query, path):
    response = client.get(f"/api/learners/{quote(JO)}/summary?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["path"] == path


def test_cohort_summary_needs_an_activity(client):
    response = client.get("/api/cohorts/summary")
    assert response.status_code == 400
    assert response.get_json()["error"]["path"] == "activity"


def test_lrs_summary_prints_the_same_figures(client, lrs: LRS, settings):
    lrs.pm.hook.lrs_register_commands(cli=cli)
    # The command builds its own LRS from the environment; modes were stored on ingest, so it reads the same.
    runner = CliRunner()
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    as_json = runner.invoke(cli, ["summary", "--agent", JO, "--period", "month", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    api = get(client, f"/api/learners/{quote(JO)}/summary?period=month")
    assert json.loads(as_json.output) == api
    text = runner.invoke(cli, ["summary", "--activity", PROGRAMME], env=env)
    assert text.exit_code == 0, text.output
    assert "2 learners" in text.output
    assert "on-the-job" in text.output and "unclassified" in text.output
    bad = runner.invoke(cli, ["summary", "--agent", JO, "--from", "2025-02-30"], env=env)
    assert bad.exit_code != 0 and "from:" in bad.output


# --- the example cohort, played over real HTTP with the tincan client ----------------------------------------


def load_play_cohort():  # noqa: ANN201 - the example module
    path = Path(__file__).resolve().parents[2] / "examples" / "play_cohort.py"
    spec = importlib.util.spec_from_file_location("play_cohort", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["play_cohort"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_play_cohort_example_against_a_live_server(live_server, credential, capsys):
    play = load_play_cohort()
    key, secret = credential
    # "--secret=..." because a random secret may start with "-".
    args = [
        "--endpoint",
        live_server,
        f"--key={key}",
        f"--secret={secret}",
        "--participants",
        "6",
        "--months",
        "3",
    ]
    first = play.main(args)
    summary = first["summary"]
    totals = summary["totals"]
    assert summary["learner_count"] == 6  # coaches are context instructors, not learners
    assert totals["statements"] == first["statements"]
    assert all(totals["modes"][mode]["statements"] > 0 for mode in ("on-the-job", "social", "formal"))
    # Only the learning-platform log-ins are unclassified: the profile has no mode for them.
    assert totals["unclassified"]["verbs"] == [
        {
            "verb": "https://w3id.org/xapi/adl/verbs/logged-in",
            "statements": totals["unclassified"]["statements"],
        }
    ]
    assert abs(sum(totals["balance"]["shares"].values()) - 1) < 0.001
    assert [p["period"] for p in summary["periods"]][:3] == ["2025-01", "2025-02", "2025-03"]
    out = capsys.readouterr().out
    assert f"played {first['statements']} statements for 6 participants" in out
    assert "on-the-job" in out and "unclassified" in out

    # Deterministic for a seed: playing again stores nothing new and gives the same figures.
    again = play.main(args)
    assert again["statements"] == first["statements"]
    assert again["summary"]["totals"] == totals
