"""The participant's pages: My record (the timeline), Record learning (the journal form, and "reflect on
this"), the CPD log with its downloads, and qualification progress with the portfolio download.

Every page asks lrs.access about the signed-in person's own record before it reads anything; the figures come
from the same services /api uses (the journal, the exporters, the review progress).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from lrs.competency.evidence import registry
from lrs.hookspecs import ExportFile
from lrs.learning import journal
from lrs.learning import vocabulary as v
from lrs.review import sampling
from lrs.services import access
from lrs.services import exports as exporting
from lrs.store.records import statements_with_agents
from lrs.web import journal_form, participant, sessions
from lrs.web.staff_views import for_roles
from lrs.web.views import pages, signed_in
from lrs.xapi.errors import Forbidden, NotFound, XAPIError


def own_record(what: str) -> str:
    """The signed-in participant's agent key, once the access module allows them to read it."""
    user = g.user
    if user["role"] != "participant":
        raise Forbidden("these pages are for participants", rule="participant-pages")
    key = user["agent_key"] or ""
    access.check_read_learner(sessions.lrs(), g.principal, key, what=what)
    return key


def _download(file: ExportFile) -> Response:
    response = Response(file.content, mimetype=file.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@pages.get("/record")
@signed_in
def my_record():  # noqa: ANN201
    key = own_record("record")
    filters, errors = participant.TimelineFilters.from_args(request.args)
    items, more = participant.timeline(sessions.lrs(), key, filters)
    return render_template(
        "record.html",
        items=items,
        more=more,
        filters=filters,
        errors=errors,
        notice=pages_notice(),
        modes=participant.MODE_WORDS,
        kinds=participant.KIND_LABELS,
        months=participant.recent_months(date.today()),
    )


def pages_notice() -> str | None:
    from lrs.web.views import NOTICES

    return NOTICES.get(request.args.get("notice", ""))


def _standard_choices() -> list[dict[str, Any]]:
    """The loaded frameworks' items by framework, for the standards checkboxes (names, not IRIs)."""
    reg = registry(sessions.lrs())
    return [
        {"title": fw.title, "slug": fw.slug, "items": [{"uri": i.uri, "code": i.code, "title": i.title} for i in fw.items]}
        for fw in sorted(reg.frameworks.values(), key=lambda f: f.title)
    ]


def _reflected_item(key: str, statement_id: str) -> participant.TimelineItem:
    """The learner's own statement a reflection is about; 404 when there is none, 403 when it is someone else's."""
    lrs = sessions.lrs()
    with lrs.db.read() as conn:
        found = statements_with_agents(conn, [statement_id.lower()])
    if statement_id.lower() not in found:
        raise NotFound("no such item in your record", rule="reflects-on")
    statement, agents, mode = found[statement_id.lower()]
    if key not in agents:
        # Someone else's record: the access module decides (a participant is refused).
        access.check_read_learner(lrs, g.principal, sorted(agents)[0], what="record")
    return participant.timeline_item(statement, mode, v.JOURNAL_VERB)


def _render_form(form: journal_form.FormData, errors: dict[str, str], key: str, status: int = 200):  # noqa: ANN202
    reflected = None
    if form.values.get("reflects_on"):
        try:
            reflected = _reflected_item(key, form.values["reflects_on"])
        except (NotFound, Forbidden):
            reflected = None  # the journal's own check has put a message on the form
    ordered = {name: errors[name] for name in [*journal_form.LABELS, "form"] if name in errors}
    return (
        render_template(
            "record_new.html",
            form=form,
            errors=ordered,
            reflected=reflected,
            frameworks=_standard_choices(),
            modes=participant.MODE_WORDS,
            evidence_types=participant.EVIDENCE_LABELS,
            max_files=journal.MAX_ATTACHMENTS,
            max_file_mib=journal.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            today=date.today().isoformat(),
        ),
        status,
    )


@pages.route("/record/new", methods=["GET", "POST"])
@signed_in
def record_learning():  # noqa: ANN201
    key = own_record("journal")
    if request.method == "GET":
        form = journal_form.FormData.empty(date=date.today().isoformat())
        target = request.args.get("reflect_on", "").strip()
        if target:
            item = _reflected_item(key, target)
            form.values.update(
                reflects_on=item.id,
                what=item.what,
                date=item.when.isoformat(),
                mode=item.mode or "",
                description=item.description,
            )
        return _render_form(form, {}, key)
    values = MultiDict(request.form)
    form = journal_form.FormData(
        {name: values.get(name, "") for name in journal_form.TEXT_FIELDS}, values.getlist("standards")
    )
    errors: dict[str, str] = {}
    for upload in request.files.getlist("attachments"):
        if not upload or not upload.filename:
            continue
        content = upload.read(journal.MAX_ATTACHMENT_BYTES + 1)
        form.files.append((upload.filename, upload.mimetype or "application/octet-stream", content))
    entry, errors = journal_form.to_entry(form)
    entries, found = journal_form.check(entry, agent_key=key)
    errors = {**found, **errors}
    if not errors:
        try:
            journal.record(sessions.lrs(), entries, g.principal)
        except XAPIError as exc:
            name = journal_form.form_field(exc.path)
            errors[name] = journal_form._message(name, exc)
    if errors:
        if form.files and "attachments" not in errors:
            errors["attachments"] = "Choose your files again: for your safety, files are not kept when a form has a mistake."
        return _render_form(form, errors, key, 400)
    return redirect(url_for("pages.my_record", notice="entry-saved"))


@pages.get("/cpd-log")
@signed_in
def cpd_log():  # noqa: ANN201
    key = own_record("CPD log")
    current = participant.cpd_year(date.today())
    try:
        year = int(request.args.get("year", current))
    except ValueError:
        year = current
    years = [current, current - 1, current - 2]
    if year not in years:
        year = current
    status = participant.cpd_status(sessions.lrs(), key, year)
    return render_template(
        "cpd_log.html", status=status, year=year, years=years, formats=participant.FORMAT_LABELS
    )


@pages.get("/cpd-log/download")
@signed_in
def cpd_log_download():  # noqa: ANN201
    key = own_record("CPD log")
    access.check_export(sessions.lrs(), g.principal, key)
    options = {"format": request.args.get("format", ""), "year": request.args.get("year", "")}
    return _export(participant.CPD_EXPORTER, key, options)


def _export(name: str, key: str, options: dict[str, Any]):  # noqa: ANN202
    try:
        return _download(exporting.run_export(sessions.lrs(), name, key, options))
    except NotFound:
        message = "This download is not available: the exporter is not installed. Ask your administrator."
        return render_template("error.html", message=message), 404
    except XAPIError as exc:
        detail = exc.message[:1].upper() + exc.message[1:]
        return render_template("error.html", message=f"The file could not be made. {detail}."), 400


#: Short notices after a submission, by code (a link cannot put words on the page).
PROGRESS_NOTICES = {
    "unit-submitted": "Your unit is submitted, with your declaration and today’s date. Your assessor and the "
                      "centre can see it.",
}


def _progress_page(key: str, errors: dict[str, str] | None = None, chosen: str = "", status: int = 200):  # noqa: ANN202
    """The qualification progress page; ``errors``: a refused submission's messages (by the id of the field
    they are about), ``chosen``: the unit (its IRI) whose form they belong to, shown open."""
    from lrs.review import units as certification

    has_portfolio = participant.PORTFOLIO_EXPORTER in exporting.available_exporters(sessions.lrs())
    qualifications = participant.qualifications(sessions.lrs(), key)
    for q in qualifications:
        for unit in q["units"]:
            unit["submission_gaps"] = certification.submission_gaps(unit["criteria"])
            unit["anchor"] = participant.unit_anchor(q["framework"]["slug"], unit["uri"])
    return render_template(
        "progress.html",
        qualifications=qualifications,
        statuses=participant.STATUS_WORDS,
        has_portfolio=has_portfolio,
        declaration=sampling.DECLARATION,
        errors=errors or {},
        chosen=chosen,
        notice=PROGRESS_NOTICES.get(request.args.get("notice", "")),
    ), status


@pages.get("/progress")
@signed_in
def progress():  # noqa: ANN201
    return _progress_page(own_record("progress"))


@pages.post("/progress/submit")
@for_roles(access.PARTICIPANT)
def submit_unit():  # noqa: ANN201
    """The learner submits a unit with the declaration of authenticity (lrs.review.units.submit_ready_unit, the
    rules of POST /api/units/submissions once the unit is ready); a refusal is shown next to the declaration."""
    from lrs.review import units as certification

    key = own_record("progress")
    framework = request.form.get("framework", "")
    unit = request.form.get("unit", "")
    field = "declaration-" + participant.unit_anchor(framework, unit)
    body = {"framework": framework, "unit": unit, "declaration": request.form.get("declaration") == "yes"}
    try:
        certification.submit_ready_unit(sessions.lrs(), g.principal, body)
    except (NotFound, Forbidden):
        raise
    except XAPIError as exc:
        if exc.rule == "declaration-required":
            message = "Tick the box to declare that the work is your own: a unit is submitted with this declaration."
        else:
            message = exc.message[:1].upper() + exc.message[1:] + "."
        return _progress_page(key, {field: message}, chosen=unit, status=exc.status if exc.status != 403 else 400)
    return redirect(url_for("pages.progress", notice="unit-submitted") + "#" + participant.unit_anchor(framework, unit))


@pages.get("/progress/portfolio")
@signed_in
def portfolio_download():  # noqa: ANN201
    key = own_record("portfolio")
    access.check_export(sessions.lrs(), g.principal, key)
    options = {"qualification": request.args.get("qualification", "")}
    return _export(participant.PORTFOLIO_EXPORTER, key, options)
