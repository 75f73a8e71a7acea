"""The pages in a real headless Chromium (Debian's), with axe-core's accessibility check on every page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lrs.store import users as user_store

from .conftest import PASSWORD, SHOTS, axe_violations, make_user


def sign_in(page, base: str, email: str = "jo@la.example", password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    # Wait for the answer page to load (its stylesheet included) before anything measures it.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()


def assert_accessible(page) -> None:  # noqa: ANN001
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def test_a_participant_signs_in_and_out(lrs_instance, live_server, page):
    make_user(lrs_instance)
    page.goto(live_server + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in").first.click()
    assert page.url == live_server + "/sign-in"
    assert_accessible(page)
    sign_in(page, live_server)
    assert page.url == live_server + "/"
    header = page.locator("header")
    assert "Signed in as Jo Bloggs" in header.inner_text()
    assert_accessible(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "lrs_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    assert "You have signed out." in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert_accessible(page)


def test_a_wrong_password_is_refused_with_a_message_that_is_announced(lrs_instance, live_server, page):
    make_user(lrs_instance)
    sign_in(page, live_server, password="this is not it at all")
    alert = page.get_by_role("alert")
    assert "email address or password is not right" in alert.inner_text()
    assert page.title().startswith("Error:")
    assert page.get_by_label("Email").input_value() == "jo@la.example"
    assert_accessible(page)


def test_empty_fields_link_to_the_field_to_fix(live_server, page):
    page.goto(live_server + "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Enter your email address.").click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def test_throttled_sign_in_says_what_to_do(lrs_instance, live_server, page, monkeypatch):
    from lrs.web import sessions

    monkeypatch.setattr(sessions, "FAILURES_PER_EMAIL", 2)
    make_user(lrs_instance)
    for _ in range(2):
        sign_in(page, live_server, password="wrong wrong wrong")
    with page.expect_response(lambda r: r.url.endswith("/sign-in") and r.request.method == "POST") as answer:
        sign_in(page, live_server)
    assert answer.value.status == 429
    assert "Too many failed attempts" in page.get_by_role("alert").inner_text()


def test_a_form_without_its_token_is_refused(lrs_instance, live_server, page):
    make_user(lrs_instance)
    page.goto(live_server + "/sign-in")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Email").fill("jo@la.example")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 400
    assert "could not be sent" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_other_pages_pass_axe(lrs_instance, live_server, page):
    user_id = make_user(lrs_instance, password=None)
    lrs_instance.db.write(
        lambda conn: user_store.create_reset(conn, user_id=user_id, token="tok", valid_for=timedelta(hours=1))
    )
    for path in ("/reset/tok", "/reset/spent-or-unknown", "/no-such-page"):
        page.goto(live_server + path)
        assert_accessible(page)
    page.goto(live_server + "/reset/tok")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Type the new password again").fill("short")
    page.get_by_role("button", name="Set password").click()
    assert "at least 12 characters" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("copper meadow violin tide")
    page.get_by_label("Type the new password again").fill("copper meadow violin tide")
    page.get_by_role("button", name="Set password").click()
    assert "Your password is set" in page.locator("main").inner_text()
    sign_in(page, live_server, password="copper meadow violin tide")
    assert "Signed in as Jo Bloggs" in page.locator("header").inner_text()


def test_keyboard_users_can_skip_to_the_content_and_see_where_focus_is(live_server, page):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert skip.bounding_box()["x"] >= 0  # shown on focus
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "participant"])
def test_the_home_page_fits_a_320_pixel_screen(lrs_instance, live_server, browser, signed_in):
    context = browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = context.new_page()
    try:
        if signed_in:
            make_user(lrs_instance)
            sign_in(page, live_server)
        else:
            page.goto(live_server + "/")
        # WCAG 1.4.10 reflow: nothing scrolls sideways at 320 CSS pixels.
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        database = lrs_instance.db.dialect
        page.screenshot(path=str(SHOTS / f"home-320-{'participant' if signed_in else 'visitor'}-{database}.png"), full_page=True)
    finally:
        context.close()
