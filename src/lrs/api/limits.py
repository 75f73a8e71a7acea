"""Guards at the WSGI edge, before Flask routes a request: the size of a body sent without a Content-Length.

A chunked body declares no length, so Flask's MAX_CONTENT_LENGTH cannot refuse it up front, and werkzeug's
limited stream stops reading at the limit: the view saw the first LRS_MAX_PAYLOAD bytes as if they were the
whole body (a 25 MiB document was stored cut at 20 MiB, a batch failed as invalid JSON). Here such a body is
read up to one byte past the limit: over it, the answer is a 413 and the app never runs; within it, the app
gets the bytes with their length, exactly as if the client had sent a Content-Length.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import request

from lrs.xapi.errors import XAPIError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_READ_SIZE = 64 * 1024


def payload_too_large_body(limit: int) -> bytes:
    """The 413's JSON body: the rule, and the limit with the setting that chooses it."""
    message = f"the request body is larger than the {limit} bytes this LRS accepts (LRS_MAX_PAYLOAD)"
    return json.dumps(
        {"error": {"status": 413, "rule": "payload-too-large", "message": message, "limit": limit}},
        separators=(",", ":"),
    ).encode()


class BodyLimitMiddleware:
    """Reads a body of unknown length (chunked) up to ``max_payload``; answers 413 past it."""

    def __init__(self, wsgi_app: WSGIApplication, max_payload: int):
        self.wsgi_app = wsgi_app
        self.max_payload = max_payload

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _length_unknown(environ):
            body = _read_at_most(environ["wsgi.input"], self.max_payload + 1)
            if len(body) > self.max_payload:
                payload = payload_too_large_body(self.max_payload)
                start_response(
                    "413 Request Entity Too Large",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                     ("Connection", "close")],
                )
                return [payload]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


def _length_unknown(environ: WSGIEnvironment) -> bool:
    """A chunked body (its Transfer-Encoding overrides any Content-Length, RFC 9112 6.3), or one the server
    says ends by itself. Any other request without a Content-Length has no body: reading its input would wait
    on a keep-alive connection."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    return not environ.get("CONTENT_LENGTH") and bool(environ.get("wsgi.input_terminated"))


def _read_at_most(stream: io.RawIOBase, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(min(_READ_SIZE, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def refuse_nul_characters() -> None:
    """A ``before_request`` hook: NUL in the path or a query parameter is a 400 naming it.

    PostgreSQL cannot hold NUL in text, so such a value reached the database as an error (a 500) there and as
    a harmless miss on SQLite; refusing it up front answers the same on both. Bodies are checked where JSON is
    parsed (lrs.xapi.jsonlimits). Runs after the alternate syntax has turned its form into parameters.
    """
    environ = request._get_current_object().environ  # type: ignore[attr-defined]  # the proxy once
    query = environ.get("QUERY_STRING", "")
    if "\x00" not in environ.get("PATH_INFO", "") and "%00" not in query and "\x00" not in query:
        return  # a NUL reaches the path or a parameter only as itself or as %00: none here, nothing to parse
    if "\x00" in request.path:
        raise XAPIError("NUL (%00) is not accepted in a path", rule="nul-character", path="path")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise XAPIError(
                f"NUL (%00) is not accepted in the query parameter {name!r}",
                rule="nul-character",
                path=name.replace("\x00", "\\u0000"),
            )
