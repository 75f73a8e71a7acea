"""The plugin: registers the ``cpd-log`` exporter through the ``lrs_exporters`` hook."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Any

from lrs.hookspecs import Exporter, ExportFile, ExportOptionError, ExportRecord, YearReadiness, hookimpl
from lrs.plugin_api import learner_records
from lrs_cpd_log.build import STATUS_VERBS, build_log, build_pieces, default_year
from lrs_cpd_log.model import CPDLog, check_readiness, made, rules_for, year_label
from lrs_cpd_log.render import FORMATS, MEDIA_TYPES, RENDERERS, piece_line, to_summary_json

NAME = "cpd-log"
TITLE = "Social Work England CPD log"

#: Values of the ``summary`` option that ask for the readiness summary.
YES = ("yes", "true", "1")


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
    summary = str(options.get("summary") or "").lower()
    if summary not in ("", "no", "false", "0", *YES):
        raise ExportOptionError("summary", f"summary is yes or no, got {options.get('summary')!r}")
    if summary in YES:
        if fmt != "json":
            raise ExportOptionError("summary", "the summary is JSON only: ask for format=json")
        # Readiness and one line per piece, for pages that show where the year stands: the standards are not
        # looked up and no log is rendered (docs/web.md has the figures).
        log = build_log(record, year, _today(), standards=False)
        return [ExportFile(_filename(log, "summary.json"), MEDIA_TYPES["json"], to_summary_json(log))]
    log = build_log(record, year, _today())
    return [ExportFile(_filename(log, fmt), MEDIA_TYPES[fmt], RENDERERS[fmt](log))]


def _filename(log: CPDLog, suffix: str) -> str:
    return f"cpd-log-{log.period_start.year}-{str(log.period_end.year)[-2:]}.{suffix}"


@hookimpl
def lrs_exporters() -> list[Exporter]:
    return [
        Exporter(
            name=NAME,
            title=TITLE,
            formats=FORMATS,
            export=export_cpd_log,
            options={
                "year": "the registration year, e.g. 2026 (1 Dec 2025 to 30 Nov 2026); default: in progress",
                "summary": "yes: readiness and one line per piece only (format json), for a page; default: no",
            },
            # The statements, their modes and the learner always come; the standards need links and frameworks.
            reads=frozenset({"links", "frameworks"}),
            description=(
                "A participant's CPD record for one registration year (1 December to 30 November), with a "
                "readiness check against Social Work England's rules for that year (counting complete records, only the "
                "selected ones once any is selected), the deadline and renewal window. Options: year (the year it "
                "ends in); summary=yes (format json: readiness and one line per piece, without rendering the log)."
            ),
        )
    ]


def readiness(record: ExportRecord, year: int, today: date) -> YearReadiness:
    """What the log of ``year`` says about readiness, as :class:`YearReadiness`: the log's pieces and its
    readiness check, as :func:`build_log` makes them (the standards are not looked up and the participant's name
    is not worked out: readiness depends on neither)."""
    rules = rules_for(year)
    pieces = build_pieces(record, rules.start, rules.end, standards=False)
    checked = check_readiness(pieces, rules, today)
    return made(YearReadiness, {
        "exporter": NAME,
        "title": TITLE,
        "agent_key": record.agent_key,
        "year": year,
        "year_label": year_label(rules.start, rules.end),
        "period_start": rules.start,
        "period_end": rules.end,
        "deadline": rules.deadline,
        "ready": checked.ready,
        "missing": checked.missing,
        "warnings": checked.warnings,
        "counted": checked.counted,
        "required": rules.minimum_records,
        "pieces": tuple([piece_line(p) for p in pieces]),
    })


@hookimpl
def lrs_readiness(lrs: Any, agent_keys: list[str], year: int) -> list[YearReadiness]:
    """The CPD year's readiness of each learner, from one read of their statements: those stamped within a day of
    the year (a statement's own time zone can put it on the year's first or last day; the log keeps exactly the
    year's days) and their CPD selections of any time (a selection made after the year still counts for it).

    The read is one range of the learners' index rows by timestamp each (a cohort's dashboard asks about 500,
    most of whom have recorded nothing yet early in a year: their ranges are empty), and the selections of only
    the learners found there (``skip_idle``): a learner with nothing in the year has no piece whatever they
    selected, so their log is the empty one, worked out once and given to each of them.
    tests/plugins/test_cpd_readiness_cohort.py holds this to each learner's log built from all of their
    statements, over random cohorts."""
    rules = rules_for(year)
    window = {
        "period_from": rules.start - timedelta(days=1),
        "period_to": rules.end + timedelta(days=1),
        "any_time_verbs": sorted(STATUS_VERBS),
    }
    # Only the learners with a statement of the year's window (and their selections of any time): a learner
    # with none has no piece of the year whatever their selections, so their log is the empty one.
    records = learner_records(lrs, agent_keys, **window, skip_idle=True)
    today = _today()
    empty: dict[str, Any] | None = None
    answers = []
    for key in agent_keys:
        record = records.get(key)
        if record is not None and record.statements:
            answers.append(readiness(record, year, today))
            continue
        if empty is None:
            # Nothing recorded: the log has no pieces and names nobody, so one readiness fits every such learner.
            found = readiness(ExportRecord(agent={"objectType": "Agent"}, agent_key=key, statements=[]), year, today)
            empty = {f.name: getattr(found, f.name) for f in fields(found)}
        answers.append(made(YearReadiness, {**empty, "agent_key": key}))
    return answers
