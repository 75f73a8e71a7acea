"""A participant's Social Work England CPD log, end to end: statements from an LMS and the participant's own
journal, exported through the API and the CLI, checked field by field. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import io
import json
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import make_credential
from pypdf import PdfReader

from lrs.cli import cli
from lrs.learning import vocabulary as v

JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"
PROGRAMME = "https://lrs.example/programmes/pldp-2026"
RESIDENTIAL = "https://lrs.example/programmes/pldp-2026/residential-1"
ELEARNING = "https://lrs.example/courses/safeguarding-update"
COACHING = "https://lrs.example/programmes/pldp-2026/coaching-3"
SWE = "https://w3id.org/xapi/social-work-leadership/frameworks/swe-professional-standards"
KSS = "https://w3id.org/xapi/social-work-leadership/frameworks/kss-practice-leaders"


@pytest.fixture
def lrs_with_framework(lrs_instance):  # noqa: ANN001, ANN201
    """The built-in frameworks (SWE standards, KSS for practice leaders) give the standards their codes."""
    return lrs_instance


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def lms_statement(verb: str, activity: str, name: str, type_iri: str, when: str, actor: str = JO, **extra) -> dict:
    return {
        "actor": {"objectType": "Agent", "name": "Jo Bloggs", "mbox": actor},
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit("/", 1)[-1]}},
        "object": {"id": activity, "definition": {"name": {"en-GB": name}, "type": type_iri, **extra}},
        "context": {"contextActivities": {"grouping": [{"id": PROGRAMME}]}},
        "timestamp": when,
    }


@pytest.fixture
def year(app, lrs_with_framework):  # noqa: ANN001, ANN201
    """Jo's registration year 2025-26 as the LMS and Jo herself recorded it."""
    admin = make_credential(lrs_with_framework, ["all"], name="admin", role="admin")
    lms = make_credential(lrs_with_framework, ["statements/write", "statements/read"], name="LMS")
    jo = make_credential(lrs_with_framework, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}")
    sam = make_credential(lrs_with_framework, ["all"], name="Sam", role="participant", agent_key=f"mbox:{SAM}")
    client = app.test_client()
    xapi = {**basic(*lms), "X-Experience-API-Version": "1.0.3"}
    statements = [
        lms_statement(v.ADL_ATTENDED, RESIDENTIAL, "First residential: leading practice", v.TYPE_RESIDENTIAL, "2026-01-15T09:00:00Z",
                      description={"en-GB": "Two days with the cohort and our development coaches."}),
        lms_statement(v.ADL_COMPLETED, ELEARNING, "Safeguarding update", v.TYPE_E_LEARNING, "2026-02-10T14:00:00Z"),
        lms_statement(v.ADL_ATTENDED, COACHING, "Coaching session 3", v.TYPE_COACHING_SESSION, "2026-03-02T10:00:00Z"),
        # Outside the registration year, and someone else's: neither belongs in Jo's log.
        lms_statement(v.ADL_ATTENDED, "https://lrs.example/old", "Last year's seminar", v.TYPE_SEMINAR, "2025-10-01T10:00:00Z"),
        lms_statement(v.ADL_ATTENDED, RESIDENTIAL, "First residential: leading practice", v.TYPE_RESIDENTIAL, "2026-01-15T09:00:00Z", actor=SAM),
        # Session plumbing is not CPD.
        lms_statement("http://adlnet.gov/expapi/verbs/launched", ELEARNING, "Safeguarding update", v.TYPE_E_LEARNING, "2026-02-10T13:00:00Z"),
    ]
    assert client.post("/xapi/statements", json=statements, headers=xapi).status_code == 200
    journal = [
        {
            "what": "First residential: leading practice",
            "activity": RESIDENTIAL,
            "description": "Two days on leading and governing practice; relevant as I move towards a practice leader role.",
            "mode": "formal",
            "date": "2026-01-16",
            "reflection": {
                "learned": "Using 360 feedback against the KSS showed me I under-invest in quality assurance.",
                "impact": "I now review two audits a month with team managers, and families see fewer drifting plans.",
            },
            "standards": [f"{KSS}/5"],
        },
        {
            "what": "Action learning set 2",
            "description": "Presented a dilemma about a stuck child protection plan to five heads of service.",
            "mode": "social",
            "date": "2026-04-08",
            "duration": "PT2H30M",
            "reflection": {
                "learned": "I had asked 'why is the plan stuck' rather than 'who holds the risk'.",
                "impact": "Team managers now name who holds the risk at every review.",
            },
            "peer": {"agent": SAM, "name": "Sam Okafor", "reflection": "Sam showed me how I frame risk as blame."},
            "standards": [f"{SWE}/4.6", f"{SWE}/4.2"],
        },
    ]
    response = client.post("/api/journal", json=journal, headers=basic(*jo))
    assert response.status_code == 200, response.get_json()
    return {"client": client, "admin": admin, "jo": jo, "sam": sam, "lms": lms, "lrs": lrs_with_framework}


