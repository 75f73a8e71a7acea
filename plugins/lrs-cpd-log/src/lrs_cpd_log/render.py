"""The CPD log written as CSV, JSON, Markdown, HTML and PDF.

Every format shows each record's form fields in the form's order, ready to copy into the Social Work England
account, followed by what is for the participant's notes only (status, standards, 70/20/10 mode).
"""

from __future__ import annotations

import csv
import html
import io
import json
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from lrs_cpd_log.model import DRAFT, SELECTED, SUBMITTED, CPDLog, CPDPiece, FormField, form_fields, plural

FORMATS = ("pdf", "csv", "json", "md", "html")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
    "md": "text/markdown",
    "html": "text/html",
}
MODE_LABELS = {
    "on-the-job": "Learning on the job (70)",
    "social": "Learning from others (20)",
    "formal": "Formal learning (10)",
    None: "Unclassified",
}
NOT_ANSWERED = "not answered yet"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def status_label(piece: CPDPiece) -> str:
    if piece.status == SUBMITTED:
        return f"Submitted on {_long_date(piece.submitted_on)}" if piece.submitted_on else "Submitted"
    return {SELECTED: "Selected for Social Work England", DRAFT: "Draft"}[piece.status]


def form_answer(piece: CPDPiece, key: str) -> str:
    """The text to copy into the form's box ``key``."""
    if key == "date":
        return piece.date.strftime("%d/%m/%Y")
    if key == "peer_reflection":
        return piece.peer_reflection.learned if piece.peer_reflection else ""
    return getattr(piece, key)


def form_rows(piece: CPDPiece) -> Iterator[tuple[FormField, str, str]]:
    """(field, answer, guidance line) in the form's order; the guidance says the answer's length."""
    for field in form_fields():
        answer = form_answer(piece, field.key)
        guidance = field.guidance
        if field.key in ("description", "learned", "impact", "peer_reflection") and answer:
            guidance += f" Your answer: {plural(len(answer), 'character')}"
            if field.max_characters and len(answer) > field.max_characters:
                guidance += f", over the form's {field.max_characters}"
            guidance += "."
        yield field, answer, guidance


def notes_rows(piece: CPDPiece) -> list[tuple[str, str]]:
    """What is for the participant's own notes: the form does not ask for it."""
    rows = [("Status", status_label(piece))]
    if piece.peer_reflection:
        rows.append(("Discussed with", piece.peer_reflection.peer))
    rows += [
        ("Professional standards", ", ".join(piece.standards) or "none recorded"),
        ("Other frameworks", ", ".join(piece.other_standards) or "none recorded"),
        ("70/20/10 mode", MODE_LABELS.get(piece.mode, piece.mode or "")),
    ]
    if piece.evidence_type:
        rows.append(("ILM evidence type", piece.evidence_type))
    return rows


def summary_line(log: CPDLog) -> str:
    return (
        f"Registration year {_long_date(log.period_start)} to {_long_date(log.period_end)} · "
        f"{plural(len(log.pieces), 'piece')} of CPD · generated {_long_date(log.generated_on)}"
    )


def _readiness_lines(log: CPDLog) -> tuple[str, list[str], list[str]]:
    """(headline, what is still needed, notes)."""
    readiness = log.readiness
    if readiness.ready:
        headline = f"Ready: your records meet Social Work England's CPD requirements for {log.year_label}."
    else:
        headline = f"Not ready yet for {log.year_label}. Still needed:"
    counted = (
        f"Counted: {plural(readiness.counted, 'complete record')}"
        + (" you selected" if readiness.basis == "selected" else "")
        + "."
    )
    if readiness.candidates:
        counted += (
            f" {plural(readiness.candidates, 'other item')} "
            + ("is a candidate" if readiness.candidates == 1 else "are candidates")
            + ": answer the questions and select the ones you want to submit."
        )
    if readiness.basis != "selected":
        counted += " No record is selected yet, so every complete record counts; select the ones you will submit."
    return headline, list(readiness.missing), [counted, *readiness.warnings]


