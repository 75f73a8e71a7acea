"""The CPD log's readiness rules and every output format, parsed back."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from lrs_cpd_log.model import CPDLog, CPDPiece, PeerReflection, check_readiness, registration_year
from lrs_cpd_log.render import CSV_COLUMNS, RENDERERS
from pypdf import PdfReader


def piece(n: int, *, peer: bool = False, learned: str = "I learned to slow the decision down.") -> CPDPiece:
    return CPDPiece(
        statement_id=f"00000000-0000-4000-8000-00000000000{n}",
        date=date(2026, 3, n),
        activity_type="Action learning set",
        title=f"Action learning set {n} – Łódź exchange",
        description="A set on managing risk in front-door decisions; relevant as I chair strategy meetings.",
        learned=learned,
        impact="Fewer children are stepped up to child protection without a strategy discussion.",
        peer_reflection=PeerReflection("Sam Patel, practice supervisor", "Sam showed me how I frame risk.") if peer else None,
        standards=("SWE 4.6", "KSS-PL 5"),
        mode="social",
    )


def make_log(pieces: list[CPDPiece]) -> CPDLog:
    start, end = registration_year(2026)
    return CPDLog("Jo Bloggs", "mailto:jo@la.example", start, end, tuple(pieces), check_readiness(pieces, "2025–26"))


def test_registration_year_runs_december_to_november():
    assert registration_year(2026) == (date(2025, 12, 1), date(2026, 11, 30))


def test_ready_when_two_pieces_one_with_peer_reflection_all_answered():
    readiness = make_log([piece(1, peer=True), piece(2, learned="Something else.")]).readiness
    assert readiness.ready and readiness.missing == ()


def test_not_ready_lists_exactly_what_is_missing():
    readiness = make_log([piece(1, learned="")]).readiness
    assert not readiness.ready
    assert readiness.missing == (
        "Record at least 2 pieces of CPD for 2025–26: 1 recorded so far.",
        "At least one piece of CPD needs a peer reflection: none has one yet.",
        "'Action learning set 1 – Łódź exchange' (2026-03-01) has no answer to 'What did you learn?'.",
    )


def test_identical_pieces_are_warned_about():
    readiness = make_log([piece(1, peer=True), piece(2)]).readiness
    assert readiness.ready
    assert len(readiness.warnings) == 1 and "word for word" in readiness.warnings[0]


@pytest.fixture
def log() -> CPDLog:
    return make_log([piece(1, peer=True), piece(2, learned="Naming uncertainty helps the team.")])


def test_csv_round_trip(log: CPDLog):
    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](log).decode("utf-8-sig"))))
    assert rows[0] == CSV_COLUMNS
    assert rows[1][0] == "2026-03-01"
    assert rows[1][2] == "Action learning set 1 – Łódź exchange"
    assert rows[1][6] == "Sam Patel, practice supervisor"
    assert rows[1][8] == "SWE 4.6; KSS-PL 5"
    assert rows[1][9] == "Social (20)"
    assert rows[2][4] == "Naming uncertainty helps the team."
    assert rows[2][6] == ""


def test_json_round_trip(log: CPDLog):
    data = json.loads(RENDERERS["json"](log))
    assert data["year"] == "2025–26"
    assert data["period_start"] == "2025-12-01"
    assert data["readiness"] == {"ready": True, "missing": [], "warnings": []}
    assert data["pieces"][0]["peer_reflection"]["peer"] == "Sam Patel, practice supervisor"
    assert data["pieces"][1]["standards"] == ["SWE 4.6", "KSS-PL 5"]


def test_markdown_and_html_carry_every_answer(log: CPDLog):
    markdown = RENDERERS["md"](log).decode()
    page = RENDERERS["html"](log).decode()
    for text in ("Naming uncertainty helps the team.", "Sam showed me how I frame risk.", "SWE 4.6, KSS-PL 5", "Ready"):
        assert text in markdown
        assert text in page
    assert page.startswith("<!doctype html>")


def test_html_escapes_participant_text():
    hostile = make_log([piece(1, peer=True, learned="<script>alert(1)</script>")])
    page = RENDERERS["html"](hostile).decode()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_pdf_text_extracts(log: CPDLog):
    reader = PdfReader(io.BytesIO(RENDERERS["pdf"](log)))
    text = " ".join(p.extract_text() for p in reader.pages)
    folded = " ".join(text.split())
    assert "CPD record 2025–26: Jo Bloggs" in folded
    assert "Naming uncertainty helps the team." in folded
    assert "Sam Patel, practice supervisor" in folded
    assert "Łódź" in folded
