"""Exports: a learner's record assembled once and handed to the exporter a plugin contributed.

Used by ``lrs export`` and by ``GET /api/learners/{agent}/exports/{name}`` alike. No HTTP and no SQL here.
"""

from __future__ import annotations

import io
import logging
import time as clock
import zipfile
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from lrs import metrics
from lrs.competency.evidence import links_for, registry
from lrs.competency.types import CompetencyLink
from lrs.hookspecs import RECORD_PARTS, Exporter, ExportFile, ExportOptionError, ExportRecord, YearReadiness
from lrs.plugins import call_each
from lrs.store.records import agents_with_statements, learner_statements, learners_statements
from lrs.xapi.errors import NotFound, XAPIError
from lrs.xapi.ifi import agent_from_key
from lrs.xapi.ifi import agent_key as key_of

if TYPE_CHECKING:
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)


def available_exporters(lrs: LRS) -> dict[str, Exporter]:
    """Every exporter the plugins offer, by name; the first registered under a name wins (with a warning)."""
    found: dict[str, Exporter] = {}
    for plugin, exporters in call_each(lrs.pm, "lrs_exporters"):
        for exporter in exporters or []:
            if exporter.name in found:
                log.warning("exporter %r from %s ignored: the name is taken", exporter.name, plugin)
                continue
            found[exporter.name] = exporter
    return found


