"""The plugin: registers the ``cpd-log`` exporter through the ``lrs_exporters`` hook."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from lrs.hookspecs import Exporter, ExportFile, ExportOptionError, ExportRecord, YearReadiness, hookimpl
from lrs.plugin_api import kept_answers, learner_records
from lrs_cpd_log.build import STATUS_VERBS, build_log, build_pieces, default_year
from lrs_cpd_log.model import CPDLog, check_readiness, deadline_notices, made, rules_for, year_label
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


def _code() -> str:
    """A hash of this package's files (its code and its rules' data) and of the LRS's version (which reads the
    records it is given): the kept readiness answers (lrs.plugin_api.kept_answers) are worked out again after
    any change to them, or an upgrade of the LRS."""
    try:
        lrs_version = metadata.version("lrs")
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        lrs_version = ""
    digest = hashlib.sha256(f"lrs {lrs_version}\0".encode())
    root = Path(__file__).parent
    for path in sorted([*root.glob("*.py"), *root.glob("data/*")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


CODE = _code()


def _answer(record: ExportRecord, year: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the log of ``year`` says, whatever the day: (its readiness check without the deadline notices, the only
    part that depends on today (:func:`_year_readiness` puts them back, first, where check_readiness puts them);
    one line per piece). Each is kept apart (lrs.plugin_api.kept_answers): a dashboard of 500 reads only the
    checks, a few hundred bytes each, and never the lines (several kilobytes late in a year)."""
    rules = rules_for(year)
    pieces = build_pieces(record, rules.start, rules.end, standards=False)
    checked = check_readiness(pieces, rules, None)
    return {
        "ready": checked.ready,
        "missing": list(checked.missing),
        "warnings": list(checked.warnings),
        "counted": checked.counted,
    }, [piece_line(p) for p in pieces]


def _year_readiness(
    agent_key: str, year: int, answer: dict[str, Any], today: date, lines: list[dict[str, Any]] | tuple = ()
) -> YearReadiness:
    rules = rules_for(year)
    warnings = tuple(answer["warnings"])
    if rules.deadline != date.max:
        warnings = (*deadline_notices(rules, today), *warnings)
    return made(YearReadiness, {
        "exporter": NAME,
        "title": TITLE,
        "agent_key": agent_key,
        "year": year,
        "year_label": year_label(rules.start, rules.end),
        "period_start": rules.start,
        "period_end": rules.end,
        "deadline": rules.deadline,
        "ready": answer["ready"],
        "missing": tuple(answer["missing"]),
        "warnings": warnings,
        "counted": answer["counted"],
        "required": rules.minimum_records,
        "pieces": tuple(lines),
    })


def readiness(record: ExportRecord, year: int, today: date) -> YearReadiness:
    """What the log of ``year`` says about readiness, as :class:`YearReadiness`: the log's pieces and its
    readiness check, as :func:`build_log` makes them (the standards are not looked up and the participant's name
    is not worked out: readiness depends on neither)."""
    answer, lines = _answer(record, year)
    return _year_readiness(record.agent_key, year, answer, today, lines)


@hookimpl
def lrs_readiness(lrs: Any, agent_keys: list[str], year: int, pieces: bool) -> list[YearReadiness]:
    """The CPD year's readiness of each learner. Kept in the store (lrs.plugin_api.kept_answers), the checks and
    the piece lines apart: a learner's answer is worked out again only after their record changes, so a cohort's
    dashboard late in a year reads 500 kept checks rather than building 500 logs (and ``lrs serve``'s answer
    keeper has usually kept them before it asks).

    Those not kept are worked out from one read of their statements: those stamped within a day of the year (a
    statement's own time zone can put it on the year's first or last day; the log keeps exactly the year's days)
    and their CPD selections of any time (a selection made after the year still counts for it). The read is one
    range of the learners' index rows by timestamp each, and the selections of only the learners found there
    (``skip_idle``): a learner with nothing in the year has no piece whatever they selected, so their log is the
    empty one, worked out once and given to each of them. tests/plugins/test_cpd_readiness_cohort.py holds this
    to each learner's log built from all of their statements, over random cohorts, kept and changed."""
    rules = rules_for(year)
    window = {
        "period_from": rules.start - timedelta(days=1),
        "period_to": rules.end + timedelta(days=1),
        "any_time_verbs": sorted(STATUS_VERBS),
    }
    # Worked out once in this call for both kinds: the lines asked for right after the checks need no second read.
    worked: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    def work(keys: list[str]) -> None:
        todo = [key for key in keys if key not in worked]
        if not todo:
            return
        records = learner_records(lrs, todo, **window, skip_idle=True)
        empty: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
        for key in todo:
            record = records.get(key)
            if record is not None and record.statements:
                worked[key] = _answer(record, year)
                continue
            if empty is None:
                # Nothing recorded: the log has no pieces and names nobody, so one answer fits every such learner.
                empty = _answer(ExportRecord(agent={"objectType": "Agent"}, agent_key=key, statements=[]), year)
            worked[key] = empty

    def checks(keys: list[str]) -> dict[str, Any]:
        work(keys)
        return {key: worked[key][0] for key in keys}

    def lines(keys: list[str]) -> dict[str, Any]:
        work(keys)
        return {key: worked[key][1] for key in keys}

    answers = kept_answers(lrs, f"{NAME}/readiness/{year}", CODE, agent_keys, checks)
    piece_lines = kept_answers(lrs, f"{NAME}/pieces/{year}", CODE, agent_keys, lines) if pieces else {}
    if pieces:
        # A learner worked out in this call gives both parts from that one pass: their record changed between the
        # two reads, or one part was kept and the other not, and the kept part may be the older.
        for key, (check, piece) in worked.items():
            answers[key], piece_lines[key] = check, piece
    today = _today()
    return [_year_readiness(key, year, answers[key], today, piece_lines.get(key, ())) for key in agent_keys]
