"""The plugin: registers the ``cpd-log`` exporter through the ``lrs_exporters`` hook."""

from __future__ import annotations

from datetime import date
from typing import Any

from lrs.hookspecs import Exporter, ExportFile, ExportOptionError, ExportRecord, hookimpl
from lrs_cpd_log.build import build_log, default_year
from lrs_cpd_log.render import FORMATS, MEDIA_TYPES, RENDERERS


def _today() -> date:
    """Today, for the deadline and renewal-window notices (a test sets it)."""
    return date.today()


def export_cpd_log(record: ExportRecord, options: dict[str, Any]) -> list[ExportFile]:
    """The participant's CPD log for one registration year (option ``year``: the year it ends in)."""
    fmt = options.get("format") or FORMATS[0]
    if fmt not in RENDERERS:
        raise ExportOptionError("format", f"format must be one of {', '.join(FORMATS)}")
    raw_year = options.get("year")
    try:
        year = int(raw_year) if raw_year not in (None, "") else default_year(_today())
    except (TypeError, ValueError) as exc:
        raise ExportOptionError("year", f"year must be a year such as 2026, got {raw_year!r}") from exc
    if not 2000 <= year <= 2100:
        raise ExportOptionError("year", f"year must be a year such as 2026, got {raw_year!r}")
    log = build_log(record, year, _today())
    filename = f"cpd-log-{log.period_start.year}-{str(log.period_end.year)[-2:]}.{fmt}"
    return [ExportFile(filename, MEDIA_TYPES[fmt], RENDERERS[fmt](log))]


@hookimpl
def lrs_exporters() -> list[Exporter]:
    return [
        Exporter(
            name="cpd-log",
            title="Social Work England CPD log",
            formats=FORMATS,
            export=export_cpd_log,
            options={"year": "the registration year, e.g. 2026 (1 Dec 2025 to 30 Nov 2026); default: in progress"},
            description=(
                "A participant's CPD record for one registration year (1 December to 30 November), with a "
                "readiness check against Social Work England's rules for that year (counting complete records, only the "
                "selected ones once any is selected), the deadline and renewal window. Option: year (the year it "
                "ends in)."
            ),
        )
    ]
