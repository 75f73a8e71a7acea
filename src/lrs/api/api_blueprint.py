"""The /api parent blueprint: the learning API's one authenticator, and the built-in domains' routes under it.

HTTP Basic with the same credentials as /xapi (no version header); a CORS preflight (OPTIONS) is answered
before it. Each domain's routes live in a module of their own (lrs.api.learning, lrs.api.competency,
lrs.api.reviews, lrs.api.exports, lrs.api.cohorts); a new /api route belongs in one of them, or in a new module registered
here. Who may see what is decided by lrs.services.access, never here.
"""

from __future__ import annotations

from flask import Blueprint, request

from lrs.api.admin_data import admin_data_api
from lrs.api.auth import authenticate_request
from lrs.api.cohorts import cohorts_api
from lrs.api.competency import competency_api
from lrs.api.exports import exports_api
from lrs.api.learning import learning_api
from lrs.api.reviews import reviews_api

api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def _authenticate() -> None:
    if request.method != "OPTIONS":
        authenticate_request()


for _routes in (exports_api, learning_api, competency_api, reviews_api, cohorts_api, admin_data_api):
    api.register_blueprint(_routes)
