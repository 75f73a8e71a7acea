"""The staff's pages in a real headless Chromium: an assessor refers then accepts a piece of evidence; an IQA
samples and confirms; a lead opens the cohort dashboard and downloads its CSV; an admin adds a participant who
then signs in. Each role is refused the others' pages; axe-core checks every page, at desktop width and 320 px."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import make_credential

from lrs.store import users as user_store

from .conftest import PASSWORD, SHOTS, axe_violations, csrf_from, make_user
from .test_browser import sign_in

ILM5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
NORTH = "https://centre.example/cohorts/ilm5-2026-north"
JO = "mbox:mailto:jo@la.example"

STAFF = {
    "assessor": ("ann@centre.example", "Ann Assessor", "mbox:mailto:ann@centre.example"),
    "iqa": ("ian@centre.example", "Ian Quality", "mbox:mailto:ian@centre.example"),
    "lead": ("lee@centre.example", "Lee Lead", "mbox:mailto:lee@centre.example"),
    "admin": ("ada@centre.example", "Ada Admin", None),
}
#: Each role's own pages; every other role is refused them.
PAGES = {
    "assessor": ["/review"],
    "iqa": ["/sampling", "/sampling/log"],
    "lead": ["/dashboard", "/dashboard.csv"],
    "admin": ["/admin", "/admin/users/1", "/admin/credentials", "/admin/enrolments", "/admin/claims", "/admin/frameworks", "/admin/forwarding", "/admin/system"],
}


def case_package(uri: str, codes: list[str]) -> dict[str, Any]:
    """A small CASE 1.1 package: a document and its top-level items."""
    stamp = "2026-01-01T00:00:00+00:00"

    def ident(value: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, value))

    return {
        "CFDocument": {"identifier": ident(uri), "uri": uri, "creator": "Our council", "title": "Our practice model",
                       "lastChangeDateTime": stamp},
        "CFItems": [{"identifier": ident(f"{uri}/{c}"), "uri": f"{uri}/{c}", "humanCodingScheme": f"OPM {c}",
                     "fullStatement": f"Practice principle {c}", "lastChangeDateTime": stamp} for c in codes],
        "CFAssociations": [
            {"identifier": ident(f"{uri}/a/{c}"), "uri": f"{uri}/associations/{c}", "associationType": "isChildOf",
             "originNodeURI": {"title": f"OPM {c}", "identifier": ident(f"{uri}/{c}"), "uri": f"{uri}/{c}"},
             "destinationNodeURI": {"title": "Our practice model", "identifier": ident(uri), "uri": uri},
             "lastChangeDateTime": stamp}
            for c in codes
        ],
    }


def post_journal(app: Any, credential: tuple[str, str], **entry: Any) -> str:
    auth = "Basic " + base64.b64encode(":".join(credential).encode()).decode()
    body = {
        "what": "Led a team meeting on the new duty rota",
        "mode": "on-the-job",
        "date": "2026-10-01",
        "reflection": {"learned": "Consultation takes longer than I planned.",
                       "impact": "Rota changes now go to the team first."},
        "programme": NORTH,
        "standards": [f"{ILM5}/U1.AC1.1"],
        "evidence_type": "reflective-account",
        **entry,
    }
    response = app.test_client().post("/api/journal", json=body, headers={"Authorization": auth})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["ids"][0]


@pytest.fixture
def centre(lrs_instance: Any, app: Any) -> dict[str, Any]:
    from lrs.store.enrolments import enrol

    for role, (email, name, agent) in STAFF.items():
        make_user(lrs_instance, email, name=name, role=role, agent_key=agent,
                  cohorts=[NORTH] if role != "admin" else None)
    make_user(lrs_instance, "jo@la.example", name="Jo Bloggs", role="participant", agent_key=JO)
    lrs_instance.db.write(lambda conn: enrol(conn, NORTH, JO, enrolled_by="test"))
    jo = make_credential(lrs_instance, [], name="Jo Bloggs", role="participant", agent_key=JO)
    evidence = post_journal(app, jo)
    return {"evidence": evidence, "jo": jo}


def check(page: Any, name: str, database: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"staff-{name}-desktop-{database}.png"), full_page=True)


def docs_shot(page: Any, name: str, database: str, start: str | None = None, end: str | None = None,
              tallest: int = 1000) -> None:
    """A picture for docs/review.md (docs/images/review-<name>.png is the SQLite run's ``docs-review-<name>``):
    the page at 800 px, from the top or from the element ``start`` (a CSS selector) down to the bottom of
    ``end``, at most ``tallest`` px tall."""
    size = page.viewport_size
    page.set_viewport_size({"width": 800, "height": 900})
    try:
        top = page.locator(start).first.bounding_box()["y"] - 16 if start else 0
        bottom = page.locator(end).first.bounding_box() if end else None
        height = (bottom["y"] + bottom["height"] + 16 - top) if bottom else tallest
        full = page.evaluate("document.documentElement.scrollHeight")
        clip = {"x": 0, "y": top, "width": 800, "height": min(height, tallest, full - top)}
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"docs-review-{name}-{database}.png"), full_page=True, clip=clip)
    finally:
        page.set_viewport_size(size)


def test_an_assessor_refers_then_accepts_a_piece_of_evidence(lrs_instance, live_server, page, centre):  # noqa: ANN001
    database = lrs_instance.db.dialect
    sign_in(page, live_server, STAFF["assessor"][0])
    assert page.url == live_server + "/review"  # the assessor's landing page is the queue
    main = page.locator("main")
    assert "1 piece of evidence against a criterion from 1 learner" in main.inner_text()
    check(page, "queue", database)

    page.get_by_role("link", name="Led a team meeting on the new duty rota").click()
    assert "Consultation takes longer than I planned." in main.inner_text()
    assert "Template L5 U1 AC1.1" in main.inner_text()
    check(page, "evidence", database)

    # A mistake first: the errors are told next to the fields, and the summary links to them.
    page.get_by_label("Refer: the learner needs to add to it").check()
    page.get_by_role("button", name="Record decision").click()
    assert page.title().startswith("Error:")
    assert "feedback is needed when you refer" in main.inner_text()
    page.get_by_role("link", name=re.compile("Choose the criterion")).click()
    assert page.evaluate("document.activeElement.id") == "criterion"
    check(page, "evidence-error", database)

    page.get_by_label("Criterion", exact=True).select_option(f"{ILM5}/U1.AC1.1")
    page.get_by_label("Why you decided this").fill("The account names the change but not how the team was involved.")
    page.get_by_label("Feedback to the learner").fill("Say how you involved the team in the decision.")
    page.get_by_role("button", name="Record decision").click()
    assert "Your decision is recorded." in main.inner_text()
    assert "Referred back to the learner for Template L5 U1 AC1.1, by Ann Assessor" in main.inner_text()
    assert "Say how you involved the team in the decision." in main.inner_text()

    page.get_by_label("Criterion", exact=True).select_option(f"{ILM5}/U1.AC1.1")
    page.get_by_label("Accept: the evidence meets the criterion").check()
    page.get_by_label("Why you decided this").fill("After discussion the involvement of the team is clear.")
    page.get_by_role("button", name="Record decision").click()
    decisions = page.locator("ol.decisions").inner_text()
    assert "Referred back to the learner" in decisions and "Accepted for Template L5 U1 AC1.1" in decisions

    # The learner's progress: units by criteria with their status.
    page.get_by_role("link", name="Jo Bloggs’s progress").click()
    row = page.get_by_role("row", name=re.compile("Template L5 U1 AC1.1"))
    assert "Met (accepted)" in row.inner_text()
    check(page, "learner", database)

    # The queue is empty now.
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Evidence to assess").click()
    assert "Nothing is waiting for you." in main.inner_text()


def queue_rows(page: Any) -> list[tuple[str, str]]:
    """(evidence title, criterion code) of each row of the assessor's queue, in the page's order."""
    rows = page.locator("table tbody tr")
    return [(rows.nth(n).locator("td").nth(2).locator("a").inner_text(),
             rows.nth(n).locator("td").nth(3).inner_text().split("\n")[0]) for n in range(rows.count())]


def test_the_assessor_queue_pages_through_the_evidence_with_true_counts(lrs_instance, live_server, page, centre, app):  # noqa: ANN001
    """More than a page waits: 50 rows a page, oldest first, the next page goes on where the first stopped, the
    counts are always the whole queue's, and a filter (kind of evidence) survives the paging links."""
    database = lrs_instance.db.dialect
    u1 = [f"{ILM5}/U1.AC{c}" for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")]
    # Jo's entry of the fixture (1 link), then 12 entries with the six criteria of unit 1 each: 73 links.
    for n in range(12):
        post_journal(app, centre["jo"], what=f"Entry {n:02d}", standards=u1,
                     evidence_type="product" if n in (3, 7) else "reflective-account")
    sign_in(page, live_server, STAFF["assessor"][0])
    main = page.locator("main")
    assert "73 pieces of evidence against a criterion from 1 learner waiting; this page shows 1 to 50" in main.inner_text()
    first = queue_rows(page)
    assert len(first) == 50 and first[0] == ("Led a team meeting on the new duty rota", "Template L5 U1 AC1.1")
    assert page.get_by_role("navigation", name="Pages of evidence to assess").get_by_role(
        "link", name="Previous page").count() == 0
    page.get_by_role("navigation", name="Pages of evidence to assess").get_by_role("link", name="Next page").click()
    assert "73 pieces of evidence against a criterion from 1 learner waiting; this page shows 51 to 73" in main.inner_text()
    second = queue_rows(page)
    # The second page goes on in the same order: every piece of evidence for every criterion once, oldest first.
    expected = [("Led a team meeting on the new duty rota", "Template L5 U1 AC1.1")] + [
        (f"Entry {n:02d}", f"Template L5 U1 AC{c}") for n in range(12) for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")
    ]
    assert first + second == expected
    check(page, "queue-page-2", database)
    page.get_by_role("navigation", name="Pages of evidence to assess").get_by_role("link", name="Previous page").click()
    assert queue_rows(page) == first

    # A filter: only reflective accounts (61 links), and it stays chosen on the next page.
    page.get_by_label("Kind of evidence").select_option("reflective-account")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "61 pieces of evidence against a criterion from 1 learner waiting; this page shows 1 to 50" in main.inner_text()
    page.get_by_role("navigation", name="Pages of evidence to assess").get_by_role("link", name="Next page").click()
    assert "type=reflective-account" in page.url
    assert "61 pieces of evidence against a criterion from 1 learner waiting; this page shows 51 to 61" in main.inner_text()
    assert page.get_by_label("Kind of evidence").input_value() == "reflective-account"
    assert all(not title.startswith(("Entry 03", "Entry 07")) for title, _ in queue_rows(page))
    # And by unit: unit 1 holds them all; the unit's rows are the same 61.
    page.get_by_label("Unit").select_option("Template L5 U1")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "61 pieces of evidence" in main.inner_text()


def signed_in_client(app: Any, email: str) -> Any:
    client = app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    assert client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def table_rows(html: str) -> list[str]:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:] if "<tbody>" in html else []


def test_the_sampling_page_and_log_page_with_true_counts(lrs_instance, centre, app):  # noqa: ANN001
    """The IQA's lists, 50 rows a page: what to sample keeps the most reasons first across its pages, and the log
    the newest first; each says how many there are in all."""
    from lrs.review import service

    u1 = [f"{ILM5}/U1.AC{c}" for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")]
    entries = [post_journal(app, centre["jo"], what=f"Entry {n:02d}", standards=u1) for n in range(10)]
    ann = lrs_instance.principal_for(make_credential(lrs_instance, [], name="Ann Assessor", role="assessor",
                                                     agent_key=STAFF["assessor"][2], cohorts=[NORTH])[0])
    ian = lrs_instance.principal_for(make_credential(lrs_instance, [], name="Ian Quality", role="iqa",
                                                     agent_key=STAFF["iqa"][2], cohorts=[NORTH])[0])
    made = []
    for n, (evidence, criterion) in enumerate([(e, c) for e in entries for c in u1][:56]):
        outcome = "referred" if n % 5 == 0 else "accepted"
        made.append(service.decide(lrs_instance, ann, {
            "evidence": evidence, "criterion": criterion, "outcome": outcome, "rationale": "Judged.",
            **({"feedback": "Add more."} if outcome == "referred" else {})}).statement_id)
    iqa = signed_in_client(app, STAFF["iqa"][0])
    pages = [iqa.get(f"/sampling?page={n}").get_data(as_text=True) for n in (1, 2)]
    assert "56 assessor decisions have not been sampled yet; this page shows 1 to 50." in pages[0]
    assert "56 assessor decisions have not been sampled yet; this page shows 51 to 56." in pages[1]
    rows = [row for html in pages for row in table_rows(html)]
    listed = [re.search(r'href="/sampling/([0-9a-f-]+)"', row).group(1) for row in rows]
    assert len(listed) == 56 and set(listed) == set(made)
    reasons = [row.count("<li>") for row in rows]
    assert reasons == sorted(reasons, reverse=True) and reasons[0] > reasons[-1]
    assert 'rel="next"' in pages[0] and 'rel="prev"' in pages[1] and 'rel="next"' not in pages[1]

    for decision in made[:51]:
        service.decide(lrs_instance, ian, {"decision": decision, "outcome": "confirmed", "rationale": "Agreed."})
    log = [iqa.get(f"/sampling/log?page={n}").get_data(as_text=True) for n in (1, 2)]
    assert "51 sampling decisions, the newest first; this page shows 1 to 50." in log[0]
    assert "51 sampling decisions, the newest first; this page shows 51 to 51." in log[1]
    assert [len(table_rows(html)) for html in log] == [50, 1]
    # The oldest sample, on the first decision made (Entry 00, AC1.1), is the last row of the last page.
    assert f"/review/evidence/{entries[0]}" in table_rows(log[1])[0] and "AC1.1" in table_rows(log[1])[0]
    assert "5 assessor decisions have not been sampled yet." in iqa.get("/sampling").get_data(as_text=True)


def test_an_attachment_is_shown_in_the_page_and_downloadable(lrs_instance, live_server, page, centre, app):  # noqa: ANN001
    """A picture the learner attached shows in the evidence page, through the access-checked route."""
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    evidence = post_journal(app, centre["jo"], what="Drew the team's new rota",
                            attachments=[{"name": "rota.png", "content_type": "image/png",
                                          "content_base64": base64.b64encode(png).decode()}])
    sign_in(page, live_server, STAFF["assessor"][0])
    page.goto(f"{live_server}/review/evidence/{evidence}")
    image = page.get_by_role("img", name="rota.png")
    assert image.count() == 1
    src = image.get_attribute("src")
    assert page.evaluate("document.querySelector('.attachment-image').naturalWidth") == 1
    answer = page.request.get(live_server + image.get_attribute("src"))
    assert answer.status == 200 and answer.body() == png
    assert answer.headers["content-disposition"].startswith("inline")
    download = page.request.get(live_server + image.get_attribute("src") + "?download=1")
    assert download.headers["content-disposition"].startswith("attachment")
    check(page, "evidence-attachment", lrs_instance.db.dialect)
    # Another assessor's cohort: refused.
    make_user(lrs_instance, "bob@centre.example", name="Bob", role="assessor", agent_key="mbox:mailto:bob@c.example",
              cohorts=["https://centre.example/cohorts/south"])
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "bob@centre.example")
    assert page.request.get(live_server + src).status == 403


def test_an_iqa_samples_and_confirms(lrs_instance, live_server, page, centre, app):  # noqa: ANN001
    from lrs.review import service

    database = lrs_instance.db.dialect
    ann = make_credential(lrs_instance, [], name="Ann Assessor", role="assessor",
                          agent_key=STAFF["assessor"][2], cohorts=[NORTH])
    principal = lrs_instance.principal_for(ann[0])
    decision = service.decide(lrs_instance, principal, {
        "evidence": centre["evidence"], "criterion": f"{ILM5}/U1.AC1.1", "outcome": "accepted",
        "rationale": "Meets the criterion: the account shows consultation.",
    })
    sign_in(page, live_server, STAFF["iqa"][0])
    assert page.url == live_server + "/sampling"
    main = page.locator("main")
    row = page.get_by_role("row", name=re.compile("Jo Bloggs"))
    assert "A new assessor" in row.inner_text() and "A unit not sampled yet" in row.inner_text()
    check(page, "sampling", database)

    row.get_by_role("link").click()
    assert "Meets the criterion: the account shows consultation." in main.inner_text()
    page.get_by_label("Raise an action for the assessor").check()
    page.get_by_role("button", name="Record sampling decision").click()
    assert "an action is needed when you raise one" in main.inner_text()
    check(page, "sample-error", database)
    page.get_by_label("Confirm the assessor’s decision").check()
    page.get_by_label("Why you decided this").fill("The evidence and the judgement agree.")
    page.get_by_role("button", name="Record sampling decision").click()
    assert page.url.startswith(live_server + "/sampling/log")
    assert "Confirmed by the quality assurer" in main.inner_text()
    assert "The evidence and the judgement agree." in main.inner_text()
    check(page, "sampling-log", database)
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="What to sample").click()
    assert "Nothing is waiting to be sampled." in main.inner_text()
    assert decision.statement_id


