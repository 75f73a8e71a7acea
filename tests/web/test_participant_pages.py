"""The participant's pages through Flask's test client: My record, Record learning (and "reflect on this"), the
CPD log with its downloads, qualification progress; a stranger is sent to sign in, someone else's record is
refused."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from lrs.learning import vocabulary as v

from .conftest import csrf_from, make_user
from .test_sessions import sign_in

PAGES = ("/record", "/record/new", "/cpd-log", "/cpd-log/download?format=csv", "/progress", "/progress/portfolio")
KSS_PL_1 = None  # filled from the loaded frameworks in a test that needs it


def lms_event(actor: str, *, name: str, verb: str = "completed", platform: str | None = "Moodle") -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example/courses/{uuid.uuid4()}",
            "definition": {"name": {"en-GB": name}, "type": "http://adlnet.gov/expapi/activities/course"},
        },
        "timestamp": (date.today() - timedelta(days=1)).isoformat() + "T10:00:00Z",
    }
    if platform:
        statement["context"] = {"platform": platform}
    return statement


@pytest.fixture
def events(client) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    found = {
        "jo": lms_event("mailto:jo@la.example", name="Safeguarding adults refresher"),
        "sam": lms_event("mailto:sam@la.example", name="Sam's private course"),
    }
    assert client.post_statements(list(found.values())).status_code == 200
    return found


@pytest.fixture
def jo(lrs_instance, app):  # noqa: ANN001, ANN201
    make_user(lrs_instance)
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    return browser


def form_for(browser, path: str = "/record/new", **values: Any) -> dict[str, Any]:  # noqa: ANN001
    token = csrf_from(browser.get(path).get_data(as_text=True))
    return {"csrf_token": token, **values}


def test_a_stranger_is_sent_to_sign_in_from_every_page(app):  # noqa: ANN001
    browser = app.test_client()
    for path in PAGES:
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in?next="), path


def test_other_roles_are_refused_the_participant_pages(lrs_instance, app):  # noqa: ANN001
    make_user(lrs_instance, "kim@la.example", name="Kim", role="assessor", agent_key=None)
    browser = app.test_client()
    sign_in(browser, "kim@la.example")
    for path in PAGES:
        assert browser.get(path).status_code == 403, path


def test_my_record_shows_the_learners_events_in_words_and_filters_them(jo, events):  # noqa: ANN001
    html = jo.get("/record").get_data(as_text=True)
    assert "Safeguarding adults refresher" in html
    assert "Moodle" in html
    assert "Sam&#39;s private course" not in html and "Sam's private course" not in html
    assert f"/record/new?reflect_on={events['jo']['id']}" in html
    only_own = jo.get("/record?kind=journal").get_data(as_text=True)
    assert "Safeguarding adults refresher" not in only_own
    last_month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert "Safeguarding adults refresher" not in jo.get(f"/record?month={last_month}").get_data(as_text=True)
    assert f'<option value="{last_month}">' in jo.get("/record").get_data(as_text=True)
    bad = jo.get("/record?month=March")
    assert bad.status_code == 200
    assert "Choose a month from the list" in bad.get_data(as_text=True)


def test_my_record_is_paged(jo, client):  # noqa: ANN001
    assert client.post_statements([lms_event("mailto:jo@la.example", name=f"Course {i}") for i in range(23)]).status_code == 200
    first = jo.get("/record").get_data(as_text=True)
    assert first.count('class="timeline__item"') == 20
    assert 'rel="next"' in first
    second = jo.get("/record?page=2").get_data(as_text=True)
    assert second.count('class="timeline__item"') == 3
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_every_mistake_is_shown_next_to_its_field_and_the_values_are_kept(jo):  # noqa: ANN001
    tomorrow_but_two = (date.today() + timedelta(days=3)).isoformat()
    data = form_for(jo, what="", date=tomorrow_but_two, learned="I learned to listen", impact="", hours="lots",
                    peer_reflection="They said: slow down", evidence_type="witness-testimony")
    response = jo.post("/record/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error:" in html
    for field, message in {
        "what": "Enter what you did.",
        "date": "in the future",
        "mode": "Choose the kind of learning.",
        "impact": "Enter the difference it makes",
        "hours": "Enter how long it took in hours",
        "peer_email": "Enter the email address of the peer",
        "witness_name": "Enter the witness&#39;s name.",
    }.items():
        assert f'href="#{field}"' in html, field
        assert re.search(rf'id="{field}-error">.*{re.escape(message)}', html), field
    assert 'value="I learned to listen"' not in html  # a textarea keeps its value as text
    assert ">I learned to listen</textarea>" in html
    assert ">They said: slow down</textarea>" in html


def test_an_entry_with_a_reflection_and_standards_is_saved_and_shown(jo, lrs_instance):  # noqa: ANN001
    page = jo.get("/record/new").get_data(as_text=True)
    standard = re.search(r'name="standards" value="([^"]+)" id="std-kss-practice-leaders-1"', page).group(1)
    assert "Lead and govern excellent prac" in page  # standards are picked by name
    data = form_for(jo, what="Shadowed the duty team", date=date.today().isoformat(), mode="on-the-job",
                    learned="How triage works", impact="I ask better questions", peer_name="Ash",
                    peer_email="ash@la.example", peer_reflection="Ash showed me the rota", hours="1.5",
                    standards=[standard])
    response = jo.post("/record/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/record?notice=entry-saved"
    html = jo.get("/record?notice=entry-saved").get_data(as_text=True)
    assert "Your entry is saved" in html
    assert "Shadowed the duty team" in html and "How triage works" in html and "Ash showed me the rota" in html
    assert "You recorded this" in html


def test_a_standard_not_in_a_loaded_framework_is_refused_on_the_form(jo, lrs_instance):  # noqa: ANN001
    typo = "https://w3id.org/xapi/social-work-leadership/frameworks/kss-practice-leaders/44"
    data = form_for(jo, what="Shadowed the duty team", date=date.today().isoformat(), mode="on-the-job",
                    learned="How triage works", impact="I ask better questions", standards=[typo])
    response = jo.post("/record/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#standards"' in html
    assert re.search(r'id="standards-error">.*One of the standards is not in any framework on this system', html)
    from lrs.store.records import learner_statements

    with lrs_instance.db.read() as conn:
        assert learner_statements(conn, "mbox:mailto:jo@la.example") == []  # nothing saved


def test_reflect_on_this_attaches_the_reflection_to_that_statement(jo, events, lrs_instance):  # noqa: ANN001
    event = events["jo"]
    page = jo.get(f"/record/new?reflect_on={event['id']}").get_data(as_text=True)
    assert "You are reflecting on" in page and "Safeguarding adults refresher" in page
    assert f'name="reflects_on" value="{event["id"]}"' in page
    assert 'value="Safeguarding adults refresher"' in page  # pre-filled
    data = form_for(jo, reflects_on=event["id"], what="Safeguarding adults refresher",
                    date=date.today().isoformat(), mode="formal", description="Yearly refresher",
                    learned="The new referral route", impact="Fewer delays for families")
    assert jo.post("/record/new", data=data).status_code == 302
    from lrs.store.records import learner_statements

    with lrs_instance.db.read() as conn:
        mine = [s for s, _ in learner_statements(conn, "mbox:mailto:jo@la.example")]
    entry = next(s for s in mine if s["verb"]["id"] == v.JOURNAL_VERB)
    assert entry["context"]["statement"] == {"objectType": "StatementRef", "id": event["id"]}
    assert entry["object"]["id"] == event["object"]["id"]
    html = jo.get("/record").get_data(as_text=True)
    assert re.search(r"Your reflection \(.*The new referral route", html, re.S)  # under the event
    assert "Your reflection on: Completed: Safeguarding adults refresher (Moodle," in html  # and on the entry
    cpd = json.loads(jo.get("/cpd-log/download?format=json").get_data())
    piece = next(p for p in cpd["pieces"] if p["title"] == "Safeguarding adults refresher")
    assert piece["learned"] == "The new referral route"


def test_reflecting_on_someone_elses_statement_is_refused(jo, events):  # noqa: ANN001
    assert jo.get(f"/record/new?reflect_on={events['sam']['id']}").status_code == 403
    assert jo.get(f"/record/new?reflect_on={uuid.uuid4()}").status_code == 404
    data = form_for(jo, reflects_on=events["sam"]["id"], what="x", date=date.today().isoformat(), mode="formal",
                    learned="a", impact="b")
    response = jo.post("/record/new", data=data)
    assert response.status_code == 400
    assert "no statement of this learner" in response.get_data(as_text=True)


def test_the_cpd_log_page_shows_readiness_and_offers_every_format(jo, events):  # noqa: ANN001
    html = jo.get("/cpd-log").get_data(as_text=True)
    assert "is not complete yet" in html
    assert "30 November" in html
    for fmt in ("pdf", "csv", "json", "md", "html"):
        assert f"/cpd-log/download?format={fmt}" in html
    pdf = jo.get("/cpd-log/download?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith('attachment; filename="cpd-log-')
    assert jo.get("/cpd-log/download?format=docx").status_code == 400


def test_the_home_page_shows_recent_learning_and_the_cpd_status(jo, events):  # noqa: ANN001
    html = jo.get("/").get_data(as_text=True)
    assert "Recently" in html and "Safeguarding adults refresher" in html
    assert "Your CPD this year" in html and "is not complete yet" in html


def test_the_progress_page_lists_each_units_criteria(jo):  # noqa: ANN001
    html = jo.get("/progress").get_data(as_text=True)
    assert "Template L5 U1" in html and "No evidence yet" in html
    assert "/progress/portfolio?qualification=" in html
    response = jo.get("/progress/portfolio?qualification=ilm-l5-leadership")
    assert response.status_code == 200 and response.mimetype == "application/zip"


def test_progress_shows_each_criterions_status_and_the_assessors_feedback(jo, lrs_instance, app):  # noqa: ANN001
    import base64

    from lrs.store.credentials import create_credential

    def make_credential(lrs: Any, scopes: list[str], **fields: Any) -> tuple[str, str]:
        home = lrs.settings.authority_home_page
        return lrs.db.write(lambda conn: create_credential(conn, scopes=scopes, authority_home_page=home, **fields))

    ilm5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
    north = "https://centre.example/cohorts/ilm5-2026-north"
    criterion = f"{ilm5}/U1.AC1.1"

    def caller(credential: tuple[str, str]) -> dict[str, str]:
        token = base64.b64encode(":".join(credential).encode()).decode()
        return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}

    jo_api = caller(make_credential(lrs_instance, [], name="Jo", role="participant", agent_key="mbox:mailto:jo@la.example"))
    ann = caller(make_credential(lrs_instance, [], name="Ann Assessor", role="assessor",
                                 agent_key="mbox:mailto:ann@centre.example", cohorts=[north]))
    from lrs.store.enrolments import enrol

    # Jo is enrolled in Ann's cohort: membership is an enrolment, not a side effect of Jo's own statements.
    lrs_instance.db.write(lambda conn: enrol(conn, north, "mbox:mailto:jo@la.example", enrolled_by="test"))
    api = app.test_client()
    entry = {"what": "Led the team meeting on the duty rota", "mode": "on-the-job", "date": "2026-10-01",
             "reflection": {"learned": "Consult first", "impact": "Rota changes go to the team first"},
             "programme": north, "standards": [criterion]}
    evidence = api.post("/api/journal", json=entry, headers=jo_api).get_json()["ids"][0]
    decided = api.post("/api/reviews", json={"evidence": evidence, "criterion": criterion, "outcome": "referred",
                                             "feedback": "Say which leadership model you used.",
                                             "rationale": "The account names no model."}, headers=ann)
    assert decided.status_code == 201, decided.get_json()
    html = jo.get("/progress").get_data(as_text=True)
    assert "Not yet met: your assessor asked for more" in html
    assert "Say which leadership model you used." in html
    assert "Led the team meeting on the duty rota" in html


def test_files_are_attached_and_a_file_over_the_limit_is_named(jo, lrs_instance):  # noqa: ANN001
    import io

    from lrs.learning.journal import MAX_ATTACHMENT_BYTES

    fields = dict(what="Wrote the team's duty rota", date=date.today().isoformat(), mode="on-the-job",
                  evidence_type="product")
    page = jo.get("/record/new").get_data(as_text=True)
    assert "Up to 10 files, each at most 10 MB." in page
    too_big = form_for(jo, **fields)
    too_big["attachments"] = [(io.BytesIO(b"ok"), "notes.txt"), (io.BytesIO(b"x" * (MAX_ATTACHMENT_BYTES + 1)), "big.pdf")]
    response = jo.post("/record/new", data=too_big, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "File 2 is" in html and "larger than 10 MiB" in html
    assert 'value="Wrote the team&#39;s duty rota"' in html
    good = form_for(jo, **fields)
    good["attachments"] = [(io.BytesIO(b"rota v2"), "rota.txt")]
    assert jo.post("/record/new", data=good, content_type="multipart/form-data").status_code == 302
    from lrs.store.records import learner_statements

    with lrs_instance.db.read() as conn:
        entry = next(s for s, _ in learner_statements(conn, "mbox:mailto:jo@la.example") if "attachments" in s)
    assert entry["attachments"][0]["display"] == {"en-GB": "rota.txt"}
    assert entry["attachments"][0]["length"] == 7


def test_a_form_larger_than_the_request_limit_is_a_page_saying_nothing_was_saved(jo, app, lrs_instance):  # noqa: ANN001
    import io

    data = form_for(jo, what="x", date=date.today().isoformat(), mode="formal", learned="a", impact="b")
    app.config["MAX_CONTENT_LENGTH"] = 4096
    data["attachments"] = [(io.BytesIO(b"x" * 8192), "big.txt")]
    response = jo.post("/record/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too large: a form with its files can be at most 4 KB in all. Nothing was saved." in response.get_data(as_text=True)
