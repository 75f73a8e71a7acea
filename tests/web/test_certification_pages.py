"""Unit submission and the centre's claim in a real headless Chromium: the learner submits a unit from their
qualification page once it is ready (and is told why not before); the admin claims certification from the
claims page after confirming, and a claim the unit is no longer ready for is refused in place. Also: an admin
who takes away their own admin role lands on their new role's page, told why; the cohorts page names who made
each enrolment. axe-core checks every page; the pictures are at desktop width and at 320 px (a phone)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import make_credential

from lrs.review import service, units
from lrs.services import enrolments as enrolment_service
from lrs.store import users as user_store

from .conftest import SHOTS, axe_violations, csrf_from, make_user
from .test_browser import sign_in
from .test_staff_pages import ILM5, JO, NORTH, STAFF, centre, check, docs_shot, post_journal  # noqa: F401

U1 = [f"{ILM5}/U1.AC{n}" for n in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")]
UNIT = "Template L5 U1"


def phone_shot(page: Any, name: str, database: str) -> None:
    """The page as a phone shows it (320 px wide): nothing wider than the screen, no axe violation."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
        assert axe_violations(page) == [], page.url
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"staff-{name}-320-{database}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)


@pytest.fixture
def no_sampling(lrs_instance: Any) -> None:
    """A plan that samples nothing: a unit is ready to claim once it is accepted and submitted."""
    units.adopt_plan(lrs_instance, lrs_instance.operator_principal(), {"default_rate": 0, "new_assessor_decisions": 0})


def assessor(lrs_instance: Any) -> Any:
    ann = make_credential(lrs_instance, [], name="Ann Assessor", role="assessor", agent_key=STAFF["assessor"][2],
                          cohorts=[NORTH])
    return lrs_instance.principal_for(ann[0])


def accept(lrs_instance: Any, principal: Any, evidence: str, criteria: list[str]) -> list[str]:
    return [service.decide(lrs_instance, principal, {
        "evidence": evidence, "criterion": uri, "outcome": "accepted",
        "rationale": "The account shows the criterion met in practice."}).statement_id for uri in criteria]


def test_a_learner_submits_a_unit_once_it_is_ready(lrs_instance, live_server, page, centre, app, no_sampling):  # noqa: ANN001, F811
    database = lrs_instance.db.dialect
    sign_in(page, live_server, "jo@la.example")
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Qualification").click()
    main = page.locator("main")
    unit = page.locator(f"details:has(summary:text('{UNIT}:'))")
    # Evidence for one criterion of six: not ready, and the page says which criteria lack evidence.
    text = unit.inner_text()
    assert "Not ready to submit yet" in text
    assert "5 criteria have no evidence yet: Template L5 U1 AC1.2, Template L5 U1 AC1.3" in text
    assert unit.get_by_role("button").count() == 0
    check(page, "progress-not-ready", database)
    # A form sent for a unit that is not ready (a page opened before evidence was withdrawn, say): refused, and
    # the page says why, in that unit's part of the page.
    refused = page.request.post(live_server + "/progress/submit", form={
        "csrf_token": csrf_from(page.content()), "framework": "ilm-l5-leadership", "unit": f"{ILM5}/U2",
        "declaration": "yes"})
    assert refused.status == 409
    assert "The unit is not ready to submit: 5 criteria have no evidence yet: Template L5 U2 AC1.1" in refused.text()
    assert 'id="declaration-unit-ilm-l5-leadership-U2"' in refused.text()

    # Evidence for the other five: the unit is ready, and the form asks for the declaration.
    post_journal(app, centre["jo"], what="Ran the team's consultation on the new rota", standards=U1[1:])
    page.reload()
    button = unit.get_by_role("button", name=f"Submit {UNIT} for assessment")
    button.click()
    assert page.title().startswith("Error:")
    field = page.get_by_label(re.compile("^I declare that the evidence submitted for this unit is my own work"))
    assert field.get_attribute("aria-invalid") == "true"
    error = "Tick the box to declare that the work is your own"
    assert error in page.get_by_role("alert").inner_text()
    page.get_by_role("alert").get_by_role("link").click()
    assert page.evaluate("document.activeElement.type") == "checkbox"
    check(page, "progress-submit-error", database)
    phone_shot(page, "progress-submit-error", database)
    with lrs_instance.db.read() as conn:
        assert units.unit_store.submissions(conn, JO) == []

    field.check()
    unit.get_by_role("button", name=f"Submit {UNIT} for assessment").click()
    assert "Your unit is submitted, with your declaration" in main.inner_text()
    text = unit.inner_text()
    assert re.search(r"You submitted this unit on \d{4}-\d\d-\d\d\.", text), text
    assert "it waits for: assessor acceptance of every criterion" in text
    assert unit.get_by_role("button", name=f"Submit {UNIT} again").count() == 1
    check(page, "progress-submitted", database)
    page.evaluate("window.scrollTo(0, 0)")  # the answer opened at the unit: docs_shot measures from the top
    docs_shot(page, "progress-submit", database, start=f"#{unit.get_attribute('id')} .unit-submission",
              end=f"#{unit.get_attribute('id')} .unit-submission")
    phone_shot(page, "progress-submitted", database)
    (record,) = units.learner_units(lrs_instance, JO, "ilm-l5-leadership")[:1]
    assert [s["attempt"] for s in record["submissions"]] == [1]
    assert record["submissions"][0]["declaration"].startswith("I declare")