def test_a_lead_opens_the_dashboard_and_downloads_its_csv(lrs_instance, live_server, page, centre, app):  # noqa: ANN001
    from lrs.review import service
    from lrs.store.enrolments import enrol

    database = lrs_instance.db.dialect
    # Jo's evidence is accepted for one criterion of unit 1: one unit in progress, one criterion met.
    ann = make_credential(lrs_instance, [], name="Ann Assessor", role="assessor",
                          agent_key=STAFF["assessor"][2], cohorts=[NORTH])
    service.decide(lrs_instance, lrs_instance.principal_for(ann[0]), {
        "evidence": centre["evidence"], "criterion": f"{ILM5}/U1.AC1.1", "outcome": "accepted",
        "rationale": "Meets the criterion: the account shows consultation."})
    # A learner with nothing recorded is at risk, and a name a spreadsheet would run is neutralised.
    lrs_instance.db.write(lambda conn: enrol(conn, NORTH, "mbox:mailto:sam@la.example", enrolled_by="test"))
    make_user(lrs_instance, "sam@la.example", name="=HYPERLINK(\"x\")", role="participant",
              agent_key="mbox:mailto:sam@la.example")
    sign_in(page, live_server, STAFF["lead"][0])
    assert page.url == live_server + "/dashboard"
    main = page.locator("main")
    text = main.inner_text()
    assert "2 learners in ilm5-2026-north" in text
    assert "recorded no learning for 4 weeks or more" in text  # LRS_AT_RISK_WEEKS's default
    assert page.get_by_role("img", name=re.compile("month by month")).count() == 1
    assert page.get_by_role("table", name="Share of each kind of learning per month").count() == 1
    # Each learner's unit progress in the cohort's qualification.
    learners = page.get_by_role("region", name="Each learner")
    assert "Unit progress is towards Centre template: Level 5" in text
    jo = learners.get_by_role("row", name=re.compile("^Jo Bloggs"))
    assert "0 of 3 units complete, 1 in progress, 2 not started" in jo.inner_text()
    assert "1 of 16 criteria met" in jo.inner_text()
    sam = learners.get_by_role("row", name=re.compile("HYPERLINK"))
    assert "0 of 3 units complete, 0 in progress, 3 not started" in sam.inner_text()
    assert "0 of 16 criteria met" in sam.inner_text()
    check(page, "dashboard", database)
    docs_shot(page, "dashboard", database)
    docs_shot(page, "dashboard-learners", database, start="h2:text('Each learner')", end="[aria-label='Each learner']")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this dashboard (CSV file)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["learner", "agent", "last activity"]
    names = {r[0]: r for r in rows[1:]}
    assert "Jo Bloggs" in names and names["Jo Bloggs"][4] == "100"
    assert "'=HYPERLINK(\"x\")" in names
    progress = {h: names["Jo Bloggs"][i] for i, h in enumerate(rows[0]) if h.startswith("ilm-l5-leadership ")}
    assert progress == {"ilm-l5-leadership units complete": "0", "ilm-l5-leadership units in progress": "1",
                        "ilm-l5-leadership units not started": "2", "ilm-l5-leadership criteria met": "1",
                        "ilm-l5-leadership criteria": "16"}

    # Coverage of a framework's headings, learners by headings: Jo has evidence for one ILM criterion.
    assert page.get_by_role("region", name=re.compile("^Coverage of")).count() == 1
    page.get_by_label("Framework").select_option("ilm-l5-leadership")
    with page.expect_navigation():  # the form is a GET: read the grid of the page it loads, not the one before
        page.get_by_role("button", name="Show").nth(1).click()
    grid = page.get_by_role("region", name=re.compile("^Coverage of"))
    jo = grid.get_by_role("row", name=re.compile("^Jo Bloggs"))
    assert [c for c in jo.locator("td").all_inner_texts() if c != "–"] == ["1"]
    assert "1 of 2" in grid.get_by_role("row", name=re.compile("^Learners with evidence")).inner_text()
    check(page, "dashboard-coverage", database)