def export(year: dict, who: str, fmt: str = "json", agent: str = JO, **params: str):  # noqa: ANN201
    query = "&".join([f"format={fmt}", "year=2026", *(f"{k}={v}" for k, v in params.items())])
    return year["client"].get(f"/api/learners/{quote(agent)}/exports/cpd-log?{query}", headers=basic(*year[who]))


def test_every_field_of_the_log(year):
    response = export(year, "jo")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Disposition"] == 'attachment; filename="cpd-log-2025-26.json"'
    log = json.loads(response.data)
    assert log["participant_name"] == "Jo Bloggs"
    assert log["participant_id"] == "jo@la.example"
    assert (log["period_start"], log["period_end"], log["year"]) == ("2025-12-01", "2026-11-30", "2025–26")
    pieces = log["pieces"]
    assert [p["title"] for p in pieces] == [
        "First residential: leading practice",
        "Safeguarding update",
        "Coaching session 3",
        "Action learning set 2",
    ]
    residential, elearning, coaching, als = pieces
    assert residential["date"] == "2026-01-15"  # the activity's date, not the day Jo wrote about it
    assert residential["activity_type"] == "Residential"
    assert residential["description"] == (
        "Two days on leading and governing practice; relevant as I move towards a practice leader role."
    )
    assert residential["learned"].startswith("Using 360 feedback")
    assert residential["impact"].startswith("I now review two audits")
    assert residential["peer_reflection"] is None
    assert residential["standards"] == ["KSS-PL 5"]
    assert residential["mode"] == "formal"
    assert (elearning["activity_type"], elearning["mode"], elearning["learned"]) == ("E learning", "formal", "")
    assert coaching["mode"] == "social"
    assert als["date"] == "2026-04-08"
    assert als["mode"] == "social"
    assert als["peer_reflection"] == {"peer": "Sam Okafor (sam@la.example)", "learned": "Sam showed me how I frame risk as blame."}
    assert als["standards"] == ["SWE 4.6", "SWE 4.2"]


