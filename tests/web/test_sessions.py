"""Sign-in, sessions, CSRF, throttling and password-reset links, through the Flask test client on both
databases. The browser tests (test_browser.py) walk the same pages in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from lrs.store import users as user_store
from lrs.web import sessions

from .conftest import PASSWORD, csrf_from, make_user


@pytest.fixture
def browser_client(app):  # noqa: ANN001, ANN201
    return app.test_client()


def sign_in(client, email: str = "jo@la.example", password: str = PASSWORD):  # noqa: ANN001, ANN201
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def test_a_visitor_gets_a_welcome_page_with_a_sign_in_link_not_json(browser_client):
    response = browser_client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'href="/sign-in"' in html and "Skip to main content" in html


def test_unknown_pages_are_html_but_the_apis_keep_json_404s(browser_client):
    page = browser_client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    for path in ("/xapi/no-such-resource", "/api/no-such-thing"):
        response = browser_client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["rule"] == "not-found", path


def test_pages_carry_a_strict_content_security_policy_and_no_sniffing(browser_client):
    response = browser_client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert browser_client.get("/assets/site.css").status_code == 200


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_shows_the_person(lrs_instance, browser_client):
    make_user(lrs_instance, "Jo@LA.example")
    response = sign_in(browser_client, email="JO@la.example")
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lrs_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = browser_client.get("/").get_data(as_text=True)
    assert "Signed in as <strong>Jo Bloggs</strong>" in home and "Sign out" in home


def test_the_session_cookie_is_secure_unless_served_over_http_from_loopback(lrs_instance, app):
    make_user(lrs_instance)
    remote = app.test_client()
    token = csrf_from(remote.get("/sign-in", base_url="http://lrs.la.example").get_data(as_text=True))
    response = remote.post(
        "/sign-in",
        base_url="http://lrs.la.example",
        data={"email": "jo@la.example", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "lrs_session=" in h)
    assert cookie.startswith("__Host-lrs_session=") and "Secure" in cookie


def test_a_wrong_password_is_refused_with_a_message(lrs_instance, browser_client):
    make_user(lrs_instance)
    response = sign_in(browser_client, password="not the password at all")
    assert response.status_code == 401
    assert "email address or password is not right" in response.get_data(as_text=True)
    assert "Sign out" not in browser_client.get("/").get_data(as_text=True)


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(lrs_instance, browser_client):
    user_id = make_user(lrs_instance)
    assert sign_in(browser_client).status_code == 302
    lrs_instance.db.write(lambda conn: user_store.disable_user(conn, user_id))
    assert "Sign out" not in browser_client.get("/").get_data(as_text=True)
    assert sign_in(browser_client).status_code == 401


def test_a_post_without_the_csrf_token_is_refused(lrs_instance, browser_client):
    make_user(lrs_instance)
    browser_client.get("/sign-in")
    response = browser_client.post("/sign-in", data={"email": "jo@la.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "could not be sent" in response.get_data(as_text=True)
    assert sign_in(browser_client).status_code == 302
    # Signed in: sign-out without the session's token (or with the pre-sign-in one) changes nothing.
    assert browser_client.post("/sign-out").status_code == 400
    assert browser_client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert "Sign out" in browser_client.get("/").get_data(as_text=True)


def test_repeated_failures_are_throttled_per_email_with_a_429(lrs_instance, browser_client):
    make_user(lrs_instance)
    for _ in range(sessions.FAILURES_PER_EMAIL):
        assert sign_in(browser_client, password="wrong password here").status_code == 401
    # Now even the right password is refused for a while, with a sentence saying what to do.
    response = sign_in(browser_client)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_repeated_failures_are_throttled_per_client_address(lrs_instance, browser_client, monkeypatch):
    monkeypatch.setattr(sessions, "FAILURES_PER_ADDRESS", 3)
    make_user(lrs_instance)
    for n in range(3):
        assert sign_in(browser_client, email=f"guess{n}@la.example").status_code == 401
    assert sign_in(browser_client).status_code == 429


def test_sign_out_ends_the_session_on_the_server(lrs_instance, browser_client):
    make_user(lrs_instance)
    sign_in(browser_client)
    stolen = browser_client.get_cookie("lrs_session").value
    token = csrf_from(browser_client.get("/").get_data(as_text=True))
    response = browser_client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302 and "notice=signed-out" in response.headers["Location"]
    # A copy of the old cookie no longer signs anyone in.
    browser_client.set_cookie("lrs_session", stolen)
    assert "Sign out" not in browser_client.get("/").get_data(as_text=True)


def test_sign_in_renews_the_session_id(lrs_instance, browser_client):
    make_user(lrs_instance)
    sign_in(browser_client)
    first = browser_client.get_cookie("lrs_session").value
    browser_client.set_cookie("lrs_session", first)
    # Signing in again (e.g. from a shared computer's old tab) gives a new id and ends the old one.
    token = csrf_from(browser_client.get("/").get_data(as_text=True))
    browser_client.post("/sign-in", data={"email": "jo@la.example", "password": PASSWORD, "csrf_token": token})
    second = browser_client.get_cookie("lrs_session").value
    assert second != first
    with lrs_instance.db.read() as conn:
        assert user_store.session_with_user(conn, first) is None
        assert user_store.session_with_user(conn, second) is not None


def test_a_session_ends_after_the_idle_time(lrs_instance, browser_client):
    make_user(lrs_instance)
    sign_in(browser_client)
    session_id = browser_client.get_cookie("lrs_session").value
    idle = timedelta(minutes=lrs_instance.settings.session_idle_minutes, seconds=5)
    lrs_instance.db.write(
        lambda conn: conn.execute(
            update(user_store.WS)
            .where(user_store.WS.c.id_hash == user_store.token_hash(session_id))
            .values(last_seen=datetime.now(UTC) - idle)
        )
    )
    response = browser_client.get("/")
    assert response.status_code == 302 and "notice=expired" in response.headers["Location"]
    with lrs_instance.db.read() as conn:
        assert user_store.session_with_user(conn, session_id) is None


def test_a_reset_link_sets_a_password_once(lrs_instance, browser_client):
    user_id = make_user(lrs_instance, password=None)
    lrs_instance.db.write(
        lambda conn: user_store.create_reset(conn, user_id=user_id, token="tok-123", valid_for=timedelta(hours=1))
    )
    page = browser_client.get("/reset/tok-123")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    short = browser_client.post("/reset/tok-123", data={"password": "short", "confirm": "short", "csrf_token": token})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    common = "password1234"
    weak = browser_client.post("/reset/tok-123", data={"password": common, "confirm": common, "csrf_token": token})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    new = "winter orchard pebble cello"
    done = browser_client.post("/reset/tok-123", data={"password": new, "confirm": new, "csrf_token": token})
    assert done.status_code == 302 and "notice=password-set" in done.headers["Location"]
    assert browser_client.get("/reset/tok-123").status_code == 404  # spent
    assert sign_in(browser_client, password=new).status_code == 302
    with lrs_instance.db.read() as conn:
        stored = user_store.user_by_id(conn, user_id)["password_hash"]
    assert stored.startswith("$argon2id$") and new not in stored


def test_an_expired_reset_link_cannot_be_used(lrs_instance, browser_client):
    user_id = make_user(lrs_instance)
    lrs_instance.db.write(
        lambda conn: user_store.create_reset(conn, user_id=user_id, token="old", valid_for=timedelta(seconds=-1))
    )
    assert browser_client.get("/reset/old").status_code == 404


def test_next_never_redirects_off_the_site(lrs_instance, browser_client):
    make_user(lrs_instance)
    token = csrf_from(browser_client.get("/sign-in").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = browser_client.post(
            "/sign-in", data={"email": "jo@la.example", "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        token = csrf_from(browser_client.get("/").get_data(as_text=True))
