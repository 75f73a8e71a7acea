"""Frameworks and evidence: ``/api/frameworks`` and ``/api/learners/{agent}/evidence``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from lrs.api.auth import lrs
from lrs.api.bodies import json_body
from lrs.competency.evidence import evidence_matrix, import_framework, registry
from lrs.services import access
from lrs.xapi.errors import Forbidden, XAPIError
from lrs.xapi.ifi import parse_agent

competency_api = Blueprint("competency", __name__)



def _summary(framework: Any) -> dict[str, Any]:
    return {
        "uri": framework.uri,
        "slug": framework.slug,
        "title": framework.title,
        "source": framework.source_url,
        "licence": framework.licence,
        "items": len(framework.items),
    }


@competency_api.route("/frameworks", methods=["GET"])
def list_frameworks() -> Any:
    return {"frameworks": [_summary(f) for f in registry(lrs()).frameworks.values()]}


@competency_api.route("/frameworks/<path:framework>", methods=["GET"])
def show_framework(framework: str) -> Any:
    reg = registry(lrs())
    found = next((f for f in reg.frameworks.values() if framework in (f.slug, f.uri)), None)
    if found is None:
        raise XAPIError(f"no framework {framework!r}", status=404, rule="framework", path="framework")
    if request.args.get("format") == "case":
        return reg.packages[found.uri]
    by_id = {item.id: item.uri for item in found.items}
    return {
        **_summary(found),
        "items": [
            {"uri": i.uri, "code": i.code, "title": i.title, "type": i.item_type, "parent": by_id.get(i.parent_id or "")}
            for i in found.items
        ],
    }


@competency_api.route("/frameworks", methods=["POST"])
def post_framework() -> Any:
    principal = g.principal
    if not access.is_admin(principal):
        raise Forbidden("only an admin may import a framework", rule="admin-only")
    framework, replaced = import_framework(lrs(), json_body("a framework"))
    return {**_summary(framework), "replaced": replaced}, 200 if replaced else 201


@competency_api.route("/learners/<path:agent>/evidence", methods=["GET"])
def learner_evidence(agent: str) -> Any:
    framework = request.args.get("framework")
    if not framework:
        raise XAPIError("evidence needs a framework (its slug or URI)", rule="required", path="framework")
    key = parse_agent(agent)
    access.check_read_learner(lrs(), g.principal, key, what="evidence")
    return evidence_matrix(lrs(), key, framework)