def test_readiness_lists_exactly_what_is_missing_then_is_met(year):
    readiness = json.loads(export(year, "jo").data)["readiness"]
    assert readiness["ready"] is False
    assert readiness["missing"] == [
        "'Safeguarding update' (2026-02-10) has no answer to 'Short description, and why it is relevant to your practice'.",
        "'Safeguarding update' (2026-02-10) has no answer to 'What did you learn?'.",
        "'Safeguarding update' (2026-02-10) has no answer to 'What impact has this had on your practice and the people you work with?'.",
        "'Coaching session 3' (2026-03-02) has no answer to 'Short description, and why it is relevant to your practice'.",
        "'Coaching session 3' (2026-03-02) has no answer to 'What did you learn?'.",
        "'Coaching session 3' (2026-03-02) has no answer to 'What impact has this had on your practice and the people you work with?'.",
    ]
    # Jo reflects on the coaching session, and removes the e-learning from her record by voiding it.
    client = year["client"]
    entry = {
        "what": "Coaching session 3",
        "activity": COACHING,
        "description": "Coaching on holding authority with partner agencies; relevant to chairing strategy meetings.",
        "mode": "social",
        "date": "2026-03-02",
        "reflection": {"learned": "I defer to police colleagues too early.", "impact": "I now summarise our view first."},
    }
    assert client.post("/api/journal", json=entry, headers=basic(*year["jo"])).status_code == 200
    xapi = {**basic(*year["admin"]), "X-Experience-API-Version": "1.0.3"}
    query = f"/xapi/statements?verb={quote(v.ADL_COMPLETED)}&activity={quote(ELEARNING)}"
    [completed] = client.get(query, headers=xapi).get_json()["statements"]
    void = {
        "actor": {"mbox": JO},
        "verb": {"id": v.ADL_VOIDED, "display": {"en-GB": "voided"}},
        "object": {"objectType": "StatementRef", "id": completed["id"]},
    }
    assert client.post("/xapi/statements", json=void, headers=xapi).status_code == 200
    log = json.loads(export(year, "jo").data)
    assert [p["title"] for p in log["pieces"]] == ["First residential: leading practice", "Coaching session 3", "Action learning set 2"]
    assert log["readiness"] == {"ready": True, "missing": [], "warnings": []}


def test_csv_markdown_html_and_pdf_parse_back(year):
    rows = list(csv.reader(io.StringIO(export(year, "jo", "csv").data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Type of CPD", "Title"]
    assert rows[4][2] == "Action learning set 2" and rows[4][6] == "Sam Okafor (sam@la.example)"
    assert "SWE 4.6; SWE 4.2" in rows[4]
    markdown = export(year, "jo", "md").data.decode()
    assert "# CPD record 2025–26: Jo Bloggs" in markdown and "Not ready yet" in markdown
    html_page = export(year, "jo", "html").data.decode()
    assert "Sam showed me how I frame risk as blame." in html_page
    response = export(year, "jo", "pdf")
    assert response.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in ("CPD record 2025–26: Jo Bloggs", "Action learning set 2", "Sam Okafor", "KSS-PL 5", "Not ready yet"):
        assert expected in text


def test_access_rules(year):
    assert export(year, "jo").status_code == 200
    assert export(year, "admin").status_code == 200
    denied = export(year, "sam")
    assert denied.status_code == 403 and denied.get_json()["error"]["rule"] == "participant-own-data"
    assert export(year, "lms").status_code == 403
    assert export(year, "sam", agent=SAM).status_code == 200
    anonymous = year["client"].get(f"/api/learners/{quote(JO)}/exports/cpd-log")
    assert anonymous.status_code == 401


def test_bad_requests_name_the_parameter(year):
    bad_format = export(year, "jo", "docx")
    assert bad_format.status_code == 400 and bad_format.get_json()["error"]["path"] == "format"
    bad_year = year["client"].get(f"/api/learners/{quote(JO)}/exports/cpd-log?year=last", headers=basic(*year["jo"]))
    assert bad_year.status_code == 400 and bad_year.get_json()["error"]["path"] == "year"
    unknown = year["client"].get(f"/api/learners/{quote(JO)}/exports/nope", headers=basic(*year["jo"]))
    assert unknown.status_code == 404
    listed = year["client"].get("/api/exporters", headers=basic(*year["jo"])).get_json()
    assert {"name": "cpd-log", "formats": ["pdf", "csv", "json", "md", "html"]}.items() <= {
        k: v for k, v in next(e for e in listed["exporters"] if e["name"] == "cpd-log").items()
    }.items()


def test_cli_export_writes_the_file(year, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    target = tmp_path / "jo.csv"
    result = CliRunner().invoke(
        cli, ["export", "cpd-log", "--agent", JO, "--year", "2026", "--format", "csv", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == [
        "First residential: leading practice",
        "Safeguarding update",
        "Coaching session 3",
        "Action learning set 2",
    ]
    bad = CliRunner().invoke(cli, ["export", "cpd-log", "--agent", JO, "--year", "soon"])
    assert bad.exit_code != 0 and "year" in bad.output
