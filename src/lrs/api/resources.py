"""The Activities and Agents resources: GET /xapi/activities and GET /xapi/agents (HEAD too)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from lrs.api.auth import lrs
from lrs.api.xapi import xapi
from lrs.services import access
from lrs.services.documents import ResourceService
from lrs.xapi import resources as xres
from lrs.xapi.errors import Forbidden


def _service() -> ResourceService:
    if not xres.may_read(set(g.principal.scopes)):
        raise Forbidden(
            "this credential may not read activities or agents (statements/read, all/read, all or define)",
            rule="scope",
        )
    return ResourceService(lrs().db)


@xapi.route("/activities", methods=["GET"])
def get_activity() -> Response:
    service = _service()
    iri = xres.parse_activities_params(request.args.to_dict(flat=False))
    return jsonify(service.activity(iri))


@xapi.route("/agents", methods=["GET"])
def get_agents() -> Response:
    service = _service()
    agent, key = xres.parse_agents_params(request.args.to_dict(flat=False))
    access.check_read_agent(lrs(), g.principal, key)
    return jsonify(service.person(agent, key))
