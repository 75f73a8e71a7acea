"""Assessment: ``/api/reviews`` (decide, the queue) and ``/api/learners/{agent}/progress``.

Role rules: lrs.services.access. docs/review.md walks through the workflow; docs/api.md lists the requests.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from lrs.api.auth import lrs
from lrs.api.bodies import json_body
from lrs.review import eqa, observations, service, units, witness
from lrs.services import access
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import parse_agent

reviews_api = Blueprint("reviews", __name__)

MAX_PAGE = 500



def _int(name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise XAPIError(f"{name} is a whole number", rule="invalid-parameter", path=name) from None
    if not low <= value <= high:
        raise XAPIError(f"{name} is between {low} and {high}", rule="invalid-parameter", path=name)
    return value


@reviews_api.route("/reviews", methods=["POST"])
def post_decision() -> Any:
    decision = service.decide(lrs(), g.principal, json_body("a decision"))
    return service.decision_view(decision), 201


@reviews_api.route("/reviews/queue", methods=["GET"])
def review_queue() -> Any:
    return service.queue(
        lrs(),
        g.principal,
        cohort=request.args.get("cohort") or None,
        framework=request.args.get("framework") or None,
        role=request.args.get("role") or None,
        limit=_int("limit", 50, low=1, high=MAX_PAGE),
        offset=_int("offset", 0, low=0, high=10**9),
    )


@reviews_api.route("/learners/<path:agent>/progress", methods=["GET"])
def learner_progress(agent: str) -> Any:
    framework = request.args.get("framework")
    if not framework:
        raise XAPIError("progress needs a framework (its slug or URI)", rule="required", path="framework")
    key = parse_agent(agent)
    access.check_read_learner(lrs(), g.principal, key, what="progress")
    return service.progress(lrs(), key, framework)


# --- sampling plan, unit submissions, certification claims, the EQA pack -------------------------------------


@reviews_api.route("/reviews/sampling-plan", methods=["GET"])
def get_sampling_plan() -> Any:
    access.check_queue(g.principal)
    return units.current_plan(lrs())


@reviews_api.route("/reviews/sampling-plan", methods=["PUT", "POST"])
def put_sampling_plan() -> Any:
    return units.adopt_plan(lrs(), g.principal, json_body("a sampling plan")), 201


@reviews_api.route("/units/submissions", methods=["POST"])
def post_unit_submission() -> Any:
    return units.submit_unit(lrs(), g.principal, json_body("a unit submission")), 201


@reviews_api.route("/units/claims", methods=["POST"])
def post_unit_claim() -> Any:
    return units.claim_unit(lrs(), g.principal, json_body("a certification claim")), 201


@reviews_api.route("/learners/<path:agent>/units", methods=["GET"])
def learner_units(agent: str) -> Any:
    framework = request.args.get("framework")
    if not framework:
        raise XAPIError("units need a framework (its slug or URI)", rule="required", path="framework")
    key = parse_agent(agent)
    access.check_read_learner(lrs(), g.principal, key, what="progress")
    return {"agent": key, "units": units.learner_units(lrs(), key, framework)}


@reviews_api.route("/reviews/eqa-pack", methods=["GET"])
def eqa_pack() -> Any:
    data = eqa.eqa_data(lrs(), g.principal, cohort=eqa.check_cohort(request.args.get("cohort")))
    return Response(
        eqa.eqa_zip(data),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{eqa.filename(data)}"'},
    )


@reviews_api.route("/witness-requests", methods=["POST"])
def post_witness_request() -> Any:
    """A one-time link for the witness of a piece of evidence (the learner's or their assessor's request)."""
    return witness.create_request(lrs(), g.principal, json_body("a witness request")), 201


@reviews_api.route("/observations", methods=["POST"])
def post_observation() -> Any:
    """An assessor records an observation of, or professional discussion with, a learner (their evidence)."""
    return observations.record(lrs(), g.principal, json_body("an observation")), 201
