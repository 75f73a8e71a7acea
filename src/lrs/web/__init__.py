"""Server-rendered pages for people (participants, assessors, IQAs, leads, admins), served at ``/``.

Jinja2 templates in templates/, a hand-written stylesheet in static/, no build step and nothing from a CDN.
Every page works without JavaScript. docs/web.md describes the layer and its security choices.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from lrs.web import (
    claims_views,  # noqa: F401  (adds the centre's certification claims)
    participant_views,  # noqa: F401  (adds the participant's pages to the blueprint)
    staff_views,  # noqa: F401  (adds the assessor's, IQA's, lead's and admin's pages)
)
from lrs.web.sessions import install_page_headers, load_session
from lrs.web.views import pages
from lrs.web.witness import witness_pages

#: Paths whose answers stay JSON (the xAPI and learning APIs), errors included.
API_PREFIXES = ("/xapi", "/api")


def register_web(app: Flask) -> None:
    """Add the pages, their headers and an HTML "not found" page for everything outside the APIs."""
    from lrs.api.errors import error_response

    app.register_blueprint(pages)
    app.register_blueprint(witness_pages)
    install_page_headers(app)

    @app.errorhandler(404)
    def _not_found(exc: HTTPException):  # noqa: ANN202
        if request.path.startswith(API_PREFIXES):
            return error_response(404, "not-found", exc.description or exc.name)
        load_session()
        return render_template("not_found.html"), 404