def test_an_admin_adds_a_participant_who_then_signs_in(lrs_instance, live_server, page, centre):  # noqa: ANN001
    database = lrs_instance.db.dialect
    sign_in(page, live_server, STAFF["admin"][0])
    assert page.url == live_server + "/admin"
    main = page.locator("main")
    check(page, "admin", database)
    docs_shot(page, "admin-people", database)
    page.get_by_role("button", name="Add person").click()
    assert "Enter the person's name." in main.inner_text()
    check(page, "admin-error", database)
    page.get_by_label("Name", exact=True).fill("Pat New")
    page.get_by_label("Email").fill("pat@la.example")
    page.get_by_label("Role", exact=True).select_option("participant")
    page.get_by_role("button", name="Add person").click()
    link = page.locator("code.link-to-send").inner_text()
    assert "/reset/" in link
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="System").click()
    assert "Statements stored" in main.inner_text()
    check(page, "system", database)
    docs_shot(page, "admin-system", database, tallest=1400)
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Cohorts").click()
    check(page, "enrolments", database)
    docs_shot(page, "admin-cohorts", database)

    # An API credential: its secret is shown once, and it works until it is revoked.
    nav = page.get_by_role("navigation", name="Your pages")
    nav.get_by_role("link", name="API credentials").click()
    page.get_by_label("Name", exact=True).fill("Moodle")
    page.get_by_role("button", name="Add credential").click()
    key, secret = [c.inner_text() for c in page.locator(".notice code").all()]
    check(page, "credentials", database)
    docs_shot(page, "admin-credentials", database)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3"}
    assert page.request.get(live_server + "/xapi/statements", headers=auth).status == 200
    page.goto(live_server + "/admin/credentials")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke Moodle").click()
    assert page.request.get(live_server + "/xapi/statements", headers=auth).status == 401

    # A CASE package imported from a file.
    nav.get_by_role("link", name="Frameworks").click()
    package = case_package("https://council.example/frameworks/our-practice-model", ["1", "2"])
    page.get_by_label("CASE package (JSON file)").set_input_files(
        files=[{"name": "opm.json", "mimeType": "application/json", "buffer": json.dumps(package).encode()}])
    page.get_by_role("button", name="Import").click()
    assert main.inner_text().count("Our practice model is imported: 2 items.") == 1  # said once
    assert page.get_by_role("row", name=re.compile("Our practice model")).count() == 1
    check(page, "frameworks", database)
    docs_shot(page, "admin-frameworks", database)
    page.get_by_role("button", name="Sign out").click()

    page.goto(link)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the new password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    sign_in(page, live_server, "pat@la.example")
    assert "Signed in as Pat New" in page.locator("header").inner_text()


