"""A participant's pages in a real headless Chromium: the walk a social worker takes (sign in, see the chart,
record an entry with a reflection, reflect on a course from the LMS, download the CPD log, sign out), each page
checked with axe-core and at 320 px; a stranger and another participant are refused."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import SHOTS, axe_violations, make_user
from .test_browser import sign_in
from .test_participant_home import VerbClassifier

PARTICIPANT_PAGES = {
    "home": "/",
    "record": "/record",
    "record-new": "/record/new",
    "cpd-log": "/cpd-log",
    "progress": "/progress",
}


def course(actor: str, verb: str, name: str, when: date) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": f"https://lms.example/courses/{uuid.uuid4()}",
                   "definition": {"name": {"en-GB": name}}},
        "context": {"platform": "Moodle"},
        "timestamp": f"{when.isoformat()}T10:00:00Z",
        "result": {"duration": "PT2H"},
    }


@pytest.fixture
def learning(lrs_instance, client) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    lrs_instance.pm.register(VerbClassifier())
    yesterday = date.today() - timedelta(days=1)
    found = {
        "course": course("mailto:jo@la.example", "https://lrs.example/verbs/studied",
                         "Safeguarding adults refresher", yesterday),
        "led": course("mailto:jo@la.example", "https://lrs.example/verbs/led", "Duty team huddle", yesterday),
        "sam": course("mailto:sam@la.example", "https://lrs.example/verbs/studied", "Sam's course", yesterday),
    }
    assert client.post_statements(list(found.values())).status_code == 200
    return found


def check_page(page, name: str, database: str) -> None:  # noqa: ANN001
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-desktop-{database}.png"), full_page=True)


def test_a_participant_walks_through_their_pages(lrs_instance, live_server, page, learning):  # noqa: ANN001
    make_user(lrs_instance)
    database = lrs_instance.db.dialect
    sign_in(page, live_server)

    # Home: the chart, the CPD year's status, what happened recently.
    assert page.get_by_role("img", name="Month by month").count() == 1
    main = page.locator("main")
    assert "Safeguarding adults refresher" in main.inner_text()
    assert "is not complete yet" in main.inner_text()
    check_page(page, "participant-home", database)
    page.set_viewport_size({"width": 1024, "height": 1060})  # the README's picture: the balance and the chart
    page.screenshot(path=str(SHOTS / f"participant-home-readme-{database}.png"))
    page.set_viewport_size({"width": 1024, "height": 768})

    # Record learning: a mistake first (told next to the field), then an entry with a reflection.
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Record learning").click()
    check_page(page, "record-new", database)
    page.get_by_label("What did you do?").fill("Shadowed the duty team manager")
    page.get_by_role("button", name="Save").click()
    assert page.title().startswith("Error:")
    page.get_by_role("link", name="Enter what you learned.").click()
    assert page.evaluate("document.activeElement.id") == "learned"
    assert page.get_by_label("What did you do?").input_value() == "Shadowed the duty team manager"
    check_page(page, "record-new-error", database)
    page.get_by_label("On the job").check()
    page.get_by_label("What did you learn?").fill("How the manager weighs competing referrals")
    page.get_by_label("What difference has it made").fill("I explain my priorities to families")
    page.get_by_label("Your peer's name").fill("Ash Patel")
    page.get_by_label("Your peer's email address").fill("ash@la.example")
    page.get_by_label("What did you learn from discussing it with them?").fill("Ash showed me the rota logic")
    page.locator("summary", has_text="Knowledge and skills statement for practice leaders").click()
    page.get_by_label("KSS-PL 1").check()
    page.get_by_role("button", name="Save").click()
    assert "Your entry is saved" in page.locator("main").inner_text()
    assert "Ash showed me the rota logic" in page.locator("main").inner_text()
    check_page(page, "record", database)

    # Reflect on a course the LMS reported: the form opens pre-filled, and the reflection shows under it.
    page.get_by_role("link", name=re.compile(r"^Reflect on this \(Safeguarding adults refresher\)$")).click()
    assert "You are reflecting on" in page.locator("main").inner_text()
    assert page.get_by_label("What did you do?").input_value() == "Safeguarding adults refresher"
    check_page(page, "record-reflect", database)
    page.get_by_label("What did you learn?").fill("The new referral route")
    page.get_by_label("What difference has it made").fill("Fewer delays for families")
    page.get_by_role("button", name="Save").click()
    item = page.locator(".timeline__item", has=page.get_by_role("heading", name="Studied: Safeguarding adults refresher"))
    assert "Your reflection" in item.inner_text() and "The new referral route" in item.inner_text()
    entry = page.locator(".timeline__item", has_text="Your reflection on: Studied: Safeguarding adults refresher")
    assert "The new referral route" in entry.inner_text()

    # Filters work without script (a GET form).
    page.get_by_label("Where it came from").select_option("journal")
    page.get_by_role("button", name="Show").click()
    assert "kind=journal" in page.url
    assert "Duty team huddle" not in page.locator("main").inner_text()

    # The CPD log: readiness and a download.
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="CPD log").click()
    text = page.locator("main").inner_text()
    assert "Safeguarding adults refresher" in text and "30 November" in text
    check_page(page, "cpd-log", database)
    with page.expect_download() as download:
        page.get_by_role("link", name="Spreadsheet (CSV)").click()
    assert download.value.suggested_filename.startswith("cpd-log-")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "The new referral route" in content

    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Qualification").click()
    page.locator("summary", has_text="Template L5 U1:").click()
    unit = page.locator("details", has_text="Template L5 U1:")
    assert "No evidence yet" in unit.inner_text()
    check_page(page, "progress", database)

    page.get_by_role("button", name="Sign out").click()
    assert "You have signed out." in page.locator("main").inner_text()


@pytest.mark.parametrize("name", list(PARTICIPANT_PAGES))
def test_each_page_fits_320_pixels(lrs_instance, live_server, browser, learning, name):  # noqa: ANN001
    make_user(lrs_instance)
    context = browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(live_server + PARTICIPANT_PAGES[name])
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert axe_violations(page) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-320-{lrs_instance.db.dialect}.png"), full_page=True)
    finally:
        context.close()


def test_a_stranger_is_refused_every_page_and_another_participants_item_is_refused(
    lrs_instance, live_server, page, learning
):  # noqa: ANN001
    for path in [*PARTICIPANT_PAGES.values(), "/cpd-log/download?format=csv", "/progress/portfolio"]:
        if path == "/":
            continue  # the home page welcomes a visitor
        page.goto(live_server + path)
        assert page.url.startswith(live_server + "/sign-in"), path
        assert "Please sign in to see that page." in page.locator("main").inner_text()
    assert axe_violations(page) == []
    make_user(lrs_instance)
    sign_in(page, live_server)
    answer = page.goto(f"{live_server}/record/new?reflect_on={learning['sam']['id']}")
    assert answer.status == 403
    assert "You do not have permission" in page.locator("main").inner_text()
    assert "Sam's course" not in page.content()
    assert axe_violations(page) == []