def test_the_centre_claims_a_unit_after_confirming_it(lrs_instance, live_server, page, centre, app, no_sampling):  # noqa: ANN001, F811
    database = lrs_instance.db.dialect
    ann = assessor(lrs_instance)
    rest = post_journal(app, centre["jo"], what="Ran the team's consultation on the new rota", standards=U1[1:])
    accept(lrs_instance, ann, centre["evidence"], U1[:1])
    jo = lrs_instance.principal_for(centre["jo"][0])
    units.submit_unit(lrs_instance, jo, {"framework": "ilm-l5-leadership", "unit": UNIT, "declaration": True})
    units.set_registration_number(lrs_instance, JO, "ILM-0042")

    sign_in(page, live_server, STAFF["admin"][0])
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Claims").click()
    main = page.locator("main")
    row = page.get_by_role("row", name=re.compile("^Jo Bloggs"))
    assert "Not yet: waiting for assessor acceptance of every criterion" in row.inner_text()
    assert "Registration ILM-0042" in row.inner_text()
    row.get_by_role("link", name=f"Details {UNIT} for Jo Bloggs").click()
    assert "Not ready to claim. It waits for:" in main.inner_text()
    assert page.get_by_role("button", name=re.compile("^Claim certification")).count() == 0
    check(page, "claim-not-ready", database)

    # Every criterion accepted: ready. The admin opens the confirmation; meanwhile the assessor withdraws one
    # acceptance (voids it), so the claim is refused, in place, in the service's words.
    decisions = accept(lrs_instance, ann, rest, U1[1:])
    page.get_by_role("link", name="Back to certification claims").click()
    row = page.get_by_role("row", name=re.compile("^Jo Bloggs"))
    assert "Ready" in row.inner_text()
    check(page, "claims", database)
    docs_shot(page, "admin-claims", database)
    phone_shot(page, "claims", database)
    row.get_by_role("link", name=f"Claim {UNIT} for Jo Bloggs").click()
    assert "ILM-0042" in page.locator("dl.facts").inner_text()
    check(page, "claim-confirm", database)
    confirm = page.url
    docs_shot(page, "admin-claim-confirm", database)
    phone_shot(page, "claim-confirm", database)
    lrs_instance.store_statements({
        "actor": {"objectType": "Agent", "name": "Ann Assessor", "mbox": "mailto:ann@centre.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-GB": "voided"}},
        "object": {"objectType": "StatementRef", "id": decisions[-1]},
    }, ann, "1.0.3")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=f"Claim certification of {UNIT}").click()
    assert answer.value.status == 409
    assert page.title().startswith("Error:")
    alert = page.get_by_role("alert").inner_text()
    assert "The unit is not ready to claim; waiting for: assessor acceptance of every criterion." in alert
    assert "Not ready to claim" in main.inner_text()
    check(page, "claim-refused", database)
    docs_shot(page, "admin-claim-refused", database)
    assert units.learner_units(lrs_instance, JO, "ilm-l5-leadership")[0]["claim"] is None

    # The assessor accepts it again: the claim goes through, and the unit is complete for the learner too.
    accept(lrs_instance, ann, rest, U1[-1:])
    page.goto(confirm)
    page.get_by_role("button", name=f"Claim certification of {UNIT}").click()
    assert page.url.startswith(live_server + "/admin/claims")
    assert "Certification is claimed." in main.inner_text()
    assert "No submitted unit is waiting for a claim." in main.inner_text()
    claimed = page.get_by_role("region", name="Claimed lately").get_by_role("row", name=re.compile("^Jo Bloggs"))
    assert UNIT in claimed.inner_text() and "Ada Admin" in claimed.inner_text()
    check(page, "claims-claimed", database)
    (record,) = units.learner_units(lrs_instance, JO, "ilm-l5-leadership")[:1]
    assert record["complete"] is True

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "jo@la.example")
    page.goto(live_server + "/progress")
    assert "Complete: the centre claimed your certificate for this unit on" in page.locator(
        f"details:has(summary:text('{UNIT}:'))").inner_text()


