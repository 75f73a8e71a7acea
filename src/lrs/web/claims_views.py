"""The centre's certification claims in the pages: the units learners have submitted and the centre has not
claimed yet, each with whether it is ready; a confirmation page for one unit; the claim itself.

Only a centre admin claims (lrs.services.access.check_centre_admin, which lrs.review.units asks). The claim goes
through lrs.review.units.claim_unit, as ``POST /api/units/claims`` and ``lrs review claim`` do; its refusals
(not ready, claimed already) are shown on the confirmation page in the service's words.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from lrs.review import units as certification
from lrs.review.sampling import DECLARATION
from lrs.services import access
from lrs.store import assessment as unit_store
from lrs.store import users as user_store
from lrs.web import sessions
from lrs.web.staff_views import for_roles
from lrs.web.views import pages
from lrs.xapi.errors import Forbidden, NotFound, XAPIError

NOTICES = {"claimed": "Certification is claimed. The learner’s portfolio now carries the unit’s credential."}
#: What to do next, after a refusal's own words.
HINTS = {
    "unit-not-ready": " Something changed since the page was opened: nothing is claimed. Claim it when nothing is "
                      "left to wait for (below).",
    "unit-claimed": " Nothing more to do for this unit.",
}


def _lrs():  # noqa: ANN202
    return sessions.lrs()


def _learners(keys: set[str]) -> dict[str, dict[str, str]]:
    """Agent key -> the learner's name (their account's, else the address) and registration number."""
    with _lrs().db.read() as conn:
        names = user_store.names_for_agents(conn, keys)
        numbers = unit_store.registration_numbers(conn, keys)
    return {k: {"name": names.get(k) or k.split(":", 2)[-1], "registration": numbers.get(k, "")} for k in keys}


def _makers(keys: set[str]) -> dict[str, str]:
    with _lrs().db.read() as conn:
        found = user_store.names_for_makers(conn, keys)
    return {k: (found[k]["name"] if k in found else k or "the command line") for k in keys}


@pages.get("/admin/claims")
@for_roles(access.ADMIN)
def admin_claims():  # noqa: ANN201
    """Units submitted and not claimed yet (ready ones first), and the latest claims."""
    waiting = certification.units_to_claim(_lrs(), g.principal)
    waiting.sort(key=lambda w: (bool(w["waiting_for"]), w["submitted"]))
    claimed = certification.claimed_lately(_lrs(), g.principal)
    people = _learners({w["learner"] for w in waiting} | {c["agent_key"] for c in claimed})
    makers = _makers({c["claimed_by"] for c in claimed})
    return render_template(
        "staff/claims.html", waiting=waiting, claimed=claimed, people=people, makers=makers,
        ready=sum(1 for w in waiting if not w["waiting_for"]),
        notice=NOTICES.get(request.args.get("notice", "")),
    )


def _confirm_page(body: dict[str, str], errors: dict[str, str] | None = None, status: int = 200):  # noqa: ANN202
    try:
        unit = certification.claim_preview(_lrs(), g.principal, body)
    except (Forbidden, NotFound):
        raise
    except XAPIError as exc:  # a link that names no learner, or not a learner's address
        message = f"This claim cannot be opened: {exc.message}. Choose the unit on the claims page."
        return render_template("error.html", message=message), 400
    person = _learners({unit["learner"]})[unit["learner"]]
    claimed_by = ""
    if unit["claim"]:
        by = unit["claim"]["by"] or {}
        claimed_by = by.get("name") or "the centre"
    return render_template(
        "staff/claim_confirm.html", unit=unit, person=person, errors=errors or {}, claimed_by=claimed_by,
        body=body, declaration=DECLARATION,
    ), status


def _body(values: Any) -> dict[str, str]:  # noqa: ANN401
    return {name: (values.get(name) or "").strip() for name in ("learner", "framework", "unit")}


@pages.get("/admin/claims/confirm")
@for_roles(access.ADMIN)
def admin_claim_confirm():  # noqa: ANN201
    """One unit: what the claim rests on (submissions, assessment, sampling) and the button to claim it."""
    return _confirm_page(_body(request.args))


@pages.post("/admin/claims")
@for_roles(access.ADMIN)
def admin_claim():  # noqa: ANN201
    body = _body(request.form)
    try:
        certification.claim_unit(_lrs(), g.principal, body)
    except (Forbidden, NotFound):
        raise
    except XAPIError as exc:
        message = exc.message[:1].upper() + exc.message[1:].rstrip(".") + "." + HINTS.get(exc.rule, "")
        return _confirm_page(body, {"form": message}, status=exc.status)
    return redirect(url_for("pages.admin_claims", notice="claimed"))