SOUTH = "https://centre.example/cohorts/ilm5-2026-south"


def test_an_admin_changes_a_persons_role_and_cohorts_and_they_see_it(lrs_instance, live_server, page, browser, centre):  # noqa: ANN001
    database = lrs_instance.db.dialect
    sign_in(page, live_server, STAFF["admin"][0])
    main = page.locator("main")
    page.get_by_role("link", name="Change Jo Bloggs’s role and cohorts").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Jo Bloggs"
    assert "ilm5-2026-north" in page.get_by_role("region", name="Learner in").inner_text()
    check(page, "admin-user", database)

    # Jo learns in north: making her its assessor is refused, in plain words, and nothing changes.
    page.get_by_label("Role", exact=True).select_option("assessor")
    page.get_by_role("group", name="Cohorts they assess, quality-assure or lead").get_by_label(
        re.compile("^ilm5-2026-north")).check()
    page.get_by_role("button", name="Save changes").click()
    assert page.title().startswith("Error:")
    error = page.locator("#cohorts-error").inner_text()
    assert f"This person is a learner in {NORTH}, and a person is not learner and reviewer in the same cohort." in error
    assert "Take them out of that cohort’s learners first, or choose another cohort." in error
    assert page.get_by_role("alert").get_by_role("link").count() == 1
    check(page, "admin-user-error", database)
    docs_shot(page, "admin-person-refused", database, end="#account ~ form button", tallest=1600)
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, "jo@la.example")["role"] == "participant"

    # Assessor of south instead (a cohort not known yet: typed in): saved.
    page.get_by_label(re.compile("^ilm5-2026-north")).uncheck()
    page.get_by_label("Another cohort (its web address, IRI)").fill(SOUTH)
    page.get_by_role("button", name="Save changes").click()
    assert main.inner_text().count("The account is changed.") == 1
    assert page.get_by_label(re.compile("^ilm5-2026-south")).is_checked()
    with lrs_instance.db.read() as conn:
        jo = user_store.user_by_email(conn, "jo@la.example")
    assert (jo["role"], jo["cohorts"]) == ("assessor", [SOUTH])
    check(page, "admin-user-changed", database)

    # The same rule from the other side: enrolling her as a learner of south, which she now assesses.
    page.get_by_label("Enrol in").select_option(SOUTH)
    page.get_by_role("button", name="Enrol").click()
    error = page.locator("#enrol-cohort-error").inner_text()
    assert "A reviewer or lead of a cohort is never one of its learners." in error
    check(page, "admin-user-enrol-error", database)

    # She signs in (her own browser) and sees the assessor's pages for south.
    theirs = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768}).new_page()
    try:
        sign_in(theirs, live_server, "jo@la.example")
        assert theirs.url == live_server + "/review"
        assert theirs.get_by_label("Cohort").locator("option", has_text="ilm5-2026-south").count() == 1
        assert theirs.goto(live_server + "/").status == 200
        assert theirs.goto(live_server + "/review").status == 200
        # Taken out of north as a learner: the admin removes the enrolment.
        page.get_by_role("button", name="Remove from ilm5-2026-north").click()
        assert "They are no longer a learner in that cohort." in main.inner_text()
        assert page.get_by_role("button", name="Remove from ilm5-2026-north").count() == 0
        # Back to a participant: her next page is the participant's, and the assessor's is refused.
        page.get_by_label("Role", exact=True).select_option("participant")
        page.get_by_role("button", name="Save changes").click()
        assert "The account is changed." in main.inner_text()
        assert theirs.goto(live_server + "/review").status == 403
        assert "Signed in as Jo Bloggs" in theirs.locator("header").inner_text()
    finally:
        theirs.context.close()

    # An administrator cannot take away their own role while no one else is one.
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Change Ada Admin’s role and cohorts").click()
    page.get_by_label("Role", exact=True).select_option("lead")
    page.get_by_role("button", name="Save changes").click()
    assert "Ada Admin is the only administrator" in page.locator("#role-error").inner_text()
    check(page, "admin-user-last-admin", database)
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, STAFF["admin"][0])["role"] == "admin"


