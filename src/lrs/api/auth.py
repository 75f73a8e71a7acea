"""HTTP Basic authentication against the LRS's credentials."""

from __future__ import annotations

import base64
import binascii

from flask import current_app, g, request

from lrs.api.throttle import AuthThrottle
from lrs.services.principal import Principal
from lrs.services.statements import LRS
from lrs.xapi.errors import XAPIError


def lrs() -> LRS:
    return current_app.extensions["lrs"]


def auth_throttle() -> AuthThrottle:
    """This worker's counters of failed authentications (lrs.api.throttle), one per app."""
    throttle = current_app.extensions.get("lrs.auth_throttle")
    if throttle is None:  # made once per app (a default argument to setdefault was made on every request)
        throttle = current_app.extensions.setdefault("lrs.auth_throttle", AuthThrottle())
    return throttle


def unauthorized(message: str) -> XAPIError:
    return XAPIError(message=message, status=401, rule="authentication", path="Authorization")


def authenticate_request() -> Principal:
    """The caller's principal from the Authorization header, or a 401."""
    # On every request: the request, the app and ``g`` out of their proxies once (lrs.api.observability).
    req = request._get_current_object()  # type: ignore[attr-defined]
    header = req.environ.get("HTTP_AUTHORIZATION", "")  # what request.headers.get("Authorization", "") reads
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise unauthorized("this resource needs HTTP Basic credentials")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise unauthorized("the Basic credentials are not valid base64") from exc
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise unauthorized("the Basic credentials must be key:secret")
    extensions = current_app._get_current_object().extensions  # type: ignore[attr-defined]
    throttle = extensions.get("lrs.auth_throttle")
    if throttle is None:
        throttle = auth_throttle()
    throttle.check(req.remote_addr, key)
    principal = extensions["lrs"].authenticate(key, secret)
    if principal is None:
        throttle.failed(req.remote_addr, key)  # a 429 instead when this address was already over its limit
        raise unauthorized("unknown or revoked credentials")
    g._get_current_object().principal = principal  # type: ignore[attr-defined]
    return principal


def require_scope(scope: str, *, read: bool) -> Principal:
    principal: Principal = g._get_current_object().principal  # type: ignore[attr-defined]
    if not principal.allows(scope, read=read):
        raise XAPIError(
            message=f"this credential lacks the {scope!r} scope", status=403, rule="scope", path=""
        )
    return principal
