"""Issue 20 in the portfolio: credentials only for claimed units, with a stable id and validFrom; the centre
and registration numbers on the cover; attachment descriptions kept; the IQA sampling log; witness dates not
shown as signatures."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime

from ilm_records import BASE, CLAIMED, IQA, OVERTURN_FEEDBACK, UNITS, make_record, manifest_of, run
from lrs_ilm_portfolio.render_pdf import unicode_font
from pypdf import PdfReader

DESCRIPTION = "Notes of the March supervision, agreed with my supervisor"


def test_no_credential_before_the_centre_claims_the_unit():
    unclaimed = {**UNITS, f"{BASE}/U2": dataclasses.replace(UNITS[f"{BASE}/U2"], claim_id=None, claimed=None,
                                                             complete=False)}
    manifest = manifest_of(run(make_record(units=unclaimed))[1])
    assert manifest["credentials"] == []
    unit2 = manifest["units"][1]
    assert (unit2["assessed"], unit2["complete"], unit2["claim"]) == (True, False, None)
    # An older core that sends no unit records: nothing is complete, no credential.
    assert manifest_of(run(make_record(units={}))[1])["credentials"] == []


def test_the_credential_keeps_its_id_and_valid_from_across_exports(monkeypatch):
    from lrs_ilm_portfolio import build

    first = manifest_of(run(make_record())[1])["credentials"][0]

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return datetime(2027, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(build, "datetime", Later)
    again = manifest_of(run(make_record())[1])
    assert again["generated"].startswith("2027-01-01")
    second = again["credentials"][0]
    assert (second["id"], second["validFrom"]) == (first["id"], first["validFrom"])
    assert first["validFrom"] == CLAIMED.replace(".000", "")
    reclaimed = {**UNITS, f"{BASE}/U2": dataclasses.replace(UNITS[f"{BASE}/U2"], claim_id="c1a10000-0000-4000-8000-000000000002")}
    assert manifest_of(run(make_record(units=reclaimed))[1])["credentials"][0]["id"] != first["id"]


def test_the_cover_names_the_centre_its_number_and_the_learners_registration_number():
    record = make_record(centre_name="Northshire Leadership Centre", centre_number="C-04711",
                         registration_number="ILM-2026-0042")
    _, archive = run(record)
    html = archive.read("index.html").decode()
    for text in ("Northshire Leadership Centre", "C-04711", "ILM-2026-0042", "Learner registration number"):
        assert text in html
    manifest = manifest_of(archive)
    assert manifest["centre"]["number"] == "C-04711" and manifest["learner"]["registration_number"] == "ILM-2026-0042"
    # The learner's name is the centre's (their account), not the one a statement carries.
    renamed = make_record(learner_name="Lucja Nowak")
    assert manifest_of(run(renamed)[1])["learner"]["name"] == "Lucja Nowak"


def test_attachment_descriptions_are_kept_in_every_file():
    _, archive = run(make_record())
    assert DESCRIPTION in archive.read("index.html").decode()
    found = [a for u in manifest_of(archive)["units"] for c in u["criteria"] for e in c["evidence"]
             for a in e["attachments"] if a["description"]]
    assert found and found[0]["description"] == DESCRIPTION
    if unicode_font() is not None:
        reader = PdfReader(io.BytesIO(archive.read("portfolio.pdf")))
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert DESCRIPTION in text


def test_the_sampling_log_is_in_the_portfolio():
    _, archive = run(make_record())
    html = archive.read("index.html").decode()
    assert "Internal quality assurance sampling log" in html
    assert "raised an action on the assessor&#x27;s decision" in html or "raised an action on the assessor's decision" in html
    samples = manifest_of(archive)["sampling"]["samples"]
    assert [s["outcome"] for s in samples] == ["confirmed", "action-raised"]
    assert samples[1]["action"] == OVERTURN_FEEDBACK and samples[1]["iqa"] == IQA


def test_an_unconfirmed_witness_date_is_not_shown_as_signed():
    _, archive = run(make_record())
    html = archive.read("index.html").decode()
    assert "Date signed" not in html
    assert "not confirmed by the witness" in html
