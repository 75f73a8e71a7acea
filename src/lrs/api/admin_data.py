"""Admin routes for data in and out: forwarding targets and dead letters, subject access exports and erasure.

``/api/admin/forward/targets`` (GET, POST), ``/api/admin/forward/targets/<name>`` (DELETE),
``/api/admin/forward/dead`` (GET), ``/api/admin/forward/replay`` (POST), ``/api/admin/agents/export?agent=``
(GET, a ZIP), ``/api/admin/agents/erase`` (POST), ``/api/admin/audit`` (GET). Admins only (lrs.services.access).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from lrs.api.auth import lrs
from lrs.api.bodies import json_body
from lrs.learning.vocabulary import JOURNAL_VERB
from lrs.services import access, erasure, forwarding
from lrs.xapi.errors import Forbidden, XAPIError

admin_data_api = Blueprint("admin_data", __name__, url_prefix="/admin")


@admin_data_api.before_request
def _admins_only() -> None:
    if request.method != "OPTIONS" and not access.is_admin(g.principal):
        raise Forbidden("data administration is for admins", rule="admin-only")


def _object_body() -> dict[str, Any]:
    body = json_body("the request")
    if not isinstance(body, dict):
        raise XAPIError("the body must be a JSON object", rule="body-object", path="")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise XAPIError(f"{name} must be a non-empty string", rule="required-string", path=name)
    return value.strip()


@admin_data_api.route("/forward/targets", methods=["GET"])
def list_targets():  # noqa: ANN201
    return {"targets": forwarding.list_targets(lrs())}


@admin_data_api.route("/forward/targets", methods=["POST"])
def add_target():  # noqa: ANN201
    body = _object_body()
    try:
        target = forwarding.add_target(
            lrs(),
            name=_text(body, "name", required=True) or "",
            kind=_text(body, "kind", required=True) or "",
            url=_text(body, "url", required=True) or "",
            username=_text(body, "key"),
            password=_text(body, "secret") if body.get("kind") == "xapi" else None,
            secret=_text(body, "secret") if body.get("kind") == "webhook" else None,
            xapi_version=_text(body, "xapiVersion"),
            verb=_text(body, "verb"),
            activity=_text(body, "activity"),
            agent=_text(body, "agent"),
            backfill=bool(body.get("backfill", False)),
        )
    except forwarding.ForwardingError as exc:
        raise XAPIError(str(exc), rule="forward-target", path="") from exc
    return target, 201


@admin_data_api.route("/forward/targets/<name>", methods=["DELETE"])
def remove_target(name: str) -> Response:
    if not forwarding.remove_target(lrs(), name):
        raise XAPIError(f"no target named {name!r}", status=404, rule="not-found", path="name")
    return Response(status=204)


@admin_data_api.route("/forward/dead", methods=["GET"])
def dead_letters():  # noqa: ANN201
    return {"dead": forwarding.dead_letters(lrs(), request.args.get("target"))}


@admin_data_api.route("/forward/replay", methods=["POST"])
def replay():  # noqa: ANN201
    body = _object_body() if request.get_data() else {}
    ids = body.get("ids")
    # Ids are positive 64-bit integers: a larger number would overflow the database's integer (a 500).
    if ids is not None and not (isinstance(ids, list) and all(
            isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids)):
        raise XAPIError("ids must be a list of dead-letter ids", rule="ids", path="ids")
    return {"queued": forwarding.replay(lrs(), _text(body, "target"), ids)}


def _person(identifiers: list[str]) -> erasure.Person:
    if not identifiers:
        raise XAPIError("name the person with agent=<identifier>", rule="required", path="agent")
    try:
        return erasure.Person.of(identifiers)
    except erasure.ErasureError as exc:
        raise XAPIError(str(exc), rule="invalid-agent", path="agent") from exc


@admin_data_api.route("/agents/export", methods=["GET"])
def export_person() -> Response:
    content = erasure.export_zip(lrs(), _person(request.args.getlist("agent")), journal_verbs=[JOURNAL_VERB])
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="personal-data.zip"'
    return response


@admin_data_api.route("/agents/erase", methods=["POST"])
def erase_person():  # noqa: ANN201
    body = _object_body()
    agents = body.get("agent")
    agents = [agents] if isinstance(agents, str) else agents
    if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
        raise XAPIError("agent must be an identifier or a list of them", rule="invalid-agent", path="agent")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise XAPIError("dryRun must be true or false", rule="boolean", path="dryRun")
    mode = body.get("mode")
    if mode not in erasure.MODES and not (dry_run and mode is None):
        raise XAPIError("mode must be delete or pseudonymise", rule="erasure-mode", path="mode")
    return erasure.erase(lrs(), _person(agents), mode=mode or "delete",
                         operator=f"credential:{g.principal.key}", dry_run=dry_run)


@admin_data_api.route("/audit", methods=["GET"])
def audit():  # noqa: ANN201
    return {"audit": erasure.audit_log(lrs())}
