"""The CPD log's readiness rules and every output format, parsed back."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from lrs_cpd_log.model import (
    CPDLog,
    CPDPiece,
    PeerReflection,
    check_readiness,
    deadline_notices,
    registration_year,
    rules_for,
)
from lrs_cpd_log.render import _EMOJI_FONTS, _FALLBACK_FONTS, CSV_COLUMNS, RENDERERS, csv_cell
from pypdf import PdfReader

RULES_2026 = rules_for(2026)


def piece(
    n: int,
    *,
    peer: bool = False,
    learned: str = "I learned to slow the decision down.",
    status: str = "draft",
    title: str | None = None,
) -> CPDPiece:
    return CPDPiece(
        statement_id=f"00000000-0000-4000-8000-{n:012d}",
        date=date(2026, 3, 1 + n % 28),
        activity_type="Peer learning (action learning set)",
        title=title or f"Action learning set {n} – Łódź exchange",
        description="A set on managing risk in front-door decisions; relevant as I chair strategy meetings.",
        learned=learned,
        impact=f"Fewer children are stepped up to child protection without a strategy discussion ({n}).",
        peer_reflection=PeerReflection("Sam Patel, practice supervisor", "Discussing it showed me how I frame risk.")
        if peer
        else None,
        standards=("SWE 4.6",),
        other_standards=("KSS-PL 5",),
        mode="social",
        status=status,
        submitted_on=date(2026, 11, 2) if status == "submitted" else None,
    )


def make_log(pieces: list[CPDPiece], today: date = date(2026, 6, 1), name: str = "Jo Bloggs") -> CPDLog:
    start, end = registration_year(2026)
    return CPDLog(
        name, start, end, tuple(pieces), check_readiness(pieces, RULES_2026, today), today, RULES_2026
    )


def test_registration_year_runs_december_to_november():
    assert registration_year(2026) == (date(2025, 12, 1), date(2026, 11, 30))


def test_rules_per_registration_year_come_from_data():
    first, second, third, current = rules_for(2020), rules_for(2021), rules_for(2022), RULES_2026
    assert (first.label, first.minimum_records, first.peer_reflection_required) == ("2019–20", 1, False)
    assert (second.minimum_records, second.peer_reflection_required) == (1, False)
    assert (third.minimum_records, third.peer_reflection_required) == (2, True)
    assert (current.start, current.end, current.deadline, current.renewal_window_opens) == (
        date(2025, 12, 1), date(2026, 11, 30), date(2026, 11, 30), date(2026, 9, 1)
    )
    future = rules_for(2031)
    assert future.assumed and future.minimum_records == 2 and "No rules are on file" in future.note


def test_one_record_was_enough_in_2019_20():
    rules = rules_for(2020)
    lone = [piece(1)]
    assert check_readiness(lone, rules).ready
    assert not check_readiness(lone, RULES_2026).ready


def test_29_items_two_complete_one_with_peer_is_ready_and_the_rest_are_candidates():
    items = [piece(1, peer=True), piece(2, learned="Naming uncertainty helps the team.")]
    items += [piece(n, learned="") for n in range(3, 30)]
    readiness = check_readiness(items, RULES_2026)
    assert readiness.ready and readiness.missing == ()
    assert (readiness.counted, readiness.candidates, readiness.basis) == (2, 27, "all complete")
    page = RENDERERS["md"](make_log(items)).decode()
    assert "missing" not in page.lower() and "has no answer" not in page
    assert "27 other items are candidates" in page


def test_not_ready_lists_only_what_the_rules_need():
    readiness = check_readiness([piece(1, learned="")], RULES_2026)
    assert not readiness.ready
    assert readiness.missing == (
        "Record at least 2 complete pieces of CPD for 2025–26: 0 complete so far (a complete piece answers the "
        "description, what you learnt and the impact).",
        "At least one complete piece of CPD needs a peer reflection: none has one yet.",
    )


def test_once_any_record_is_selected_only_selected_complete_records_count():
    items = [piece(1, peer=True), piece(2, learned="Other."), piece(3, learned="Third.", status="selected")]
    readiness = check_readiness(items, RULES_2026)
    assert not readiness.ready and readiness.basis == "selected" and readiness.counted == 1
    assert readiness.missing[0].startswith("Record at least 2 complete pieces of CPD for 2025–26: 1 selected")
    assert "selected piece of CPD needs a peer reflection" in readiness.missing[1]
    items[0] = piece(1, peer=True, status="submitted")
    assert check_readiness(items, RULES_2026).ready
    # A selected record without its answers is named: the participant chose it.
    items.append(piece(4, learned="", status="selected"))
    assert any("is selected but has no answer to 'What did you learn?'" in m for m in check_readiness(items, RULES_2026).missing)


def test_deadline_and_renewal_window_are_shown_and_warned_about():
    assert "has passed" in deadline_notices(RULES_2026, date(2026, 12, 5))[0]
    open_window = deadline_notices(RULES_2026, date(2026, 11, 29))[0]
    assert "renewal window for 2025–26 is open" in open_window and "(1 day left)" in open_window
    assert "renewal window opens on 1 September 2026" in deadline_notices(RULES_2026, date(2026, 3, 1))[0]
    log = make_log([piece(1, peer=True), piece(2, learned="x")], today=date(2026, 12, 5))
    for fmt in ("md", "html"):
        assert "The deadline for 2025–26 (30 November 2026, 11.59pm) has passed" in RENDERERS[fmt](log).decode()


def test_identical_pieces_are_warned_about():
    readiness = check_readiness([piece(1, peer=True), piece(1)], RULES_2026)
    assert readiness.ready
    assert sum("word for word" in w for w in readiness.warnings) == 1


@pytest.fixture
def log() -> CPDLog:
    return make_log([piece(1, peer=True, status="submitted"), piece(2, learned="Naming uncertainty helps the team.", status="selected")])


def test_csv_round_trip_in_the_forms_order(log: CPDLog):
    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](log).decode("utf-8-sig"))))
    assert rows[0] == CSV_COLUMNS
    assert rows[0][1:7] == [
        "Type of CPD",
        "Short description, and why it is relevant to your practice",
        "Date",
        "What did you learn?",
        "What impact has this had on your practice and the people you work with?",
        "Describe what you have learnt from discussing this CPD activity with a peer",
    ]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Title"] == "Action learning set 1 – Łódź exchange"
    assert first["Date"] == "02/03/2026"
    assert (first["Status"], first["Date submitted"]) == ("submitted", "2026-11-02")
    assert first["Discussed with"] == "Sam Patel, practice supervisor"
    assert first["Professional standards"] == "SWE 4.6" and first["Other frameworks"] == "KSS-PL 5"
    assert first["70/20/10 mode"] == "Learning from others (20)"
    assert rows[2][4] == "Naming uncertainty helps the team."


def test_csv_neutralises_formulas():
    for hostile in ("=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(hostile) == "'" + hostile
    assert csv_cell("2026-03-01") == "2026-03-01"
    bad = make_log([piece(1, peer=True, learned="=cmd|' /C calc'!A0", title="@risk")])
    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](bad).decode("utf-8-sig"))))
    assert rows[1][0] == "'@risk" and rows[1][4] == "'=cmd|' /C calc'!A0"


def test_json_round_trip(log: CPDLog):
    data = json.loads(RENDERERS["json"](log))
    assert data["year"] == "2025–26"
    assert data["period_start"] == "2025-12-01"
    assert data["rules"]["deadline"] == "2026-11-30" and data["rules"]["minimum_records"] == 2
    assert data["readiness"]["ready"] is True and data["readiness"]["missing"] == []
    assert data["pieces"][0]["status"] == "submitted" and data["pieces"][0]["submitted_on"] == "2026-11-02"
    assert data["pieces"][1]["standards"] == ["SWE 4.6"]


def test_markdown_and_html_carry_every_answer_in_the_forms_order(log: CPDLog):
    markdown = RENDERERS["md"](log).decode()
    page = RENDERERS["html"](log).decode()
    for text in ("Naming uncertainty helps the team.", "Discussing it showed me how I frame risk.", "SWE 4.6", "Ready",
                 "Submitted on 2 November 2026", "Keep it short", "2 pieces of CPD"):
        assert text in markdown
        assert text in page
    questions = ["**Type of CPD**", "**Short description", "**Date**", "**What did you learn?**", "**What impact",
                 "**Describe what you have learnt"]
    positions = [markdown.index(q) for q in questions]
    assert positions == sorted(positions)
    assert "Your answer: 86 characters." in markdown  # the length, to check against the form's box
    assert page.startswith("<!doctype html>")
    assert "((" not in markdown and "))" not in markdown


def test_one_piece_is_singular():
    text = RENDERERS["md"](make_log([piece(1, peer=True)])).decode()
    assert "1 piece of CPD" in text and "1 pieces" not in text


def test_html_and_markdown_escape_participant_text():
    hostile = make_log([piece(1, peer=True, learned="<script>alert(1)</script>", title="<img src=x onerror=alert(1)>")])
    page = RENDERERS["html"](hostile).decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
    markdown = RENDERERS["md"](hostile).decode()
    assert "<script>" not in markdown and "<img" not in markdown and "&lt;script&gt;" in markdown


def test_pdf_text_extracts(log: CPDLog):
    reader = PdfReader(io.BytesIO(RENDERERS["pdf"](log)))
    text = " ".join(p.extract_text() for p in reader.pages)
    folded = " ".join(text.split())
    assert "CPD record 2025–26: Jo Bloggs" in folded
    assert "Naming uncertainty helps the team." in folded
    assert "Sam Patel, practice supervisor" in folded
    assert "Łódź" in folded


@pytest.mark.skipif(
    not all(regular.exists() for _, regular, _ in _FALLBACK_FONTS),
    reason="needs fonts-noto-core and fonts-droid-fallback (make setup installs them)",
)
def test_pdf_prints_names_in_every_script():
    names = ["李雷", "অমিত দাস", "عمران خان", "Siân Llŷr", "Łukasz Żółć"]
    log = make_log([piece(1, peer=True, title=" · ".join(names))], name="عمران خان")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(RENDERERS["pdf"](log))).pages)
    # A shaped Bengali cluster maps its text to its first glyph; pypdf prints the reordered vowel sign's
    # (unmapped) glyph as a control character, which a PDF viewer's copy leaves out.
    text = "".join(ch for ch in text if ch >= " " or ch in "\n")
    joined = "".join(text.split())
    assert "李雷" in joined
    assert "অমিতদাস" in joined
    # Right-to-left words come out in visual order; each word is whole, letters in logical order.
    assert "عمران" in text and "خان" in text
    assert "SiânLlŷr" in joined and "ŁukaszŻółć" in joined


@pytest.mark.skipif(not _FALLBACK_FONTS[0][1].exists(), reason="needs fonts-noto-core (make setup installs it)")
def test_pdf_joins_urdu_letters():
    """Shaped, 'عمران' is drawn with the initial form of ain (U+FECB) and the medial form of meem (U+FEE4), not the
    isolated letters an unshaped PDF shows."""
    from fontTools.ttLib import TTFont

    reader = PdfReader(io.BytesIO(RENDERERS["pdf"](make_log([piece(1, peer=True)], name="عمران"))))
    glyphs: set[str] = set()
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        if "Arabic" in str(font["/BaseFont"]):
            embedded = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]["/FontFile2"].get_object()
            glyphs |= set(TTFont(io.BytesIO(embedded.get_data())).getGlyphOrder())
    assert {"uniFECB", "uniFEE4"} <= glyphs


@pytest.mark.skipif(
    not _FALLBACK_FONTS[0][1].exists() or not any(path.exists() for path in _EMOJI_FONTS),
    reason="needs fonts-noto-core and fonts-noto-color-emoji (make setup installs them)",
)
def test_pdf_prints_emoji_from_an_emoji_font():
    """A title and a peer's words with emoji: the emoji are drawn with the emoji font (in colour with Noto Color
    Emoji), in a bold heading too, and come back out of the PDF's text."""
    log = make_log([piece(1, peer=True, title="Team away day 👍🎉", learned="Celebrate small wins 😀 ❤️")])
    reader = PdfReader(io.BytesIO(RENDERERS["pdf"](log)))
    # A colour emoji font is embedded as a Type 3 font (its glyphs are pictures), named by /Name.
    fonts = {str(font.get_object().get("/BaseFont") or font.get_object().get("/Name")).split("+")[-1]
             for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts & {"NotoColorEmoji", "Symbola"}, fonts
    assert not any(name.startswith("DejaVu") for name in fonts), fonts  # no emoji fell through to DejaVu
    text = "".join(" ".join(page.extract_text() for page in reader.pages).split())
    for emoji in ("👍", "🎉", "😀", "❤"):
        assert emoji in text, emoji
