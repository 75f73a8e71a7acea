"""portfolio.pdf: the same content as index.html, for centres that file or print portfolios as PDF.

fpdf2 with the DejaVu Sans TrueType font found on the machine, as the CPD log plugin does, so names such as
"Łucja Nowak-Żółć" print. Without it the PDF falls back to the core Helvetica font, which covers Latin-1 only:
letters outside it are written without their accents rather than as question marks.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from lrs_ilm_portfolio.build import STATUS_LABELS, STATUSES, Portfolio, UnitEntry, ascii_fold
from lrs_ilm_portfolio.texts import (  # noqa: I001
    ASSESSOR_SIGNATURE_LINE,
    DECLARATION,
    SIGNATURE_LINE,
    USE_OUTCOME_LABELS,
    cover_facts,
    decision_line,
    evidence_facts,
    sample_lines,
    unit_record_lines,
    unit_state,
    witness_facts,
)

#: Where DejaVu Sans is on Debian/Ubuntu, Fedora/Arch, and macOS with the font installed.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF", "/Library/Fonts")


def unicode_font() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class _Writer:
    """Small layer over FPDF: headings, paragraphs and label/value lines at the full text width."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_title(title)
        fonts = unicode_font()
        if fonts:
            self.pdf.add_font("body", "", str(fonts[0]))
            self.pdf.add_font("body", "B", str(fonts[1]))
            self.family, self.unicode = "body", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.set_creator("lrs-ilm-portfolio")
        #: The lines a paragraph breaks into, by (text, style, size, width), for this document: an evidence entry
        #: is printed under every criterion it is mapped to, and fpdf2's line breaking (which measures each line
        #: again at every space) was most of the time a portfolio took.
        self._lines: dict[tuple[str, str, float, float], list[str]] = {}

    def clean(self, text: str) -> str:
        if self.unicode:
            return text
        replaced = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-",
                                  0x2022: "-"})
        return "".join(ch if ord(ch) < 256 else ascii_fold(ch) or "?" for ch in replaced)

    def heading(self, text: str, size: int, space: float = 2) -> None:
        self.pdf.ln(space)
        self.pdf.set_font(self.family, "B", size)
        self.pdf.multi_cell(self.pdf.epw, size * 0.5, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def para(self, text: str, *, bold: bool = False, size: int = 10, indent: float = 0) -> None:
        if not text:
            return
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        width, height, text = self.pdf.epw - indent, size * 0.5, self.clean(text)
        if text.endswith("\n") or "\r" in text:
            # Left-aligned: justified text stretches the gaps around long paths and URLs.
            self.pdf.multi_cell(width, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
            return
        # The same as multi_cell: its lines (worked out once per text), each a cell at the paragraph's left edge.
        key = (text, self.pdf.font_style, self.pdf.font_size_pt, width)
        lines = self._lines.get(key)
        if lines is None:
            if "\n" not in text and self.pdf.get_string_width(text) < width - 2 * self.pdf.c_margin - 0.01:
                lines = [text]  # it fits: multi_cell would not break it
            else:
                lines = self.pdf.multi_cell(width, height, text, align="L", dry_run=True, output="LINES")
            self._lines[key] = lines
        for number, line in enumerate(lines, 1):
            last = number == len(lines)
            self.pdf.cell(width, height, line, align="L", new_x="LMARGIN" if last else "LEFT", new_y="NEXT")

    def labelled(self, label: str, text: str, indent: float = 0) -> None:
        if text:
            self.para(f"{label}: {text}", indent=indent)

    def block(self, label: str, text: str, indent: float = 0) -> None:
        if text:
            self.pdf.ln(1)
            self.para(label, bold=True, indent=indent)
            self.para(text, indent=indent)


def _unit(w: _Writer, unit: UnitEntry, by_id: dict) -> None:
    node = unit.unit.node
    w.pdf.add_page()
    w.heading(f"{node.code} {node.title}", 15, space=0)
    w.para(unit_state(unit), bold=True)
    for line in unit_record_lines(unit):
        w.para(line, indent=2)
    outcome_shown = None
    for entry in unit.criteria:
        criterion = entry.criterion
        if criterion.outcome is not None and criterion.outcome != outcome_shown:
            w.heading(f"{criterion.outcome.code} {criterion.outcome.title}", 12, space=4)
            outcome_shown = criterion.outcome
        w.heading(f"{criterion.node.code} {criterion.node.title} — {STATUS_LABELS.get(entry.status, entry.status)}", 11)
        if not entry.uses:
            w.para("No evidence mapped to this criterion yet.", indent=4)
        for use in entry.uses:
            evidence = use.evidence
            w.pdf.ln(1.5)
            w.para(evidence.title, bold=True, indent=4)
            for label, value in evidence_facts(evidence, USE_OUTCOME_LABELS.get(use.outcome, str(use.outcome))):
                w.labelled(label, value, indent=4)
            w.block("Description", evidence.description, indent=4)
            w.block("Reflection", evidence.response, indent=4)
            w.block("Impact on practice", evidence.impact, indent=4)
            if evidence.witness:
                witness = evidence.witness
                w.pdf.ln(1)
                w.para("Witness", bold=True, indent=4)
                for label, value in witness_facts(witness):
                    w.labelled(label, value, indent=4)
                w.block("Witness testimony (the witness's own wording)" if witness.corrected else "Witness testimony",
                        witness.testimony, indent=4)
                w.block("Testimony as the learner first recorded it", witness.recorded, indent=4)
            if evidence.attachments:
                w.pdf.ln(1)
                w.para("Attachments", bold=True, indent=4)
                for attachment in evidence.attachments:
                    where = attachment.path or (
                        f"not held by the LRS, so not included{': ' + attachment.file_url if attachment.file_url else ''}"
                    )
                    w.para(f"• {attachment.display} ({attachment.content_type}): {where}", indent=6)
                    if attachment.description:
                        w.para(attachment.description, indent=9)
            w.pdf.ln(1)
            if use.decisions:
                w.para("Assessment decisions", bold=True, indent=4)
                for decision in use.decisions:
                    w.para("• " + decision_line(decision, by_id), indent=6)
                    if decision.feedback:
                        w.para(f"Feedback: {decision.feedback}", indent=9)
            else:
                w.para("No assessment decision yet.", indent=4)


def to_pdf(portfolio: Portfolio) -> bytes:
    q = portfolio.qualification
    w = _Writer(f"Portfolio of evidence: {portfolio.learner_name} – {q.title}")
    w.pdf.set_author(portfolio.learner_name if w.unicode else ascii_fold(portfolio.learner_name))
    by_id = {d.statement_id: d for unit in portfolio.units for c in unit.criteria for u in c.uses for d in u.decisions}

    w.pdf.add_page()
    w.heading("Portfolio of evidence", 20, space=0)
    w.para(q.title, size=13)
    w.pdf.ln(4)
    for label, value in cover_facts(portfolio):
        w.labelled(label, value)
    w.heading("Declaration of authenticity", 13, space=8)
    w.para(DECLARATION)
    w.pdf.ln(8)
    w.para(SIGNATURE_LINE)
    w.pdf.ln(6)
    w.para(ASSESSOR_SIGNATURE_LINE)
    w.heading("Units", 13, space=8)
    for unit in portfolio.units:
        w.para(f"{unit.unit.node.code} {unit.unit.node.title} ({unit_state(unit)})")

    for unit in portfolio.units:
        _unit(w, unit, by_id)

    w.pdf.add_page()
    w.heading("Progress summary", 15, space=0)
    for unit in portfolio.units:
        w.heading(f"{unit.unit.node.code} {unit.unit.node.title}", 11)
        counts = ", ".join(f"{STATUS_LABELS[s].lower()}: {unit.count(s)}" for s in STATUSES)
        w.para(f"{counts}. {'Complete.' if unit.complete else 'Not yet complete.'}", indent=4)
    w.heading("Internal quality assurance sampling log", 15, space=8)
    samples = sample_lines(portfolio)
    for line in samples or ["No IQA sample of this learner's assessment yet."]:
        w.para(("• " if samples else "") + line, indent=2)
    return bytes(w.pdf.output())
