"""A participant's home: this registration year's 70/20/10 balance and its month-by-month trend, in a chart
with the same figures in tables; someone else's learning never shows."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from lrs.hookspecs import hookimpl
from lrs.web.participant import registration_year

from .conftest import SHOTS, axe_violations, make_user
from .test_browser import sign_in

LED = "https://lrs.example/verbs/led"
DISCUSSED = "https://lrs.example/verbs/discussed"
STUDIED = "https://lrs.example/verbs/studied"


class VerbClassifier:
    MODES = {LED: "on-the-job", DISCUSSED: "social", STUDIED: "formal"}

    @hookimpl(tryfirst=True)
    def lrs_classify_statement(self, statement: dict[str, Any]) -> str | None:
        return self.MODES.get(statement["verb"]["id"])


def learning(actor: str, verb: str, when: date, duration: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": actor},
        "verb": {"id": verb},
        "object": {"id": f"https://lrs.example/activities/{uuid.uuid4()}"},
        "timestamp": f"{when.isoformat()}T10:00:00Z",
        "result": {"duration": duration},
    }


@pytest.fixture
def jo_learning(lrs_instance, client) -> date:  # noqa: ANN001
    lrs_instance.pm.register(VerbClassifier())
    start, _ = registration_year(date.today())
    statements = [
        learning("mailto:jo@la.example", LED, start, "PT7H"),
        learning("mailto:jo@la.example", DISCUSSED, start, "PT2H"),
        learning("mailto:jo@la.example", STUDIED, start.replace(day=2), "PT1H"),
        # Sam's learning must not show on Jo's page.
        learning("mailto:sam@la.example", STUDIED, start, "PT9H"),
    ]
    assert client.post_statements(statements).status_code == 200
    return start


def test_a_participant_sees_their_balance_and_trend_with_the_figures_in_text(
    lrs_instance, live_server, page, jo_learning
):
    make_user(lrs_instance)
    sign_in(page, live_server)
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Your learning"
    rows = {
        r.locator("th").inner_text(): [c.inner_text() for c in r.locator("td").all()]
        for r in page.get_by_role("table").first.locator("tbody tr").all()
    }
    assert rows == {
        "On the job": ["1", "7.0", "70%", "70%"],
        "Social": ["1", "2.0", "20%", "20%"],
        "Formal": ["1", "1.0", "10%", "10%"],
    }
    chart = page.get_by_role("img", name="Month by month")
    assert chart.count() == 1
    first_month = jo_learning.strftime("%b %Y")
    assert f"{first_month}: 1 on the job, 1 social, 1 formal" in main.inner_html()
    month_row = page.get_by_role("row", name=first_month)
    assert [c.inner_text() for c in month_row.locator("td").all()] == ["1", "1", "1", "3"]
    assert page.get_by_role("table").nth(1).locator("tbody tr").count() >= 1
    assert axe_violations(page) == []


def test_the_participant_home_fits_320_pixels(lrs_instance, live_server, browser, jo_learning):
    make_user(lrs_instance)
    context = browser.new_context(viewport={"width": 320, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert axe_violations(page) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"participant-home-320-{lrs_instance.db.dialect}.png"), full_page=True)
    finally:
        context.close()


def test_a_participant_without_an_agent_is_refused_not_shown_an_error(lrs_instance, app):
    from .test_sessions import sign_in as sign_in_with_client

    make_user(lrs_instance, agent_key=None)
    browser = app.test_client()
    sign_in_with_client(browser)
    response = browser.get("/")
    assert response.status_code == 403
    assert "not linked to a learning record" in response.get_data(as_text=True)
