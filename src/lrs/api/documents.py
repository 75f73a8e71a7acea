"""The document resources: /xapi/activities/state, /xapi/activities/profile, /xapi/agents/profile.

HTTP only: parameters, headers and bodies go to lrs.xapi.documents to be checked and to the DocumentService to
be acted on; the answer carries ETag and Last-Modified.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from lrs.api.auth import lrs, require_scope
from lrs.api.xapi import xapi
from lrs.services import access
from lrs.services.documents import DocumentService
from lrs.xapi import documents as xdocs
from lrs.xapi.errors import NotFound, XAPIError


def documents() -> DocumentService:
    return DocumentService(lrs().db)


@xapi.route("/activities/state", methods=["GET", "PUT", "POST", "DELETE"])
def state() -> Response:
    return _handle(xdocs.STATE)


@xapi.route("/activities/profile", methods=["GET", "PUT", "POST", "DELETE"])
def activity_profile() -> Response:
    return _handle(xdocs.ACTIVITY_PROFILE)


@xapi.route("/agents/profile", methods=["GET", "PUT", "POST", "DELETE"])
def agent_profile() -> Response:
    return _handle(xdocs.AGENT_PROFILE)


def _handle(kind: str) -> Response:
    spec = xdocs.RESOURCES[kind]
    method = request.method
    reading = method in ("GET", "HEAD")
    require_scope(spec.scope, read=reading)
    query = xdocs.parse_document_query(kind, method, request.args.to_dict(flat=False), g.xapi_version)
    pre = xdocs.parse_preconditions(request.headers.get("If-Match"), request.headers.get("If-None-Match"))
    address = query.address
    access.check_document(lrs(), g.principal, spec.name, address.agent_key, write=not reading)
    if reading:
        return _get_one(address, pre) if address.single else _get_ids(query)
    if method == "DELETE":
        return _delete(address, pre)
    upload = xdocs.read_upload(request.headers.get("Content-Type"), request.get_data(cache=True))
    if method == "PUT":
        etag = documents().put(address, upload, pre, g.xapi_version)
    else:
        etag = documents().post(address, upload, pre)
    return _no_content(etag)


def _no_content(etag: str | None = None) -> Response:
    response = Response(status=204)
    if etag:
        response.headers["ETag"] = xdocs.quote_etag(etag)
    return response


def _get_one(address: xdocs.DocumentAddress, pre: xdocs.Preconditions) -> Response:
    doc = documents().get(address)
    if doc is None:
        raise NotFound(
            f"no {xdocs.RESOURCES[address.kind].name} document with that id", path=_id_param(address)
        )
    if xdocs.read_is_not_modified(pre, doc.etag):
        response = Response(status=304)
    else:
        # Byte for byte, under the Content-Type it was stored with.
        response = Response(doc.content, status=200, content_type=doc.content_type)
    response.headers["ETag"] = xdocs.quote_etag(doc.etag)
    response.last_modified = doc.updated
    return response


def _get_ids(query: xdocs.DocumentQuery) -> Response:
    ids, latest = documents().ids(query)
    response = jsonify(ids)
    if latest is not None:
        response.last_modified = latest
    return response


def _delete(address: xdocs.DocumentAddress, pre: xdocs.Preconditions) -> Response:
    if address.single:
        documents().delete(address, pre)
        return _no_content()
    if pre.given:
        raise XAPIError(
            "If-Match and If-None-Match apply to one document: give stateId to delete one conditionally",
            rule="precondition-single-document",
            path="stateId",
        )
    documents().delete_all(address)
    return _no_content()


def _id_param(address: xdocs.DocumentAddress) -> str:
    return xdocs.RESOURCES[address.kind].id_param