def agent_object(agent_key: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """The learner as an Agent: the latest seen as actor with that IFI, preferring one that carries a name."""
    latest: dict[str, Any] | None = None
    for statement in reversed(statements):
        actor = statement.get("actor") or {}
        if key_of(actor) != agent_key:
            continue
        if actor.get("name"):
            return dict(actor)
        latest = latest or actor
    return dict(latest) if latest is not None else agent_from_key(agent_key)


def _bounds(period_from: date | None, period_to: date | None) -> tuple[datetime | None, datetime | None]:
    since = datetime.combine(period_from, time.min, tzinfo=UTC) if period_from else None
    until = datetime.combine(period_to, time.max, tzinfo=UTC) if period_to else None
    return since, until


def learner_records(
    lrs: LRS,
    agent_keys: list[str],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    any_time_verbs: list[str] | None = None,
    skip_idle: bool = False,
) -> dict[str, ExportRecord]:
    """Many learners' records at once, read set-based (lrs.store.records.learners_statements): agent key -> an :class:`ExportRecord` with the learner
    (``agent``, ``agent_key``), their statements of the period with their modes, the period and the centre;
    the other parts (links, reviews, units, ...) are left empty. Statements whose verb is in
    ``any_time_verbs`` are included whatever their timestamp. ``skip_idle``: only the learners with a statement
    of the period get a record (the others' any-time statements are not read). For a plugin that answers about
    many learners (``lrs_readiness``): ``lrs.plugin_api`` gives it."""
    since, until = _bounds(period_from, period_to)
    with lrs.db.read() as conn:
        found = learners_statements(conn, list(agent_keys), since=since, until=until, any_time_verbs=any_time_verbs,
                                    skip_idle=skip_idle)
    return {key: _record(lrs, key, rows, period_from, period_to) for key, rows in found.items()}


def learners_with_records(
    lrs: LRS,
    agent_keys: list[str],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    any_time_verbs: list[str] | None = None,
) -> set[str]:
    """The learners of ``agent_keys`` whose :func:`learner_records` (same arguments) has any statement, without
    reading the statements (lrs.store.records.agents_with_statements)."""
    with lrs.db.read() as conn:
        return agents_with_statements(
            conn, list(agent_keys), first_day=period_from.isoformat() if period_from else None,
            last_day=period_to.isoformat() if period_to else None, any_time_verbs=any_time_verbs)


def _record(
    lrs: LRS, agent_key: str, rows: list[tuple[dict[str, Any], str | None]], period_from: date | None,
    period_to: date | None, **parts: Any
) -> ExportRecord:
    statements = [s for s, _ in rows]
    return ExportRecord(
        agent=agent_object(agent_key, statements),
        agent_key=agent_key,
        statements=statements,
        modes={s["id"]: mode for s, mode in rows},
        period_from=period_from,
        period_to=period_to,
        centre_name=lrs.settings.centre_name,
        centre_number=lrs.settings.centre_number,
        **parts,
    )


def learner_record(
    lrs: LRS,
    agent_key: str,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    parts: frozenset[str] | None = None,
) -> ExportRecord:
    """One learner's record for an exporter. ``parts``: the parts of :data:`RECORD_PARTS` to work out (the
    exporter's ``reads``); None for every part. The rest are left empty."""
    wanted = RECORD_PARTS if parts is None else RECORD_PARTS & parts
    since, until = _bounds(period_from, period_to)
    with lrs.db.read() as conn:
        rows = learner_statements(conn, agent_key, since=since, until=until)
    statements = [s for s, _ in rows]
    found: dict[str, Any] = {}
    reg = registry(lrs) if wanted & {"links", "frameworks", "units"} else None
    if "frameworks" in wanted:
        found["frameworks"] = dict(reg.packages)
    if "links" in wanted:
        links: dict[str, list[CompetencyLink]] = {}
        for statement in statements:
            linked = links_for(lrs, statement, reg)
            if linked:
                links[statement["id"]] = linked
        found["links"] = links
    if wanted & {"decisions", "criteria"}:
        from lrs.review.service import learner_reviews

        found["decisions"], found["criteria"] = learner_reviews(lrs, agent_key)
    from lrs.review import units as certification

    if "learner_name" in wanted:
        found["learner_name"] = _learner_name(lrs, agent_key)
    if "units" in wanted:
        from lrs.review.service import assessed_frameworks

        unit_frameworks = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
        found["units"] = certification.unit_records(lrs, agent_key, unit_frameworks)
    if "registration_number" in wanted:
        found["registration_number"] = certification.registration_number(lrs, agent_key)
    if "sampling_plan" in wanted:
        found["sampling_plan"] = certification.current_plan(lrs)["plan"]
    if "witness_confirmations" in wanted:
        from lrs.review.witness import confirmations as witness_confirmations

        found["witness_confirmations"] = witness_confirmations(lrs, [s["id"] for s in statements])

    def load_attachment(sha2: str) -> tuple[str, bytes] | None:
        return lrs.attachments({sha2}).get(sha2)

    return _record(lrs, agent_key, rows, period_from, period_to, load_attachment=load_attachment, **found)


def _learner_name(lrs: LRS, agent_key: str) -> str:
    """The learner's name from their account, else from their own participant credential; "" when neither."""
    from lrs.store import credentials as credential_store
    from lrs.store import users as user_store

    with lrs.db.read() as conn:
        name = user_store.name_for_agent(conn, agent_key) or ""
        if not name:  # no account: the name on the learner's own participant credential
            name = next(
                (c["name"] for c in credential_store.list_credentials(conn)
                 if c.get("agent_key") == agent_key and c.get("role") == "participant" and c.get("revoked") is None),
                "",
            )
    return name


def year_readiness(
    lrs: LRS, agent_keys: list[str], year: int, *, pieces: bool = True
) -> dict[str, list[YearReadiness]]:
    """Where each learner stands for ``year`` against every requirement a plugin knows (the ``lrs_readiness``
    hook), without exporting anything: agent key -> one :class:`YearReadiness` per answering plugin (empty when
    none answers). ``pieces``: False when the caller shows none (the plugins may leave them out). A plugin that
    raises is logged and counted and left out."""
    keys = list(dict.fromkeys(agent_keys))
    found: dict[str, list[YearReadiness]] = {key: [] for key in keys}
    if not keys:
        return found
    for plugin, answers in call_each(lrs.pm, "lrs_readiness", lrs=lrs, agent_keys=keys, year=year,
                                         pieces=pieces):
        for answer in answers:
            if answer.agent_key in found:
                found[answer.agent_key].append(answer)
            else:
                log.warning("readiness from %s for a learner not asked about ignored", plugin)
    return found


def check_options(exporter: Exporter, options: dict[str, Any]) -> None:
    """Refuse an option the exporter does not declare (a typo such as ``yaer`` must not export another year)."""
    if exporter.options is None:
        return
    unknown = sorted(set(options) - {"format"} - set(exporter.options))
    if unknown:
        known = ", ".join(["format", *sorted(exporter.options)])
        raise XAPIError(
            f"{exporter.name} has no option {unknown[0]!r}; its options: {known}", rule="export-option", path=unknown[0]
        )


def run_export(
    lrs: LRS,
    name: str,
    agent_key: str,
    options: dict[str, Any],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
) -> ExportFile:
    """Run exporter ``name`` on the learner's record; several files come back as one ZIP. ``period_from`` /
    ``period_to`` limit the record to statements of those days (a caller that knows the exporter reads only one
    period, such as a CPD year, saves loading the rest)."""
    exporters = available_exporters(lrs)
    exporter = exporters.get(name)
    if exporter is None:
        raise NotFound(
            f"no exporter {name!r}; available: {', '.join(sorted(exporters)) or 'none'}", rule="exporter", path="name"
        )
    check_options(exporter, options)
    options = {**options, "format": options.get("format") or exporter.formats[0]}
    if options["format"] not in exporter.formats:
        raise XAPIError(
            f"{name} writes {', '.join(exporter.formats)}, not {options['format']!r}", rule="export-format", path="format"
        )
    started = clock.perf_counter()
    outcome = "failed"
    try:
        record = learner_record(lrs, agent_key, period_from=period_from, period_to=period_to, parts=exporter.reads)
        files = exporter.export(record, options)
        outcome = "ok"
    except ExportOptionError as exc:
        outcome = "refused"
        raise XAPIError(str(exc), rule="export-option", path=exc.option) from exc
    finally:
        metrics.exporter_runs.labels(name, outcome).inc()
        metrics.exporter_duration.labels(name).observe(clock.perf_counter() - started)
    if len(files) == 1:
        return files[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(file.filename, file.content)
    return ExportFile(f"{name}.zip", "application/zip", buffer.getvalue())
