"""What an operator watches: request ids, the access log, Prometheus metrics, /healthz and /readyz.

- Every answer carries ``X-Request-Id``: the caller's own when it sent a sane one (1-128 letters, digits and
  ``-._:``), else a new one; every log line of the request names it (lrs.logs).
- Each request is one ``lrs.access`` log line and is counted by URL rule (``/api/learners/<path:agent>/summary``,
  never the raw path, so a learner's address never becomes a label) and status, with its latency.
- ``/metrics`` (Prometheus text), ``/healthz`` (the process answers) and ``/readyz`` (the database answers and
  its schema is at the migrations' head) need no credentials: bind the LRS to a private address or filter them
  at the proxy if they should not be public.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from lrs import metrics
from lrs.logs import current_request_id

access_log = logging.getLogger("lrs.access")
ops = Blueprint("ops", __name__)

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID_HEADER = "X-Request-Id"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def install_observability(app: Flask) -> None:
    """Request ids, the access log and the request metrics on every request; the ops routes."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_forget)
    app.register_blueprint(ops)


# The hooks that run on every request take the request and ``g`` out of their proxies once: each attribute read
# through a proxy costs ~8,000 instructions (callgrind), several a request in every hook.


def _start() -> None:
    incoming = request._get_current_object().environ.get("HTTP_X_REQUEST_ID", "")  # type: ignore[attr-defined]
    request_id = incoming if incoming and _SANE_REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
    state = g._get_current_object()  # type: ignore[attr-defined]
    state.request_id = request_id
    state.request_started = time.perf_counter()
    state.request_id_token = current_request_id.set(request_id)


def _finish(response: Response) -> Response:
    state = g._get_current_object()  # type: ignore[attr-defined]
    request_id = state.get("request_id")
    if request_id is None:  # a request that failed before the first hook (e.g. routing)
        _start()
        request_id = state.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    elapsed = time.perf_counter() - state.get("request_started", time.perf_counter())
    req = request._get_current_object()  # type: ignore[attr-defined]  # one look-up, not one per attribute
    route = req.url_rule.rule if req.url_rule is not None else "(unmatched)"
    status = response.status_code
    # Labels come from a fixed set (methods, URL rules), never from what a caller typed, so a scanner
    # cannot grow the number of series.
    method = req.method if req.method in _METHODS else "OTHER"
    count, latency = _series(method, route, status)
    count.inc()
    latency.observe(elapsed)
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %s %.1fms", req.method, req.path, status, elapsed * 1000,
            extra={
                "request_id": request_id, "method": req.method, "path": req.path, "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 2), "remote_addr": req.remote_addr,
                "bytes": response.calculate_content_length(),
            },
        )
    return response


#: The request counter and latency histogram of each (method, route, status) seen, so that a request does not
#: look its labels up again (bounded: methods and URL rules are fixed sets, statuses a few dozen).
_SERIES: dict[tuple[Any, str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    # Keyed by the counter too: lrs serve makes the metrics again for its workers (lrs.metrics).
    key = (metrics.http_requests, method, route, status)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = (
            metrics.http_requests.labels(method, route, str(status)),
            metrics.http_latency.labels(method, route),
        )
    return found


def _forget(_exc: BaseException | None) -> None:
    token = g._get_current_object().pop("request_id_token", None)  # type: ignore[attr-defined]
    if token is not None:
        # Set in another context (a streamed response): nothing to undo here.
        with contextlib.suppress(ValueError):
            current_request_id.reset(token)


@ops.route("/metrics", methods=["GET"])
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


@ops.route("/healthz", methods=["GET"])
def healthz() -> Any:
    """The process is up and answering (no database work)."""
    return {"status": "ok"}


@ops.route("/readyz", methods=["GET"])
def readyz() -> Any:
    """The database answers and its schema is at the migrations' head: 200, else 503 saying which."""
    from lrs.store.migrate import schema_revisions

    lrs = current_app.extensions["lrs"]
    try:
        current, head = schema_revisions(lrs.db.engine)
    except Exception as exc:  # any failure to reach the database means "not ready", said in one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {"status": "unavailable", "database": "unreachable", "detail": reason[:300]}, 503
    body = {"database": "ok", "revision": current, "head": head}
    if current != head:
        return {"status": "unavailable", **body, "detail": "run `lrs db upgrade`"}, 503
    return {"status": "ok", **body}
