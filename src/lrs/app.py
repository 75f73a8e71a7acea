"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask

from lrs.config import Settings
from lrs.plugins import call_each_or_raise
from lrs.services.statements import LRS


class LRSFlask(Flask):
    """Flask, deciding once per function whether a view or request hook is a coroutine function: Flask asks
    ``inspect`` on every call, a dozen times a request (its documented place to change how views are run)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        known = self._sync_functions.get(func)
        if known is None:
            known = super().ensure_sync(func)
            if type(func) is FunctionType:  # views and hooks: a fixed set (a bound method may be made per call)
                self._sync_functions[func] = known
        return known


def create_app(settings: Settings | None = None, *, lrs: LRS | None = None) -> Flask:
    """Build the WSGI app. Pass ``lrs`` to share one LRS (database, plugins) with the caller."""
    settings = settings or (lrs.settings if lrs else Settings.from_env())
    lrs = lrs or LRS(settings)
    app = LRSFlask("lrs")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_payload
    app.json.sort_keys = False
    app.json.compact = True
    app.extensions["lrs"] = lrs

    # Importing a resource's module registers its routes on the blueprint.
    from lrs.api import documents, resources, statements  # noqa: F401
    from lrs.api.alternate import install_alternate_syntax
    from lrs.api.cors import install_cors
    from lrs.api.errors import register_error_handlers
    from lrs.api.xapi import xapi

    register_error_handlers(app)
    # Both before the blueprint: a preflight is answered, an alternate-syntax request rewritten, first.
    install_cors(app, settings.cors_origins)
    install_alternate_syntax(app)
    from lrs.api.limits import refuse_nul_characters

    app.before_request(refuse_nul_characters)
    app.register_blueprint(xapi)
    from lrs.api.api_blueprint import api

    app.register_blueprint(api)
    from lrs.web import register_web

    register_web(app)
    call_each_or_raise(lrs.pm, "lrs_register_routes", app=app, lrs=lrs)
    # Last, so that its first hook runs before every other one: the request id and timing cover them all.
    from lrs.api.client_quirks import install_client_quirks
    from lrs.api.observability import install_observability
    from lrs.api.openapi import docs_api

    app.register_blueprint(docs_api)
    install_client_quirks(app)
    install_observability(app)
    from lrs.api.limits import BodyLimitMiddleware

    # Outermost: a chunked body is measured before anything (the alternate syntax included) reads it.
    app.wsgi_app = BodyLimitMiddleware(app.wsgi_app, settings.max_payload)  # type: ignore[method-assign]
    return app