# --- CSV --------------------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "Title",
    *(f.question for f in form_fields()),
    "Status",
    "Date submitted",
    "Discussed with",
    "Professional standards",
    "Other frameworks",
    "70/20/10 mode",
    "Statement id",
]
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a leading apostrophe
#: makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(piece: CPDPiece) -> list[str]:
    notes = dict(notes_rows(piece))
    return [
        csv_cell(cell)
        for cell in [
            piece.title,
            *(answer for _, answer, _ in form_rows(piece)),
            piece.status,
            piece.submitted_on.isoformat() if piece.submitted_on else "",
            notes.get("Discussed with", ""),
            "; ".join(piece.standards),
            "; ".join(piece.other_standards),
            MODE_LABELS.get(piece.mode, piece.mode or ""),
            piece.statement_id,
        ]
    ]


def to_csv(log: CPDLog) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for piece in log.pieces:
        writer.writerow(_row(piece))
    # UTF-8 with a BOM so that spreadsheet programs read accented names correctly.
    return out.getvalue().encode("utf-8-sig")


def to_json(log: CPDLog) -> bytes:
    return json.dumps(log.as_dict(), indent=2, ensure_ascii=False).encode("utf-8")


def piece_line(p: CPDPiece) -> dict:
    """One line about a piece, for a page's list: its statement, date, title, type, whether it is complete and has
    a peer reflection, and its status."""
    return {
        "statement_id": p.statement_id,
        "date": p.date.isoformat(),
        "title": p.title,
        "activity_type": p.activity_type,
        "complete": p.complete,
        "peer_reflection": p.peer_reflection is not None,
        "status": p.status,
    }


def summary_dict(log: CPDLog) -> dict:
    """Where the year stands: the readiness, the rules and one line per piece (what a page lists)."""
    readiness = log.readiness
    return {
        "summary": True,
        "participant_name": log.participant_name,
        "year": log.year_label,
        "period_start": log.period_start.isoformat(),
        "period_end": log.period_end.isoformat(),
        "generated_on": log.generated_on.isoformat(),
        "rules": log.rules.as_dict() if log.rules else None,
        "readiness": {
            "ready": readiness.ready,
            "missing": list(readiness.missing),
            "warnings": list(readiness.warnings),
            "counted": readiness.counted,
            "candidates": readiness.candidates,
            "basis": readiness.basis,
        },
        "pieces": [piece_line(p) for p in log.pieces],
    }


