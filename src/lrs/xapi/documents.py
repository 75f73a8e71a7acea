"""The document resources (State, Activity Profile, Agent Profile) as xAPI defines them, with no HTTP or SQL.

Parameter parsing and checking, the agent parameter, ETags, If-Match / If-None-Match evaluation, the rules that
decide what a PUT or POST does to the stored document (concurrency headers, the JSON merge) and when it is refused.
The service runs ``plan_put`` / ``plan_post`` inside the write transaction, on the row it has locked, so every
decision is taken on the document as it is at that moment.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lrs.xapi import scopes
from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import Conflict, PreconditionFailed, XAPIError
from lrs.xapi.ifi import IFI_PROPERTIES, agent_key
from lrs.xapi.query import parse_uuid
from lrs.xapi.validate import is_iri, parse_timestamp

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"

JSON_TYPE = "application/json"
#: Stored when a client sends a document without a Content-Type.
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class ResourceSpec:
    """What distinguishes one document resource from another."""

    kind: str
    name: str
    id_param: str
    scope: str
    activity: bool
    agent: bool
    registration: bool
    #: DELETE without the id parameter deletes every document of the context (State only).
    delete_all: bool


RESOURCES: dict[str, ResourceSpec] = {
    STATE: ResourceSpec(STATE, "State", "stateId", scopes.STATE, True, True, True, True),
    ACTIVITY_PROFILE: ResourceSpec(
        ACTIVITY_PROFILE, "Activity Profile", "profileId", scopes.PROFILE, True, False, False, False
    ),
    AGENT_PROFILE: ResourceSpec(
        AGENT_PROFILE, "Agent Profile", "profileId", scopes.PROFILE, False, True, False, False
    ),
}


@dataclass(frozen=True)
class DocumentAddress:
    """Where a document lives. ``document_id`` is "" when the request is about every document of the context
    (the id list, or State's delete-all); ``registration`` is "" when none was given."""

    kind: str
    activity_iri: str = ""
    agent_key: str = ""
    registration: str = ""
    document_id: str = ""

    @property
    def single(self) -> bool:
        return bool(self.document_id)


@dataclass(frozen=True)
class DocumentQuery:
    address: DocumentAddress
    #: GET of the id list: only documents updated after this instant (exclusive).
    since: datetime | None = None


@dataclass(frozen=True)
class StoredDocument:
    content_type: str
    content: bytes
    etag: str
    updated: datetime


@dataclass(frozen=True)
class Upload:
    """The body of a PUT or POST. ``json_value`` is the parsed body when the Content-Type is JSON."""

    content_type: str
    content: bytes
    is_json: bool
    json_value: Any = None


@dataclass(frozen=True)
class NewDocument:
    content_type: str
    content: bytes
    etag: str


# --- parameters --------------------------------------------------------------------------------------------


def _bad(param: str, message: str, rule: str = "query-parameter") -> XAPIError:
    return XAPIError(message=message, status=400, rule=rule, path=param)


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise _bad(name, f"{name} is given more than once", rule="parameter-repeated")
    return values[0]


def parse_agent(param: str, raw: str, *, allow_group: bool = True) -> tuple[dict[str, Any], str]:
    """An Agent (or identified Group) given as JSON in a query parameter: the object and its IFI key.

    Checks the structure the way a statement's actor is checked (one IFI, well-formed), so a malformed agent
    is a 400 naming the parameter rather than a document filed under a key no statement can ever match."""
    try:
        agent = parse_json(raw)
    except ValueError as exc:
        raise _bad(param, f"{param} must be an Agent as JSON: {exc}", rule="agent-json") from exc
    if not isinstance(agent, dict):
        raise _bad(param, f"{param} must be a JSON object (an Agent)", rule="agent-json")
    object_type = agent.get("objectType", "Agent")
    allowed = ("Agent", "Group") if allow_group else ("Agent",)
    if object_type not in allowed:
        raise _bad(param, f"{param}.objectType must be {' or '.join(allowed)}", rule="agent-json")
    known = {"objectType", "name", *IFI_PROPERTIES} | ({"member"} if object_type == "Group" else set())
    extra = sorted(set(agent) - known)
    if extra:
        raise _bad(
            f"{param}.{extra[0]}",
            f"{extra[0]!r} is not a property of an {object_type}",
            rule="unknown-property",
        )
    present = [p for p in IFI_PROPERTIES if p in agent]
    if len(present) != 1:
        kind = "an identified Group" if object_type == "Group" else "an Agent"
        raise _bad(
            param,
            f"{param} must be {kind} with exactly one inverse functional identifier, found {len(present)}",
            rule="ifi-count",
        )
    _check_ifi(param, present[0], agent[present[0]])
    if "name" in agent and not isinstance(agent["name"], str):
        raise _bad(f"{param}.name", f"{param}.name must be a string", rule="agent-json")
    key = agent_key(agent)
    assert key is not None  # one IFI is present
    return agent, key


def _check_ifi(param: str, prop: str, value: Any) -> None:
    where = f"{param}.{prop}"
    if prop == "mbox" and not (isinstance(value, str) and _MAILTO.match(value)):
        raise _bad(where, "mbox must be a mailto IRI, e.g. mailto:jo@example.org", rule="mbox-format")
    if prop == "mbox_sha1sum" and not (isinstance(value, str) and _SHA1.match(value)):
        raise _bad(where, "mbox_sha1sum must be 40 hexadecimal characters", rule="mbox-sha1sum-format")
    if prop == "openid" and not is_iri(value):
        raise _bad(where, "openid must be an absolute IRI", rule="iri")
    if prop == "account":
        if not isinstance(value, dict) or set(value) - {"homePage", "name"}:
            raise _bad(where, "account must be an object with homePage and name", rule="agent-json")
        if not is_iri(value.get("homePage")):
            raise _bad(f"{where}.homePage", "account.homePage must be an absolute IRI", rule="iri")
        if not isinstance(value.get("name"), str):
            raise _bad(f"{where}.name", "account.name must be a string", rule="agent-json")


def parse_activity_id(raw: str | None, param: str = "activityId") -> str:
    if raw is None:
        raise _bad(param, f"{param} is required", rule="parameter-required")
    if not is_iri(raw):
        raise _bad(param, f"{param} must be an absolute IRI, got {raw!r}", rule="iri")
    return raw


def parse_since(raw: str, version: str) -> datetime:
    # A "+01:00" offset sent without URL-encoding arrives as a space; nothing else makes one valid.
    value = raw.replace(" ", "+")
    try:
        return parse_timestamp(value, version)
    except ValueError as exc:
        raise _bad("since", f"since must be an ISO 8601 timestamp, got {raw!r}", rule="timestamp") from exc


def parse_document_query(
    kind: str, method: str, params: Mapping[str, Sequence[str]], version: str
) -> DocumentQuery:
    """Check the query parameters of a document request and say which document(s) it is about.

    ``method`` is GET (HEAD too), PUT, POST or DELETE. Required parameters missing, malformed values and
    parameters the resource does not define are each a 400 naming the parameter."""
    spec = RESOURCES[kind]
    reading = method in ("GET", "HEAD")
    allowed = {spec.id_param}
    if spec.activity:
        allowed.add("activityId")
    if spec.agent:
        allowed.add("agent")
    if spec.registration:
        allowed.add("registration")
    if reading:
        allowed.add("since")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise _bad(
            unknown[0],
            f"{unknown[0]} is not a parameter of a {method} to the {spec.name} resource",
            rule="unknown-parameter",
        )

    activity = parse_activity_id(_single(params, "activityId")) if spec.activity else ""
    key = ""
    if spec.agent:
        raw_agent = _single(params, "agent")
        if raw_agent is None:
            raise _bad("agent", "agent is required", rule="parameter-required")
        _, key = parse_agent("agent", raw_agent)
    registration = ""
    raw_registration = _single(params, "registration")
    if raw_registration is not None:
        registration = parse_uuid("registration", raw_registration)

    document_id = _single(params, spec.id_param)
    if document_id == "":
        raise _bad(spec.id_param, f"{spec.id_param} must not be empty", rule="parameter-required")
    id_required = method in ("PUT", "POST") or (method == "DELETE" and not spec.delete_all)
    if document_id is None and id_required:
        raise _bad(spec.id_param, f"{spec.id_param} is required for a {method}", rule="parameter-required")

    since = None
    raw_since = _single(params, "since")
    if raw_since is not None:
        # Checked even beside an id (a malformed value is always the client's error); it filters only the list.
        since = parse_since(raw_since, version)
    address = DocumentAddress(kind, activity, key, registration, document_id or "")
    return DocumentQuery(address, since if not address.single else None)


# --- bodies ------------------------------------------------------------------------------------------------


def is_json_type(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_TYPE


def read_upload(content_type: str | None, content: bytes) -> Upload:
    """The body of a PUT or POST. A body sent as application/json must be JSON: a document that claims to be
    JSON and is not could never be merged, and the client's mistake is best reported at once."""
    ctype = (content_type or "").strip() or DEFAULT_CONTENT_TYPE
    if any(ord(c) < 32 or ord(c) == 127 for c in ctype):
        # Possible through the alternate syntax's form field; it would be replayed as a response header.
        raise XAPIError("the Content-Type holds control characters", rule="content-type", path="Content-Type")
    if not is_json_type(ctype):
        return Upload(ctype, content, is_json=False)
    try:
        value = parse_json(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XAPIError(
            f"the document is sent as {JSON_TYPE} but is not valid JSON: {exc}", rule="invalid-json", path=""
        ) from exc
    return Upload(ctype, content, is_json=True, json_value=value)


def etag_for(content: bytes) -> str:
    """The entity tag of a document: the SHA-1 of its content in hexadecimal, unquoted (as stored).

    SHA-1, not SHA-256: both are allowed, and the 1.0.3 conformance suite checks for 40 hexadecimal digits."""
    return hashlib.sha1(content).hexdigest()


def quote_etag(etag: str) -> str:
    return f'"{etag}"'


def merge(current: StoredDocument, upload: Upload) -> NewDocument:
    """The JSON merge of a POST onto a stored document: top-level properties of the posted object replace or
    join the stored object's. Anything other than two JSON objects is a 400 and the stored document stays."""
    if not is_json_type(current.content_type):
        raise XAPIError(
            f"the stored document is {current.content_type}, not {JSON_TYPE}: only JSON objects are merged; "
            "PUT to replace it",
            rule="document-merge",
            path="Content-Type",
        )
    if not upload.is_json:
        raise XAPIError(
            f"the stored document is JSON, so a POST must send {JSON_TYPE} (got {upload.content_type}); "
            "PUT to replace it",
            rule="document-merge",
            path="Content-Type",
        )
    if not isinstance(upload.json_value, dict):
        raise XAPIError(
            "a POST merges a JSON object into the stored one; the body is JSON but not an object",
            rule="document-merge",
            path="",
        )
    try:
        stored = parse_json(current.content)
    except (ValueError, UnicodeDecodeError):
        stored = None
    if not isinstance(stored, dict):
        raise XAPIError(
            "the stored JSON document is not an object, so nothing can be merged into it; PUT to replace it",
            rule="document-merge",
            path="",
        )
    merged = {**stored, **upload.json_value}
    content = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return NewDocument(JSON_TYPE, content, etag_for(content))


# --- preconditions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preconditions:
    """If-Match / If-None-Match as sent: None when the header is absent, else the entity tags (``*`` kept)."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


def parse_etags(value: str) -> tuple[str, ...]:
    """The entity tags of an If-Match / If-None-Match value, unquoted, ``W/`` dropped; ``*`` stays ``*``.

    Tags sent without quotes are accepted too: some xAPI clients send the bare SHA-1 they computed."""
    tags: list[str] = []
    rest = value.strip()
    while rest:
        if rest.startswith(("W/", "w/")):
            rest = rest[2:].lstrip()
        if rest.startswith('"'):
            end = rest.find('"', 1)
            tag, rest = (rest[1:], "") if end < 0 else (rest[1:end], rest[end + 1 :])
        else:
            tag, _, rest = rest.partition(",")
            tag = tag.strip()
        if tag:
            tags.append(tag)
        rest = rest.lstrip().removeprefix(",").lstrip()
    return tuple(tags)


def parse_preconditions(if_match: str | None, if_none_match: str | None) -> Preconditions:
    return Preconditions(
        if_match=parse_etags(if_match) if if_match is not None else None,
        if_none_match=parse_etags(if_none_match) if if_none_match is not None else None,
    )


def _matches(tags: tuple[str, ...], etag: str | None) -> bool:
    if etag is None:
        return False
    return "*" in tags or etag.lower() in {t.lower() for t in tags}


def check_preconditions(pre: Preconditions, current_etag: str | None) -> None:
    """RFC 7232 for a PUT, POST or DELETE: a 412 when If-Match names no current version (or there is no
    document), or when If-None-Match names the current one (``*``: when there is any)."""
    if pre.if_match is not None and not _matches(pre.if_match, current_etag):
        what = "there is no such document" if current_etag is None else "the document has changed"
        raise PreconditionFailed(f"If-Match does not match: {what}", path="If-Match")
    if pre.if_none_match is not None and _matches(pre.if_none_match, current_etag):
        what = "the document exists" if "*" in pre.if_none_match else "the document has not changed"
        raise PreconditionFailed(f"If-None-Match fails: {what}", path="If-None-Match")


def read_is_not_modified(pre: Preconditions, current_etag: str) -> bool:
    """For a GET of one document: True when the answer is 304 (If-None-Match names the current version);
    a 412 when If-Match names none."""
    if pre.if_match is not None and not _matches(pre.if_match, current_etag):
        raise PreconditionFailed("If-Match does not match: the document has changed", path="If-Match")
    return pre.if_none_match is not None and _matches(pre.if_none_match, current_etag)


def _unconditional_put(kind: str, version: str, current: StoredDocument | None) -> None:
    """A PUT with neither If-Match nor If-None-Match.

    Over an existing profile document it is a 409 in both versions; over an existing State document only in
    2.0.0 (1.0.3 lists State among the resources with ETags but requires the 409 only for the profile resources,
    and its conformance suite expects State PUTs without headers to succeed). A 1.0.3 PUT creating a profile
    document without either header is a 400, as the 1.0.3 conformance suite expects (XAPI-00273, -00287)."""
    profile = kind in (ACTIVITY_PROFILE, AGENT_PROFILE)
    if current is not None and (profile or version == "2.0.0"):
        raise Conflict(
            f"a {RESOURCES[kind].name} document already exists here: send If-Match with its ETag (from a GET) to "
            "replace it, or If-None-Match: * to create a document only when there is none",
            rule="concurrency-header-required",
            path="If-Match",
        )
    if current is None and profile and version == "1.0.3":
        raise XAPIError(
            "a PUT to a profile resource needs If-Match (the ETag of the document it replaces) or "
            "If-None-Match: * (to create one)",
            rule="concurrency-header-required",
            path="If-Match",
        )


def plan_put(
    kind: str, version: str, current: StoredDocument | None, upload: Upload, pre: Preconditions
) -> NewDocument:
    """What a PUT stores over ``current`` (None: no document yet), or the 409 / 412 / 400 that refuses it."""
    check_preconditions(pre, current.etag if current else None)
    if not pre.given:
        _unconditional_put(kind, version, current)
    return NewDocument(upload.content_type, upload.content, etag_for(upload.content))


def plan_post(current: StoredDocument | None, upload: Upload, pre: Preconditions) -> NewDocument:
    """What a POST stores: the upload when there is no document yet (POST then acts as PUT), else the merge."""
    check_preconditions(pre, current.etag if current else None)
    if current is None:
        return NewDocument(upload.content_type, upload.content, etag_for(upload.content))
    return merge(current, upload)
