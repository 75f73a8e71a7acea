"""The /xapi blueprint: version negotiation and authentication for every xAPI resource."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request

from lrs.api.auth import authenticate_request
from lrs.xapi.errors import XAPIError
from lrs.xapi.statement import iso
from lrs.xapi.validate import rules_version

VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"

xapi = Blueprint("xapi", __name__, url_prefix="/xapi")


@xapi.before_request
def _negotiate_and_authenticate() -> None:
    if request.method == "OPTIONS":
        return  # CORS preflight carries no credentials
    if request.endpoint == "xapi.about":
        g.xapi_version = rules_version(request.headers.get(VERSION_HEADER, "")) or current_app.extensions["lrs"].settings.xapi_default_version
        return
    header = request.headers.get(VERSION_HEADER)
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
    g.xapi_version = version
    authenticate_request()


@xapi.after_app_request
def _version_header(response):  # noqa: ANN001, ANN202
    if request.path.startswith("/xapi"):
        # A request that negotiated no version hears the operator's default (the newest, unless configured).
        version = g.get("xapi_version") or current_app.extensions["lrs"].settings.xapi_default_version
        response.headers[VERSION_HEADER] = version
        if request.path.rstrip("/").endswith("/statements") and CONSISTENT_THROUGH not in response.headers:
            # On every statements answer, errors included: clients read it to know how fresh a result is.
            response.headers[CONSISTENT_THROUGH] = iso(datetime.now(UTC))
    return response


@xapi.route("/about", methods=["GET"])
def about():  # noqa: ANN201
    from lrs import __version__

    return {"version": ["1.0.3", "2.0.0"], "extensions": {"https://w3id.org/xapi/social-work-leadership/lrs": {"name": "lrs", "version": __version__}}}