def to_summary_json(log: CPDLog) -> bytes:
    return json.dumps(summary_dict(log), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- Markdown and HTML ------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Participant text for Markdown: HTML in it is shown, never run (Markdown renderers pass HTML through)."""
    return html.escape(text, quote=False)


def to_markdown(log: CPDLog) -> bytes:
    headline, missing, notes = _readiness_lines(log)
    lines = [
        f"# CPD record {log.year_label}: {_md(log.participant_name)}",
        "",
        summary_line(log),
        "",
        "## Readiness",
        "",
        headline,
        *[f"- {_md(m)}" for m in missing],
        "",
        *[f"Note: {_md(n)}" for n in notes],
        "",
    ]
    for number, piece in enumerate(log.pieces, 1):
        lines += [f"## {number}. {_md(piece.title)}", ""]
        for field, answer, guidance in form_rows(piece):
            lines += [f"**{field.question}**", "", f"_{_md(guidance)}_", "", _md(answer) or f"_{NOT_ANSWERED}_", ""]
        lines += ["**For your notes (not asked on the form)**", ""]
        lines += [f"- {label}: {_md(value)}" for label, value in notes_rows(piece)]
        lines += [f"- Warning: {_md(w)}" for w in piece.privacy_warnings]
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def to_html(log: CPDLog) -> bytes:
    e = html.escape
    headline, missing, notes = _readiness_lines(log)
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>CPD record {e(log.year_label)}: {e(log.participant_name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;line-height:1.45}"
        "dt{font-weight:600;margin-top:.6rem}dd{margin:0 0 .3rem 0;white-space:pre-wrap}.hint{color:#555;"
        "font-size:.9em}.missing{color:#a40000}.ready{color:#046b1f}section{border-top:1px solid #ccc;"
        "padding-top:.5rem}</style>",
        "</head><body>",
        f"<h1>CPD record {e(log.year_label)}: {e(log.participant_name)}</h1>",
        f"<p>{e(summary_line(log))}</p>",
        "<h2>Readiness</h2>",
        f'<p class="{"ready" if log.readiness.ready else "missing"}">{e(headline)}</p>',
    ]
    if missing:
        parts += ['<ul class="missing">', *[f"<li>{e(m)}</li>" for m in missing], "</ul>"]
    parts += [f"<p>Note: {e(n)}</p>" for n in notes]
    for number, piece in enumerate(log.pieces, 1):
        parts.append(f"<section><h2>{number}. {e(piece.title)}</h2><dl>")
        for field, answer, guidance in form_rows(piece):
            parts.append(
                f'<dt>{e(field.question)}</dt><dd class="hint">{e(guidance)}</dd><dd>{e(answer or NOT_ANSWERED)}</dd>'
            )
        parts.append("</dl><h3>For your notes (not asked on the form)</h3><dl>")
        parts += [f"<dt>{e(k)}</dt><dd>{e(val)}</dd>" for k, val in notes_rows(piece)]
        parts.append("</dl>")
        parts += [f'<p class="missing">Warning: {e(w)}</p>' for w in piece.privacy_warnings]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


# --- PDF --------------------------------------------------------------------------------------------------

#: Fonts from Debian packages (the README's setup installs them): fonts-noto-core for Latin (incl. Welsh and
#: Polish), Arabic script (Urdu, Arabic) and Bengali; fonts-droid-fallback for Chinese, Japanese and Korean (a
#: TrueType font: fpdf2 mis-measures the CFF-based Noto CJK fonts); fonts-noto-color-emoji for emoji. DejaVu is the last resort. Each entry:
#: (family, regular, bold); a font without a bold face uses its regular one for bold.
_NOTO = Path("/usr/share/fonts/truetype/noto")
_DROID = Path("/usr/share/fonts/truetype/droid")
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_BODY_FONTS = (
    ("body", _NOTO / "NotoSans-Regular.ttf", _NOTO / "NotoSans-Bold.ttf"),
    ("body", _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"),
)
_FALLBACK_FONTS = (
    ("arabic", _NOTO / "NotoSansArabic-Regular.ttf", _NOTO / "NotoSansArabic-Bold.ttf"),
    ("bengali", _NOTO / "NotoSansBengali-Regular.ttf", _NOTO / "NotoSansBengali-Bold.ttf"),
    ("cjk", _DROID / "DroidSansFallbackFull.ttf", _DROID / "DroidSansFallbackFull.ttf"),
    ("dejavu", _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"),
)


#: Emoji, the first found: fonts-noto-color-emoji (colour bitmaps, CBDT, which fpdf2 embeds and viewers draw in
#: colour), else fonts-symbola (monochrome outlines). Tried before the CJK and DejaVu fallbacks, which have
#: black-and-white forms of a few symbols (a heart, a smiley) that would otherwise win.
_EMOJI_FONTS = (
    _NOTO / "NotoColorEmoji.ttf",
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
)


_PRESENTATION_SELECTORS = {0xFE0E: None, 0xFE0F: None}


def _fallbacks() -> list[tuple[str, Path, Path]]:
    """The fallback fonts in the order they are tried: Arabic script, Bengali, emoji, CJK, DejaVu."""
    emoji = next((path for path in _EMOJI_FONTS if path.exists()), None)
    found = list(_FALLBACK_FONTS)
    if emoji is not None:
        found.insert(2, ("emoji", emoji, emoji))
    return found


def _load_fonts(pdf, text: str) -> str | None:  # noqa: ANN001
    """Registers the body font and the fallbacks ``text`` needs; the body family, or None.

    A fallback is registered only when a character of the text is missing from the body font, and only as far
    down the list as such characters need (each font costs a parse and a subset on output, the CJK font most):
    the fallbacks are tried in their order, so a prefix of the list that holds, for each missing character in
    each weight, the first font with that character in that weight gives every character the same font as the
    whole list would."""
    body = next(((r, b) for _, r, b in _BODY_FONTS if r.exists() and b.exists()), None)
    if body is None:
        return None
    pdf.add_font("body", "", str(body[0]))
    pdf.add_font("body", "B", str(body[1]))
    # Control characters (line breaks) never reach a font.
    pending = {
        (code, style)
        for code in {ord(ch) for ch in set(text) if ch >= " "}
        if code not in pdf.fonts["body"].cmap or code not in pdf.fonts["bodyB"].cmap
        for style in ("", "B")
    }
    fallbacks = []
    for family, regular, bold in _fallbacks():
        if not pending:
            break
        if regular.exists() and bold.exists() and regular != body[0]:
            pdf.add_font(family, "", str(regular))
            pdf.add_font(family, "B", str(bold))
            fallbacks.append(family)
            pending = {(code, style) for code, style in pending if code not in pdf.fonts[family + style].cmap}
    if fallbacks:
        # exact_match=False: a bold line with a character only a fallback has still uses that fallback.
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    # HarfBuzz shaping (uharfbuzz, a dependency) joins Arabic-script letters, orders right-to-left text and places
    # combining marks. It is most of the time a PDF takes (fpdf2 shapes each line again as it grows), so it is on
    # only for a text that needs it: a character the body font lacks, a right-to-left one or a combining mark.
    if fallbacks or any(_needs_shaping(ch) for ch in set(text)):
        pdf.set_text_shaping(True)
    return "body"


def _needs_shaping(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL", "AN") or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _pdf_lines(log: CPDLog) -> list[tuple[str, str, bool, int]]:
    """What the PDF prints, in order: (kind, text, bold, size); kind "heading", "para" or "gap" (text: the
    gap's height in mm)."""
    lines: list[tuple[str, str, bool, int]] = []

    def heading(text: str, size: int) -> None:
        lines.append(("heading", text, True, size))

    def para(text: str, bold: bool = False, size: int = 10) -> None:
        lines.append(("para", text, bold, size))

    def gap(height: float) -> None:
        lines.append(("gap", str(height), False, 0))

    headline, missing, notes = _readiness_lines(log)
    heading(f"CPD record {log.year_label}: {log.participant_name}", 16)
    para(summary_line(log))
    gap(3)
    heading("Readiness", 13)
    para(headline)
    for line in missing:
        para(f"- {line}")
    for line in notes:
        para(f"Note: {line}")
    for number, piece in enumerate(log.pieces, 1):
        gap(4)
        heading(f"{number}. {piece.title}", 12)
        for field, answer, guidance in form_rows(piece):
            gap(1.5)
            para(field.question, bold=True)
            para(guidance, size=8)
            para(answer or NOT_ANSWERED)
        gap(1.5)
        para("For your notes (not asked on the form)", bold=True)
        for label, value in notes_rows(piece):
            para(f"{label}: {value}")
        for warning in piece.privacy_warnings:
            para(f"Warning: {warning}")
    return lines


def to_pdf(log: CPDLog) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    title = f"CPD record {log.year_label}: {log.participant_name}"
    pdf.set_title(title)
    lines = _pdf_lines(log)
    family = _load_fonts(pdf, "".join(text for kind, text, _, _ in lines if kind != "gap").translate(_PRESENTATION_SELECTORS))
    if family is None:
        # No TrueType font on this machine: the PDF core fonts cover Latin-1 only.
        family = "Helvetica"

        def clean(text: str) -> str:
            replaced = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-"})
            return replaced.encode("latin-1", "replace").decode("latin-1")
    else:

        def clean(text: str) -> str:
            # Emoji presentation selectors (as in "❤️") are in no emoji font's character map: fpdf2 would draw
            # each from another fallback font. The emoji font already draws its emoji as emoji.
            return text.translate(_PRESENTATION_SELECTORS)

    pdf.add_page()
    width = pdf.epw
    for kind, text, bold, size in lines:
        if kind == "gap":
            pdf.ln(float(text))
        elif kind == "heading":
            pdf.set_font(family, "B", size)
            pdf.multi_cell(width, size * 0.55, clean(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        else:
            pdf.set_font(family, "B" if bold else "", size)
            pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


RENDERERS = {"pdf": to_pdf, "csv": to_csv, "json": to_json, "md": to_markdown, "html": to_html}
