"""The learning API's routes: learner and cohort 70/20/10 summaries, and the learning journal.

Mounted under the /api parent blueprint (lrs.api.api_blueprint), which authenticates. Who may see what:
lrs.services.access (``check_read_summary``, ``check_read_cohort``, ``check_write_journal``).
docs/api.md ("Learning API") documents the requests and the JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from lrs.api.auth import lrs
from lrs.api.bodies import json_body
from lrs.learning import journal, summary
from lrs.services import access
from lrs.xapi import jsontext
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import parse_agent

learning_api = Blueprint("learning", __name__)


def _summary_query() -> summary.SummaryQuery:
    args = request.args
    return summary.parse_query(
        args.get("from"),
        args.get("to"),
        args.get("period"),
        args.get("target"),
        args.get("basis"),
        default_target=lrs().settings.learning_target,
    )


@learning_api.route("/learners/<path:agent>/summary", methods=["GET"])
def learner_summary(agent: str) -> Any:
    key = parse_agent(agent)
    activity = request.args.get("activity") or None
    access.check_read_summary(lrs(), g.principal, key, activity)
    query = _summary_query()
    return jsonify(summary.learner_summary(lrs(), key, query, activity=activity))


@learning_api.route("/cohorts/summary", methods=["GET"])
def cohort_summary() -> Any:
    activity = request.args.get("activity")
    if not activity:
        raise XAPIError(
            "name the cohort or programme: activity=<IRI>", rule="missing-parameter", path="activity"
        )
    access.check_read_cohort(g.principal, activity)
    query = _summary_query()
    learners = request.args.get("learners", "true").lower() not in ("false", "0", "no")
    enrolled_only = access.cohort_summary_enrolled_only(g.principal)
    data = summary.cohort_summary(lrs(), activity, query, learners=learners, enrolled_only=enrolled_only)
    # A programme's answer is ~250 KB of JSON: orjson (lrs.xapi.jsontext) writes the same values in a fifth of
    # the instructions of Flask's json.
    return Response(jsontext.compact(data), mimetype="application/json")


@learning_api.route("/journal", methods=["POST"])
def journal_add() -> Any:
    body = json_body("journal entries")
    principal = g.principal
    entries = journal.parse_entries(body, default_agent_key=access.journal_default_agent(principal))
    for entry in entries:
        access.check_write_journal(principal, entry.agent_key, entry.path("agent"))
    ids = journal.record(lrs(), entries, principal)
    return jsonify({"ids": ids})
