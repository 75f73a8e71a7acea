"""Reading a request's JSON body: one place for the ``content-type`` and ``invalid-json`` answers."""

from __future__ import annotations

from typing import Any

from flask import Request, request

from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import XAPIError
from lrs.xapi.jsonlimits import read_json


def json_body(what: str, *, also: str = "", type_required: bool = True, req: Request | None = None) -> Any:
    """The request's JSON body, or a 400 naming the rule (``content-type``, ``invalid-json``).

    ``also`` names another accepted media type for the message (the statements resource takes multipart/mixed
    too, and reads it elsewhere); ``type_required=False`` accepts a body sent without a Content-Type (xAPI
    clients do that). ``req``: the request when the caller has it out of its proxy already.
    """
    if req is None:
        req = request._get_current_object()  # type: ignore[attr-defined]
    mimetype = req.mimetype
    if (mimetype or type_required) and mimetype != "application/json":
        accepted = f"application/json or {also}" if also else "application/json"
        sent = f", not {mimetype}" if mimetype else ""
        raise XAPIError(f"send {what} as {accepted}{sent}", rule="content-type", path="Content-Type")
    return parse_json_part(req.get_data(cache=True), "")


def parse_json_part(raw: bytes, path: str) -> Any:
    """``raw`` as JSON (lrs.xapi.datatypes.parse_json's reading, by lrs.xapi.jsonlimits.read_json), or a 400
    naming ``path`` (empty for the whole body)."""
    try:
        return read_json(raw, parse_json)
    except (ValueError, UnicodeDecodeError) as exc:
        what = "statements part" if path else "body"
        raise XAPIError(f"the {what} is not valid JSON: {exc}", rule="invalid-json", path=path) from exc
