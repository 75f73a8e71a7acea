"""Exports of a learner's record: ``GET /api/learners/{agent}/exports/{name}?format=...&<options>``."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from lrs.api.auth import lrs
from lrs.services import access
from lrs.services.exports import available_exporters, run_export
from lrs.xapi.ifi import parse_agent

exports_api = Blueprint("exports", __name__)



@exports_api.route("/exporters", methods=["GET"])
def list_exporters():  # noqa: ANN201
    """What can be exported, in which formats."""
    return {
        "exporters": [
            {"name": e.name, "title": e.title, "formats": list(e.formats), "description": e.description,
             "options": dict(e.options or {})}
            for e in available_exporters(lrs()).values()
        ]
    }


@exports_api.route("/learners/<path:agent>/exports/<name>", methods=["GET"])
def export_learner(agent: str, name: str) -> Response:
    agent_key = parse_agent(agent)
    access.check_export(lrs(), g.principal, agent_key)
    file = run_export(lrs(), name, agent_key, request.args.to_dict())
    response = Response(file.content, mimetype=file.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
