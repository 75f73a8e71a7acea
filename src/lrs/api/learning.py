"""The /api learning endpoints: learner and cohort 70/20/10 summaries, and the learning journal.

HTTP Basic with the same credentials as /xapi (no version header). Who may see what:

- a credential with role "participant" is bound to one agent (credentials.agent_key): it sees and writes only
  that agent's summary and journal, whatever its scopes say, and no cohort summary;
- role "assessor" or "iqa": summaries within its cohorts only (cohort summary of one of them; a learner's
  summary with ``activity=`` one of them); no journal writes;
- role "admin", or the ``all`` scope: anyone, read and write;
- otherwise (an xAPI client credential): summaries when it may read every statement (``statements/read`` or
  ``all/read``), journal entries for any learner when it may write statements (``statements/write``).

docs/api.md ("Learning API") documents the requests and the JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from lrs.api.auth import authenticate_request, lrs
from lrs.learning import journal, summary
from lrs.service import Principal
from lrs.xapi import scopes as xscopes
from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import Forbidden, XAPIError
from lrs.xapi.ifi import agent_key, key_from_identifier

learning_api = Blueprint("learning", __name__, url_prefix="/api")

PARTICIPANT = "participant"
REVIEWERS = ("assessor", "iqa")


@learning_api.before_request
def _authenticate() -> None:
    if request.method != "OPTIONS":
        authenticate_request()


def _principal() -> Principal:
    return g.principal


# --- who may see what -------------------------------------------------------------------------------------


def _is_admin(principal: Principal) -> bool:
    return principal.role == "admin" or (principal.role is None and xscopes.ALL in principal.scopes)


def _own_agent(principal: Principal) -> str:
    if not principal.agent_key:
        raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
    return principal.agent_key


def check_read_learner(principal: Principal, key: str, activity: str | None) -> None:
    """Raise 403 unless ``principal`` may read the summary of agent ``key`` (within ``activity``)."""
    if principal.role == PARTICIPANT:
        if key != _own_agent(principal):
            raise Forbidden(
                "a participant may only see its own summary", rule="participant-own-data", path="agent"
            )
        return
    if principal.role in REVIEWERS:
        if activity is None or activity not in principal.cohorts:
            raise Forbidden(
                f"an {principal.role} sees learners only within its cohorts: add activity= one of them",
                rule="cohort-scope",
                path="activity",
            )
        return
    if _is_admin(principal) or xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden("this credential may not read learners' summaries", rule="scope")


def check_read_cohort(principal: Principal, activity: str) -> None:
    """Raise 403 unless ``principal`` may read the summary of the cohort or programme ``activity``."""
    if principal.role == PARTICIPANT:
        raise Forbidden(
            "a participant may not see a cohort's summary", rule="participant-own-data", path="activity"
        )
    if principal.role in REVIEWERS:
        if activity not in principal.cohorts:
            raise Forbidden(
                f"this {principal.role} does not review that cohort", rule="cohort-scope", path="activity"
            )
        return
    if _is_admin(principal) or xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden("this credential may not read cohort summaries", rule="scope")


def check_write_journal(principal: Principal, key: str, path: str) -> None:
    """Raise 403 unless ``principal`` may record a journal entry for agent ``key``."""
    if principal.role == PARTICIPANT:
        if key != _own_agent(principal):
            raise Forbidden(
                "a participant may only write its own journal", rule="participant-own-data", path=path
            )
        return
    if principal.role in REVIEWERS:
        raise Forbidden(f"an {principal.role} may not write journal entries", rule="scope")
    if _is_admin(principal) or principal.allows(xscopes.STATEMENTS_WRITE, read=False):
        return
    raise Forbidden("this credential may not write statements", rule="scope")


# --- requests ---------------------------------------------------------------------------------------------


def json_body(what: str) -> Any:
    """The request's JSON body, or a 400 naming the rule (``content-type``, ``invalid-json``)."""
    if request.mimetype != "application/json":
        raise XAPIError(f"send {what} as application/json", rule="content-type", path="Content-Type")
    try:
        return parse_json(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise XAPIError(f"the body is not valid JSON: {exc}", rule="invalid-json", path="") from exc


def parse_agent(identifier: str) -> str:
    """The agent key of a path segment: a URL-decoded identifier (``mailto:jo@la.example``, ``account:...``)
    or an xAPI Agent as JSON."""
    identifier = identifier.strip()
    if identifier.startswith("{"):
        try:
            parsed = parse_json(identifier)
        except ValueError as exc:
            raise XAPIError("the agent is not valid JSON", rule="invalid-agent", path="agent") from exc
        key = agent_key(parsed) if isinstance(parsed, dict) else None
        if not key:
            raise XAPIError(
                "the agent has no identifier (mbox, mbox_sha1sum, openid, account)",
                rule="invalid-agent",
                path="agent",
            )
        return key
    if not identifier:
        raise XAPIError("name an agent, e.g. mailto:jo@la.example", rule="invalid-agent", path="agent")
    return key_from_identifier(identifier)


def _summary_query() -> summary.SummaryQuery:
    args = request.args
    return summary.parse_query(
        args.get("from"), args.get("to"), args.get("period"), args.get("target"), args.get("basis")
    )


@learning_api.route("/learners/<path:agent>/summary", methods=["GET"])
def learner_summary(agent: str) -> Any:
    key = parse_agent(agent)
    activity = request.args.get("activity") or None
    check_read_learner(_principal(), key, activity)
    query = _summary_query()
    return jsonify(summary.learner_summary(lrs(), key, query, activity=activity))


@learning_api.route("/cohorts/summary", methods=["GET"])
def cohort_summary() -> Any:
    activity = request.args.get("activity")
    if not activity:
        raise XAPIError(
            "name the cohort or programme: activity=<IRI>", rule="missing-parameter", path="activity"
        )
    check_read_cohort(_principal(), activity)
    query = _summary_query()
    learners = request.args.get("learners", "true").lower() not in ("false", "0", "no")
    return jsonify(summary.cohort_summary(lrs(), activity, query, learners=learners))


@learning_api.route("/journal", methods=["POST"])
def journal_add() -> Any:
    body = json_body("journal entries")
    principal = _principal()
    default_agent = principal.agent_key if principal.role == PARTICIPANT else None
    entries = journal.parse_entries(body, default_agent_key=default_agent)
    for entry in entries:
        check_write_journal(principal, entry.agent_key, entry.path("agent"))
    ids = journal.record(lrs(), entries, principal)
    return jsonify({"ids": ids})
