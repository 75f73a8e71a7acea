"""What popular xAPI clients send that the specification does not define, and how the LRS takes it.

``cachebuster``: browser clients add a random query parameter to GETs so that no cache answers for the LRS.
xAPI 1.0.3 (Communication 3.2) says an LRS MUST refuse with 400 a parameter it does not recognise, and that
an LRS MAY recognise parameters not in the specification. This LRS recognises ``cachebuster`` (exactly that
name) on every /xapi resource and ignores it, so those clients work; any other unknown parameter is still a
400 ``unknown-parameter``. docs/api.md ("Clients") lists the clients and their quirks.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict

#: Parameters recognised on /xapi and ignored (a client's own, meaningless to the LRS).
IGNORED_XAPI_PARAMETERS = frozenset({"cachebuster"})


def install_client_quirks(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _drop_ignored_parameters)


def _drop_ignored_parameters() -> None:
    req = request._get_current_object()  # type: ignore[attr-defined]  # the proxy once (lrs.api.observability)
    query = req.environ.get("QUERY_STRING", "")
    if "%" not in query and not any(name in query for name in IGNORED_XAPI_PARAMETERS):
        return  # none in the raw query string (a name could hide only behind a %-escape): nothing to parse
    if not req.path.startswith("/xapi/") or IGNORED_XAPI_PARAMETERS.isdisjoint(req.args):
        return
    kept = [(k, v) for k, v in req.args.items(multi=True) if k not in IGNORED_XAPI_PARAMETERS]
    req.args = ImmutableMultiDict(kept)  # werkzeug caches args on the request: this replaces the cache
