"""A participant's Social Work England CPD log, end to end: statements from an LMS and the participant's own
journal, exported through the API and the CLI, checked field by field. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date
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
    # By name only: the proof is that no email address appears in any format, the JSON data included.
    assert "participant_id" not in log
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
    assert residential["activity_type"] == "Course or training event"  # SWE's words, not the type IRI's
    assert residential["description"] == (
        "Two days on leading and governing practice; relevant as I move towards a practice leader role."
    )
    assert residential["learned"].startswith("Using 360 feedback")
    assert residential["impact"].startswith("I now review two audits")
    assert residential["peer_reflection"] is None
    assert residential["standards"] == []  # only SWE professional standards go under "Professional standards"
    assert residential["other_standards"] == ["KSS-PL 5"]
    assert residential["mode"] == "formal"
    assert (elearning["activity_type"], elearning["mode"], elearning["learned"]) == ("E-learning (online course)", "formal", "")
    assert coaching["activity_type"] == "Coaching"
    assert coaching["mode"] == "social"
    assert als["date"] == "2026-04-08"
    assert als["mode"] == "social"
    assert als["peer_reflection"] == {"peer": "Sam Okafor", "learned": "Sam showed me how I frame risk as blame."}
    assert [p["status"] for p in pieces] == ["draft"] * 4
    assert als["standards"] == ["SWE 4.6", "SWE 4.2"]


def test_readiness_counts_complete_records_and_the_rest_are_candidates(year):
    readiness = json.loads(export(year, "jo").data)["readiness"]
    # Two complete records, one with a peer reflection: ready; the two LMS events without answers are candidates.
    assert readiness["ready"] is True and readiness["missing"] == []
    assert (readiness["counted"], readiness["candidates"], readiness["basis"]) == (2, 2, "all complete")
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
    assert log["readiness"]["ready"] is True and log["readiness"]["counted"] == 3


def test_29_items_two_complete_one_with_a_peer_reflection_is_ready(year):
    lms = {**basic(*year["lms"]), "X-Experience-API-Version": "1.0.3"}
    more = [
        lms_statement(v.ADL_ATTENDED, f"https://lrs.example/webinars/{n}", f"Webinar {n}", "http://id.tincanapi.com/activitytype/webinar",
                      f"2026-05-{n:02d}T10:00:00Z")
        for n in range(1, 26)
    ]
    assert year["client"].post("/xapi/statements", json=more, headers=lms).status_code == 200
    log = json.loads(export(year, "jo").data)
    assert len(log["pieces"]) == 29
    assert log["readiness"]["ready"] is True and log["readiness"]["missing"] == []
    assert (log["readiness"]["counted"], log["readiness"]["candidates"]) == (2, 27)
    markdown = export(year, "jo", "md").data.decode()
    assert "has no answer" not in markdown and "27 other items are candidates" in markdown


def status_statement(verb: str, statement_id: str, when: str) -> dict:
    return {
        "actor": {"objectType": "Agent", "name": "Jo Bloggs", "mbox": JO},
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "StatementRef", "id": statement_id},
        "context": {"contextActivities": {"category": [{"id": v.PROFILE_VERSION}]}},
        "timestamp": when,
    }


def test_the_participant_selects_and_submits_records_by_statement(year):
    from lrs_cpd_log.build import VERB_DESELECTED_FOR_CPD, VERB_SELECTED_FOR_CPD, VERB_SUBMITTED_CPD

    client = year["client"]
    jo = {**basic(*year["jo"]), "X-Experience-API-Version": "1.0.3"}
    pieces = {p["title"]: p for p in json.loads(export(year, "jo").data)["pieces"]}
    residential, als = pieces["First residential: leading practice"], pieces["Action learning set 2"]
    # Selecting only the residential: only selected complete records count, and it has no peer reflection.
    selected = status_statement(VERB_SELECTED_FOR_CPD, residential["statement_id"], "2026-10-01T09:00:00Z")
    assert client.post("/xapi/statements", json=selected, headers=jo).status_code == 200
    log = json.loads(export(year, "jo").data)
    assert log["readiness"]["ready"] is False and log["readiness"]["basis"] == "selected"
    assert log["readiness"]["counted"] == 1
    # Submitting the action learning set (pointing at any of its statements) completes the year.
    submitted = status_statement(VERB_SUBMITTED_CPD, als["statement_ids"][-1], "2026-11-02T18:30:00Z")
    assert client.post("/xapi/statements", json=submitted, headers=jo).status_code == 200
    log = json.loads(export(year, "jo").data)
    by_title = {p["title"]: p for p in log["pieces"]}
    assert by_title["First residential: leading practice"]["status"] == "selected"
    assert (by_title["Action learning set 2"]["status"], by_title["Action learning set 2"]["submitted_on"]) == ("submitted", "2026-11-02")
    assert by_title["Safeguarding update"]["status"] == "draft"
    assert log["readiness"]["ready"] is True and log["readiness"]["counted"] == 2
    rows = list(csv.DictReader(io.StringIO(export(year, "jo", "csv").data.decode("utf-8-sig"))))
    assert [(r["Title"], r["Status"], r["Date submitted"]) for r in rows if r["Status"] != "draft"] == [
        ("First residential: leading practice", "selected", ""),
        ("Action learning set 2", "submitted", "2026-11-02"),
    ]
    # Deselecting the residential takes it back to a draft: one selected record is not enough.
    back = status_statement(VERB_DESELECTED_FOR_CPD, residential["statement_id"], "2026-11-03T09:00:00Z")
    assert client.post("/xapi/statements", json=back, headers=jo).status_code == 200
    log = json.loads(export(year, "jo").data)
    assert {p["title"]: p["status"] for p in log["pieces"]}["First residential: leading practice"] == "draft"
    assert log["readiness"]["ready"] is False


def test_ilm_assessment_evidence_stays_out_unless_chosen(year):
    from lrs_cpd_log.build import VERB_SELECTED_FOR_CPD

    client = year["client"]
    ilm_criterion = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
    evidence = [
        {
            "what": "Witness testimony: chairing the MASH meeting",
            "description": "My service manager saw me chair a multi-agency meeting.",
            "mode": "on-the-job",
            "date": "2026-06-10",
            "evidence_type": "witness-testimony",
            "witness": {"name": "Priya Shah", "role": "Service manager", "testimony": "Jo chaired it well."},
        },
        {
            "what": "Team workload dashboard",
            "description": "A work product for ILM unit 501.",
            "mode": "on-the-job",
            "date": "2026-06-12",
            "evidence_type": "product",
        },
    ]
    response = client.post("/api/journal", json=evidence, headers=basic(*year["jo"]))
    assert response.status_code == 200, response.get_json()
    log = json.loads(export(year, "jo").data)
    titles = [p["title"] for p in log["pieces"]]
    assert "Witness testimony: chairing the MASH meeting" not in titles and "Team workload dashboard" not in titles
    assert all(ilm_criterion not in code and not code.startswith("ILM") for p in log["pieces"] for code in p["standards"])
    # Chosen by the participant, a work product joins the log.
    xapi = {**basic(*year["admin"]), "X-Experience-API-Version": "1.0.3"}
    found = client.get(f"/xapi/statements?agent={quote(json.dumps({'mbox': JO}))}&verb={quote(v.VERB_REFLECTED)}", headers=xapi)
    product = next(s for s in found.get_json()["statements"] if s["object"]["definition"]["name"]["en-GB"] == "Team workload dashboard")
    jo = {**basic(*year["jo"]), "X-Experience-API-Version": "1.0.3"}
    chosen = status_statement(VERB_SELECTED_FOR_CPD, product["id"], "2026-10-01T09:00:00Z")
    assert client.post("/xapi/statements", json=chosen, headers=jo).status_code == 200
    log = json.loads(export(year, "jo").data)
    [piece] = [p for p in log["pieces"] if p["title"] == "Team workload dashboard"]
    assert (piece["status"], piece["evidence_type"]) == ("selected", "product")


def test_no_email_address_in_any_format_and_names_of_people_are_warned_about(year):
    for fmt in ("json", "csv", "md", "html"):
        body = export(year, "jo", fmt).data.decode("utf-8-sig")
        assert "sam@la.example" not in body and "mailto:" not in body, fmt
        assert "@la.example" not in body, fmt  # not even the participant's own address, in the JSON data too
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(export(year, "jo", "pdf").data)).pages)
    assert "@" not in text
    [als] = [p for p in json.loads(export(year, "jo").data)["pieces"] if p["title"] == "Action learning set 2"]
    assert als["privacy_warnings"] == [
        "'Action learning set 2' (2026-04-08): the answer to 'Describe what you have learnt from discussing this CPD "
        "activity with a peer' names Sam, the peer; Social Work England asks you not to name colleagues or people "
        "who use services."
    ]
    assert "names Sam, the peer" in export(year, "jo", "md").data.decode()


EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def test_no_email_address_in_any_format_for_a_record_full_of_them(year):
    """Addresses everywhere a statement can carry them (the actor, with no name; a peer and a witness with an
    address for a name; an instructor; context agents; a team): none is printed in any format."""
    client = year["client"]
    lms = {**basic(*year["lms"]), "X-Experience-API-Version": "2.0.0"}  # contextAgents are xAPI 2.0
    nameless = {
        "actor": {"objectType": "Agent", "mbox": JO},
        "verb": {"id": v.ADL_ATTENDED, "display": {"en-GB": "attended"}},
        "object": {"id": "https://lms.example/activities/team-day", "definition": {
            "name": {"en-GB": "Team day"}, "type": v.TYPE_SEMINAR}},
        "context": {
            "instructor": {"objectType": "Agent", "name": "trainer@college.example", "mbox": "mailto:trainer@college.example"},
            "team": {"objectType": "Group", "member": [{"objectType": "Agent", "mbox": "mailto:ash@la.example"}]},
            "contextAgents": [{"objectType": "contextAgent", "agent": {"objectType": "Agent", "mbox": "mailto:kim@la.example"}}],
        },
        "timestamp": "2026-05-05T10:00:00Z",
    }
    assert client.post("/xapi/statements", json=nameless, headers=lms).status_code == 200
    entries = [
        {
            "what": "Supervision with a new practice supervisor",
            "description": "Monthly supervision.",
            "mode": "social",
            "date": "2026-05-06",
            "reflection": {"learned": "I rush the risk discussion.", "impact": "I now open with risk."},
            "peer": {"agent": "mailto:lee@la.example", "name": "lee@la.example", "reflection": "Lee asked good questions."},
        },
        {
            "what": "Observed chairing a strategy meeting",
            "mode": "on-the-job",
            "date": "2026-05-07",
            "evidence_type": "observation",
            "witness": {"name": "priya@la.example", "role": "Service manager",
                        "agent": {"mbox": "mailto:priya@la.example", "name": "priya@la.example"}},
        },
    ]
    assert client.post("/api/journal", json=entries, headers=basic(*year["jo"])).status_code == 200
    # The observation is ILM evidence: chosen, it is printed too, so its witness is checked in every format.
    from lrs_cpd_log.build import VERB_SELECTED_FOR_CPD

    admin = {**basic(*year["admin"]), "X-Experience-API-Version": "1.0.3"}
    found = client.get(f"/xapi/statements?agent={quote(json.dumps({'mbox': JO}))}&verb={quote(v.VERB_REFLECTED)}", headers=admin)
    observation = next(s for s in found.get_json()["statements"] if s["object"]["definition"]["name"]["en-GB"].startswith("Observed"))
    jo = {**basic(*year["jo"]), "X-Experience-API-Version": "1.0.3"}
    chosen = status_statement(VERB_SELECTED_FOR_CPD, observation["id"], "2026-10-01T09:00:00Z")
    assert client.post("/xapi/statements", json=chosen, headers=jo).status_code == 200
    for fmt in ("json", "csv", "md", "html", "pdf"):
        response = export(year, "jo", fmt)
        assert response.status_code == 200, fmt
        if fmt == "pdf":
            body = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
        else:
            body = response.data.decode("utf-8-sig")
        assert "Observed chairing a strategy meeting" in body and "Team day" in body, fmt
        assert EMAIL_ADDRESS.search(body) is None, (fmt, EMAIL_ADDRESS.search(body))


def test_titles_names_and_repeated_events(year):
    client = year["client"]
    lms = {**basic(*year["lms"]), "X-Experience-API-Version": "2.0.0"}  # contextAgents are xAPI 2.0
    nameless = {
        "actor": {"objectType": "Agent", "name": "Jo", "mbox": JO},
        "verb": {"id": v.ADL_ATTENDED, "display": {"en-GB": "attended"}},
        "object": {"id": "https://lms.example/activities/8c1e2f", "definition": {"type": v.TYPE_SUPERVISION_SESSION}},
        "timestamp": "2026-08-01T10:00:00Z",  # the latest statement, and it says only "Jo"
    }
    again = lms_statement(v.ADL_ATTENDED, COACHING, "Coaching session 3", v.TYPE_COACHING_SESSION, "2026-07-20T10:00:00Z")
    assert client.post("/xapi/statements", json=[again, nameless], headers=lms).status_code == 200
    # Jo's own title for the residential is kept over the LMS's name for it.
    entry = {
        "what": "Leading practice: what the residential changed for me",
        "activity": RESIDENTIAL,
        "description": "A second look at the residential.",
        "mode": "formal",
        "date": "2026-01-20",
        "reflection": {"learned": "Quality assurance is leadership.", "impact": "Audits are now monthly."},
    }
    assert client.post("/api/journal", json=entry, headers=basic(*year["jo"])).status_code == 200
    log = json.loads(export(year, "jo").data)
    titles = [p["title"] for p in log["pieces"]]
    assert "Leading practice: what the residential changed for me" in titles
    assert "Supervision on 1 August 2026" in titles and not any(t.startswith("http") for t in titles)
    # The coaching session on 2 March and again on 20 July are two pieces, each on its own date.
    assert [p["date"] for p in log["pieces"] if p["title"] == "Coaching session 3"] == ["2026-03-02", "2026-07-20"]
    # The latest LMS statement calls her "Jo"; the fuller name wins.
    assert log["participant_name"] == "Jo Bloggs"


def test_a_reflection_on_an_lms_event_joins_that_event_and_repeats_stay_apart(year):
    client = year["client"]
    lms = {**basic(*year["lms"]), "X-Experience-API-Version": "1.0.3"}
    again = lms_statement(v.ADL_ATTENDED, COACHING, "Coaching session 3", v.TYPE_COACHING_SESSION, "2026-07-20T10:00:00Z")
    assert client.post("/xapi/statements", json=again, headers=lms).status_code == 200
    admin = {**basic(*year["admin"]), "X-Experience-API-Version": "1.0.3"}
    found = client.get(f"/xapi/statements?verb={quote(v.ADL_ATTENDED)}&activity={quote(COACHING)}", headers=admin)
    first = next(s for s in found.get_json()["statements"] if s["timestamp"].startswith("2026-03-02"))
    # Written on 21 July, after the second session, about the first one: it joins 2 March, not 20 July.
    entry = {
        "reflects_on": first["id"],
        "what": "Coaching session 3",
        "description": "Coaching on holding authority with partner agencies.",
        "mode": "social",
        "date": "2026-07-21",
        "reflection": {"learned": "I defer to police colleagues too early.", "impact": "I now summarise our view first."},
    }
    assert client.post("/api/journal", json=entry, headers=basic(*year["jo"])).status_code == 200
    # A reflection under a title and activity of its own, on the 20 July session, joins that session too.
    second = next(s for s in found.get_json()["statements"] if s["timestamp"].startswith("2026-07-20"))
    own = {
        "reflects_on": second["id"],
        "activity": "https://lrs.example/journal/my-coaching-notes",
        "what": "My notes on coaching in July",
        "description": "The second session, on delegation.",
        "mode": "social",
        "date": "2026-07-22",
        "reflection": {"learned": "I hold on to tasks.", "impact": "I delegate the chairing of core groups."},
    }
    assert client.post("/api/journal", json=own, headers=basic(*year["jo"])).status_code == 200
    pieces = json.loads(export(year, "jo").data)["pieces"]
    coaching = [p for p in pieces if second["id"] in p["statement_ids"] or first["id"] in p["statement_ids"]]
    assert [(p["date"], p["title"], p["learned"]) for p in coaching] == [
        ("2026-03-02", "Coaching session 3", "I defer to police colleagues too early."),
        ("2026-07-20", "My notes on coaching in July", "I hold on to tasks."),
    ]
    assert not any(p["date"] in ("2026-07-21", "2026-07-22") for p in pieces)  # no piece of its own


def test_deadline_passed_on_5_december(year, monkeypatch):
    import lrs_cpd_log.plugin

    monkeypatch.setattr(lrs_cpd_log.plugin, "_today", lambda: date(2026, 12, 5))
    log = json.loads(export(year, "jo").data)
    assert log["rules"]["deadline"] == "2026-11-30" and log["rules"]["renewal_window_opens"] == "2026-09-01"
    assert any("The deadline for 2025–26 (30 November 2026, 11.59pm) has passed" in w for w in log["readiness"]["warnings"])
    monkeypatch.setattr(lrs_cpd_log.plugin, "_today", lambda: date(2026, 11, 20))
    assert "renewal window for 2025–26 is open" in export(year, "jo", "md").data.decode()


def test_csv_markdown_html_and_pdf_parse_back(year):
    rows = list(csv.reader(io.StringIO(export(year, "jo", "csv").data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Title", "Type of CPD", "Short description, and why it is relevant to your practice", "Date"]
    als = dict(zip(rows[0], rows[4], strict=True))
    assert als["Title"] == "Action learning set 2" and als["Discussed with"] == "Sam Okafor"
    assert als["Professional standards"] == "SWE 4.6; SWE 4.2"
    markdown = export(year, "jo", "md").data.decode()
    assert "# CPD record 2025–26: Jo Bloggs" in markdown and "Ready: your records meet" in markdown
    html_page = export(year, "jo", "html").data.decode()
    assert "Sam showed me how I frame risk as blame." in html_page
    response = export(year, "jo", "pdf")
    assert response.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in ("CPD record 2025–26: Jo Bloggs", "Action learning set 2", "Sam Okafor", "KSS-PL 5", "Ready: your records"):
        assert expected in text


def test_the_summary_is_the_logs_readiness_and_a_line_per_piece(year):
    full = json.loads(export(year, "jo").data)
    response = export(year, "jo", summary="yes")
    assert response.status_code == 200
    summary = json.loads(response.data)
    assert summary["summary"] is True
    assert summary["readiness"] == full["readiness"]
    assert (summary["year"], summary["period_start"], summary["period_end"]) == (full["year"], full["period_start"], full["period_end"])
    assert summary["pieces"] == [
        {
            "statement_id": p["statement_id"],
            "date": p["date"],
            "title": p["title"],
            "activity_type": p["activity_type"],
            "complete": bool(p["description"] and p["learned"] and p["impact"]),
            "peer_reflection": p["peer_reflection"] is not None,
            "status": p["status"],
        }
        for p in full["pieces"]
    ]
    assert [p["complete"] for p in summary["pieces"]] == [True, False, False, True]
    as_csv = export(year, "jo", "csv", summary="yes")
    assert as_csv.status_code == 400 and as_csv.get_json()["error"]["path"] == "summary"
    unclear = export(year, "jo", summary="perhaps")
    assert unclear.status_code == 400 and unclear.get_json()["error"]["path"] == "summary"


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
    assert [r[0] for r in rows[1:]] == [
        "First residential: leading practice",
        "Safeguarding update",
        "Coaching session 3",
        "Action learning set 2",
    ]
    bad = CliRunner().invoke(cli, ["export", "cpd-log", "--agent", JO, "--year", "soon"])
    assert bad.exit_code != 0 and "year" in bad.output


# --- readiness without exporting: the lrs_readiness hook (pages and the lead's dashboard) ---------------------


def readiness_of(year: dict, agents: list[str], which: int = 2026) -> dict:
    from lrs.services.exports import year_readiness

    found = year_readiness(year["lrs"], [f"mbox:{a}" for a in agents], which)
    return {key.removeprefix("mbox:"): [r for r in answers if r.exporter == "cpd-log"] for key, answers in found.items()}


def agrees_with_the_export(year: dict, readiness, agent: str = JO, which: int = 2026) -> None:  # noqa: ANN001
    full = json.loads(year["client"].get(
        f"/api/learners/{quote(agent)}/exports/cpd-log?format=json&year={which}", headers=basic(*year["admin"])).data)
    assert (readiness.ready, list(readiness.missing), list(readiness.warnings), readiness.counted) == (
        full["readiness"]["ready"], full["readiness"]["missing"], full["readiness"]["warnings"], full["readiness"]["counted"])
    assert (readiness.year_label, readiness.period_start.isoformat(), readiness.period_end.isoformat()) == (
        full["year"], full["period_start"], full["period_end"])
    assert (readiness.deadline.isoformat(), readiness.required) == (
        full["rules"]["deadline"], full["rules"]["minimum_records"])
    assert [p["statement_id"] for p in readiness.pieces] == [p["statement_id"] for p in full["pieces"]]
    assert [(p["title"], p["date"], p["status"], p["complete"], p["peer_reflection"]) for p in readiness.pieces] == [
        (p["title"], p["date"], p["status"], bool(p["description"] and p["learned"] and p["impact"]),
         p["peer_reflection"] is not None) for p in full["pieces"]]


def test_readiness_agrees_with_the_full_export(year):
    [jo] = readiness_of(year, [JO])[JO]
    assert jo.ready is True and jo.counted == 2 and jo.complete == 2 and len(jo.pieces) == 4
    agrees_with_the_export(year, jo)
    # A year with nothing in it: not ready, no pieces, the same as its export says.
    [empty] = readiness_of(year, [JO], 2024)[JO]
    assert empty.ready is False and empty.pieces == ()
    agrees_with_the_export(year, empty, which=2024)


def test_readiness_counts_a_selection_made_after_the_year_as_the_export_does(year):
    from lrs_cpd_log.build import VERB_SELECTED_FOR_CPD

    jo_api = {**basic(*year["jo"]), "X-Experience-API-Version": "1.0.3"}
    residential = json.loads(export(year, "jo").data)["pieces"][0]
    # Selected on 2 December 2026, in the next registration year: the 2025-26 log still counts the choice.
    late = status_statement(VERB_SELECTED_FOR_CPD, residential["statement_id"], "2026-12-02T09:00:00Z")
    assert year["client"].post("/xapi/statements", json=late, headers=jo_api).status_code == 200
    [jo] = readiness_of(year, [JO])[JO]
    assert jo.ready is False and jo.counted == 1 and jo.pieces[0]["status"] == "selected"
    agrees_with_the_export(year, jo)


def test_readiness_of_many_learners_is_one_read_and_agrees_learner_by_learner(year):
    from sqlalchemy import event

    nobody = "mailto:nobody@la.example"
    lrs = year["lrs"]
    one = readiness_of(year, [JO])
    sent: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        if "statements" in statement.lower():
            sent.append(statement)

    event.listen(lrs.db.engine, "before_cursor_execute", count)
    try:
        readiness_of(year, [JO])
        for_one = len(sent)
        sent.clear()
        many = readiness_of(year, [JO, SAM, nobody])
    finally:
        event.remove(lrs.db.engine, "before_cursor_execute", count)
    # The learners with anything recorded are found first (their days' totals, and the CPD selections through
    # the verb index), then their statements come from one query: never a query per learner.
    assert for_one <= 2 and len(sent) <= 2, "the statements of every learner asked about come from one query"
    assert many[JO] == one[JO]
    assert list(many) == [JO, SAM, nobody]
    for agent in (SAM, nobody):
        [readiness] = many[agent]
        assert readiness.agent_key == f"mbox:{agent}"
        agrees_with_the_export(year, readiness, agent)
    assert many[nobody][0].ready is False and many[nobody][0].pieces == ()


def test_a_failing_readiness_plugin_is_left_out(year, monkeypatch):
    import lrs_cpd_log.plugin

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom")

    monkeypatch.setattr(lrs_cpd_log.plugin, "learner_records", broken)
    assert readiness_of(year, [JO]) == {JO: []}


# --- a cohort's readiness (the lead's dashboard) through the year's edge cases ------------------------------------


def cohort_agrees_with_each_export(year: dict, agents: list[str], which: int = 2026) -> dict:
    """The readiness of several learners asked for at once (what the lead's dashboard asks) says, learner by
    learner, what each one's own export of the year says (worked out from all their statements)."""
    found = readiness_of(year, agents, which)
    for agent in agents:
        [mine] = found[agent]
        agrees_with_the_export(year, mine, agent, which)
    return {agent: found[agent][0] for agent in agents}


def test_a_cohorts_readiness_agrees_with_each_export_through_the_years_edge_cases(year):
    from lrs_cpd_log.build import VERB_DESELECTED_FOR_CPD, VERB_SELECTED_FOR_CPD

    client, nobody = year["client"], "mailto:nobody@la.example"
    lms = {**basic(*year["lms"]), "X-Experience-API-Version": "1.0.3"}
    jo_api = {**basic(*year["jo"]), "X-Experience-API-Version": "1.0.3"}
    admin = {**basic(*year["admin"]), "X-Experience-API-Version": "1.0.3"}
    people = [JO, SAM, nobody]
    found = cohort_agrees_with_each_export(year, people)
    assert found[JO].ready is True and found[SAM].counted == 0
    # Sam's LMS statements carry the answers themselves (no journal): complete pieces without a reflection.
    answered = [
        lms_statement(v.ADL_ATTENDED, f"https://lrs.example/workshops/{n}", f"Workshop {n}", v.TYPE_RESIDENTIAL,
                      f"2026-0{n}-10T10:00:00Z", actor=SAM, description={"en-GB": f"Workshop {n} on risk."})
        | {"result": {"response": f"What I learnt at workshop {n}.", "extensions": {v.EXT_IMPACT: "Fewer drifting plans."}}}
        for n in (5, 6)
    ]
    answered[0]["context"]["extensions"] = {v.EXT_PEER_REFLECTION: "A peer's view of my risk talk."}
    # ... and one more fact of the same activity the same day, which joins the piece (its title, its mode).
    extra = lms_statement(v.ADL_COMPLETED, "https://lrs.example/workshops/5", "Workshop 5", v.TYPE_RESIDENTIAL,
                          "2026-05-10T15:00:00Z", actor=SAM)
    assert client.post("/xapi/statements", json=[*answered, extra], headers=lms).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[SAM].counted == 2, found[SAM]
    # Sam reflects (no description of her own) on a webinar whose LMS statement describes it: the piece is
    # complete with the LMS's description, so the webinar's statements are read with the reflection.
    webinar = "https://lrs.example/webinars/9"
    described = lms_statement(v.ADL_ATTENDED, webinar, "Webinar 9", "http://id.tincanapi.com/activitytype/webinar",
                              "2026-07-01T10:00:00Z", actor=SAM, description={"en-GB": "On multi-agency risk."})
    assert client.post("/xapi/statements", json=described, headers=lms).status_code == 200
    sam_api = {**basic(*year["sam"]), "X-Experience-API-Version": "1.0.3"}
    thought = {"actor": {"mbox": SAM}, "verb": {"id": v.VERB_REFLECTED}, "object": {"id": webinar},
               "result": {"response": "Risk is shared.", "extensions": {v.EXT_IMPACT: "I call partners first."}},
               "timestamp": "2026-07-02T10:00:00Z"}
    assert client.post("/xapi/statements", json=thought, headers=sam_api).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[SAM].counted == 3, found[SAM]
    # Jo selects the e-learning, which has no answers: only the selected count, and it is incomplete.
    pieces = {p["title"]: p for p in json.loads(export(year, "jo").data)["pieces"]}
    elearning = pieces["Safeguarding update"]["statement_id"]
    selected = status_statement(VERB_SELECTED_FOR_CPD, elearning, "2026-06-01T09:00:00Z")
    assert client.post("/xapi/statements", json=selected, headers=jo_api).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[JO].ready is False and any("is selected but has no answer" in m for m in found[JO].missing)
    # ... then withdraws it: every complete piece counts again.
    withdrawn = status_statement(VERB_DESELECTED_FOR_CPD, elearning, "2026-06-02T09:00:00Z")
    assert client.post("/xapi/statements", json=withdrawn, headers=jo_api).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[JO].ready is True
    # A reflection written outside the year, on this year's coaching session (its own activity), and one that
    # names the coaching session's statement while being about another activity (context.statement).
    coaching = json.loads(client.get(f"/xapi/statements?activity={quote(COACHING)}&agent={quote(json.dumps({'mbox': JO}))}",
                                     headers=admin).data)["statements"][0]["id"]
    reflections = [
        {"actor": {"mbox": JO, "name": "Jo Bloggs"}, "verb": {"id": v.VERB_REFLECTED},
         "object": {"id": COACHING, "definition": {"description": {"en-GB": "Coaching, again."}}},
         "result": {"response": "Late thoughts.", "extensions": {v.EXT_IMPACT: "Late impact."}},
         "timestamp": "2026-12-20T10:00:00Z"},
        {"actor": {"mbox": JO, "name": "Jo Bloggs"}, "verb": {"id": v.VERB_REFLECTED},
         "object": {"id": "https://lrs.example/journal/on-coaching", "definition": {
             "description": {"en-GB": "What coaching 3 taught me."}}},
         "context": {"statement": {"objectType": "StatementRef", "id": coaching}},
         "result": {"response": "I defer too early.", "extensions": {v.EXT_IMPACT: "I speak first now."}},
         "timestamp": "2026-03-05T10:00:00Z"},
    ]
    assert client.post("/xapi/statements", json=reflections, headers=jo_api).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[JO].counted == 3
    cohort_agrees_with_each_export(year, people, 2027)
    # Jo selects the coaching session's statement: its piece is the one the reflection that names it joined
    # (complete, with the reflection's answers), so only it counts and nothing selected lacks an answer.
    chosen = status_statement(VERB_SELECTED_FOR_CPD, coaching, "2026-06-03T09:00:00Z")
    assert client.post("/xapi/statements", json=chosen, headers=jo_api).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert (found[JO].counted, found[JO].ready) == (1, False)
    assert not any("is selected but has no answer" in m for m in found[JO].missing)
    withdrawn = status_statement(VERB_DESELECTED_FOR_CPD, coaching, "2026-06-04T09:00:00Z")
    assert client.post("/xapi/statements", json=withdrawn, headers=jo_api).status_code == 200
    assert cohort_agrees_with_each_export(year, people)[JO].counted == 3
    # Voided: Jo's peer-reflected journal entry goes, and with it the year's peer reflection.
    journal = [s for s in json.loads(client.get(
        f"/xapi/statements?verb={quote(v.VERB_REFLECTED)}&agent={quote(json.dumps({'mbox': JO}))}&limit=50",
        headers=admin).data)["statements"] if (s.get("context") or {}).get("extensions", {}).get(v.EXT_PEER_REFLECTION)]
    assert journal
    for s in journal:
        void = {"actor": {"mbox": JO}, "verb": {"id": v.ADL_VOIDED}, "object": {"objectType": "StatementRef", "id": s["id"]}}
        assert client.post("/xapi/statements", json=void, headers=admin).status_code == 200
    found = cohort_agrees_with_each_export(year, people)
    assert found[JO].ready is False
