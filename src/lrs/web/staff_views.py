"""The staff's pages: an assessor's queue, evidence and decisions; an IQA's sampling; a programme lead's
cohort dashboard (read-only) and its CSV; an admin's accounts, forwarding and system pages.

Each page asks lrs.services.access (directly, or through the review and enrolment services, which ask it) before
it reads anything; a role on another role's page gets the 403 page. The review rules stay in lrs.review: a form
here builds the same body /api/reviews takes and shows the service's refusal next to the field it names.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for

from lrs import __version__
from lrs.competency.evidence import evidence_learner, import_framework, registry
from lrs.learning import vocabulary as v
from lrs.review import service as review
from lrs.review import witness
from lrs.review.records import assessed_frameworks, decision_of
from lrs.services import access, accounts, forwarding
from lrs.services import dashboard as dashboard_service
from lrs.services import enrolments as enrolment_service
from lrs.services import exports as exporting
from lrs.store import credentials as credential_store
from lrs.store import evidence as evidence_store
from lrs.store import reviews as review_store
from lrs.store import users as user_store
from lrs.store.statements import statement_counts
from lrs.web import participant, sessions
from lrs.web.views import pages, signed_in
from lrs.xapi.datatypes import is_iri
from lrs.xapi.errors import Forbidden, NotFound, XAPIError
from lrs.xapi.ifi import key_from_identifier

OUTCOME_WORDS = {
    "accepted": "Accepted",
    "referred": "Referred back to the learner",
    "confirmed": "Confirmed by the quality assurer",
    "action-raised": "Action raised for the assessor",
}
ROLE_WORDS = {
    "participant": "Participant",
    "assessor": "Assessor",
    "iqa": "Internal quality assurer",
    "lead": "Programme lead",
    "admin": "Administrator",
}
STATUS_WORDS = {
    "accepted": "Met (accepted)",
    "awaiting-decision": "Waiting for a decision",
    "referred": "Referred: more needed",
    "without-evidence": "No evidence yet",
}
MODES = tuple(participant.MODE_LABELS)
#: Media types a browser shows in the page itself; anything else is offered as a download.
SHOWN_IN_PAGE = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")


def for_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for these roles only: anyone else signed in gets the 403 page."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.user["role"] not in roles:
                raise Forbidden("this page is for another role", rule="role-pages")
            return view(*args, **kwargs)

        guarded = signed_in(wrapper)
        guarded.roles = roles  # type: ignore[attr-defined]  # for the page-access test, which reads every page's
        return guarded

    return decorate


def _lrs():  # noqa: ANN202
    return sessions.lrs()


def _names(keys: set[str]) -> dict[str, str]:
    """Agent key -> a person's name from their account, else the address without its scheme."""
    with _lrs().db.read() as conn:
        found = user_store.names_for_agents(conn, keys)
    return {key: found.get(key) or key.split(":", 2)[-1] for key in keys}


def _criterion_words(framework_uri: str, item_uri: str, reg: Any = None) -> dict[str, str]:
    """A criterion's code and title; ``reg``: the frameworks in force when the caller has them (a list's rows)."""
    fw = (reg or registry(_lrs())).frameworks.get(framework_uri)
    item = fw.item_by_uri(item_uri) if fw else None
    return {"uri": item_uri, "code": item.code if item else item_uri, "title": item.title if item else ""}


# --- the assessor ---------------------------------------------------------------------------------------------


#: Rows on one page of a staff list (the assessor's queue, the IQA's sampling page and log).
PAGE_SIZE = 50


