"""The /xapi blueprint: version negotiation and authentication for every xAPI resource."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request

from lrs.api.auth import authenticate_request
from lrs.xapi.errors import XAPIError
from lrs.xapi.validate import rules_version

VERSION_HEADER = "X-Experience-API-Version"
VERSION_ENVIRON = "HTTP_X_EXPERIENCE_API_VERSION"  # the header's WSGI key
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
_CONSISTENT_LOWER = CONSISTENT_THROUGH.lower()

xapi = Blueprint("xapi", __name__, url_prefix="/xapi")


# Every xAPI request runs both hooks: the request and ``g`` are taken out of their proxies once (each read
# through a proxy costs ~8,000 instructions: lrs.api.observability).


@xapi.before_request
def _negotiate_and_authenticate() -> None:
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.method == "OPTIONS":
        return  # CORS preflight carries no credentials
    if req.endpoint == "xapi.about":
        g.xapi_version = rules_version(req.headers.get(VERSION_HEADER, "")) or current_app.extensions["lrs"].settings.xapi_default_version
        return
    header = req.environ.get(VERSION_ENVIRON)  # what request.headers.get(VERSION_HEADER) reads
    if not header:
        raise XAPIError(
            f"every xAPI request needs an {VERSION_HEADER} header (1.0.3 or 2.0.0)",
            rule="version-header",
            path=VERSION_HEADER,
        )
    version = rules_version(header)
    if version is None:
        raise XAPIError(
            f"{VERSION_HEADER} {header!r} is not supported; use 1.0.3 or 2.0.0",
            rule="version-header",
            path=VERSION_HEADER,
        )
    g._get_current_object().xapi_version = version  # type: ignore[attr-defined]
    authenticate_request()


@xapi.after_app_request
def _version_header(response):  # noqa: ANN001, ANN202
    path = request._get_current_object().path  # type: ignore[attr-defined]
    if path.startswith("/xapi"):
        # A request that negotiated no version hears the operator's default (the newest, unless configured).
        version = g._get_current_object().get("xapi_version") or current_app.extensions["lrs"].settings.xapi_default_version  # type: ignore[attr-defined]
        headers = response.headers
        headers[VERSION_HEADER] = version
        # (Not ``CONSISTENT_THROUGH not in headers``: werkzeug answers a miss by raising and catching an error.)
        if path.rstrip("/").endswith("/statements") and not any(k.lower() == _CONSISTENT_LOWER for k, _ in headers):
            # On every statements answer, errors included: clients read it to know how fresh a result is.
            headers[CONSISTENT_THROUGH] = now_iso()
    return response


def now_iso() -> str:
    """lrs.xapi.statement.iso(datetime.now(UTC)) in a third of its instructions (see utc_iso)."""
    return utc_iso(datetime.now(UTC))


def utc_iso(moment: datetime) -> str:
    """lrs.xapi.statement.iso(moment) for a moment in UTC already: its isoformat always ends in "+00:00"
    (tests/api/test_http_edge.py compares the two)."""
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


@xapi.route("/about", methods=["GET"])
def about():  # noqa: ANN201
    from lrs import __version__

    return {"version": ["1.0.3", "2.0.0"], "extensions": {"https://w3id.org/xapi/social-work-leadership/lrs": {"name": "lrs", "version": __version__}}}
