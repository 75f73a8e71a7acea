"""Cross-origin access to /xapi for browser-based learning content (CORS).

A few lines of response headers do not need flask-cors. What they must get right for xAPI clients:

- preflights are answered before authentication (a browser never sends credentials on a preflight), and
  they allow the headers xAPI clients set: ``Authorization`` must be named explicitly, a ``*`` would not
  cover it;
- responses expose the xAPI headers a script needs (the version, consistent-through, ETag, Last-Modified);
- with the default ``LRS_CORS_ORIGINS=*`` any origin may call, answered with a literal ``*`` and no
  ``Access-Control-Allow-Credentials``: clients send their Basic credentials in the Authorization header,
  which works without it, while a browser's remembered credentials cannot be used by just any site.
  Origins listed explicitly are echoed (with ``Vary: Origin``) and may send credentials.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request

PREFIX = "/xapi"
ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = ", ".join(
    [
        "Authorization",
        "Content-Type",
        "X-Experience-API-Version",
        "If-Match",
        "If-None-Match",
        "Accept",
        "Accept-Language",
        "X-Requested-With",
    ]
)
EXPOSE_HEADERS = ", ".join(
    [
        "X-Experience-API-Version",
        "X-Experience-API-Consistent-Through",
        "ETag",
        "Last-Modified",
        "Content-Type",
    ]
)
# How long a browser may reuse a preflight answer (browsers cap it lower: Chromium at two hours).
MAX_AGE = "7200"


def parse_origins(setting: str) -> frozenset[str] | None:
    """The allowed origins of ``LRS_CORS_ORIGINS`` (comma separated), or None for any (``*``)."""
    origins = {_normalise(o) for o in setting.split(",") if o.strip()}
    if not origins or "*" in origins:
        return None
    return frozenset(origins)


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _is_xapi(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _is_preflight(req: Request) -> bool:
    return req.method == "OPTIONS" and "Access-Control-Request-Method" in req.headers


def install_cors(app: Flask, origins_setting: str) -> None:
    """Answer preflights on /xapi/* and add the CORS headers to every /xapi response, errors included."""
    allowed = parse_origins(origins_setting)

    # Both run on every request: the request is taken out of its proxy once (lrs.api.observability).
    @app.before_request
    def _answer_preflight() -> Response | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if _is_xapi(req.path) and _is_preflight(req):
            return Response(status=204)
        return None

    @app.after_request
    def _cors_headers(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if not _is_xapi(req.path):
            return response
        if allowed is None:
            response.headers["Access-Control-Allow-Origin"] = "*"
        else:
            origin = req.environ.get("HTTP_ORIGIN")  # request.headers.get("Origin") reads this key
            response.vary.add("Origin")
            if not origin or _normalise(origin) not in allowed:
                return response
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
        if _is_preflight(req):
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
        else:
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response