def _page_number() -> int:
    """The ``page`` query parameter: 1 when absent or not a positive whole number."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _paging(number: int, total: int, shown: int) -> dict[str, Any]:
    """What a pager says: which rows this page shows of how many, and whether there are pages before or after."""
    first = (number - 1) * PAGE_SIZE
    return {"page": number, "first": first + 1 if shown else 0, "last": first + shown, "total": total,
            "previous": number > 1, "next": first + shown < total, "pages": max(1, -(-total // PAGE_SIZE))}


@pages.get("/review")
@for_roles(access.ASSESSOR)
def assessor_queue():  # noqa: ANN201
    cohort = request.args.get("cohort") or None
    unit = request.args.get("unit") or ""
    kind = request.args.get("type") or ""
    if cohort and cohort not in g.principal.cohorts:
        cohort = None
    number = _page_number()
    found = review.assessor_queue_page(_lrs(), g.principal, cohort=cohort, unit=unit or None,
                                       evidence_type=kind or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    items = found["items"]
    chosen = {"cohort": cohort or "", "unit": unit, "type": kind}
    return render_template(
        "staff/queue.html",
        items=items,
        total=found["total"],
        names=_names({i["learner"] for i in items}),
        cohorts=g.principal.cohorts,
        units=sorted({*found["units"], *([unit] if unit else [])}),
        kinds=sorted({*found["kinds"], *([kind] if kind else [])}),
        chosen=chosen,
        evidence_words=participant.EVIDENCE_LABELS,
        learners=found["learners"],
        paging=_paging(number, found["total"], len(items)),
        query={k: v for k, v in chosen.items() if v},
    )


def _evidence(statement_id: str) -> tuple[dict[str, Any], str | None, str]:
    """The evidence statement, its mode and its learner, once the access module allows reading that learner."""
    with _lrs().db.read() as conn:
        found = review_store.statement_summary(conn, statement_id.lower())
    if found is None or found["voided"] or found["is_voiding"]:
        raise NotFound("no such evidence", rule="evidence")
    learner = evidence_learner(found["payload"]) or ""
    access.check_read_learner(_lrs(), g.principal, learner, what="evidence")
    return found["payload"], found["learning_mode"], learner


def _evidence_page(statement_id: str, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                   status: int = 200, notice: str | None = None):  # noqa: ANN202
    statement, mode, learner = _evidence(statement_id)
    item = participant.timeline_item(statement, mode, v.JOURNAL_VERB)
    if item.own_entry:
        item.source = "The learner’s own entry"
    with _lrs().db.read() as conn:
        mapped = evidence_store.criteria_of(conn, statement["id"].lower())
        trails = {uri: review_store.decisions_on(conn, statement["id"].lower(), uri) for _, uri in mapped}
    criteria = [_criterion_words(fw, uri) for fw, uri in mapped]
    decisions = []
    for uri, rows in trails.items():
        for row in rows:
            d = decision_of(row)
            decisions.append({
                "criterion": _criterion_words(row["framework_uri"], uri),
                "role": d.role,
                "outcome": OUTCOME_WORDS.get(d.outcome, d.outcome),
                "reviewer": d.reviewer.get("name") or "a reviewer",
                "feedback": d.feedback,
                "rationale": d.rationale,
                "when": d.decided[:10],
                "id": d.statement_id,
            })
    attachments = [
        {"sha2": a.get("sha2"), "type": a.get("contentType", ""), "name": participant.text_of(a.get("display")) or "Attachment",
         "shown": a.get("contentType", "").split(";")[0].strip() in SHOWN_IN_PAGE}
        for a in statement.get("attachments") or [] if a.get("sha2")
    ]
    confirmation = witness.confirmations(_lrs(), [statement["id"].lower()]).get(statement["id"].lower())
    frameworks = [
        {"uri": fw.uri, "title": fw.title, "items": fw.leaves()}
        for fw in (registry(_lrs()).frameworks[u] for u in assessed_frameworks(registry(_lrs())))
    ]
    return render_template(
        "staff/evidence.html",
        item=item,
        statement=statement,
        learner=learner,
        learner_name=_names({learner})[learner],
        criteria=criteria,
        decisions=decisions,
        attachments=attachments,
        witness_statement=_witness_words(statement),
        confirmation=confirmation,
        frameworks=frameworks,
        form=form or {},
        errors=errors or {},
        notice=notice,
        may_decide=g.user["role"] == access.ASSESSOR,
    ), status


def _witness_words(statement: dict[str, Any]) -> dict[str, str] | None:
    """The witness the learner named and what they say they saw, when the evidence carries a testimony."""
    try:
        testimony, wording = witness.testimony_of(_lrs(), statement)
    except XAPIError:
        return None
    if not testimony:
        return None
    return {"name": testimony.get("name") or testimony.get("witness") or "", "wording": wording}


@pages.get("/review/evidence/<statement_id>")
@for_roles(access.ASSESSOR, access.IQA, access.ADMIN)
def evidence_page(statement_id: str):  # noqa: ANN201
    notice = {"decided": "Your decision is recorded."}.get(request.args.get("notice", ""))
    return _evidence_page(statement_id, notice=notice)


#: The decision form's fields in the order the page shows them (the error summary follows it).
DECISION_FIELDS = ("criterion", "outcome", "rationale", "feedback")


@pages.post("/review/evidence/<statement_id>")
@for_roles(access.ASSESSOR)
def decide_on_evidence(statement_id: str):  # noqa: ANN201
    form = {name: request.form.get(name, "").strip() for name in DECISION_FIELDS}
    errors: dict[str, str] = {}
    if not form["criterion"]:
        errors["criterion"] = "Choose the criterion you are deciding on."
    if form["outcome"] not in ("accepted", "referred"):
        errors["outcome"] = "Choose accept or refer."
    if not form["rationale"]:
        errors["rationale"] = "Say why: how the evidence meets the criterion, or what is missing."
    if form["outcome"] == "referred" and not form["feedback"]:
        errors["feedback"] = "Tell the learner what to add or change: feedback is needed when you refer."
    if not errors:
        statement, _, _ = _evidence(statement_id)
        with _lrs().db.read() as conn:
            mapped = {uri for _, uri in evidence_store.criteria_of(conn, statement["id"].lower())}
        body = {"evidence": statement["id"], "criterion": form["criterion"], "outcome": form["outcome"],
                "rationale": form["rationale"], "map": form["criterion"] not in mapped}
        if form["feedback"]:
            body["feedback"] = form["feedback"]
        try:
            review.decide(_lrs(), g.principal, body)
        except XAPIError as exc:
            field = exc.path if exc.path in DECISION_FIELDS else "form"
            errors[field] = exc.message[:1].upper() + exc.message[1:] + "."
    if errors:
        ordered = {k: errors[k] for k in [*DECISION_FIELDS, "form"] if k in errors}
        return _evidence_page(statement_id, errors=ordered, form=form, status=400)
    return redirect(url_for("pages.evidence_page", statement_id=statement_id, notice="decided") + "#decisions")


@pages.get("/review/evidence/<statement_id>/attachments/<sha2>")
@for_roles(access.ASSESSOR, access.IQA, access.ADMIN)
def evidence_attachment(statement_id: str, sha2: str):  # noqa: ANN201
    statement, _, _ = _evidence(statement_id)
    carried = {a.get("sha2"): a for a in statement.get("attachments") or []}
    if sha2 not in carried:
        raise NotFound("no such attachment", rule="attachment")
    from lrs.store.statements import get_attachments

    with _lrs().db.read() as conn:
        found = get_attachments(conn, [sha2], access.attachment_read_scope(g.principal))
    if sha2 not in found:
        raise NotFound("the attachment's content is not held here", rule="attachment")
    media_type, content = found[sha2]
    response = Response(content, mimetype=media_type)
    shown = media_type.split(";")[0].strip() in SHOWN_IN_PAGE and request.args.get("download") != "1"
    filename = "".join(c for c in (participant.text_of(carried[sha2].get("display")) or "attachment") if c.isalnum() or c in " ._-")
    response.headers["Content-Disposition"] = f'{"inline" if shown else "attachment"}; filename="{filename[:80] or "attachment"}"'
    # An attachment is the learner's file, not our page: it may not run scripts or be framed elsewhere.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.get("/review/learners/<path:agent>")
@for_roles(access.ASSESSOR, access.IQA, access.ADMIN)
def learner_progress(agent: str):  # noqa: ANN201
    access.check_read_learner(_lrs(), g.principal, agent, what="progress")
    reg = registry(_lrs())
    qualifications = [review.progress(_lrs(), agent, reg.frameworks[uri].slug) for uri in assessed_frameworks(reg)]
    return render_template(
        "staff/learner.html",
        agent=agent,
        learner_name=_names({agent})[agent],
        qualifications=qualifications,
        statuses=STATUS_WORDS,
    )


# --- the IQA ------------------------------------------------------------------------------------------------------

@pages.get("/sampling")
@for_roles(access.IQA)
def sampling():  # noqa: ANN201
    number = _page_number()
    found = review.sampling_page(_lrs(), g.principal, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    items = found["items"]
    for i in items:
        i["assessor"] = (i["decision"]["reviewer"] or {}).get("name") or "An assessor"
    return render_template("staff/sampling.html", items=items, names=_names({i["learner"] for i in items}),
                           total=found["total"], outcomes=OUTCOME_WORDS,
                           paging=_paging(number, found["total"], len(items)))


def _assessor_decision(decision_id: str) -> dict[str, Any]:
    with _lrs().db.read() as conn:
        row = review_store.decision(conn, decision_id.lower())
        found = review_store.statement_summary(conn, decision_id.lower()) if row else None
    if row is None or row["role"] != "assessor" or found is None:
        raise NotFound("no such decision", rule="decision")
    access.check_read_learner(_lrs(), g.principal, row["agent_key"], what="decisions")
    row = {**row, "payload": found["payload"]}
    d = decision_of(row)
    return {**row, "rationale": d.rationale, "feedback": d.feedback}


SAMPLE_FIELDS = ("outcome", "rationale", "feedback")


@pages.route("/sampling/<decision_id>", methods=["GET", "POST"])
@for_roles(access.IQA)
def sample(decision_id: str):  # noqa: ANN201
    row = _assessor_decision(decision_id)
    form = {name: request.form.get(name, "").strip() for name in SAMPLE_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form["outcome"] not in ("confirmed", "action-raised"):
            errors["outcome"] = "Choose confirm or raise an action."
        if not form["rationale"]:
            errors["rationale"] = "Say why: what you checked in the evidence and the assessor's judgement."
        if form["outcome"] == "action-raised" and not form["feedback"]:
            errors["feedback"] = "Say what the assessor should do: an action is needed when you raise one."
        if not errors:
            body = {"decision": row["statement_id"], "outcome": form["outcome"], "rationale": form["rationale"]}
            if form["feedback"]:
                body["feedback"] = form["feedback"]
            try:
                review.decide(_lrs(), g.principal, body)
            except XAPIError as exc:
                errors[exc.path if exc.path in SAMPLE_FIELDS else "form"] = exc.message[:1].upper() + exc.message[1:] + "."
        if not errors:
            return redirect(url_for("pages.sampling_log", notice="sampled"))
    evidence, mode, learner = _evidence(row["evidence_id"])
    return render_template(
        "staff/sample.html",
        row=row,
        criterion=_criterion_words(row["framework_uri"], row["item_uri"]),
        assessor=(row["payload"].get("actor") or {}).get("name") or "the assessor",
        outcome=OUTCOME_WORDS.get(row["outcome"], row["outcome"]),
        item=participant.timeline_item(evidence, mode, v.JOURNAL_VERB),
        learner_name=_names({learner})[learner],
        form=form,
        errors={k: errors[k] for k in [*SAMPLE_FIELDS, "form"] if k in errors},
    ), 400 if errors else 200


@pages.get("/sampling/log")
@for_roles(access.IQA)
def sampling_log():  # noqa: ANN201
    number = _page_number()
    with _lrs().db.read() as conn:
        rows, total = review_store.iqa_decisions_page(conn, cohorts=list(g.principal.cohorts), limit=PAGE_SIZE,
                                                      offset=(number - 1) * PAGE_SIZE)
    reg = registry(_lrs())  # once for the page, not a look-up of the frameworks' version per row
    entries = [
        {
            "when": d.decided[:10],
            "criterion": _criterion_words(r["framework_uri"], r["item_uri"], reg),
            "learner": r["agent_key"],
            "outcome": OUTCOME_WORDS.get(d.outcome, d.outcome),
            "iqa": d.reviewer.get("name") or "",
            "rationale": d.rationale,
            "feedback": d.feedback,
            "reason": "Sampling plan" if d.sample_reason == "plan" else "Additional sample",
            "evidence": r["evidence_id"],
        }
        for r in rows
        for d in [decision_of(r)]
    ]
    names = _names({e["learner"] for e in entries})
    notice = {"sampled": "Your sampling decision is recorded."}.get(request.args.get("notice", ""))
    return render_template("staff/sampling_log.html", entries=entries, names=names, notice=notice,
                           paging=_paging(number, total, len(entries)))


# --- the programme lead ---------------------------------------------------------------------------------------


def _cohort_choice() -> str:
    cohorts = list(g.principal.cohorts)
    if not cohorts:
        raise Forbidden("this account leads no cohort yet", rule="cohort-scope")
    chosen = request.args.get("cohort") or cohorts[0]
    access.check_read_cohort(g.principal, chosen)
    return chosen


def dashboard_data(cohort: str, today: datetime) -> dict[str, Any]:
    """The lead's dashboard of one cohort (lrs.services.dashboard: what the page, its CSV and
    ``GET /api/cohorts/dashboard`` show), as the signed-in lead may read it."""
    return dashboard_service.cohort_dashboard(_lrs(), g.principal, cohort, today)


@pages.get("/dashboard")
@for_roles(access.LEAD)
def lead_dashboard():  # noqa: ANN201
    cohort = _cohort_choice()
    data = dashboard_data(cohort, datetime.now(UTC))
    periods = []
    for p in data["periods"]:
        key = p["period"]
        label = datetime.strptime(key, "%Y-%m").strftime("%b") if len(key) == 7 else key
        periods.append({**p, "label": label})
    coverage = _coverage(cohort, data["rows"], request.args.get("framework") or "")
    return render_template("staff/dashboard.html", data=data, periods=periods, cohorts=g.principal.cohorts,
                           labels=participant.MODE_LABELS, modes=MODES, coverage=coverage)


def _coverage(cohort: str, rows: list[dict[str, Any]], chosen: str) -> dict[str, Any] | None:
    """Learners x a framework's headings (its leaves): how many pieces of evidence each learner has for each.
    The framework: ``chosen`` (slug), else the first that is not a qualification (the KSS for practice leaders,
    say), else the first."""
    with _lrs().db.read() as conn:  # the registry's version and the counts in one transaction
        reg = registry(_lrs(), evidence_store.imported_version(conn))
        frameworks = sorted(reg.frameworks.values(), key=lambda f: f.title)
        if not frameworks:
            return None
        assessed = set(assessed_frameworks(reg))
        fw = next((f for f in frameworks if f.slug == chosen), None) or next(
            (f for f in frameworks if f.uri not in assessed), frameworks[0])
        counts = evidence_store.cohort_coverage(conn, cohort, fw.uri)
    headings = fw.leaves()
    uris = [h.uri for h in headings]
    # A row: (the learner's name, their count per heading).
    grid = [(r["name"], [counts.get((r["agent"], uri), 0) for uri in uris]) for r in rows]
    covered = [sum(1 for _, cells in grid if cells[i]) for i in range(len(headings))]
    return {"framework": fw, "frameworks": frameworks, "headings": headings, "grid": grid, "covered": covered}


def safe_cell(value: Any) -> str:  # noqa: ANN401
    """A CSV cell a spreadsheet will not run as a formula (OWASP's advice: a leading quote)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def unit_progress_headings(qualifications: list[dict[str, str]]) -> list[str]:
    return [f"{q['slug']} {what}" for q in qualifications
            for what in ("units complete", "units in progress", "units not started", "criteria met", "criteria")]


def unit_progress_cells(qualifications: list[dict[str, str]], row: dict[str, Any]) -> list[int]:
    return [n for q in qualifications for p in [row["units"][q["uri"]]]
            for n in (p.complete, p.in_progress, p.not_started, p.criteria_accepted, p.criteria)]


@pages.get("/dashboard.csv")
@for_roles(access.LEAD)
def lead_dashboard_csv():  # noqa: ANN201
    cohort = _cohort_choice()
    data = dashboard_data(cohort, datetime.now(UTC))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["learner", "agent", "last activity", "statements", *[f"{m} %" for m in MODES],
                     f"no activity for {data['weeks']} weeks", f"CPD readiness {data['cpd_year_label']}",
                     *unit_progress_headings(data["qualifications"])])
    # Only the text cells can start a formula: the counts and shares are whole numbers, never negative.
    writer.writerows(
        [safe_cell(r["name"]), safe_cell(r["agent"]), r["last"], r["statements"], *[r["shares"][m] for m in MODES],
         "yes" if r["at_risk"] else "no", safe_cell(r["cpd"]), *unit_progress_cells(data["qualifications"], r)]
        for r in data["rows"]
    )
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="cohort-dashboard.csv"'
    return response


