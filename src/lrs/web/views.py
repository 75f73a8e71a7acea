"""The pages: home, sign in, sign out, set a password from a one-time link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from lrs.services import access
from lrs.store import users as user_store
from lrs.web import participant, sessions
from lrs.web.passwords import hash_password, password_problem, verify_password
from lrs.web.principal import principal_for
from lrs.xapi.errors import Forbidden, NotFound

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

#: Short notices a redirect can ask a page to show (by code, so a link cannot put words on the page).
NOTICES = {
    "signed-out": "You have signed out.",
    "expired": "You were signed out because you had not used the site for a while. Please sign in again.",
    "password-set": "Your password is set. You can sign in with it now.",
    "sign-in-needed": "Please sign in to see that page.",
    "entry-saved": "Your entry is saved. It is at the top of your record.",
    "own-role-changed": "You changed your own role, so you are no longer an administrator: these are the pages "
                        "of your new role. Another administrator can give the role back.",
}
#: Notices that follow a person to their landing page (``/`` sends staff on) and show on any page.
CARRIED_NOTICES = ("own-role-changed",)
#: Where each staff role starts after signing in: its work (the pages are in lrs.web.staff_views).
LANDING = {
    access.ASSESSOR: "pages.assessor_queue",
    access.IQA: "pages.sampling",
    access.LEAD: "pages.lead_dashboard",
    access.ADMIN: "pages.admin_home",
}


@pages.before_request
def _session_and_csrf() -> None:
    sessions.load_session()
    if g.user:
        g.principal = principal_for(g.user, sessions.lrs().settings.authority_home_page)
    if request.method == "POST":
        sessions.check_csrf()


@pages.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": sessions.csrf_token, "current_user": lambda: g.get("user"), "carried_notice": _carried_notice}


def _carried_notice() -> str | None:
    code = request.args.get("notice", "")
    return NOTICES[code] if code in CARRIED_NOTICES else None


@pages.errorhandler(400)
def _bad_request(exc: HTTPException):  # noqa: ANN202
    if exc.description == "csrf":
        return render_template("form_expired.html"), 400
    return render_template("error.html", message="The request could not be understood."), 400


@pages.errorhandler(Forbidden)
def _forbidden(exc: Forbidden):  # noqa: ANN202
    # The access module's refusal, in words for a person (the rule stays in the page for support staff).
    if exc.rule == "participant-unbound":
        message = "Your account is not linked to a learning record yet. Ask your programme’s administrator to link it."
    else:
        message = "You do not have permission to see this page."
    return render_template("forbidden.html", message=message, rule=exc.rule), 403


@pages.errorhandler(NotFound)
def _not_found(exc: NotFound):  # noqa: ANN202
    return render_template("not_found.html"), 404


@pages.errorhandler(413)
def _too_large(exc: HTTPException):  # noqa: ANN202
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or sessions.lrs().settings.max_payload
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    message = f"What you sent is too large: a form with its files can be at most {size} in all. Nothing was saved."
    return render_template("error.html", message=message), 413


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages that need a signed-in person send everyone else to the sign-in page (and back afterwards)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not g.get("user"):
            notice = "expired" if g.get("session_expired") else "sign-in-needed"
            return redirect(url_for("pages.sign_in", next=request.path, notice=notice))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target:
        return url_for("pages.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.home")
    return target


@pages.get("/")
def home():  # noqa: ANN201
    if g.get("session_expired"):
        return redirect(url_for("pages.sign_in", notice="expired"))
    figures = recent = cpd = None
    user = g.get("user")
    if user and user["role"] != "participant":
        notice = request.args.get("notice", "")
        return redirect(url_for(LANDING[user["role"]], **({"notice": notice} if notice in CARRIED_NOTICES else {})))
    if user and user["role"] == "participant":
        # The same question /api asks before it shows a learner's summary.
        access.check_read_learner(sessions.lrs(), g.principal, user["agent_key"] or "", what="learning summary")
        today = date.today()
        figures = participant.home_figures(sessions.lrs(), user["agent_key"], today)
        recent = participant.recent(sessions.lrs(), user["agent_key"])
        cpd = participant.cpd_status(sessions.lrs(), user["agent_key"], participant.cpd_year(today))
    return render_template(
        "home.html",
        recent=recent,
        status=cpd,
        notice=NOTICES.get(request.args.get("notice", "")),
        figures=figures,
        labels=participant.MODE_LABELS,
        fills=participant.MODE_FILLS,
    )


@pages.route("/sign-in", methods=["GET", "POST"])
def sign_in():  # noqa: ANN201
    notice = NOTICES.get(request.args.get("notice", ""))
    next_path = request.values.get("next", "")
    if request.method == "GET":
        if g.get("user"):
            return redirect(_safe_next(next_path))
        return render_template("sign_in.html", notice=notice, next_path=next_path, email="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return render_template("sign_in.html", errors=errors, next_path=next_path, email=email), 400
    if sessions.throttled(email):
        message = (
            f"Too many failed attempts to sign in. Wait {int(sessions.FAILURE_WINDOW.total_seconds() // 60)} minutes "
            "and try again, or ask an administrator for a link to set a new password."
        )
        response = render_template("sign_in.html", errors={"form": message}, next_path=next_path, email=email)
        return response, 429, {"Retry-After": str(int(sessions.FAILURE_WINDOW.total_seconds()))}
    with sessions.lrs().db.read() as conn:
        user = user_store.user_by_email(conn, email)
    # The hash is checked even for an unknown email, so the answer takes as long either way.
    matches = verify_password(user["password_hash"] if user else None, password)
    if not user or not matches or user["disabled"]:
        sessions.record_failed_sign_in(email)
        message = "The email address or password is not right. Check them and try again."
        return render_template("sign_in.html", errors={"form": message}, next_path=next_path, email=email), 401
    response = redirect(_safe_next(next_path))
    sessions.start_session(response, user)
    return response


@pages.post("/sign-out")
def sign_out():  # noqa: ANN201
    response = redirect(url_for("pages.sign_in", notice="signed-out"))
    sessions.end_session(response)
    return response


@pages.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # noqa: ANN201
    with sessions.lrs().db.read() as conn:
        user = user_store.usable_reset(conn, token)
    if user is None:
        return render_template("reset_unusable.html"), 404
    if request.method == "GET":
        return render_template("reset.html", user=user)
    password = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    problem = password_problem(password, email=user["email"], name=user["name"])
    if problem is None and password != confirm:
        problem = "The two passwords are not the same."
    if problem:
        return render_template("reset.html", user=user, errors={"password": problem}), 400
    password_hash = hash_password(password)
    if not sessions.lrs().db.write(lambda conn: user_store.use_reset(conn, token, password_hash)):
        return render_template("reset_unusable.html"), 404
    response = redirect(url_for("pages.sign_in", notice="password-set"))
    sessions.end_session(response)
    return response
