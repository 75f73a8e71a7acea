"""The ILM portfolio, end to end: evidence recorded through the journal (a reflective account, a work product with
its file, a witness testimony), decided on by the assessor and the IQA over HTTP, then exported over HTTP and
from the CLI; the ZIP opened and checked file by file against the statements. Both databases."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from lrs.cli import cli

from .conftest import JO, U1, ac

pypdf = pytest.importorskip("pypdf")

REPORT = b"%PDF-1.4\n% a work product: the rota consultation report\n" + bytes(range(256)) * 4
EXPORT = f"/api/learners/{quote(JO, safe='')}/exports/ilm-portfolio?qualification=ilm-l5-leadership"


def canonical_sha256(statement: dict) -> str:
    return hashlib.sha256(
        json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


@pytest.fixture
def portfolio_world(centre):
    jo, ann, ian = centre["jo"], centre["ann"], centre["ian"]
    # A plan that samples only what the IQA picks, so the one confirmation below is all unit 1 needs.
    assert centre["admin"].post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0}).status_code == 201
    account = jo.journal(name="Jo Błoński", standards=U1[:2], evidence_type="reflective-account")
    report = jo.journal(
        name="Jo Błoński", what="Rota consultation report", evidence_type="product", reflection=None,
        standards=U1[2:5],
        attachments=[{"name": "rota-report.pdf", "content_type": "application/pdf",
                      "content_base64": base64.b64encode(REPORT).decode(), "description": "The final report"}],
    )
    testimony = jo.journal(
        name="Jo Błoński", what="Chaired the rota review panel", evidence_type="witness-testimony", reflection=None,
        standards=[U1[5]],
        witness={"name": "Priya Shah", "role": "Head of Service", "relationship": "line manager",
                 "date": "2026-10-20", "testimony": "Jo chaired the panel calmly and kept to the evidence."},
    )
    referral = ann.decide(evidence=account, criterion=U1[0], outcome="referred",
                          feedback="Say how you involved the team.").get_json()
    decisions = [referral]
    for evidence, uri in [(account, U1[1])] + [(report, u) for u in U1[2:5]] + [(testimony, U1[5])]:
        decisions.append(ann.decide(evidence=evidence, criterion=uri, outcome="accepted").get_json())
    follow_up = jo.journal(name="Jo Błoński", what="Team consultation notes", standards=[U1[0]])
    decisions.append(ann.decide(evidence=follow_up, criterion=U1[0], outcome="accepted",
                                feedback="Now clear how the team shaped it.").get_json())
    confirmation = ian.decide(decision=decisions[-1]["id"], outcome="confirmed", feedback="Sampled: agreed.")
    assert confirmation.status_code == 201
    decisions.append(confirmation.get_json())
    # Jo submits unit 1 and the centre claims it: only now is it complete.
    submitted = jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True})
    assert submitted.status_code == 201, submitted.get_json()
    claimed = centre["admin"].post("/api/units/claims", {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"})
    assert claimed.status_code == 201, claimed.get_json()
    # Unit 2 started: evidence awaiting a decision.
    jo.journal(name="Jo Błoński", what="Budget workshop", mode="formal", standards=[ac("U2.AC1.1")])
    return {"evidence": [account, report, testimony, follow_up], "decisions": decisions}


def _open(content: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    return archive


def test_the_exported_zip_matches_the_statements_file_by_file(centre, portfolio_world):
    response = centre["jo"].get(EXPORT)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert "ilm-portfolio-ilm-l5-leadership" in response.headers["Content-Disposition"]
    archive = _open(response.data)
    names = set(archive.namelist())
    report_id = portfolio_world["evidence"][1]
    evidence_files = {n for n in names if n.startswith("evidence/")}
    assert names - evidence_files == {"index.html", "portfolio.pdf", "manifest.json"}
    assert len(evidence_files) == 1 and next(iter(evidence_files)).startswith(f"evidence/{report_id}/")
    assert archive.read(next(iter(evidence_files))) == REPORT

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["qualification"]["slug"] == "ilm-l5-leadership"
    assert manifest["learner"]["agent_key"] == f"mbox:{JO}"
    unit1, unit2, unit3 = manifest["units"]
    assert (unit1["complete"], unit2["complete"], unit3["complete"]) == (True, False, False)
    assert unit2["counts"]["awaiting-decision"] == 1

    # Every piece of evidence: its id and hash are those of the statement the LRS serves.
    admin = centre["admin"]
    seen_evidence = set()
    for criterion in unit1["criteria"] + unit2["criteria"]:
        for evidence in criterion["evidence"]:
            stored = admin.get(f"/xapi/statements?statementId={evidence['statement_id']}&format=exact").get_json()
            assert evidence["sha256"] == canonical_sha256(stored), evidence["statement_id"]
            seen_evidence.add(evidence["statement_id"])
            for attachment in evidence["attachments"]:
                assert attachment["sha2"] == hashlib.sha256(archive.read(attachment["path"])).hexdigest()
    assert set(portfolio_world["evidence"]) <= seen_evidence

    # Every decision, with the progress API's ids, outcomes and feedback.
    progress = admin.progress().get_json()
    from_api = {
        d["id"]: (d["outcome"], d["feedback"], d["superseded"])
        for unit in progress["units"] for c in unit["criteria"] for e in c["evidence"] for d in e["decisions"]
    }
    in_zip = {
        d["statement_id"]: (d["outcome"], d["feedback"], d["superseded"])
        for unit in manifest["units"] for c in unit["criteria"] for d in c["decisions"]
    }
    assert in_zip == from_api
    assert set(in_zip) == {d["id"] for d in portfolio_world["decisions"]}
    statuses = {c["uri"]: c["status"] for c in unit1["criteria"]}
    assert statuses == dict.fromkeys(U1, "accepted")

    # Unit 1 is complete, so it is an Open Badges 3.0 achievement credential (unsigned: no key configured).
    (credential,) = manifest["credentials"]
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["credentialSubject"]["achievement"]["id"] == unit1["uri"]
    assert "proof" not in credential and not manifest.get("credentials_jwt")

    # The readable copies carry the same content.
    html = archive.read("index.html").decode()
    pdf_text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(archive.read("portfolio.pdf"))).pages)
    # The learner is named as the centre knows her (her credential), not as her statements happened to name her.
    for text in ("Template L5 U1 AC1.1", "Say how you involved the team.", "Priya Shah", "Head of Service", "Jo Bloggs"):
        assert text in html, text
        assert text in " ".join(pdf_text.split()), text

    # The work product's description, as Jo gave it, in every file.
    (attachment,) = [a for u in manifest["units"] for c in u["criteria"] for e in c["evidence"] for a in e["attachments"]
                     if e["statement_id"] == report_id][:1]
    assert attachment["description"] == "The final report"
    assert "The final report" in html and "The final report" in " ".join(pdf_text.split())

    # The IQA sampling log: Ian's confirmation of Ann's decision, with the reason it was sampled.
    (sample,) = manifest["sampling"]["samples"]
    confirmation = portfolio_world["decisions"][-1]
    assert (sample["outcome"], sample["iqa"]["name"]) == ("confirmed", "Ian Quality")
    assert confirmation["id"] in json.dumps(manifest["sampling"])
    assert "Internal quality assurance sampling log" in html


def test_the_cli_exports_the_same_portfolio(centre, portfolio_world, lrs_instance, monkeypatch, tmp_path):
    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    target = tmp_path / "jo.zip"
    result = CliRunner().invoke(
        cli, ["export", "ilm-portfolio", "--agent", JO, "--qualification", "ilm-l5-leadership", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    from_cli = json.loads(_open(target.read_bytes()).read("manifest.json"))
    from_api = json.loads(_open(centre["jo"].get(EXPORT).data).read("manifest.json"))
    for manifest in (from_cli, from_api):
        manifest.pop("generated")
        for credential in manifest["credentials"]:  # what differs by design between two exports
            credential.pop("validFrom")
            credential["credentialSubject"].pop("identifier")  # a hashed e-mail, salted afresh each time
    assert from_cli == from_api


def test_who_may_export_a_portfolio_and_bad_options(centre, portfolio_world):
    statuses = {role: centre[role].get(EXPORT).status_code for role in ("jo", "ann", "ian", "admin", "kim", "bob", "iris", "lms")}
    assert statuses == {"jo": 200, "ann": 200, "ian": 200, "admin": 200, "kim": 403, "bob": 403, "iris": 403, "lms": 403}
    unknown = centre["jo"].get(EXPORT.replace("ilm-l5-leadership", "ilm-l9-astronomy"))
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["path"] == "qualification"
    # A professional standards framework is not a qualification: refused, saying so, over HTTP and the CLI.
    standards = centre["jo"].get(EXPORT.replace("ilm-l5-leadership", "swe-professional-standards"))
    assert standards.status_code == 400 and standards.get_json()["error"]["path"] == "qualification"
    assert "not a qualification" in standards.get_json()["error"]["message"]


def test_no_credential_until_the_iqa_has_sampled_and_the_centre_has_claimed(centre, lrs_instance, monkeypatch, tmp_path):
    """End to end: every criterion of unit 1 accepted is not enough for a badge; the plan's IQA sampling, the
    learner's submission and the centre's claim are."""
    jo, ann, ian, admin = centre["jo"], centre["ann"], centre["ian"], centre["admin"]
    assert admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 2}).status_code == 201
    evidence = jo.journal(standards=U1, evidence_type="reflective-account")
    decisions = [ann.decide(evidence=evidence, criterion=uri, outcome="accepted").get_json()["id"] for uri in U1]

    def exported() -> dict:
        response = jo.get(EXPORT)
        assert response.status_code == 200
        return json.loads(_open(response.data).read("manifest.json"))

    manifest = exported()
    assert manifest["units"][0]["assessed"] is True and manifest["units"][0]["complete"] is False
    assert manifest["credentials"] == []
    assert jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1",
                                              "declaration": True}).status_code == 201
    claim = {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"}
    assert admin.post("/api/units/claims", claim).status_code == 409  # the plan's two samples are outstanding
    assert exported()["credentials"] == []
    for decision in decisions[:2]:
        assert ian.decide(decision=decision, outcome="confirmed").status_code == 201
    assert exported()["credentials"] == []  # sampled and submitted, but not claimed
    assert admin.post("/api/units/claims", claim).status_code == 201
    (credential,) = exported()["credentials"]
    assert credential["credentialSubject"]["achievement"]["id"].endswith("/U1")
    assert exported()["credentials"][0]["id"] == credential["id"]  # the same id on every export


def test_every_submission_attempt_and_the_claim_are_in_the_portfolio(centre):
    """A learner who submits, is referred and resubmits: both attempts, each with its date and declaration, and
    the centre's claim, in manifest.json, index.html and the PDF."""
    jo, ann, admin = centre["jo"], centre["ann"], centre["admin"]
    assert admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0}).status_code == 201
    evidence = jo.journal(standards=U1, evidence_type="reflective-account")
    unit = {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True}
    first = jo.post("/api/units/submissions", unit).get_json()["submissions"][-1]
    ann.decide(evidence=evidence, criterion=U1[0], outcome="referred", feedback="Say what you decided.")
    more = jo.journal(what="The decision note", standards=[U1[0]])
    for made in [ann.decide(evidence=more, criterion=U1[0], outcome="accepted")] + [
            ann.decide(evidence=evidence, criterion=uri, outcome="accepted") for uri in U1[1:]]:
        assert made.status_code == 201, made.get_json()
    second = jo.post("/api/units/submissions", unit).get_json()["submissions"][-1]
    claim = admin.post("/api/units/claims", {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"})
    assert claim.status_code == 201, claim.get_json()

    archive = _open(jo.get(EXPORT).data)
    unit1 = json.loads(archive.read("manifest.json"))["units"][0]
    assert [(s["attempt"], s["statement_id"], s["submitted"][:10]) for s in unit1["submissions"]] == [
        (1, first["id"], first["submitted"][:10]), (2, second["id"], second["submitted"][:10])]
    assert all(s["declaration"] for s in unit1["submissions"]) and unit1["claim"]["statement_id"]
    html = archive.read("index.html").decode()
    pdf = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(archive.read("portfolio.pdf"))).pages).split())
    for text in ("Attempt 1 submitted", "Attempt 2 submitted", "with the declaration", "Certification claimed by"):
        assert text in html, text
        assert text in pdf, text
