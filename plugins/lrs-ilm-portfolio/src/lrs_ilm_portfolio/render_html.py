"""index.html: the portfolio readable in any browser, offline. One file, inline CSS, no scripts, no fonts or
images from elsewhere; links only to the evidence files beside it in the ZIP. Every text from the record is
escaped, since learners and reviewers write it."""

from __future__ import annotations

import html
from urllib.parse import quote

from lrs_ilm_portfolio.build import STATUS_LABELS, STATUSES, Attachment, Portfolio, UnitEntry, Witness
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

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:54rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#1b1b1b}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{border-bottom:2px solid #333;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin:1.6rem 0 .4rem;color:#333}h4{margin:1.2rem 0 .3rem}h5{margin:.6rem 0 .2rem;font-size:1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.3rem 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.cover{border:1px solid #999;padding:1rem 1.5rem;margin-bottom:2rem}
.signature{margin-top:1.2rem;font-family:ui-monospace,monospace;white-space:pre-wrap}
.criterion{border-left:4px solid #bbb;padding:.1rem 0 .4rem 1rem;margin:1rem 0}
.criterion.accepted{border-color:#1a7f37}.criterion.referred{border-color:#b42318}
.criterion.awaiting-decision{border-color:#b58105}
.status{font-size:.85rem;font-weight:600;padding:.05rem .45rem;border-radius:.3rem;white-space:nowrap;
background:#eee;color:#333}
.status.accepted{background:#dafbe1;color:#1a7f37}.status.referred{background:#ffebe9;color:#b42318}
.status.awaiting-decision{background:#fff8c5;color:#7d5a00}
.evidence{background:#f6f8fa;border:1px solid #d0d7de;border-radius:.3rem;padding:.5rem .9rem;margin:.6rem 0}
.text{white-space:pre-wrap;margin:.2rem 0 .6rem}
.label{font-weight:600;margin:.5rem 0 0}
ul.decisions li{margin-bottom:.3rem}ul.decisions li.superseded{color:#666}
.feedback{display:block;white-space:pre-wrap;font-style:italic}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}
td.n{text-align:right}.muted{color:#666}
@media print{.evidence{break-inside:avoid}h2{break-before:page}.cover h2{break-before:auto}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _facts(rows: list[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows if v) + "</dl>"


def _text_block(label: str, text: str) -> str:
    return f'<p class="label">{_e(label)}</p><p class="text">{_e(text)}</p>' if text else ""


def _witness(witness: Witness) -> str:
    rows = witness_facts(witness)
    label = "Witness testimony (the witness's own wording)" if witness.corrected else "Witness testimony"
    return ('<p class="label">Witness</p>' + _facts(rows) + _text_block(label, witness.testimony)
            + _text_block("Testimony as the learner first recorded it", witness.recorded))


def _attachment(attachment: Attachment) -> str:
    description = f'<br><span class="description">{_e(attachment.description)}</span>' if attachment.description else ""
    details = _e(f"{attachment.content_type}" + (f", {attachment.length} bytes" if attachment.length else ""))
    if attachment.path:
        # Relative link into evidence/ beside index.html; the path is ASCII already, quote() is belt and braces.
        return (f'<li><a href="{_e(quote(attachment.path))}">{_e(attachment.display)}</a> <span class="muted">({details})</span>'
                f"{description}</li>")
    where = f": {attachment.file_url}" if attachment.file_url else ""
    return (f"<li>{_e(attachment.display)} <span class=\"muted\">({details}; not held by the LRS, "
            f"so not included{_e(where)})</span>{description}</li>")


def _unit(unit: UnitEntry, anchor: str, by_id: dict) -> list[str]:
    node = unit.unit.node
    state = unit_state(unit)
    parts = [f'<section id="{anchor}"><h2>{_e(node.code)} {_e(node.title)}</h2>',
             f'<p><span class="status{" accepted" if unit.complete else ""}">{_e(state)}</span></p>']
    record_lines = unit_record_lines(unit)
    if record_lines:
        parts.append('<ul class="unit-record">' + "".join(f"<li>{_e(line)}</li>" for line in record_lines) + "</ul>")
    outcome_shown = None
    for entry in unit.criteria:
        criterion = entry.criterion
        if criterion.outcome is not None and criterion.outcome != outcome_shown:
            parts.append(f"<h3>{_e(criterion.outcome.code)} {_e(criterion.outcome.title)}</h3>")
            outcome_shown = criterion.outcome
        status = entry.status
        parts.append(
            f'<article class="criterion {_e(status)}"><h4>{_e(criterion.node.code)} {_e(criterion.node.title)} '
            f'<span class="status {_e(status)}">{_e(STATUS_LABELS.get(status, status))}</span></h4>'
        )
        if not entry.uses:
            parts.append('<p class="muted">No evidence mapped to this criterion yet.</p>')
        for use in entry.uses:
            evidence = use.evidence
            parts.append(f'<div class="evidence"><h5>{_e(evidence.title)}</h5>')
            parts.append(_facts(evidence_facts(evidence, USE_OUTCOME_LABELS.get(use.outcome, str(use.outcome)))))
            parts.append(_text_block("Description", evidence.description))
            parts.append(_text_block("Reflection", evidence.response))
            parts.append(_text_block("Impact on practice", evidence.impact))
            if evidence.witness:
                parts.append(_witness(evidence.witness))
            if evidence.attachments:
                parts.append('<p class="label">Attachments</p><ul>')
                parts += [_attachment(a) for a in evidence.attachments]
                parts.append("</ul>")
            if use.decisions:
                parts.append('<p class="label">Assessment decisions</p><ul class="decisions">')
                for decision in use.decisions:
                    feedback = f'<span class="feedback">{_e(decision.feedback)}</span>' if decision.feedback else ""
                    css = ' class="superseded"' if decision.superseded else ""
                    parts.append(f"<li{css}>{_e(decision_line(decision, by_id))}{feedback}</li>")
                parts.append("</ul>")
            else:
                parts.append('<p class="muted">No assessment decision yet.</p>')
            parts.append("</div>")
        parts.append("</article>")
    parts.append("</section>")
    return parts


def to_html(portfolio: Portfolio) -> bytes:
    q = portfolio.qualification
    by_id = {d.statement_id: d for unit in portfolio.units for c in unit.criteria for u in c.uses for d in u.decisions}
    cover = cover_facts(portfolio)
    anchors = [f"unit-{n}" for n in range(1, len(portfolio.units) + 1)]
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Portfolio of evidence: {_e(portfolio.learner_name)} – {_e(q.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        '<header class="cover">',
        "<h1>Portfolio of evidence</h1>",
        f"<p>{_e(q.title)}</p>",
        _facts(cover),
        "<h2>Declaration of authenticity</h2>",
        f"<p>{_e(DECLARATION)}</p>",
        f'<p class="signature">{_e(SIGNATURE_LINE)}\n\n{_e(ASSESSOR_SIGNATURE_LINE)}</p>',
        "</header>",
        "<nav><h2>Units</h2><ul>",
    ]
    for unit, anchor in zip(portfolio.units, anchors, strict=True):
        label = unit_state(unit)
        parts.append(f'<li><a href="#{anchor}">{_e(unit.unit.node.code)} {_e(unit.unit.node.title)}</a> '
                     f'<span class="muted">({_e(label)})</span></li>')
    parts.append('<li><a href="#progress">Progress summary</a></li>'
                 '<li><a href="#sampling">Internal quality assurance sampling log</a></li></ul></nav>')
    for unit, anchor in zip(portfolio.units, anchors, strict=True):
        parts += _unit(unit, anchor, by_id)
    parts += ['<section id="progress"><h2>Progress summary</h2><table><thead><tr><th>Unit</th>']
    parts += [f"<th>{_e(STATUS_LABELS[s])}</th>" for s in STATUSES]
    parts.append("<th>Unit</th></tr></thead><tbody>")
    for unit in portfolio.units:
        parts.append(f"<tr><td>{_e(unit.unit.node.code)} {_e(unit.unit.node.title)}</td>")
        parts += [f'<td class="n">{unit.count(s)}</td>' for s in STATUSES]
        parts.append(f"<td>{'complete' if unit.complete else 'not yet complete'}</td></tr>")
    parts.append("</tbody></table></section>")
    parts.append('<section id="sampling"><h2>Internal quality assurance sampling log</h2>')
    samples = sample_lines(portfolio)
    parts.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in samples) + "</ul>" if samples
                 else '<p class="muted">No IQA sample of this learner\'s assessment yet.</p>')
    parts.append("</section></body></html>")
    return "\n".join(p for p in parts if p).encode("utf-8")