# --- the admin -----------------------------------------------------------------------------------------------------


def _new_reset_link(user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    _lrs().db.write(lambda conn: user_store.create_reset(conn, user_id=user_id, token=token,
                                                         valid_for=sessions.RESET_VALID_FOR))
    return url_for("pages.reset_password", token=token, _external=True)


USER_FIELDS = ("name", "email", "role", "agent", "cohorts")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:].rstrip(".") + "."


AGENT_HINT = "Enter the learner identity like mbox:mailto:name@council.gov.uk, or leave it empty."


def _agent_from_form(value: str) -> str | None:
    """The learner identity typed in a form as an agent key (mailto:…, mbox:mailto:…, account:…), else None;
    an XAPIError when it is none of those."""
    return key_from_identifier(value) if value else None


@pages.route("/admin", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_home():  # noqa: ANN201
    form = {name: request.form.get(name, "").strip() for name in USER_FIELDS}
    errors: dict[str, str] = {}
    link = None
    if request.method == "POST":
        if not form["name"]:
            errors["name"] = "Enter the person's name."
        if "@" not in form["email"]:
            errors["email"] = "Enter an email address, like name@council.gov.uk."
        if form["role"] not in access.ROLES:
            errors["role"] = "Choose a role."
        agent = None
        try:
            agent = _agent_from_form(form["agent"]) or (
                f"mbox:mailto:{form['email']}" if form["role"] == access.PARTICIPANT and "@" in form["email"] else None)
        except XAPIError:
            errors["agent"] = AGENT_HINT
        if not errors:
            try:
                user_id = accounts.create_account(
                    _lrs(), g.principal, email=form["email"], name=form["name"], role=form["role"], agent_key=agent,
                    cohorts=form["cohorts"].split())
            except XAPIError as exc:
                errors[exc.path if exc.path in USER_FIELDS else "name"] = _sentence(exc.message) + REFUSAL_HINTS.get(exc.rule, "")
            else:
                link = _new_reset_link(user_id)
                form = dict.fromkeys(USER_FIELDS, "")
    with _lrs().db.read() as conn:
        users = user_store.list_users(conn)
        learning = user_store.learner_cohorts_of(conn, [u["agent_key"] for u in users if u["agent_key"]])
    return render_template("staff/admin.html", users=users, learning=learning, form=form, roles=ROLE_WORDS,
                           errors={k: errors[k] for k in USER_FIELDS if k in errors}, link=link), 400 if errors else 200


#: What to do next, after a refusal's own words (lrs.services.accounts and the enrolment rules).
REFUSAL_HINTS = {
    "reviewer-not-learner": " Take them out of that cohort’s learners first, or choose another cohort.",
    "last-admin": "",
}
ACCOUNT_FIELDS = ("name", "role", "agent", "cohorts")


def _account(user_id: int) -> dict[str, Any]:
    with _lrs().db.read() as conn:
        user = user_store.user_by_id(conn, user_id)
    if user is None:
        raise NotFound("no such account", rule="user")
    return user


def _cohort_words(cohort: str) -> str:
    """A cohort as the pages name it: the last part of its IRI."""
    return cohort.rstrip("/").rsplit("/", 1)[-1] or cohort


@pages.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_user(user_id: int):  # noqa: ANN201
    """One person's account: their name, role, learner identity and the cohorts they review or lead; and the
    cohorts they are a learner in (their enrolments), with enrol and remove."""
    user = _account(user_id)
    errors: dict[str, str] = {}
    chosen = person_cohorts(user)
    form = {"name": user["name"], "role": user["role"], "agent": user["agent_key"] or "", "cohorts": ""}
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in ACCOUNT_FIELDS}
        chosen = [*request.form.getlist("cohort"), *form["cohorts"].split()]
        chosen = list(dict.fromkeys(c.strip() for c in chosen if c.strip()))
        agent = None
        try:
            agent = _agent_from_form(form["agent"])
        except XAPIError:
            errors["agent"] = AGENT_HINT
        if not errors:
            try:
                accounts.update_account(_lrs(), g.principal, user_id, name=form["name"], role=form["role"],
                                        agent_key=agent, cohorts=chosen if form["role"] in access.COHORT_ROLES else [])
            except XAPIError as exc:
                field = exc.path if exc.path in ACCOUNT_FIELDS else "role"
                errors[field] = _sentence(exc.message) + REFUSAL_HINTS.get(exc.rule, "")
            else:
                if user_id == g.user["id"] and form["role"] != access.ADMIN:
                    # They are no longer an administrator: this page is not theirs any more. Their new role's
                    # first page, saying why they are there.
                    return redirect(url_for("pages.home", notice="own-role-changed"))
                return redirect(url_for("pages.admin_user", user_id=user_id, notice="changed"))
    return _account_page(user, form, chosen, errors, enrol_errors={}, status=400 if errors else 200)


