"""The plugin: registers the ``ilm-portfolio`` exporter through the ``lrs_exporters`` hook."""

from __future__ import annotations

from typing import Any

from lrs.hookspecs import Exporter, ExportFile, ExportOptionError, ExportRecord, hookimpl
from lrs_ilm_portfolio.build import build_portfolio, slugify
from lrs_ilm_portfolio.credentials import issuer_from_environment
from lrs_ilm_portfolio.package import build_zip
from lrs_ilm_portfolio.qualification import OPTION, choose_qualification

NAME = "ilm-portfolio"
TITLE = "ILM portfolio of evidence"
FORMATS = ("zip",)


def export_ilm_portfolio(record: ExportRecord, options: dict[str, Any]) -> list[ExportFile]:
    """One learner's portfolio of evidence for one qualification, as a ZIP (option ``qualification``)."""
    fmt = options.get("format") or FORMATS[0]
    if fmt not in FORMATS:
        raise ExportOptionError("format", f"format must be one of {', '.join(FORMATS)}")
    qualification = choose_qualification(record, options.get(OPTION) or None)
    issuer = issuer_from_environment(qualification)
    portfolio = build_portfolio(record, qualification, centre=issuer.centre)
    learner = slugify(portfolio.learner_name) or slugify(portfolio.learner_id) or "learner"
    filename = f"ilm-portfolio-{slugify(qualification.slug) or 'qualification'}-{learner}.zip"
    return [ExportFile(filename, "application/zip", build_zip(portfolio, issuer))]


@hookimpl
def lrs_exporters() -> list[Exporter]:
    return [
        Exporter(
            name=NAME,
            title=TITLE,
            formats=FORMATS,
            export=export_ilm_portfolio,
            options={OPTION: "the qualification's framework slug; default: the one with the most evidence"},
            description=(
                "A learner's portfolio of evidence for one qualification (ILM units, learning outcomes and "
                "assessment criteria) as a ZIP: index.html, portfolio.pdf, the evidence files and manifest.json "
                "with Open Badges 3.0 credentials for completed units. Option: qualification (a framework slug "
                "or URI; by default the one with the most evidenced criteria)."
            ),
        )
    ]
