"""The Statement resource: /xapi/statements (PUT, POST, GET, HEAD)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request

from lrs.api.auth import lrs, require_scope
from lrs.api.bodies import json_body, parse_json_part
from lrs.api.xapi import utc_iso, xapi
from lrs.xapi import scopes
from lrs.xapi.attachments import Part, attachment_hashes
from lrs.xapi.errors import NotFound, XAPIError
from lrs.xapi.formats import format_statement, parse_accept_language
from lrs.xapi.multipart import build_multipart, parse_multipart
from lrs.xapi.query import (
    StatementQuery,
    check_single_params,
    parse_bool,
    parse_statement_query,
    parse_uuid,
)
from lrs.xapi.statement import parse_instant


def read_statement_request() -> tuple[Any, list[Part]]:
    """The statements of a POST/PUT and the attachment parts sent with them ([] for a JSON request). The
    service validates the statements, matches the parts and verifies the signatures (lrs.services.statements)."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # the proxy once (lrs.api.observability)
    if req.mimetype == "multipart/mixed":
        raw, parts = parse_multipart(req.headers.get("Content-Type", ""), req.get_data(cache=True))
        return parse_json_part(raw, "multipart[0]"), parts
    return json_body("statements", also="multipart/mixed", type_required=False, req=req), []


@xapi.route("/statements", methods=["PUT"])
def put_statement():  # noqa: ANN201
    principal = require_scope(scopes.STATEMENTS_WRITE, read=False)
    statement_id = request.args.get("statementId")
    if not statement_id:
        raise XAPIError("PUT needs a statementId parameter", rule="statement-id-required", path="statementId")
    statement_id = parse_uuid("statementId", statement_id)
    body, parts = read_statement_request()
    lrs().put_statement(statement_id, body, principal, g.xapi_version, parts=parts)
    return Response(status=204)


@xapi.route("/statements", methods=["POST"])
def post_statements():  # noqa: ANN201
    principal = require_scope(scopes.STATEMENTS_WRITE, read=False)
    body, parts = read_statement_request()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ids = app.extensions["lrs"].store_statements(body, principal, g._get_current_object().xapi_version, parts=parts)  # type: ignore[attr-defined]
    return ids_response(app, ids)


#: jsonify's encoding of a list of ids (app.json: compact, ASCII), made once rather than on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def ids_response(app: Any, ids: list[str]) -> Response:  # noqa: ANN401
    """``jsonify(ids)`` (Flask's provider writes the compact JSON and a newline: the same bytes and headers,
    tests/api/test_statements.py compares them) without the provider's set-up on every call."""
    return app.response_class(_COMPACT.encode(ids) + "\n", mimetype="application/json")


def _formatted(statements: list[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    if fmt == "exact":
        return statements
    languages = parse_accept_language(request.headers.get("Accept-Language"))
    definitions: dict[str, dict[str, Any]] = {}
    if fmt == "canonical":
        definitions = lrs().canonical_definitions(_activity_iris(statements))
    return [format_statement(s, fmt, languages, definitions.get) for s in statements]


def _activity_iris(statements: list[dict[str, Any]]) -> set[str]:
    iris: set[str] = set()

    def walk(stmt: dict[str, Any]) -> None:
        obj = stmt.get("object") or {}
        if obj.get("objectType", "Activity") == "Activity" and "id" in obj:
            iris.add(obj["id"])
        elif obj.get("objectType") == "SubStatement":
            walk(obj)
        for values in ((stmt.get("context") or {}).get("contextActivities") or {}).values():
            for activity in values if isinstance(values, list) else [values]:
                if isinstance(activity, dict) and "id" in activity:
                    iris.add(activity["id"])

    for s in statements:
        walk(s)
    return iris


def statements_response(
    body: dict[str, Any] | list | None, statements: list[dict[str, Any]], with_attachments: bool
) -> Response:
    """JSON, or with ``attachments=true`` multipart/mixed: the same JSON first, then one part per attachment
    whose content the LRS holds (once per hash; attachments known only by fileUrl have none)."""
    if not with_attachments:
        return jsonify(body)
    hashes = attachment_hashes(statements)
    # Only bytes that a statement this caller may read carried (lrs.services.access).
    held = lrs().attachments(set(hashes), g.principal) if hashes else {}
    parts = [(hashes[sha2], *held[sha2]) for sha2 in hashes if sha2 in held]
    data, content_type = build_multipart(current_app.json.dumps(body).encode("utf-8"), parts)
    return Response(data, content_type=content_type)


@xapi.route("/statements", methods=["GET"])
def get_statements():  # noqa: ANN201
    args = request.args.to_dict()
    principal = g.principal
    now = datetime.now(UTC)
    if "statementId" in args or "voidedStatementId" in args:
        check_single_params(args)
        voided = "voidedStatementId" in args
        param = "voidedStatementId" if voided else "statementId"
        statement_id = parse_uuid(param, args[param])
        statement = lrs().get_statement(statement_id, voided=voided, principal=principal)
        if statement is None:
            raise NotFound(f"no {'voided ' if voided else ''}statement with id {statement_id}", path=param)
        fmt = args.get("format", "exact")
        [shown] = _formatted([statement], fmt)
        response = statements_response(shown, [statement], parse_bool("attachments", args.get("attachments")))
        response.last_modified = parse_instant(statement["stored"])
        response.headers["X-Experience-API-Consistent-Through"] = utc_iso(now)
        return response

    settings = current_app.extensions["lrs"].settings
    if "more" in args:
        if len(args) > 1:
            extra = sorted(set(args) - {"more"})[0]
            raise XAPIError(f"{extra} cannot be combined with more", rule="query-parameter", path=extra)
        q = StatementQuery.from_cursor(args["more"], lrs().cursor_key(), max_page_size=settings.max_page_size)
    else:
        q = parse_statement_query(args, page_size=settings.page_size, max_page_size=settings.max_page_size)
    # The common case, exact statements without attachments, passes the stored JSON through untouched: no
    # decode and re-encode of every statement (most of the time a page took before).
    raw = q.format == "exact" and not q.attachments
    page = lrs().query_page(q, principal, raw=raw)
    more = f"{request.script_root}/xapi/statements?more={q.cursor(page.more_after, lrs().cursor_key())}" if page.more_after else ""
    if raw:
        response = Response(_statement_result_json(page.statements, more), mimetype="application/json")
    else:
        body = {"statements": _formatted(page.statements, q.format), "more": more}
        response = statements_response(body, page.statements, q.attachments)
    response.headers["X-Experience-API-Consistent-Through"] = utc_iso(now)
    if page.last_stored is not None:
        response.last_modified = page.last_stored
    return response


def _statement_result_json(statements: list[str] | list[bytes], more: str) -> bytes:
    """A StatementResult from statements that are JSON text already (str, or UTF-8 bytes as SQLite gives them)."""
    joined = b",".join(statements) if statements and isinstance(statements[0], bytes) else ",".join(statements).encode()
    return b"".join((b'{"statements":[', joined, b'],"more":', json.dumps(more).encode(), b"}"))