def _learner_cohorts(user: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The cohorts the person is a learner in, those they could be enrolled in, and every cohort known."""
    with _lrs().db.read() as conn:
        known = user_store.known_cohorts(conn)
        enrolled = user_store.learner_cohorts(conn, user["agent_key"]) if user["agent_key"] else []
    return enrolled, [c for c in known if c not in enrolled], known


def person_cohorts(user: dict[str, Any]) -> list[str]:
    """The cohorts an account reviews or leads (a participant's or admin's account has none that count)."""
    return list(user["cohorts"] or []) if user["role"] in access.COHORT_ROLES else []


def _account_page(user: dict[str, Any], form: dict[str, str], chosen: list[str], errors: dict[str, str],
                  enrol_errors: dict[str, str], status: int, enrol_form: dict[str, str] | None = None):  # noqa: ANN202
    enrolled, choices, known = _learner_cohorts(user)
    notice = {"changed": "The account is changed. The person sees it on their next page.",
              "enrolled": "They are enrolled.", "unenrolled": "They are no longer a learner in that cohort."}.get(
        request.args.get("notice", ""))
    return render_template(
        "staff/admin_user.html", person=user, form=form, roles=ROLE_WORDS, errors=errors, notice=notice,
        cohorts=[{"iri": c, "words": _cohort_words(c), "checked": c in chosen}
                 for c in sorted(set(known) | set(person_cohorts(user)))],
        enrolled=[{"iri": c, "words": _cohort_words(c)} for c in enrolled],
        enrol_choices=[{"iri": c, "words": _cohort_words(c)} for c in choices],
        enrol_errors=enrol_errors, enrol_form=enrol_form or {"cohort": "", "other": ""},
        is_self=user["id"] == g.user["id"],
    ), status


@pages.post("/admin/users/<int:user_id>/enrolments")
@for_roles(access.ADMIN)
def admin_user_enrolments(user_id: int):  # noqa: ANN201
    """Enrol the person as a learner in a cohort (chosen, or another typed in), or take them out of one."""
    user = _account(user_id)
    action = request.form.get("action", "enrol")
    enrol_form = {"cohort": request.form.get("cohort", "").strip(), "other": request.form.get("other", "").strip()}
    cohort = enrol_form["other"] or enrol_form["cohort"]
    errors: dict[str, str] = {}
    choosing = bool(_learner_cohorts(user)[1])  # else the page has only the field to type one in
    field = "enrol-cohort" if choosing and not enrol_form["other"] else "other"
    if not user["agent_key"]:
        errors[field] = "This person has no learner identity: give them one above first."
    elif not cohort:
        errors[field] = "Choose the cohort, or type its web address (IRI)."
    elif not is_iri(cohort):
        errors[field] = f"{cohort} is not a cohort’s web address (IRI), like https://centre.example/cohorts/north."
    if not errors:
        try:
            if action == "unenrol":
                enrolment_service.unenrol(_lrs(), g.principal, cohort, user["agent_key"])
            else:
                enrolment_service.enrol(_lrs(), g.principal, cohort, user["agent_key"])
        except XAPIError as exc:
            hint = " They review or lead it: change their cohorts above first, or choose another cohort." \
                if exc.rule == "reviewer-not-learner" else ""
            errors[field] = _sentence(exc.message) + hint
        else:
            notice = "unenrolled" if action == "unenrol" else "enrolled"
            return redirect(url_for("pages.admin_user", user_id=user_id, notice=notice) + "#learner-in")
    form = {"name": user["name"], "role": user["role"], "agent": user["agent_key"] or "", "cohorts": ""}
    return _account_page(user, form, person_cohorts(user), {}, enrol_errors=errors, status=400,
                         enrol_form=enrol_form)


@pages.post("/admin/users/<int:user_id>/reset")
@for_roles(access.ADMIN)
def admin_reset(user_id: int):  # noqa: ANN201
    with _lrs().db.read() as conn:
        user = user_store.user_by_id(conn, user_id)
    if user is None:
        raise NotFound("no such account", rule="user")
    link = _new_reset_link(user_id)
    return render_template("staff/admin_link.html", user=user, link=link)


@pages.post("/admin/users/<int:user_id>/disable")
@for_roles(access.ADMIN)
def admin_disable(user_id: int):  # noqa: ANN201
    if user_id == g.user["id"]:
        raise Forbidden("you cannot disable your own account", rule="own-account")
    _lrs().db.write(lambda conn: user_store.disable_user(conn, user_id))
    return redirect(url_for("pages.admin_home"))


@pages.route("/admin/enrolments", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_enrolments():  # noqa: ANN201
    errors: dict[str, str] = {}
    form = {"cohort": request.form.get("cohort", "").strip(), "agent": request.form.get("agent", "").strip()}
    if request.method == "POST":
        if not form["cohort"]:
            errors["cohort"] = "Enter the cohort's IRI."
        if not form["agent"]:
            errors["agent"] = "Enter the learner, like mbox:mailto:name@council.gov.uk."
        if not errors:
            try:
                if request.form.get("action") == "unenrol":
                    enrolment_service.unenrol(_lrs(), g.principal, form["cohort"], form["agent"])
                else:
                    enrolment_service.enrol(_lrs(), g.principal, form["cohort"], form["agent"])
            except XAPIError as exc:
                errors["agent"] = exc.message[:1].upper() + exc.message[1:] + "."
    rows = enrolment_service.learners(_lrs(), g.principal)
    names = _names({r["agent"] for r in rows})
    makers = enrolled_by_words({r["enrolled_by"] or "" for r in rows})
    for r in rows:
        r["learner_name"], r["by"] = names[r["agent"]], makers[r["enrolled_by"] or ""]
    return render_template("staff/enrolments.html", rows=rows, form=form, errors=errors), 400 if errors else 200


def enrolled_by_words(keys: set[str]) -> dict[str, str]:
    """Who made an enrolment, in words: a person's name (their account), an API credential's name ("Moodle (API
    credential)"), else what was recorded (the command line's name)."""
    with _lrs().db.read() as conn:
        found = user_store.names_for_makers(conn, keys)
    words = {}
    for key in keys:
        maker = found.get(key)
        if maker is None:
            words[key] = key or "Not recorded"
        elif maker["kind"] == "credential":
            words[key] = f"{maker['name']} (API credential)"
        else:
            words[key] = maker["name"]
    return words


@pages.get("/admin/system")
@for_roles(access.ADMIN)
def admin_system():  # noqa: ANN201
    lrs = _lrs()
    with lrs.db.read() as conn:
        statements = statement_counts(conn)
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    reg = registry(lrs)
    return render_template(
        "staff/system.html",
        database="PostgreSQL" if lrs.db.dialect == "postgresql" else "SQLite",
        version=__version__,
        revision=revision,
        statements=statements,
        frameworks=sorted(reg.frameworks.values(), key=lambda f: f.title),
        exporters=sorted(exporting.available_exporters(lrs)),
        plugins=sorted(name for name, _ in lrs.pm.list_name_plugin() if name),
    )


CREDENTIAL_FIELDS = ("name", "role", "agent", "cohorts")


@pages.route("/admin/credentials", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_credentials():  # noqa: ANN201
    """API credentials: create one (its secret shown on this answer only), revoke one, trust one to enrol."""
    form = {name: request.form.get(name, "").strip() for name in CREDENTIAL_FIELDS}
    errors: dict[str, str] = {}
    created = None
    if request.method == "POST":
        role = form["role"] or None
        if not form["name"]:
            errors["name"] = "Enter a name that says what uses it, like “Moodle” or “Ann’s review tool”."
        if role is not None and role not in access.ROLES:
            errors["role"] = "Choose a role, or none for a learning tool."
        cohorts = form["cohorts"].split()
        if role == access.PARTICIPANT and not form["agent"]:
            errors["agent"] = "A participant's credential is bound to their learner identity: enter it."
        if role in access.COHORT_ROLES and not cohorts:
            errors["cohorts"] = "An assessor's, IQA's or lead's credential is bound to cohorts: enter at least one."
        if not errors:
            scopes = list(access.DEFAULT_SCOPES[role])
            created = _lrs().db.write(lambda conn: credential_store.create_credential(
                conn, name=form["name"], scopes=scopes, authority_home_page=_lrs().settings.authority_home_page,
                role=role, agent_key=key_from_identifier(form["agent"]) if form["agent"] else None, cohorts=cohorts or None,
                may_enrol=request.form.get("may_enrol") == "yes"))
            form = dict.fromkeys(CREDENTIAL_FIELDS, "")
    with _lrs().db.read() as conn:
        credentials = credential_store.list_credentials(conn)
    return render_template(
        "staff/credentials.html", credentials=credentials, form=form, roles=ROLE_WORDS, created=created,
        errors={k: errors[k] for k in CREDENTIAL_FIELDS if k in errors},
    ), 400 if errors else 200


@pages.post("/admin/credentials/<key>/<action>")
@for_roles(access.ADMIN)
def admin_credential_change(key: str, action: str):  # noqa: ANN201
    if action == "revoke":
        _lrs().db.write(lambda conn: credential_store.revoke_credential(conn, key))
    elif action in ("trust", "distrust"):
        _lrs().db.write(lambda conn: credential_store.set_may_enrol(conn, key, action == "trust"))
    else:
        raise NotFound("no such change", rule="credential-action")
    return redirect(url_for("pages.admin_credentials"))


@pages.route("/admin/frameworks", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_frameworks():  # noqa: ANN201
    """The frameworks loaded (from plugins and imports), and the import of a CASE package (a JSON file)."""
    errors: dict[str, str] = {}
    notice = None
    if request.method == "POST":
        upload = request.files.get("package")
        if not upload or not upload.filename:
            errors["package"] = "Choose the CASE package (a .json file) to import."
        else:
            try:
                data = json.loads(upload.read(_lrs().settings.max_payload).decode("utf-8"))
                framework, replaced = import_framework(_lrs(), data)
                notice = f"{framework.title} is {'updated' if replaced else 'imported'}: {len(framework.items)} items."
            except (ValueError, UnicodeDecodeError):
                errors["package"] = "That file is not JSON: a CASE package is a JSON file."
            except XAPIError as exc:
                errors["package"] = f"That package cannot be imported: {exc.message}" + (f" (at {exc.path})" if exc.path else "") + "."
    reg = registry(_lrs())
    frameworks = sorted(reg.frameworks.values(), key=lambda f: f.title)
    return render_template("staff/frameworks.html", frameworks=frameworks, errors=errors, notice=notice), 400 if errors else 200


FORWARD_FIELDS = ("name", "kind", "url", "username", "password")
#: Which field a refusal from the forwarding service is about, by how its message begins.
FORWARD_ERROR_FIELDS = (("kind", "kind"), ("url", "url"), ("an xapi target", "username"), ("a target named", "name"))


@pages.route("/admin/forwarding", methods=["GET", "POST"])
@for_roles(access.ADMIN)
def admin_forwarding():  # noqa: ANN201
    """Forwarding targets: add one (a webhook's secret shown on this answer only), remove one, and the
    dead-letter list with its replay buttons."""
    form = {name: request.form.get(name, "").strip() for name in FORWARD_FIELDS}
    errors: dict[str, str] = {}
    created = None
    if request.method == "POST":
        if not form["name"]:
            errors["name"] = "Enter a name for the target, like “council LRS”."
        if form["kind"] not in forwarding.KINDS:
            errors["kind"] = "Choose another LRS (xAPI) or a webhook."
        if not errors:
            try:
                created = forwarding.add_target(
                    _lrs(), name=form["name"], kind=form["kind"], url=form["url"],
                    username=form["username"] or None, password=form["password"] or None)
                form = dict.fromkeys(FORWARD_FIELDS, "")
            except (forwarding.ForwardingError, XAPIError) as exc:
                message = exc.message if isinstance(exc, XAPIError) else str(exc)
                field = next((f for start, f in FORWARD_ERROR_FIELDS if message.startswith(start)), "name")
                message = "the URL" + message[3:] if field == "url" else message
                errors[field] = message[:1].upper() + message[1:] + "."
    notice = {"removed": "The target is removed.", "replayed": "Queued again: the sender retries them shortly."}.get(
        request.args.get("notice", ""))
    return render_template(
        "staff/forwarding.html", targets=forwarding.list_targets(_lrs()), dead=forwarding.dead_letters(_lrs()),
        form=form, created=created, notice=notice, errors={k: errors[k] for k in FORWARD_FIELDS if k in errors},
    ), 400 if errors else 200


@pages.post("/admin/forwarding/remove")
@for_roles(access.ADMIN)
def admin_forwarding_remove():  # noqa: ANN201
    # The name travels in the form, not the path: a target's name may hold a slash.
    if not forwarding.remove_target(_lrs(), request.form.get("name", "")):
        raise NotFound("no such target", rule="forward-target")
    return redirect(url_for("pages.admin_forwarding", notice="removed"))


@pages.post("/admin/forwarding/replay")
@for_roles(access.ADMIN)
def admin_forwarding_replay():  # noqa: ANN201
    """Replay a target's dead letters (``target``), or one of them (``id``)."""
    target = request.form.get("target") or None
    letter = request.form.get("id", "")
    forwarding.replay(_lrs(), target, [int(letter)] if letter.isdigit() else None)
    return redirect(url_for("pages.admin_forwarding", notice="replayed"))
