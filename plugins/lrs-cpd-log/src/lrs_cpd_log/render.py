"""The CPD log written as CSV, JSON, Markdown, HTML and PDF."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

from lrs_cpd_log.model import QUESTIONS, CPDLog, CPDPiece

FORMATS = ("pdf", "csv", "json", "md", "html")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
    "md": "text/markdown",
    "html": "text/html",
}
MODE_LABELS = {"on-the-job": "On the job (70)", "social": "Social (20)", "formal": "Formal (10)", None: "Unclassified"}

CSV_COLUMNS = [
    "Date",
    QUESTIONS["activity_type"],
    "Title",
    QUESTIONS["description"],
    QUESTIONS["learned"],
    QUESTIONS["impact"],
    "Peer reflection: with whom",
    QUESTIONS["peer_reflection"],
    "Professional standards",
    "70/20/10 mode",
    "Statement id",
]


def _row(piece: CPDPiece) -> list[str]:
    peer = piece.peer_reflection
    return [
        piece.date.isoformat(),
        piece.activity_type,
        piece.title,
        piece.description,
        piece.learned,
        piece.impact,
        peer.peer if peer else "",
        peer.learned if peer else "",
        "; ".join(piece.standards),
        MODE_LABELS.get(piece.mode, piece.mode or ""),
        piece.statement_id,
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


def _readiness_lines(log: CPDLog) -> list[str]:
    if log.readiness.ready:
        lines = [f"Ready: this record meets Social Work England's CPD requirements for {log.year_label}."]
    else:
        lines = [f"Not ready yet for {log.year_label}. Still needed:"] + [f"- {m}" for m in log.readiness.missing]
    lines += [f"Note: {w}" for w in log.readiness.warnings]
    return lines


def to_markdown(log: CPDLog) -> bytes:
    lines = [
        f"# CPD record {log.year_label}: {log.participant_name}",
        "",
        f"Registration year {log.period_start.isoformat()} to {log.period_end.isoformat()} · "
        f"{log.participant_id} · {len(log.pieces)} pieces of CPD · generated {log.generated_on.isoformat()}",
        "",
        "## Readiness",
        "",
        *_readiness_lines(log),
        "",
    ]
    for number, piece in enumerate(log.pieces, 1):
        lines += [
            f"## {number}. {piece.title}",
            "",
            f"- **{QUESTIONS['date']}:** {piece.date.isoformat()}",
            f"- **{QUESTIONS['activity_type']}:** {piece.activity_type}",
            f"- **70/20/10 mode:** {MODE_LABELS.get(piece.mode, piece.mode)}",
            f"- **Professional standards:** {', '.join(piece.standards) or 'none recorded'}",
            "",
            f"**{QUESTIONS['description']}**",
            "",
            piece.description or "_not answered_",
            "",
            f"**{QUESTIONS['learned']}**",
            "",
            piece.learned or "_not answered_",
            "",
            f"**{QUESTIONS['impact']}**",
            "",
            piece.impact or "_not answered_",
            "",
        ]
        if piece.peer_reflection:
            lines += [
                f"**{QUESTIONS['peer_reflection']}** (with {piece.peer_reflection.peer})",
                "",
                piece.peer_reflection.learned,
                "",
            ]
    return "\n".join(lines).encode("utf-8")


def to_html(log: CPDLog) -> bytes:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>CPD record {e(log.year_label)}: {e(log.participant_name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;line-height:1.45}"
        "dt{font-weight:600;margin-top:.6rem}dd{margin:0 0 .3rem 0;white-space:pre-wrap}"
        ".missing{color:#a40000}.ready{color:#046b1f}section{border-top:1px solid #ccc;padding-top:.5rem}</style>",
        "</head><body>",
        f"<h1>CPD record {e(log.year_label)}: {e(log.participant_name)}</h1>",
        f"<p>Registration year {log.period_start.isoformat()} to {log.period_end.isoformat()} · "
        f"{e(log.participant_id)} · {len(log.pieces)} pieces of CPD · generated {log.generated_on.isoformat()}</p>",
        "<h2>Readiness</h2>",
    ]
    if log.readiness.ready:
        parts.append(f'<p class="ready">{e(_readiness_lines(log)[0])}</p>')
    else:
        parts.append(f'<p class="missing">Not ready yet for {e(log.year_label)}. Still needed:</p><ul class="missing">')
        parts += [f"<li>{e(m)}</li>" for m in log.readiness.missing]
        parts.append("</ul>")
    parts += [f"<p>Note: {e(w)}</p>" for w in log.readiness.warnings]
    for number, piece in enumerate(log.pieces, 1):
        parts += [f"<section><h2>{number}. {e(piece.title)}</h2><dl>"]
        rows = [
            (QUESTIONS["date"], piece.date.isoformat()),
            (QUESTIONS["activity_type"], piece.activity_type),
            ("70/20/10 mode", MODE_LABELS.get(piece.mode, piece.mode or "")),
            ("Professional standards", ", ".join(piece.standards) or "none recorded"),
            (QUESTIONS["description"], piece.description or "not answered"),
            (QUESTIONS["learned"], piece.learned or "not answered"),
            (QUESTIONS["impact"], piece.impact or "not answered"),
        ]
        if piece.peer_reflection:
            rows.append(
                (f"{QUESTIONS['peer_reflection']} (with {piece.peer_reflection.peer})", piece.peer_reflection.learned)
            )
        parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows]
        parts.append("</dl></section>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/Library/Fonts")


def _unicode_font() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def to_pdf(log: CPDLog) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(f"CPD record {log.year_label}: {log.participant_name}")
    fonts = _unicode_font()
    if fonts:
        pdf.add_font("body", "", str(fonts[0]))
        pdf.add_font("body", "B", str(fonts[1]))
        family = "body"

        def clean(text: str) -> str:
            return text
    else:
        # No TrueType font on this machine: the PDF core fonts cover Latin-1 only.
        family = "Helvetica"

        def clean(text: str) -> str:
            replaced = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-"})
            return replaced.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int) -> None:
        pdf.set_font(family, "B", size)
        pdf.multi_cell(width, size * 0.55, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    def para(text: str, bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", 10)
        pdf.multi_cell(width, 5, clean(text), new_x="LMARGIN", new_y="NEXT")

    heading(f"CPD record {log.year_label}: {log.participant_name}", 16)
    para(
        f"Registration year {log.period_start.isoformat()} to {log.period_end.isoformat()} · {log.participant_id} · "
        f"{len(log.pieces)} pieces of CPD · generated {log.generated_on.isoformat()}"
    )
    pdf.ln(3)
    heading("Readiness", 13)
    for line in _readiness_lines(log):
        para(line)
    for number, piece in enumerate(log.pieces, 1):
        pdf.ln(4)
        heading(f"{number}. {piece.title}", 12)
        para(
            f"{QUESTIONS['date']}: {piece.date.isoformat()} · {QUESTIONS['activity_type']}: {piece.activity_type} · "
            f"{MODE_LABELS.get(piece.mode, piece.mode)}"
        )
        para(f"Professional standards: {', '.join(piece.standards) or 'none recorded'}")
        for key in ("description", "learned", "impact"):
            pdf.ln(1.5)
            para(QUESTIONS[key], bold=True)
            para(getattr(piece, key) or "not answered")
        if piece.peer_reflection:
            pdf.ln(1.5)
            para(f"{QUESTIONS['peer_reflection']} (with {piece.peer_reflection.peer})", bold=True)
            para(piece.peer_reflection.learned)
    return bytes(pdf.output())


RENDERERS = {"pdf": to_pdf, "csv": to_csv, "json": to_json, "md": to_markdown, "html": to_html}
