"""The alternate request syntax of xAPI 1.0.x (Communication 1.3), for clients that can only POST a form.

``POST /xapi/statements?method=PUT`` with an ``application/x-www-form-urlencoded`` body carrying the headers
(Authorization, X-Experience-API-Version, Content-Type, Content-Length, If-Match, If-None-Match), the resource's
parameters and the ``content`` is turned into the request it stands for *before* Flask routes it, so the
equivalent request goes through exactly the same version negotiation, authentication and view as a direct
one. xAPI 2.0.0 removed the syntax: under 2.0.0 any ``method`` query parameter is refused.

Refusals cannot be answered here (this runs outside Flask), so they are left in the WSGI environ and raised
by a ``before_request`` hook, which gives them the API's usual JSON error body and headers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_input_stream

from lrs.xapi.errors import XAPIError
from lrs.xapi.validate import rules_version

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/xapi/"
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
# Form parameters the LRS treats as headers (Communication 1.3), by lower-case name: their WSGI keys.
# Content-Length is recomputed from the content, so its form value is only accepted, never used.
HEADER_PARAMETERS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": None,
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
# IE's XDomainRequest, the client this syntax exists for, cannot set a Content-Type (it sends text/plain or
# none), so those are read as the form they are; anything else is not this syntax.
FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded", "text/plain"})

ERROR_KEY = "lrs.alternate_syntax.error"
VERSION_KEY = "lrs.alternate_syntax.version"
ORIGINAL_KEY = "lrs.alternate_syntax.original"


class AlternateSyntaxMiddleware:
    """WSGI middleware that rewrites an alternate-syntax request into the request it stands for."""

    def __init__(self, wsgi_app: WSGIApplication, flask_app: Flask):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raw_query = environ.get("QUERY_STRING", "")
        # A parameter named method is spelt so in the query string, or hides behind a %-escape: without either,
        # nothing to parse (most requests).
        if (
            ("method" in raw_query or "%" in raw_query)
            and environ.get("PATH_INFO", "").startswith(PREFIX)
            and environ.get("REQUEST_METHOD") != "OPTIONS"
        ):
            query = parse_qsl(raw_query, keep_blank_values=True)
            if any(name == "method" for name, _ in query):
                try:
                    rewrite(environ, query, self.flask_app.config.get("MAX_CONTENT_LENGTH"))
                except XAPIError as exc:
                    environ[ERROR_KEY] = exc
        return self.wsgi_app(environ, start_response)


def rewrite(environ: WSGIEnvironment, query: list[tuple[str, str]], max_length: int | None) -> None:
    """Turn ``environ`` into the equivalent request, or raise the 400 that refuses it."""
    header_version = environ.get("HTTP_X_EXPERIENCE_API_VERSION", "")
    _refuse_under_2(environ, header_version)
    if environ.get("REQUEST_METHOD") != "POST":
        raise XAPIError(
            "the alternate request syntax (a method query parameter) is only for POST requests",
            rule="alternate-syntax",
            path="method",
        )
    extra = sorted({name for name, _ in query if name != "method"})
    if extra:
        raise XAPIError(
            f"with the alternate request syntax, {extra[0]} goes in the form body: method must be the only "
            "query parameter",
            rule="alternate-syntax",
            path=extra[0],
        )
    requested = next(value for name, value in query if name == "method")
    method = requested.upper()
    if method not in METHODS:
        raise XAPIError(
            f"method {requested!r} is not an xAPI method ({', '.join(sorted(METHODS))})",
            rule="alternate-method",
            path="method",
        )
    mimetype, _ = parse_options_header(environ.get("CONTENT_TYPE", ""))
    if mimetype not in FORM_TYPES:
        raise XAPIError(
            f"an alternate-syntax request is a form (application/x-www-form-urlencoded), not {mimetype}",
            rule="alternate-syntax",
            path="Content-Type",
        )

    form = _read_form(environ, max_length)
    headers: dict[str, str] = {}
    parameters: list[tuple[str, str]] = []
    content: str | None = None
    for name, value in form:
        lower = name.lower()
        if lower == "content":
            content = value
        elif lower in HEADER_PARAMETERS:
            headers[lower] = value
        else:
            parameters.append((name, value))
    _refuse_under_2(environ, headers.get("x-experience-api-version", header_version))

    environ[ORIGINAL_KEY] = {"method": "POST", "query": environ.get("QUERY_STRING", "")}
    environ["REQUEST_METHOD"] = method
    environ["QUERY_STRING"] = urlencode(parameters)
    for lower, value in headers.items():
        key = HEADER_PARAMETERS[lower]
        if key is not None:
            # WSGI carries header values as latin-1 text holding the raw bytes.
            environ[key] = value.encode("utf-8").decode("latin-1")
    # The content is a UTF-8 string (Communication 1.3); the body the view reads is its bytes.
    body = content.encode("utf-8") if content is not None else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    if "content-type" not in headers:
        if content is not None:
            # Without a Content-Type form parameter the content is taken for what xAPI bodies are: JSON.
            environ["CONTENT_TYPE"] = "application/json"
        else:
            environ.pop("CONTENT_TYPE", None)


def _refuse_under_2(environ: WSGIEnvironment, version: str) -> None:
    if rules_version(version) == "2.0.0":
        environ[VERSION_KEY] = "2.0.0"
        raise XAPIError(
            "xAPI 2.0.0 has no alternate request syntax: send the request itself, without a method query "
            "parameter",
            rule="alternate-syntax",
            path="method",
        )


def _read_form(environ: WSGIEnvironment, max_length: int | None) -> list[tuple[str, str]]:
    try:
        raw = get_input_stream(environ, max_content_length=max_length).read()
    except RequestEntityTooLarge as exc:
        raise XAPIError(
            "the request body is larger than this LRS accepts", status=413, rule="payload-too-large", path=""
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XAPIError("the form body is not UTF-8", rule="alternate-syntax", path="") from exc
    return parse_qsl(text, keep_blank_values=True)


def install_alternate_syntax(app: Flask) -> None:
    """Wrap the app's WSGI callable and raise the refusals inside Flask, before any other hook."""
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]

    @app.before_request
    def _refuse_alternate_syntax() -> Any:
        environ = request._get_current_object().environ  # type: ignore[attr-defined]  # the proxy once
        error = environ.get(ERROR_KEY)
        if error is not None:
            g.xapi_version = environ.get(VERSION_KEY, "1.0.3")
            raise error
        return None
