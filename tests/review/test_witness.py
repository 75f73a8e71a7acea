"""Issue 20: witness testimony confirmed by the witness through a one-time link."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from lrs.learning import vocabulary as v
from lrs.store import assessment as unit_store

from .conftest import JO, U1

TESTIMONY = "Jo chaired the panel calmly and kept to the evidence."
EXPORT = f"/api/learners/{quote(JO, safe='')}/exports/ilm-portfolio?qualification=ilm-l5-leadership"


@pytest.fixture
def testimony(centre) -> str:
    return centre["jo"].journal(
        what="Chaired the rota review panel", evidence_type="witness-testimony", reflection=None, standards=[U1[5]],
        witness={"name": "Priya Shah", "role": "Head of Service", "relationship": "line manager",
                 "date": "2026-10-20", "testimony": TESTIMONY},
    )


def _link(centre, evidence: str) -> str:
    made = centre["jo"].post("/api/witness-requests", {"evidence": evidence})
    assert made.status_code == 201, made.get_json()
    url = made.get_json()["url"]
    assert "/witness/" in url and made.get_json()["witness"]["name"] == "Priya Shah"
    return "/witness/" + url.rsplit("/witness/", 1)[1]


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_who_may_ask_for_a_witness_link(centre, testimony):
    assert centre["kim"].post("/api/witness-requests", {"evidence": testimony}).status_code == 403
    assert centre["bob"].post("/api/witness-requests", {"evidence": testimony}).status_code == 403
    assert centre["ann"].post("/api/witness-requests", {"evidence": testimony}).status_code == 201
    plain = centre["jo"].journal(standards=[U1[0]])
    refused = centre["jo"].post("/api/witness-requests", {"evidence": plain})
    assert refused.status_code == 400 and refused.get_json()["error"]["rule"] == "no-testimony"


def test_the_witness_confirms_through_the_link_once(centre, testimony, app, lrs_instance):
    path = _link(centre, testimony)
    token = path.rsplit("/", 1)[1]
    with lrs_instance.db.read() as conn:  # only the hash is stored
        assert unit_store.witness_request(conn, token) is None
        assert unit_store.witness_request(conn, hashlib.sha256(token.encode()).hexdigest()) is not None

    before = zipfile.ZipFile(io.BytesIO(centre["jo"].get(EXPORT).data)).read("index.html").decode()
    assert "not confirmed by the witness" in before and "Date signed" not in before

    browser = app.test_client()  # the witness: no account, no credential
    page = browser.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert TESTIMONY in html and "Confirm your witness testimony" in html
    assert browser.post(path, data={"answer": "confirm"}).status_code == 400  # no CSRF token
    unanswered = browser.post(path, data={"csrf_token": _csrf(html)})
    assert unanswered.status_code == 400 and "Choose whether" in unanswered.get_data(as_text=True)
    done = browser.post(path, data={"answer": "confirm", "csrf_token": _csrf(html)})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    assert browser.get(path).status_code == 404  # spent

    statements = centre["admin"].get(f"/xapi/statements?verb={quote(v.VERB_CONFIRMED_TESTIMONY, safe='')}").get_json()
    (statement,) = statements["statements"]
    assert statement["object"] == {"objectType": "StatementRef", "id": testimony}
    assert statement["actor"]["name"] == "Priya Shah"
    assert statement["result"]["extensions"][v.EXT_TESTIMONY_CORRECTED] is False

    after = zipfile.ZipFile(io.BytesIO(centre["jo"].get(EXPORT).data)).read("index.html").decode()
    today = datetime.now(UTC).date().isoformat()
    assert f"confirmed by the witness on {today}" in after


def test_the_witness_corrects_the_testimony(centre, testimony, app):
    path = _link(centre, testimony)
    browser = app.test_client()
    html = browser.get(path).get_data(as_text=True)
    empty = browser.post(path, data={"answer": "correct", "correction": " ", "csrf_token": _csrf(html)})
    assert empty.status_code == 400
    corrected = "Jo chaired the panel; I chaired the follow-up meeting."
    assert browser.post(path, data={"answer": "correct", "correction": corrected, "csrf_token": _csrf(html)}).status_code == 200
    after = zipfile.ZipFile(io.BytesIO(centre["jo"].get(EXPORT).data)).read("index.html").decode()
    assert corrected in after and "corrected and confirmed by the witness on" in after
    assert TESTIMONY in after  # the learner's first record is kept beside it


def test_an_expired_link_does_not_open(centre, testimony, app, lrs_instance):
    path = _link(centre, testimony)
    token_hash = hashlib.sha256(path.rsplit("/", 1)[1].encode()).hexdigest()

    def expire(conn):  # noqa: ANN001, ANN202
        conn.execute(unit_store.WITNESS.update().where(unit_store.WITNESS.c.token_hash == token_hash)
                     .values(expires=datetime.now(UTC) - timedelta(minutes=1)))

    lrs_instance.db.write(expire)
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/witness/not-a-token").status_code == 404


# --- observations and professional discussions recorded by the assessor ------------------------------------------


def test_the_assessor_records_an_observation_as_the_learners_evidence(centre):
    ann, jo = centre["ann"], centre["jo"]
    jo.journal()  # Jo is in the north cohort (no evidence yet)
    body = {"learner": JO, "evidence_type": "observation", "what": "Chaired the duty team meeting",
            "date": "2026-10-05", "record": "Jo set the agenda, kept to time and summarised the decisions.",
            "standards": [U1[0]]}
    assert centre["jo"].post("/api/observations", body).status_code == 403  # not typed in by the learner
    assert centre["bob"].post("/api/observations", body).status_code == 403  # another cohort's assessor
    refused = ann.post("/api/observations", {**body, "evidence_type": "diary"})
    assert refused.status_code == 400 and refused.get_json()["error"]["path"] == "evidence_type"
    made = ann.post("/api/observations", body)
    assert made.status_code == 201, made.get_json()
    statement = centre["admin"].get(f"/xapi/statements?statementId={made.get_json()['id']}").get_json()
    assert statement["actor"]["mbox"] == "mailto:ann@centre.example"  # the assessor is the actor
    assert statement["object"] == {"objectType": "Agent", "mbox": JO}  # the learner is the subject
    assert statement["verb"]["id"] == v.VERB_RECORDED_ASSESSMENT
    # It is Jo's evidence: in her progress and in the assessor's queue, under her name.
    queue = ann.queue().get_json()["items"]
    assert [(i["learner"], i["evidence"]["title"]) for i in queue] == [(f"mbox:{JO}", "Chaired the duty team meeting")]
    progress = jo.progress().get_json()
    assert next(c for u in progress["units"] for c in u["criteria"] if c["uri"] == U1[0])["status"] == "awaiting-decision"
    html = zipfile.ZipFile(io.BytesIO(jo.get(EXPORT).data)).read("index.html").decode()
    assert "Recorded by" in html and "the assessor, Ann Assessor" in html
    # A professional discussion is recorded the same way, by the assessor.
    discussion = ann.post("/api/observations", {**body, "evidence_type": "professional-discussion",
                                                "what": "Discussed the rota decision"})
    assert discussion.status_code == 201, discussion.get_json()
    stored = centre["admin"].get(f"/xapi/statements?statementId={discussion.get_json()['id']}").get_json()
    assert stored["actor"]["mbox"] == "mailto:ann@centre.example" and stored["object"] == {"objectType": "Agent", "mbox": JO}


def test_a_confirmation_not_given_through_the_link_does_not_count(centre, testimony, lrs_instance):
    """Only the witness's answer through the link confirms: a 'confirmed testimony' statement stored by the
    learner (or anyone) through /xapi is kept as a statement and the portfolio still says 'not confirmed'."""
    forged = {
        "actor": {"objectType": "Agent", "name": "Priya Shah", "mbox": "mailto:priya@la.example"},
        "verb": {"id": v.VERB_CONFIRMED_TESTIMONY, "display": {"en-GB": "confirmed testimony"}},
        "object": {"objectType": "StatementRef", "id": testimony},
        "result": {"extensions": {v.EXT_TESTIMONY_CORRECTED: False}},
    }
    # The learner, as herself (a participant's statements carry her own agent), and a client able to write any.
    as_jo = {**forged, "actor": {"objectType": "Agent", "name": "Jo Bloggs", "mbox": JO}}
    lrs_instance.store_statements(as_jo, lrs_instance.principal_for(centre["jo"].key), "1.0.3")
    lrs_instance.store_statements(forged, lrs_instance.principal_for(centre["lms"].key), "1.0.3")
    html = zipfile.ZipFile(io.BytesIO(centre["jo"].get(EXPORT).data)).read("index.html").decode()
    assert "not confirmed by the witness" in html and "confirmed by the witness on" not in html


def test_an_observation_counts_only_as_recorded_by_an_assessor_of_the_learner(centre, lrs_instance):
    """A 'recorded assessment' stored through /xapi by anyone but an assessor of the learner's cohort (the learner
    herself, another cohort's assessor, a client able to write any statement naming the assessor as actor) is
    kept as a statement but is no one's evidence: not queued, not in the portfolio as 'Recorded by the assessor'."""
    ann, jo = centre["ann"], centre["jo"]
    jo.journal()  # Jo is in the north cohort

    def record(actor: dict, what: str) -> dict:
        return {
            "actor": actor,
            "verb": {"id": v.VERB_RECORDED_ASSESSMENT, "display": {"en-GB": "recorded assessment"}},
            "object": {"objectType": "Agent", "mbox": JO},
            "result": {"response": "Observed chairing the meeting."},
            "context": {"contextActivities": {
                "category": [{"id": U1[0]}],
                "other": [{"id": "https://centre.example/observations/" + what.replace(" ", "-").replace("'", ""),
                           "definition": {"name": {"en-GB": what}}}]}},
        }

    ann_agent = {"objectType": "Agent", "name": "Ann Assessor", "mbox": "mailto:ann@centre.example"}
    bob_agent = {"objectType": "Agent", "name": "Bob Assessor", "mbox": "mailto:bob@centre.example"}
    for who, actor, what in [("jo", {"objectType": "Agent", "mbox": JO}, "by the learner"),
                             ("lms", ann_agent, "by a client, in Ann's name"),
                             ("bob", bob_agent, "by another cohort's assessor")]:
        lrs_instance.store_statements(record(actor, what), lrs_instance.principal_for(centre[who].key), "1.0.3")
    assert ann.queue().get_json()["items"] == []
    html = zipfile.ZipFile(io.BytesIO(jo.get(EXPORT).data)).read("index.html").decode()
    assert "Recorded by" not in html
    # Ann's own record, through /api or /xapi under her credential, is Jo's evidence.
    lrs_instance.store_statements(record(ann_agent, "by Ann"), lrs_instance.principal_for(ann.key), "1.0.3")
    assert [i["evidence"]["title"] for i in ann.queue().get_json()["items"]] == ["by Ann"]
