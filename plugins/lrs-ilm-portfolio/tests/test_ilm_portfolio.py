"""The ILM portfolio ZIP as a learner, an assessor and an awarding body rely on it."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re

import pytest
from ilm_records import (
    BASE,
    E1,
    E2,
    E3,
    E4,
    E5,
    E6,
    E_LAUNCHED,
    E_SWE,
    EXPECTED,
    NOT_HELD_BYTES,
    NOTES_BYTES,
    OVERTURN_FEEDBACK,
    PDF_BYTES,
    REFERRAL_FEEDBACK,
    TESTIMONY_BYTES,
    ac,
    criteria_of,
    decision_id,
    load_framework,
    make_record,
    manifest_of,
    run,
    sha,
)
from lrs_ilm_portfolio import plugin
from lrs_ilm_portfolio.render_pdf import unicode_font
from pypdf import PdfReader

from lrs.hookspecs import ExportOptionError, ExportRecord


def test_the_plugin_offers_the_exporter_through_its_entry_point():
    from importlib.metadata import entry_points

    assert "lrs_ilm_portfolio.plugin" in {e.value for e in entry_points(group="lrs") if e.name == "ilm_portfolio"}
    (exporter,) = plugin.lrs_exporters()
    assert (exporter.name, exporter.title, exporter.formats) == ("ilm-portfolio", "ILM portfolio of evidence", ("zip",))


def test_one_zip_with_exactly_the_portfolio_and_the_held_evidence(record: ExportRecord):
    file, archive = run(record)
    assert file.filename == "ilm-portfolio-ilm-l5-leadership-lucja-nowak-zolc.zip"
    assert file.media_type == "application/zip"
    assert sorted(archive.namelist()) == sorted([
        "index.html",
        "portfolio.pdf",
        "manifest.json",
        f"evidence/{E1}/Development-needs-analysis.pdf",
        f"evidence/{E1}/Supervision-notes.txt",
        f"evidence/{E4}/Testimony-Sam-Okafor.txt",
    ])


def test_every_evidence_id_and_hash_matches_the_statement(record: ExportRecord):
    statements = {s["id"]: s for s in record.statements}
    manifest = manifest_of(run(record)[1])
    seen = set()
    for criterion in criteria_of(manifest).values():
        for evidence in criterion["evidence"]:
            statement = statements[evidence["statement_id"]]
            canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            assert evidence["sha256"] == hashlib.sha256(canonical).hexdigest()
            assert evidence["date"] == statement["timestamp"][:10]
            assert evidence["mode"] == record.modes[statement["id"]]
            seen.add(evidence["statement_id"])
    # The launched statement and the one linked only to the SWE standards are not ILM evidence.
    assert seen == {E1, E2, E3, E4, E5, E6}
    assert E_LAUNCHED not in seen and E_SWE not in seen


def test_attachments_are_the_stored_bytes_and_unheld_ones_are_listed(record: ExportRecord):
    _, archive = run(record)
    manifest = manifest_of(archive)
    attachments = {a["sha2"]: a for c in criteria_of(manifest).values() for e in c["evidence"] for a in e["attachments"]}
    for content in (PDF_BYTES, NOTES_BYTES, TESTIMONY_BYTES):
        entry = attachments[sha(content)]
        stored = archive.read(entry["path"])
        assert stored == content
        assert hashlib.sha256(stored).hexdigest() == entry["sha2"]
        assert entry["length"] == len(content) and entry["included"] is True
    assert attachments[sha(PDF_BYTES)]["contentType"] == "application/pdf"
    missing = attachments[sha(NOT_HELD_BYTES)]
    assert missing["path"] is None and missing["included"] is False
    assert missing["fileUrl"] == "https://files.la.example/briefing.mp4"
    assert not any(name.endswith(".mp4") for name in archive.namelist())
    page = archive.read("index.html").decode()
    assert f'href="evidence/{E1}/Development-needs-analysis.pdf"' in page
    assert "Team briefing recording" in page and "not held by the LRS" in page


def test_statuses_and_decisions_per_criterion(record: ExportRecord):
    criteria = criteria_of(manifest_of(run(record)[1]))
    assert set(criteria) == set(EXPECTED)
    for uri, (status, outcomes) in EXPECTED.items():
        assert criteria[uri]["status"] == status, uri
        assert {e["statement_id"]: e["outcome"] for e in criteria[uri]["evidence"]} == outcomes, uri

    resubmitted = criteria[ac(2, "1.1")]["decisions"]
    assert [(d["outcome"], d["superseded"], d["feedback"]) for d in resubmitted] == [
        ("referred", True, REFERRAL_FEEDBACK),
        ("accepted", False, "Now linked to the standards."),
    ]
    confirmed = criteria[ac(2, "1.2")]["decisions"]
    assert [(d["role"], d["outcome"], d["target_id"]) for d in confirmed] == [
        ("assessor", "accepted", None), ("iqa", "confirmed", decision_id(2))]
    overturned = criteria[ac(1, "1.1")]["decisions"]
    assert [(d["role"], d["outcome"]) for d in overturned] == [("assessor", "accepted"), ("iqa", "action-raised")]
    assert overturned[1]["feedback"] == OVERTURN_FEEDBACK and overturned[1]["reviewer"]["name"] == "Ian Quality"
    assert criteria[ac(1, "2.1")]["decisions"] == []


def test_statuses_are_worked_out_when_the_lrs_gives_none(record: ExportRecord):
    """An LRS that does not fill record.criteria yet: the same answer from the decisions alone."""
    criteria = criteria_of(manifest_of(run(dataclasses.replace(record, criteria={}))[1]))
    for uri, (status, outcomes) in EXPECTED.items():
        assert criteria[uri]["status"] == status, uri
        assert {e["statement_id"]: e["outcome"] for e in criteria[uri]["evidence"]} == outcomes, uri


def test_unit_progress_and_credentials_only_for_completed_units(record: ExportRecord):
    manifest = manifest_of(run(record)[1])
    units = {u["code"]: u for u in manifest["units"]}
    assert [u["code"] for u in manifest["units"]] == ["Template L5 U1", "Template L5 U2", "Template L5 U3"]
    # The IQA's action on AC1.1 returned it to the assessor: awaiting a decision again, not flipped to referred.
    assert units["Template L5 U1"]["counts"] == {"accepted": 1, "awaiting-decision": 2, "referred": 1, "without-evidence": 2}
    assert units["Template L5 U2"]["counts"] == {"accepted": 5, "awaiting-decision": 0, "referred": 0, "without-evidence": 0}
    assert [u["complete"] for u in manifest["units"]] == [False, True, False]
    assert [c["credentialSubject"]["achievement"]["id"] for c in manifest["credentials"]] == [f"{BASE}/U2"]
    assert "credentials_jwt" not in manifest  # no key configured: unsigned
    assert manifest["qualification"] == {"uri": BASE, "slug": "ilm-l5-leadership", "code": "Template L5",
                                         "title": record.frameworks[BASE]["CFDocument"]["title"]}
    assert manifest["learner"]["agent"] == record.agent


def assert_ob3_credential(credential: dict, unit_uri: str) -> None:
    """The OB 3.0 AchievementCredential schema's required fields and vocabularies (ob_v3p0 JSON schema)."""
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(credential["type"])
    assert credential["id"].startswith("urn:uuid:")
    assert "Profile" in credential["issuer"]["type"] and credential["issuer"]["id"] and credential["issuer"]["name"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", credential["validFrom"])
    subject = credential["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    assert subject.get("id") or subject.get("identifier")
    achievement = subject["achievement"]
    assert achievement["id"] == unit_uri and "Achievement" in achievement["type"]
    assert achievement["name"] and achievement["description"] and achievement["criteria"]["narrative"]
    for alignment in achievement["alignment"]:
        assert "Alignment" in alignment["type"] and alignment["targetType"] == "CFItem"
        assert alignment["targetUrl"] and alignment["targetName"] and alignment["targetCode"]
    assert achievement["alignment"][0]["targetUrl"] == unit_uri
    (description,) = achievement["resultDescription"]
    assert description["resultType"] == "Status" and "ResultDescription" in description["type"]
    (result,) = subject["result"]
    assert result == {"type": ["Result"], "resultDescription": description["id"], "status": "Completed"}
    for item in subject["identifier"]:
        assert item["type"] == "IdentityObject" and set(item) <= {"type", "hashed", "identityHash", "identityType",
                                                                 "salt"}
    for evidence in credential["evidence"]:
        assert "Evidence" in evidence["type"] and evidence["id"].startswith("urn:uuid:") and evidence["narrative"]


def test_credentials_are_open_badges_3(record: ExportRecord):
    (credential,) = manifest_of(run(record)[1])["credentials"]
    assert_ob3_credential(credential, f"{BASE}/U2")
    (identity,) = credential["credentialSubject"]["identifier"]
    # A salted hash of the e-mail address, never the address itself.
    assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
    assert identity["identityHash"] == "sha256$" + hashlib.sha256(("lucja@la.example" + identity["salt"]).encode()).hexdigest()
    assert "lucja@la.example" not in json.dumps(credential)
    assert [e["id"] for e in credential["evidence"]] == [f"urn:uuid:{E1}", f"urn:uuid:{E2}", f"urn:uuid:{E3}"]
    targets = [a["targetCode"] for a in credential["credentialSubject"]["achievement"]["alignment"]]
    assert targets == ["Template L5 U2", *(f"Template L5 U2 AC{c}" for c in ("1.1", "1.2", "2.1", "2.2", "2.3"))]
    assert credential["awardedDate"] == "2026-04-03T14:00:00Z"  # the last acceptance; the IQA sample awards nothing


def test_account_learners_are_identified_by_their_account():
    agent = {"objectType": "Agent", "name": "Jo", "account": {"homePage": "https://sso.la.example", "name": "jo42"}}
    record = make_record(agent=agent, agent_key="account:https://sso.la.example|jo42", learner_name="Jo")
    file, archive = run(record)
    assert file.filename == "ilm-portfolio-ilm-l5-leadership-jo.zip"
    (credential,) = manifest_of(archive)["credentials"]
    assert credential["credentialSubject"]["identifier"] == [
        {"type": "IdentityObject", "identityType": "accountId", "hashed": False, "identityHash": "jo42"}]


def test_pdf_has_the_criteria_feedback_and_the_learners_name(record: ExportRecord):
    if unicode_font() is None:
        pytest.skip("DejaVu Sans is not installed, so the PDF falls back to Latin-1 Helvetica")
    reader = PdfReader(io.BytesIO(run(record)[1].read("portfolio.pdf")))
    folded = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for code in ("Template L5 U1 AC1.1", "Template L5 U1 AC2.3", "Template L5 U2 AC2.3", "Template L5 U3 AC2.3"):
        assert code in folded
    for text in (REFERRAL_FEEDBACK, OVERTURN_FEEDBACK, "Needs a worked example from practice.",
                 "Łucja Nowak-Żółć", "Declaration of authenticity", "Progress summary", "Sam Okafor"):
        assert text in folded


def test_html_is_self_contained_and_escapes_what_people_wrote(record: ExportRecord):
    page = run(record)[1].read("index.html").decode()
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Team development plan" in page
    assert "&lt;b&gt;development&lt;/b&gt; needs &amp; priorities" in page
    # Offline: no stylesheet, script, image or font fetched from anywhere.
    assert not re.search(r"<(link|img|iframe|object)\b|src=|@import|url\(", page)
    for text in ("Łucja Nowak-Żółć", "lucja@la.example", "Template L5", "Declaration of authenticity",
                 "Sam Okafor", "Head of Service", "Line manager", "I observed Łucja chair the team meeting",
                 "Two managers have started their own logs.", "On the job (70)", "Witness testimony",
                 "superseded by a later decision", "Progress summary", "Awaiting decision"):
        assert html_text(page, text), text


def html_text(page: str, text: str) -> bool:
    import html

    return html.escape(text, quote=True) in page


def test_the_centre_appears_when_configured(record: ExportRecord, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LRS_ILM_CENTRE", "Northshire Leadership Centre")
    _, archive = run(record)
    assert "Northshire Leadership Centre" in archive.read("index.html").decode()
    manifest = manifest_of(archive)
    assert manifest["centre"]["name"] == "Northshire Leadership Centre"
    assert manifest["credentials"][0]["issuer"]["name"] == "Northshire Leadership Centre"


def test_qualification_by_slug_or_uri(record: ExportRecord):
    by_uri = manifest_of(run(record, qualification=BASE)[1])
    by_slug = manifest_of(run(record, qualification="ilm-l5-leadership")[1])
    assert by_uri["qualification"] == by_slug["qualification"]
    l7 = manifest_of(run(record, qualification="ilm-l7-leadership")[1])
    assert l7["credentials"] == [] and all(c["status"] == "without-evidence" for c in criteria_of(l7).values())


def test_unknown_qualification_names_the_option_and_the_known_ones(record: ExportRecord):
    with pytest.raises(ExportOptionError) as caught:
        run(record, qualification="ilm-l9-leadership")
    assert caught.value.option == "qualification"
    assert "ilm-l9-leadership" in str(caught.value)
    assert "ilm-l5-leadership" in str(caught.value) and "ilm-l7-leadership" in str(caught.value)


def test_no_default_without_evidence(record: ExportRecord):
    bare = dataclasses.replace(record, links={}, decisions=[], criteria={})
    with pytest.raises(ExportOptionError) as caught:
        run(bare)
    assert caught.value.option == "qualification"
    assert "no evidence" in str(caught.value) and "ilm-l5-leadership, ilm-l7-leadership" in str(caught.value)


def test_wrong_format_is_an_option_error(record: ExportRecord):
    with pytest.raises(ExportOptionError) as caught:
        plugin.export_ilm_portfolio(record, {"format": "pdf"})
    assert caught.value.option == "format"


def test_a_standards_framework_is_refused_as_a_qualification(record: ExportRecord):
    """An ILM portfolio is for a qualification with units and criteria: a professional standards framework
    (KSS, SWE) named as the qualification is refused, saying why and what to name instead. (Issue 20 replaced
    the earlier rule that any framework named explicitly exported.)"""
    kss = load_framework("kss-practice-leaders")
    record = dataclasses.replace(record, frameworks={**record.frameworks, kss["CFDocument"]["uri"]: kss})
    for name in ("kss-practice-leaders", "swe-professional-standards"):
        with pytest.raises(ExportOptionError) as refused:
            run(record, qualification=name)
        assert refused.value.option == "qualification"
        assert "not a qualification" in str(refused.value) and "ilm-l5-leadership" in str(refused.value)


def test_without_the_unicode_font_the_pdf_still_prints_the_names(record: ExportRecord,
                                                                 monkeypatch: pytest.MonkeyPatch):
    from lrs_ilm_portfolio import render_pdf

    monkeypatch.setattr(render_pdf, "unicode_font", lambda: None)
    reader = PdfReader(io.BytesIO(run(record)[1].read("portfolio.pdf")))
    folded = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    # Latin-1 letters (ó) stay; the others lose their accents rather than turning into "?".
    assert "Lucja Nowak-Zólc" in folded and "Template L5 U2 AC2.3" in folded


def test_the_pdf_draws_exactly_what_multi_cell_would(record: ExportRecord, monkeypatch: pytest.MonkeyPatch):
    """Paragraphs are broken into lines once per document and printed as cells (an evidence entry is printed under
    every criterion it evidences): every page draws the same as fpdf2's multi_cell of the whole paragraph would,
    long paragraphs, line breaks and a word longer than the line among them."""
    from datetime import UTC, datetime

    from lrs_ilm_portfolio import render_pdf
    from lrs_ilm_portfolio.build import build_portfolio
    from lrs_ilm_portfolio.qualification import choose_qualification

    long_words = "A reflection that goes on " * 40 + "x" * 150 + "\nA second paragraph after a line break.\n\nAnd a third."
    statements = [dict(s, result={**(s.get("result") or {}), "response": long_words}) for s in record.statements]
    record = dataclasses.replace(record, statements=statements)
    qualification = choose_qualification(record, None)
    portfolio = build_portfolio(record, qualification, generated=datetime(2026, 12, 5, tzinfo=UTC))

    def pages(pdf: bytes) -> list[bytes]:
        return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]

    pdf = render_pdf.to_pdf(portfolio)
    assert "A second paragraph after a line break." in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    drawn = pages(pdf)

    def plain_para(self, text: str, *, bold: bool = False, size: int = 10, indent: float = 0) -> None:  # noqa: ANN001
        if not text:
            return
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(self.pdf.epw - indent, size * 0.5, self.clean(text), align="L", new_x="LMARGIN",
                            new_y="NEXT")

    monkeypatch.setattr(render_pdf._Writer, "para", plain_para)
    assert drawn == pages(render_pdf.to_pdf(portfolio))
    assert len(drawn) > 1
