"""Every error the HTTP API returns is JSON naming the rule and, where there is one, the field path."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from lrs.xapi.errors import XAPIError

log = logging.getLogger(__name__)

_RULES_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def error_response(status: int, rule: str, message: str, path: str = ""):  # noqa: ANN201 - a Flask response
    body = {"error": {"status": status, "rule": rule, "message": message}}
    if path:
        body["error"]["path"] = path
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(XAPIError)
    def _xapi_error(exc: XAPIError):  # noqa: ANN202
        response = jsonify(exc.as_dict())
        response.status_code = exc.status
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="LRS"'
        if getattr(exc, "retry_after", None):  # lrs.api.throttle.Throttled
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        response = error_response(status, _RULES_BY_STATUS.get(status, "http-error"), exc.description or exc.name)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # noqa: ANN202
        log.exception("unhandled error")
        return error_response(500, "internal-error", "the LRS failed to handle this request; it is logged")
