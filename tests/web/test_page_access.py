"""Every staff page refuses every role it is not for, GET and POST alike: read from the app's own routes, so a
new page is checked without being listed here (the browser tests walk what each role may do)."""

from __future__ import annotations

import re

import pytest

from lrs.services import access

from .conftest import PASSWORD, csrf_from, make_user

NORTH = "https://centre.example/cohorts/north"
#: A value for each path parameter: the role check comes before anything is looked up.
PARAMS = {
    "user_id": "1",
    "statement_id": "00000000-0000-4000-8000-000000000000",
    "sha2": "ab" * 32,
    "agent": "mbox:mailto:jo@la.example",
    "key": "k",
    "action": "revoke",
    "decision_id": "00000000-0000-4000-8000-000000000000",
}


def staff_pages(app):  # noqa: ANN001, ANN201
    for rule in app.url_map.iter_rules():
        roles = getattr(app.view_functions[rule.endpoint], "roles", None)
        if roles is not None:
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: PARAMS[m.group(1)], rule.rule)
            yield path, sorted(rule.methods - {"HEAD", "OPTIONS"}), set(roles)


@pytest.mark.parametrize("role", ["participant", *access.COHORT_ROLES, access.ADMIN])
def test_every_staff_page_refuses_the_roles_it_is_not_for(lrs_instance, app, role):  # noqa: ANN001
    make_user(
        lrs_instance,
        f"{role}@centre.example",
        name=role.title(),
        role=role,
        agent_key=f"mbox:mailto:{role}@centre.example",
        cohorts=[NORTH] if role in access.COHORT_ROLES else None,
    )
    client = app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    signed = client.post(
        "/sign-in", data={"email": f"{role}@centre.example", "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 302
    token = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))  # the sign-out form's
    pages = list(staff_pages(app))
    assert {"/admin/users/1", "/dashboard", "/review", "/sampling"} <= {p for p, _, _ in pages}
    # The certification pages: the centre's claims (admins) and the learner's unit submission (participants).
    found = {(p, m) for p, methods, _ in pages for m in methods}
    assert {("/admin/claims", "GET"), ("/admin/claims", "POST"), ("/admin/claims/confirm", "GET"),
            ("/progress/submit", "POST")} <= found
    checked = 0
    for path, methods, roles in pages:
        if role in roles:
            continue
        for method in methods:
            answer = client.open(
                path, method=method, data={"csrf_token": token} if method == "POST" else None
            )
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            checked += 1
    assert checked > 0


def test_every_staff_page_names_its_roles(app):  # noqa: ANN001
    """A page of lrs.web.staff_views or lrs.web.claims_views without for_roles would be open to every signed-in
    person."""
    unguarded = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if view.__module__ in ("lrs.web.staff_views", "lrs.web.claims_views") and getattr(view, "roles", None) is None
    ]
    assert unguarded == []
