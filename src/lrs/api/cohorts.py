"""Cohort enrolments: ``GET/POST /api/cohorts/<cohort>/learners`` and ``DELETE /api/cohorts/<cohort>/learners``;
and the programme lead's dashboard data: ``GET /api/cohorts/dashboard?cohort=<IRI>``.

An admin or the cohort's lead enrols and unenrols; an admin, or the cohort's assessor, IQA or lead, lists; the
cohort's lead or an admin reads the dashboard (lrs.services.dashboard, what the lead's page shows).
Who may: lrs.services.access. docs/api.md ("Cohorts") documents the requests.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from lrs.api.auth import lrs
from lrs.api.bodies import json_body
from lrs.services import dashboard, enrolments
from lrs.xapi import jsontext
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import parse_agent

cohorts_api = Blueprint("cohorts", __name__)


def _learner() -> str:
    """The learner of a POST (body ``{"agent": IFI}``) or a DELETE (``?agent=IFI``)."""
    if request.method == "DELETE":
        value = request.args.get("agent")
    else:
        body = json_body("an enrolment")
        value = body.get("agent") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise XAPIError("name the learner: agent=<IFI>, e.g. mailto:jo@la.example", rule="required", path="agent")
    return parse_agent(value)


@cohorts_api.route("/cohorts/dashboard", methods=["GET"])
def cohort_dashboard() -> Any:
    data = dashboard.cohort_dashboard(lrs(), g.principal, request.args.get("cohort"))
    # 500 learners are ~200 KB of JSON: orjson (lrs.xapi.jsontext) writes the same values in a fraction of the
    # instructions of Flask's json, as GET /api/cohorts/summary does.
    return Response(jsontext.compact(dashboard.as_json(data)), mimetype="application/json")


@cohorts_api.route("/cohorts/<path:cohort>/learners", methods=["GET"])
def list_learners(cohort: str) -> Any:
    return jsonify({"cohort": cohort, "learners": enrolments.learners(lrs(), g.principal, cohort)})


@cohorts_api.route("/cohorts/<path:cohort>/learners", methods=["POST"])
def enrol_learner(cohort: str) -> Any:
    learner = _learner()
    body = json_body("an enrolment")
    number = body.get("registration_number")
    if number is not None and (not isinstance(number, str) or not number.strip() or len(number.strip()) > 64):
        raise XAPIError("registration_number is the learner's awarding-body registration number, 1 to 64 characters",
                        rule="invalid-registration", path="registration_number")
    created = enrolments.enrol(lrs(), g.principal, cohort, learner)
    answer: dict[str, Any] = {"cohort": cohort, "enrolled": created}
    if number is not None:
        # The number the centre registered the learner under with the awarding body (issue 20), shown on the
        # portfolio cover and in the EQA pack; `lrs review registration` sets it from the command line.
        from lrs.review import units

        units.set_registration_number(lrs(), learner, number)
        answer["registration_number"] = number.strip()
    return jsonify(answer), 201 if created else 200


@cohorts_api.route("/cohorts/<path:cohort>/learners", methods=["DELETE"])
def unenrol_learner(cohort: str) -> Any:
    if not enrolments.unenrol(lrs(), g.principal, cohort, _learner()):
        raise XAPIError("that agent is not enrolled in this cohort", status=404, rule="not-enrolled", path="agent")
    return "", 204