def test_an_admin_who_gives_up_their_own_admin_role_lands_on_their_new_pages(lrs_instance, live_server, page, centre):  # noqa: ANN001, F811
    database = lrs_instance.db.dialect
    make_user(lrs_instance, "bo@centre.example", name="Bo Admin", role="admin", agent_key=None)
    sign_in(page, live_server, STAFF["admin"][0])
    page.get_by_role("link", name="Change Ada Admin’s role and cohorts").click()
    assert "If you choose another role, you leave the administrator’s pages." in page.locator("#role-hint").inner_text()
    page.get_by_label("Role", exact=True).select_option("assessor")
    page.get_by_label(re.compile("^ilm5-2026-north")).check()
    with page.expect_navigation(wait_until="load") as answer:
        page.get_by_role("button", name="Save changes").click()
    assert answer.value.status == 200
    assert page.url.startswith(live_server + "/review")
    assert "you are no longer an administrator" in page.get_by_role("status").inner_text()
    assert page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Evidence to assess").count() == 1
    check(page, "own-role-changed", database)
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, STAFF["admin"][0])["role"] == "assessor"
    assert page.goto(live_server + "/admin").status == 403


def test_the_cohorts_page_names_who_made_each_enrolment(lrs_instance, live_server, page, centre):  # noqa: ANN001, F811
    database = lrs_instance.db.dialect
    lms = make_credential(lrs_instance, [], name="Programme LMS", role="admin")
    enrolment_service.enrol(lrs_instance, lrs_instance.principal_for(lms[0]), "https://centre.example/cohorts/east",
                            JO)
    sign_in(page, live_server, STAFF["admin"][0])
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Cohorts").click()
    page.get_by_label("Cohort", exact=True).fill("https://centre.example/cohorts/west")
    page.get_by_label("Learner").fill(JO)
    page.get_by_role("button", name="Enrol", exact=True).click()
    table = page.get_by_role("region", name="Enrolments")
    west = table.locator("tr", has_text="cohorts/west")
    assert "Jo Bloggs" in west.inner_text() and "Ada Admin" in west.inner_text()
    assert "user:" not in table.inner_text()
    east = table.locator("tr", has_text="cohorts/east")
    assert "Programme LMS (API credential)" in east.inner_text() and lms[0] not in east.inner_text()
    check(page, "enrolments-names", database)
    docs_shot(page, "admin-enrolled-by", database)
