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
from lrs.hookspecs import Exporter, ExportFile, ExportOptionError, ExportRecord
from lrs.plugins import call_each
from lrs.store.records import learner_statements
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
    seen = [s.get("actor") or {} for s in reversed(statements)]
    mine = [actor for actor in seen if key_of(actor) == agent_key]
    named = [actor for actor in mine if actor.get("name")]
    if named or mine:
        return dict((named or mine)[0])
    return agent_from_key(agent_key)


def learner_record(
    lrs: LRS, agent_key: str, *, period_from: date | None = None, period_to: date | None = None
) -> ExportRecord:
    since = datetime.combine(period_from, time.min, tzinfo=UTC) if period_from else None
    until = datetime.combine(period_to, time.max, tzinfo=UTC) if period_to else None
    with lrs.db.read() as conn:
        rows = learner_statements(conn, agent_key, since=since, until=until)
    statements = [s for s, _ in rows]
    reg = registry(lrs)
    frameworks = reg.packages
    links: dict[str, list[CompetencyLink]] = {}
    for statement in statements:
        found = links_for(lrs, statement, reg)
        if found:
            links[statement["id"]] = found

    from lrs.review.service import learner_reviews

    decisions, criteria = learner_reviews(lrs, agent_key)

    def load_attachment(sha2: str) -> tuple[str, bytes] | None:
        return lrs.attachments({sha2}).get(sha2)

    from lrs.review import units as certification
    from lrs.review.service import assessed_frameworks
    from lrs.review.witness import confirmations as witness_confirmations
    from lrs.store import credentials as credential_store
    from lrs.store import users as user_store

    with lrs.db.read() as conn:
        learner_name = user_store.name_for_agent(conn, agent_key) or ""
        if not learner_name:  # no account: the name on the learner's own participant credential
            learner_name = next(
                (c["name"] for c in credential_store.list_credentials(conn)
                 if c.get("agent_key") == agent_key and c.get("role") == "participant" and c.get("revoked") is None),
                "",
            )
    unit_frameworks = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
    return ExportRecord(
        agent=agent_object(agent_key, statements),
        agent_key=agent_key,
        statements=statements,
        modes={s["id"]: mode for s, mode in rows},
        links=links,
        frameworks=dict(frameworks),
        period_from=period_from,
        period_to=period_to,
        decisions=decisions,
        criteria=criteria,
        load_attachment=load_attachment,
        units=certification.unit_records(lrs, agent_key, unit_frameworks),
        learner_name=learner_name,
        registration_number=certification.registration_number(lrs, agent_key),
        centre_name=lrs.settings.centre_name,
        centre_number=lrs.settings.centre_number,
        sampling_plan=certification.current_plan(lrs)["plan"],
        witness_confirmations=witness_confirmations(lrs, [s["id"] for s in statements]),
    )


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
        record = learner_record(lrs, agent_key, period_from=period_from, period_to=period_to)
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