@pytest.mark.parametrize("role", ["assessor", "iqa", "lead", "participant"])
def test_only_an_admin_may_change_an_account(lrs_instance, live_server, page, centre, role):  # noqa: ANN001
    email = STAFF[role][0] if role in STAFF else "jo@la.example"
    sign_in(page, live_server, email)
    token = csrf_from(page.content())
    with lrs_instance.db.read() as conn:
        jo = user_store.user_by_email(conn, "jo@la.example")
    assert page.goto(f"{live_server}/admin/users/{jo['id']}").status == 403
    changed = page.request.post(f"{live_server}/admin/users/{jo['id']}", form={
        "csrf_token": token, "name": "Jo", "role": "admin", "agent": "", "cohorts": ""})
    enrolled = page.request.post(f"{live_server}/admin/users/{jo['id']}/enrolments", form={
        "csrf_token": token, "action": "unenrol", "other": NORTH})
    assert (changed.status, enrolled.status) == (403, 403)
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, "jo@la.example")["role"] == "participant"
        assert user_store.learner_cohorts(conn, JO) == [NORTH]


def test_an_admin_manages_forwarding_targets_and_replays_failed_deliveries(lrs_instance, live_server, page, centre):  # noqa: ANN001
    from lrs.services import forwarding

    database = lrs_instance.db.dialect
    sign_in(page, live_server, STAFF["admin"][0])
    page.get_by_role("navigation", name="Your pages").get_by_role("link", name="Forwarding").click()
    assert page.url == live_server + "/admin/forwarding"
    main = page.locator("main")
    assert "No targets" in main.inner_text()

    # A bad URL: the service's refusal is shown next to the URL field, and nothing is added.
    page.get_by_label("Name", exact=True).fill("Bad hook")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("URL").fill("ftp://files.example/in")
    page.get_by_role("button", name="Add target").click()
    assert "The URL must be an http(s) URL." in page.locator("#url-error").inner_text()
    assert page.get_by_label("URL").get_attribute("aria-invalid") == "true"
    check(page, "forwarding-error", database)
    assert forwarding.list_targets(lrs_instance) == []

    # A webhook: its secret is shown once, and it is listed.
    page.get_by_label("Name", exact=True).fill("Council/hook")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("URL").fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Add target").click()
    secret = page.locator(".notice code").inner_text()
    assert len(secret) >= 32
    row = page.get_by_role("row", name="Council/hook")
    assert "Webhook" in row.inner_text() and "http://127.0.0.1:9/hook" in row.inner_text()
    assert "Every statement" in row.inner_text()
    page.goto(live_server + "/admin/forwarding")
    assert secret not in page.content()
    assert page.get_by_role("row", name="Council/hook").count() == 1

    # A failed delivery (nothing listens on port 9): it is listed, and Replay queues it again.
    lrs_instance.db.write(lambda conn: forwarding.store.enqueue_existing(
        conn, forwarding.store.get_target(conn, "Council/hook")["id"], after_seq=0, now=forwarding.now_utc()))
    queued = forwarding.list_targets(lrs_instance)[0]["pending"]
    assert queued >= 1
    # One sender for the whole test: it holds the delivery lease, which a second one would wait 30 s for.
    sender = forwarding.Sender(lrs_instance, max_attempts=1, timeout=2)
    sender.run_once()
    dead = forwarding.dead_letters(lrs_instance, "Council/hook")
    assert dead and dead[0]["statement_id"] == centre["evidence"]
    page.goto(live_server + "/admin/forwarding")
    failed = page.get_by_role("region", name="Failed deliveries")
    assert centre["evidence"] in failed.inner_text()
    check(page, "forwarding", database)
    page.get_by_role("button", name=f"Replay {centre['evidence']}").click()
    assert "Queued again" in main.inner_text()
    assert forwarding.dead_letters(lrs_instance) == []
    assert next(t for t in forwarding.list_targets(lrs_instance) if t["name"] == "Council/hook")["pending"] == queued

    # Replay all of a target's: fail them again, then one button queues every one.
    sender.run_once()
    sender.release()
    sender.client.close()
    assert len(forwarding.dead_letters(lrs_instance)) == queued
    page.goto(live_server + "/admin/forwarding")
    page.get_by_role("button", name="Replay all failed for Council/hook").click()
    assert forwarding.dead_letters(lrs_instance) == []
    assert "None: every statement" in main.inner_text()

    # Removed: gone from the page and from the service.
    page.get_by_role("button", name="Remove Council/hook").click()
    assert main.inner_text().count("The target is removed.") == 1
    assert page.get_by_role("row", name="Council/hook").count() == 0
    assert forwarding.list_targets(lrs_instance) == []


