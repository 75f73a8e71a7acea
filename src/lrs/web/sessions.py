"""Sessions, CSRF tokens and sign-in throttling for the pages. Flask's own cookie session is not used.

- A session is a random id in a cookie; the database keeps only its SHA-256 (lrs.store.users), so signing
  out, disabling an account or a password reset ends it in every worker at once.
- The cookie is HttpOnly and SameSite=Lax, and Secure (with the ``__Host-`` prefix) unless the page was asked
  for over plain http from 127.0.0.1 or localhost: that is the development case. Behind a proxy that ends
  TLS the request arrives as http for another host name, and the cookie is still Secure, as it must be.
- Each session has its own CSRF token, checked on every POST. Before sign-in (the sign-in and reset forms)
  the token is a random value in a second cookie that the form must repeat (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, abort, current_app, g, request

from lrs.store import users as user_store

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
#: A session's last_seen is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(seconds=60)
#: Failed sign-ins allowed within the window, per email and per client address.
FAILURES_PER_EMAIL = 5
FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
#: How long a password-reset link works.
RESET_VALID_FOR = timedelta(hours=24)


def lrs():  # noqa: ANN201 - the LRS service object
    return current_app.extensions["lrs"]


def cookie_is_secure() -> bool:
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else request.host.split("]")[0] + "]"
    return request.is_secure or host not in LOOPBACK_HOSTS


def session_cookie_name() -> str:
    return "__Host-lrs_session" if cookie_is_secure() else "lrs_session"


def form_cookie_name() -> str:
    return "__Host-lrs_form" if cookie_is_secure() else "lrs_form"


def idle_limit() -> timedelta:
    return timedelta(minutes=lrs().settings.session_idle_minutes)


def load_session() -> None:
    """Find the signed-in account (g.user), ending the session when it has been idle too long."""
    g.user = None
    g.session_id = None
    g.session_expired = False
    session_id = request.cookies.get(session_cookie_name())
    if not session_id:
        return
    with lrs().db.read() as conn:
        found = user_store.session_with_user(conn, session_id)
    if found is None:
        return
    now = datetime.now(UTC)
    if found["disabled"] or now - found["last_seen"] > idle_limit():
        lrs().db.write(lambda conn: user_store.end_session(conn, session_id))
        g.session_expired = True
        return
    if now - found["last_seen"] > TOUCH_EVERY:
        lrs().db.write(lambda conn: user_store.touch_session(conn, session_id))
    g.user = found
    g.session_id = session_id


def csrf_token() -> str:
    """The token the current form must carry: the session's, or before sign-in the form cookie's."""
    if g.get("user"):
        return g.user["csrf_token"]
    token = g.get("form_token") or request.cookies.get(form_cookie_name())
    if not token:
        token = secrets.token_urlsafe(32)
        g.set_form_cookie = True
    g.form_token = token
    return token


def check_csrf() -> None:
    """Every POST carries the token of the form it came from; anything else is refused with 400."""
    sent = request.form.get("csrf_token", "")
    expected = g.user["csrf_token"] if g.get("user") else request.cookies.get(form_cookie_name(), "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="csrf")


def start_session(response: Response, user: dict[str, Any]) -> None:
    """A new session id at every sign-in (the old one, if any, is ended): no session fixation."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    old = g.get("session_id") or request.cookies.get(session_cookie_name())

    def work(conn):  # noqa: ANN001, ANN202
        if old:
            user_store.end_session(conn, old)
        user_store.create_session(conn, user_id=user["id"], session_id=session_id, csrf_token=csrf)
        user_store.record_sign_in(conn, user["id"])
        user_store.clear_failures(conn, "email:" + user["email"])
        user_store.end_idle_sessions(conn, idle_limit())
        user_store.forget_old_failures(conn, FAILURE_WINDOW)

    lrs().db.write(work)
    _set_cookie(response, session_cookie_name(), session_id)


def end_session(response: Response) -> None:
    session_id = g.get("session_id") or request.cookies.get(session_cookie_name())
    if session_id:
        lrs().db.write(lambda conn: user_store.end_session(conn, session_id))
    response.delete_cookie(session_cookie_name(), path="/", secure=cookie_is_secure(), httponly=True, samesite="Lax")


def _set_cookie(response: Response, name: str, value: str) -> None:
    # No max_age: the cookie lasts the browser session; the server ends it after inactivity anyway.
    response.set_cookie(name, value, path="/", secure=cookie_is_secure(), httponly=True, samesite="Lax")


def throttled(email: str) -> bool:
    """True when this email or this client address has failed to sign in too often lately."""
    with lrs().db.read() as conn:
        by_email = user_store.recent_failures(conn, "email:" + user_store.normalise_email(email), FAILURE_WINDOW)
        by_address = user_store.recent_failures(conn, "address:" + (request.remote_addr or ""), FAILURE_WINDOW)
    return by_email >= FAILURES_PER_EMAIL or by_address >= FAILURES_PER_ADDRESS


def record_failed_sign_in(email: str) -> None:
    subjects = ["email:" + user_store.normalise_email(email)[:300], "address:" + (request.remote_addr or "")]
    lrs().db.write(lambda conn: user_store.record_failure(conn, subjects))


#: No inline script or style anywhere; the pages need nothing but their own stylesheet (and scripts later).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def install_page_headers(app: Flask) -> None:
    """Security headers on every HTML page and page asset; the form cookie when a form handed one out."""

    @app.after_request
    def _headers(response: Response) -> Response:
        if g.get("set_form_cookie") and g.get("form_token"):
            _set_cookie(response, form_cookie_name(), g.form_token)
        if response.mimetype in ("text/html", "text/css", "application/javascript", "text/javascript"):
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers["X-Frame-Options"] = "DENY"
            if response.mimetype == "text/html":
                # Pages show a person's record: never kept by a shared computer's browser or a proxy.
                response.headers["Cache-Control"] = "no-store"
        return response