@pytest.mark.parametrize("role", list(STAFF))
def test_each_role_is_refused_the_other_roles_pages(lrs_instance, live_server, page, centre, role):  # noqa: ANN001
    sign_in(page, live_server, STAFF[role][0])
    for other, paths in PAGES.items():
        for path in paths + [f"/review/evidence/{centre['evidence']}"] * (other == "assessor"):
            allowed = other == role or (path.startswith("/review/evidence") and role in ("iqa", "admin"))
            if allowed and path.endswith(".csv"):
                assert page.request.get(live_server + path).status == 200
                continue
            answer = page.goto(live_server + path)
            allowed = other == role or (path.startswith("/review/evidence") and role in ("iqa", "admin"))
            assert (answer.status == 200) == allowed, (role, path, answer.status)
            if not allowed:
                assert answer.status == 403
                assert "You cannot see this page" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_a_participant_is_refused_every_staff_page(lrs_instance, live_server, page, centre):  # noqa: ANN001
    sign_in(page, live_server, "jo@la.example")
    for path in [p for paths in PAGES.values() for p in paths] + [f"/review/evidence/{centre['evidence']}"]:
        assert page.goto(live_server + path).status == 403, path


@pytest.mark.parametrize("role", list(STAFF))
def test_each_staff_page_fits_320_pixels(lrs_instance, live_server, browser, centre, role):  # noqa: ANN001
    context = browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, STAFF[role][0])
        extra = {"assessor": [f"/review/evidence/{centre['evidence']}", f"/review/learners/{JO}"]}.get(role, [])
        for path in [p for p in PAGES[role] if not p.endswith(".csv")] + extra:
            page.goto(live_server + path)
            too_wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321"
                " && !e.parentElement.closest('.table-scroll')).slice(0, 3).map(e => e.outerHTML.slice(0, 120))"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, (path, too_wide)
            assert axe_violations(page) == [], path
            SHOTS.mkdir(parents=True, exist_ok=True)
            name = "-".join(path.strip("/").split("/")[:2])
            page.screenshot(path=str(SHOTS / f"staff-{role}-{name}-320-{lrs_instance.db.dialect}.png"), full_page=True)
    finally:
        context.close()
