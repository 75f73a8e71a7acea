"""The document resources (State, Activity Profile, Agent Profile) over HTTP. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from conftest import XAPIClient, make_credential

from lrs.app import create_app
from lrs.services.documents import DocumentService
from lrs.store import documents as document_store
from lrs.xapi import documents as xdocs
from lrs.xapi.errors import PreconditionFailed

ACTIVITY = "https://lrs.example/activities/module-1"
JO = {"objectType": "Agent", "name": "Jo Bloggs", "mbox": "mailto:jo@la.example"}
SAM = {"objectType": "Agent", "account": {"homePage": "https://sso.la.example", "name": "sam"}}
# Every byte value, and a PNG signature: nothing may be re-encoded on the way in or out.
BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

RESOURCES = {
    "state": "/xapi/activities/state",
    "activity_profile": "/xapi/activities/profile",
    "agent_profile": "/xapi/agents/profile",
}


def params(kind: str, doc_id: str | None = "doc-1", **extra: object) -> dict[str, str]:
    """The parameters that address a document (or, with doc_id None, all of them) of ``kind``."""
    out: dict[str, str] = {}
    if kind in ("state", "activity_profile"):
        out["activityId"] = ACTIVITY
    if kind in ("state", "agent_profile"):
        out["agent"] = json.dumps(JO)
    if doc_id is not None:
        out["stateId" if kind == "state" else "profileId"] = doc_id
    for key, value in extra.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def url(kind: str, doc_id: str | None = "doc-1", **extra: object) -> str:
    return RESOURCES[kind] + "?" + urlencode(params(kind, doc_id, **extra))


def create(client: XAPIClient, kind: str, body: object = None, doc_id: str = "doc-1", **extra: object) -> str:
    """Create a document (If-None-Match: *, which every resource and version accepts); returns its ETag."""
    response = client.put(
        url(kind, doc_id, **extra),
        json=body if body is not None else {"a": 1},
        headers={"If-None-Match": "*"},
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    return response.headers["ETag"]


def error(response) -> dict:  # noqa: ANN001
    return response.get_json()["error"]


@pytest.fixture
def client2(app, credential) -> XAPIClient:  # noqa: ANN001
    """The same credential speaking xAPI 2.0.0."""
    return XAPIClient(app.test_client(), *credential, version="2.0.0")


ALL_KINDS = pytest.mark.parametrize("kind", list(RESOURCES))


# --- reading and writing ----------------------------------------------------------------------------------


@ALL_KINDS
def test_put_then_get_returns_the_document_with_etag_and_last_modified(client, kind):
    body = {"bookmark": "page-7", "score": 0.5}
    put = client.put(url(kind), json=body, headers={"If-None-Match": "*"})
    assert put.status_code == 204
    assert put.data == b""

    got = client.get(url(kind))
    assert got.status_code == 200
    assert got.get_json() == body
    assert got.mimetype == "application/json"
    assert got.headers["ETag"] == f'"{hashlib.sha1(got.data).hexdigest()}"'
    assert got.headers["ETag"] == put.headers["ETag"]
    assert got.last_modified is not None
    assert abs((datetime.now(UTC) - got.last_modified).total_seconds()) < 60
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


@ALL_KINDS
def test_binary_document_round_trips_byte_for_byte_with_its_content_type(client, kind):
    create(client, kind)
    etag = client.get(url(kind)).headers["ETag"]
    put = client.put(url(kind), data=BINARY, content_type="image/png", headers={"If-Match": etag})
    assert put.status_code == 204
    got = client.get(url(kind))
    assert got.status_code == 200
    assert got.data == BINARY
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["ETag"] == f'"{hashlib.sha1(BINARY).hexdigest()}"'


def test_content_type_parameters_are_kept_and_missing_type_is_octet_stream(client):
    text = "Grüße, ünïcödé".encode("utf-16")
    client.put(url("state"), data=text, content_type="text/plain; charset=utf-16")
    got = client.get(url("state"))
    assert got.data == text
    assert got.headers["Content-Type"] == "text/plain; charset=utf-16"

    client.put(url("state", "raw"), data=b"\x00\x01")
    raw = client.get(url("state", "raw"))
    assert raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.data == b"\x00\x01"


def test_head_answers_like_get_without_a_body(client):
    etag = create(client, "state")
    head = client.head(url("state"))
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == etag


@ALL_KINDS
def test_missing_document_is_404(client, kind):
    response = client.get(url(kind, "never-stored"))
    assert response.status_code == 404
    assert error(response)["path"] == ("stateId" if kind == "state" else "profileId")


def test_the_agent_is_identified_by_its_ifi_only(client):
    create(client, "state", {"who": "jo"})
    renamed = {"mbox": "mailto:jo@la.example", "name": "Joanne"}
    assert client.get(url("state", agent=renamed)).get_json() == {"who": "jo"}
    sha1 = {"mbox_sha1sum": hashlib.sha1(b"mailto:jo@la.example").hexdigest()}
    # mbox and mbox_sha1sum are different IFIs in xAPI, so a different agent.
    assert client.get(url("state", agent=sha1)).status_code == 404


def test_documents_are_separate_per_registration_and_resource(client):
    registration = str(uuid.uuid4())
    create(client, "state", {"r": "none"})
    create(client, "state", {"r": "one"}, registration=registration)
    create(client, "activity_profile", {"r": "profile"})
    assert client.get(url("state")).get_json() == {"r": "none"}
    assert client.get(url("state", registration=registration.upper())).get_json() == {"r": "one"}
    assert client.get(url("activity_profile")).get_json() == {"r": "profile"}


def test_identified_group_may_own_an_agent_profile(client):
    group = {
        "objectType": "Group",
        "name": "Cohort A",
        "account": {"homePage": "https://la.example", "name": "a"},
    }
    create(client, "agent_profile", {"cohort": True}, agent=group)
    assert client.get(url("agent_profile", agent=group)).get_json() == {"cohort": True}


# --- POST: create or merge ------------------------------------------------------------------------------


@ALL_KINDS
def test_post_creates_a_missing_document_like_put(client, kind):
    response = client.post(url(kind), json={"first": 1})
    assert response.status_code == 204
    assert client.get(url(kind)).get_json() == {"first": 1}


@ALL_KINDS
def test_post_merges_json_objects_at_the_top_level(client, kind):
    original = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "keep": [1, 2]}
    assert client.post(url(kind), json=original).status_code == 204
    before = client.get(url(kind))
    update = {"car": {"make": "Dodge"}, "driver": "Jeff", "new": None}
    time.sleep(0.01)
    assert client.post(url(kind), json=update).status_code == 204
    after = client.get(url(kind))
    # Top-level properties are replaced whole (car loses its model); others stay; new ones join.
    assert after.get_json() == {"car": {"make": "Dodge"}, "driver": "Jeff", "keep": [1, 2], "new": None}
    assert after.mimetype == "application/json"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["ETag"] == f'"{hashlib.sha1(after.data).hexdigest()}"'


@pytest.mark.parametrize(
    ("stored", "posted", "why"),
    [
        ((b"plain words", "text/plain"), (b'{"a": 1}', "application/json"), "stored-not-json"),
        (
            (b'{"a": 1}', "application/json"),
            (b"abcdefg", "application/x-www-form-urlencoded"),
            "posted-not-json",
        ),
        ((b'{"a": 1}', "application/json"), (BINARY, "image/png"), "posted-binary"),
        ((b'{"a": 1}', "application/json"), (b"[1, 2]", "application/json"), "posted-array"),
        ((b'{"a": 1}', "application/json"), (b'"text"', "application/json"), "posted-string"),
        ((b"[1, 2]", "application/json"), (b'{"a": 1}', "application/json"), "stored-array"),
    ],
)
def test_post_merge_needs_two_json_objects_else_400_and_nothing_changes(client, stored, posted, why):
    client.put(url("state"), data=stored[0], content_type=stored[1])
    before = client.get(url("state"))
    response = client.post(url("state"), data=posted[0], content_type=posted[1])
    assert response.status_code == 400, why
    assert error(response)["rule"] == "document-merge"
    after = client.get(url("state"))
    assert after.data == stored[0]
    assert after.headers["ETag"] == before.headers["ETag"]


def test_invalid_json_sent_as_json_is_400_for_put_and_post(client):
    create(client, "state", {"a": 1})
    for method in ("put", "post"):
        response = getattr(client, method)(
            url("state", "other"), data=b'{"a": 1}{', content_type="application/json"
        )
        assert response.status_code == 400
        assert error(response)["rule"] == "invalid-json"
    posted = client.post(url("state"), data=b'{"a": NaN}', content_type="application/json")
    assert posted.status_code == 400
    assert client.get(url("state")).get_json() == {"a": 1}
    assert client.get(url("state", "other")).status_code == 404


# --- id lists and since ----------------------------------------------------------------------------------


@ALL_KINDS
def test_id_list_and_since_filter(client, kind):
    assert client.get(url(kind, None)).get_json() == []
    client.post(url(kind, "older"), json={"n": 1})
    time.sleep(0.02)
    since = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.02)
    client.post(url(kind, "newer"), json={"n": 2})

    listed = client.get(url(kind, None))
    assert listed.status_code == 200
    assert sorted(listed.get_json()) == ["newer", "older"]
    assert listed.last_modified is not None
    assert client.get(url(kind, None, since=since)).get_json() == ["newer"]
    # Updating a document moves it past a since taken before the update.
    client.post(url(kind, "older"), json={"n": 3})
    assert sorted(client.get(url(kind, None, since=since)).get_json()) == ["newer", "older"]
    assert client.get(url(kind, None, since="2999-01-01T00:00:00Z")).get_json() == []
    offset = client.get(url(kind, None, since="2000-01-01T01:00:00+01:00"))
    assert sorted(offset.get_json()) == ["newer", "older"]


def test_state_id_list_by_registration(client):
    registration = str(uuid.uuid4())
    client.post(url("state", "plain"), json={})
    client.post(url("state", "registered"), json={})
    client.post(url("state", "registered", registration=registration), json={})
    client.post(url("state", "only-registered", registration=registration), json={})
    # Other activities and agents never show up.
    client.post(url("state", "elsewhere", activityId="https://lrs.example/activities/other"), json={})
    client.post(url("state", "sam's", agent=SAM), json={})

    assert client.get(url("state", None, registration=registration)).get_json() == [
        "only-registered",
        "registered",
    ]
    # Without a registration: the whole activity + agent context, each id once.
    assert client.get(url("state", None)).get_json() == ["only-registered", "plain", "registered"]


# --- DELETE ----------------------------------------------------------------------------------------------


@ALL_KINDS
def test_delete_one_document(client, kind):
    create(client, kind)
    create(client, kind, doc_id="kept")
    assert client.delete(url(kind)).status_code == 204
    assert client.get(url(kind)).status_code == 404
    assert client.get(url(kind, "kept")).status_code == 200
    # Deleting what is not there is not an error.
    assert client.delete(url(kind)).status_code == 204


def test_delete_all_state_without_registration_clears_the_whole_context(client):
    registration = str(uuid.uuid4())
    client.post(url("state", "a"), json={})
    client.post(url("state", "b", registration=registration), json={})
    client.post(url("state", "other-activity", activityId="https://lrs.example/activities/other"), json={})
    client.post(url("state", "other-agent", agent=SAM), json={})

    assert client.delete(url("state", None)).status_code == 204
    assert client.get(url("state", None)).get_json() == []
    assert client.get(url("state", None, registration=registration)).get_json() == []
    assert (
        client.get(
            url("state", "other-activity", activityId="https://lrs.example/activities/other")
        ).status_code
        == 200
    )
    assert client.get(url("state", "other-agent", agent=SAM)).status_code == 200


def test_delete_all_state_with_registration_clears_only_that_registration(client):
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    client.post(url("state", "plain"), json={})
    client.post(url("state", "r1", registration=one), json={})
    client.post(url("state", "r1b", registration=one), json={})
    client.post(url("state", "r2", registration=two), json={})

    assert client.delete(url("state", None, registration=one)).status_code == 204
    assert client.get(url("state", None, registration=one)).get_json() == []
    assert client.get(url("state", None, registration=two)).get_json() == ["r2"]
    assert client.get(url("state", "plain")).status_code == 200


@pytest.mark.parametrize("kind", ["activity_profile", "agent_profile"])
def test_profiles_have_no_delete_all(client, kind):
    create(client, kind)
    response = client.delete(url(kind, None))
    assert response.status_code == 400
    assert error(response)["path"] == "profileId"
    assert client.get(url(kind)).status_code == 200


# --- concurrency: ETags, If-Match, If-None-Match, 409, 412 ------------------------------------------------


@ALL_KINDS
def test_put_with_if_match(client, kind):
    etag = create(client, kind, {"v": 1})
    stale = client.put(
        url(kind), json={"v": "stale"}, headers={"If-Match": '"1111111111111111111111111111111111111111"'}
    )
    assert stale.status_code == 412
    assert error(stale)["rule"] == "precondition-failed"
    assert client.get(url(kind)).get_json() == {"v": 1}

    ok = client.put(url(kind), json={"v": 2}, headers={"If-Match": etag})
    assert ok.status_code == 204
    assert client.get(url(kind)).get_json() == {"v": 2}
    # The old tag no longer matches; "*" matches any current version.
    assert client.put(url(kind), json={"v": 3}, headers={"If-Match": etag}).status_code == 412
    assert client.put(url(kind), json={"v": 4}, headers={"If-Match": "*"}).status_code == 204
    # If-Match on a document that does not exist fails: there is no version to match.
    assert client.put(url(kind, "absent"), json={}, headers={"If-Match": "*"}).status_code == 412
    assert client.get(url(kind, "absent")).status_code == 404


def test_if_match_accepts_lists_weak_and_unquoted_tags(client):
    create(client, "state", {"v": 0})
    forms = [
        lambda tag: f'"nope", "{tag}"',
        lambda tag: f'W/"{tag}"',
        lambda tag: tag,  # some clients send the bare SHA-1
        lambda tag: tag.upper(),
    ]
    for n, form in enumerate(forms, start=1):
        tag = client.get(url("state")).headers["ETag"].strip('"')
        response = client.put(url("state"), json={"v": n}, headers={"If-Match": form(tag)})
        assert response.status_code == 204, form(tag)
    assert client.get(url("state")).get_json() == {"v": len(forms)}


@ALL_KINDS
def test_if_none_match_star_creates_only_when_absent(client, kind):
    assert client.put(url(kind), json={"v": 1}, headers={"If-None-Match": "*"}).status_code == 204
    again = client.put(url(kind), json={"v": 2}, headers={"If-None-Match": "*"})
    assert again.status_code == 412
    assert error(again)["path"] == "If-None-Match"
    assert client.get(url(kind)).get_json() == {"v": 1}


def test_if_none_match_with_a_tag(client):
    etag = create(client, "activity_profile", {"v": 1})
    assert (
        client.put(url("activity_profile"), json={"v": 2}, headers={"If-None-Match": etag}).status_code == 412
    )
    other = '"0000000000000000000000000000000000000000"'
    assert (
        client.put(url("activity_profile"), json={"v": 3}, headers={"If-None-Match": other}).status_code
        == 204
    )


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("kind", ["activity_profile", "agent_profile"])
def test_put_over_an_existing_profile_without_either_header_is_409(client, client2, kind, version):
    c = client if version == "1.0.3" else client2
    create(c, kind, {"v": 1})
    response = c.put(url(kind), json={"v": 2})
    assert response.status_code == 409
    body = error(response)
    assert body["rule"] == "concurrency-header-required"
    assert "If-Match" in body["message"]
    assert c.get(url(kind)).get_json() == {"v": 1}


@pytest.mark.parametrize("kind", ["activity_profile", "agent_profile"])
def test_creating_a_profile_document_without_either_header(client, client2, kind):
    # 1.0.3: a 400, as its conformance suite requires; 2.0.0 only refuses overwriting without a header.
    refused = client.put(url(kind), json={"v": 1})
    assert refused.status_code == 400
    assert error(refused)["rule"] == "concurrency-header-required"
    assert client.get(url(kind)).status_code == 404
    assert client2.put(url(kind), json={"v": 1}).status_code == 204


def test_state_put_without_headers_overwrites_in_1_0_3_and_is_409_in_2_0_0(client, client2):
    assert client.put(url("state"), json={"v": 1}).status_code == 204
    assert client.put(url("state"), json={"v": 2}).status_code == 204
    assert client.get(url("state")).get_json() == {"v": 2}

    assert client2.put(url("state", "v2"), json={"v": 1}).status_code == 204  # creating needs no header
    conflict = client2.put(url("state", "v2"), json={"v": 2})
    assert conflict.status_code == 409
    assert error(conflict)["rule"] == "concurrency-header-required"
    assert client2.get(url("state", "v2")).get_json() == {"v": 1}
    etag = client2.get(url("state", "v2")).headers["ETag"]
    assert client2.put(url("state", "v2"), json={"v": 3}, headers={"If-Match": etag}).status_code == 204


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_post_honours_if_match(client, client2, version):
    c = client if version == "1.0.3" else client2
    etag = create(c, "agent_profile", {"a": 1})
    stale = c.post(url("agent_profile"), json={"b": 2}, headers={"If-Match": '"1234"'})
    assert stale.status_code == 412
    assert c.get(url("agent_profile")).get_json() == {"a": 1}
    assert c.post(url("agent_profile"), json={"b": 2}, headers={"If-Match": etag}).status_code == 204
    assert c.get(url("agent_profile")).get_json() == {"a": 1, "b": 2}
    # POST needs no header even over an existing document (it merges).
    assert c.post(url("agent_profile"), json={"c": 3}).status_code == 204


@ALL_KINDS
def test_delete_honours_if_match(client2, kind):
    etag = create(client2, kind)
    stale = client2.delete(url(kind), headers={"If-Match": '"1234"'})
    assert stale.status_code == 412
    assert client2.get(url(kind)).status_code == 200
    assert client2.delete(url(kind), headers={"If-Match": etag}).status_code == 204
    assert client2.get(url(kind)).status_code == 404
    assert client2.delete(url(kind), headers={"If-Match": etag}).status_code == 412


def test_delete_all_refuses_preconditions(client):
    create(client, "state")
    response = client.delete(url("state", None), headers={"If-Match": "*"})
    assert response.status_code == 400
    assert error(response)["rule"] == "precondition-single-document"
    assert client.get(url("state")).status_code == 200


def test_conditional_get(client):
    etag = create(client, "state")
    not_modified = client.get(url("state"), headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == etag
    assert client.get(url("state"), headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url("state"), headers={"If-Match": '"other"'}).status_code == 412


def test_last_modified_moves_with_each_write(client2):
    create(client2, "state", {"v": 1})
    first = client2.get(url("state")).last_modified
    time.sleep(1.1)  # Last-Modified has one-second resolution
    client2.post(url("state"), json={"v": 2})
    assert client2.get(url("state")).last_modified > first


# --- two writers with the same ETag: exactly one wins -------------------------------------------------------


def _slow_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold every writer between reading the document and writing it, so that a read-then-write race would
    let several writers through; with the lock (or SQLite's write lock) they queue instead."""
    real = document_store.lock_document

    def slow(conn, address):  # noqa: ANN001, ANN202
        found = real(conn, address)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(document_store, "lock_document", slow)


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_concurrent_conditional_puts_exactly_one_wins(lrs_instance, monkeypatch, version):
    service = DocumentService(lrs_instance.db)
    query = xdocs.parse_document_query("state", "PUT", {k: [v] for k, v in params("state").items()}, version)
    address = query.address
    first = xdocs.read_upload("application/json", b'{"v": "start"}')
    etag = service.put(address, first, xdocs.parse_preconditions(None, "*"), version)
    _slow_lock(monkeypatch)

    writers = 6
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        upload = xdocs.read_upload("application/json", json.dumps({"v": n}).encode())
        barrier.wait()
        try:
            service.put(address, upload, xdocs.parse_preconditions(f'"{etag}"', None), version)
            result = f"won:{n}"
        except PreconditionFailed:
            result = "412"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == writers
    assert len(winners) == 1, outcomes
    assert outcomes.count("412") == writers - 1
    stored = service.get(address)
    assert stored is not None
    assert json.loads(stored.content) == {"v": int(winners[0].split(":")[1])}


def test_concurrent_creators_with_if_none_match_exactly_one_wins(lrs_instance):
    # No row to lock yet: the unique index decides, and the loser's retry sees the winner's document.
    service = DocumentService(lrs_instance.db)
    query = xdocs.parse_document_query(
        "agent_profile", "PUT", {k: [v] for k, v in params("agent_profile").items()}, "2.0.0"
    )
    writers = 6
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def create_one(n: int) -> None:
        upload = xdocs.read_upload("application/json", json.dumps({"v": n}).encode())
        barrier.wait()
        try:
            service.put(query.address, upload, xdocs.parse_preconditions(None, "*"), "2.0.0")
            outcomes.append("204")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=create_one, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["204"] + ["412"] * (writers - 1)


def test_concurrent_writers_over_http_exactly_one_wins(live_server, credential, monkeypatch):
    _slow_lock(monkeypatch)
    auth = "Basic " + base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()
    target = live_server + url("activity_profile")

    def send(method: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(target, data=body, method=method)
        for name, value in {"Authorization": auth, "X-Experience-API-Version": "1.0.3", **headers}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers)

    status, _ = send("PUT", b'{"v": 0}', {"Content-Type": "application/json", "If-None-Match": "*"})
    assert status == 204
    status, headers = send("GET", None, {})
    etag = headers["ETag"]

    writers = 5
    barrier = threading.Barrier(writers)
    statuses: list[int] = []

    def write(n: int) -> None:
        barrier.wait()
        code, _ = send(
            "PUT", json.dumps({"v": n}).encode(), {"Content-Type": "application/json", "If-Match": etag}
        )
        statuses.append(code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, writers + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [204] + [412] * (writers - 1)


# --- bad requests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "post", "delete"])
@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("state", "activityId"),
        ("state", "agent"),
        ("activity_profile", "activityId"),
        ("agent_profile", "agent"),
    ],
)
def test_missing_required_parameter_is_400_naming_it(client, method, kind, missing):
    response = getattr(client, method)(
        RESOURCES[kind] + "?" + urlencode(params(kind, **{missing: None})), json={}
    )
    assert response.status_code == 400
    assert error(response)["path"] == missing
    assert error(response)["rule"] == "parameter-required"


@pytest.mark.parametrize("method", ["put", "post"])
@ALL_KINDS
def test_put_and_post_need_the_document_id(client, method, kind):
    response = getattr(client, method)(url(kind, None), json={})
    assert response.status_code == 400
    assert error(response)["path"] == ("stateId" if kind == "state" else "profileId")


@pytest.mark.parametrize(
    ("agent", "path", "rule"),
    [
        ("{not json", "agent", "agent-json"),
        ('"mailto:jo@la.example"', "agent", "agent-json"),
        ("true", "agent", "agent-json"),
        ('{"objectType": "Agent", "name": "no ifi"}', "agent", "ifi-count"),
        ('{"mbox": "mailto:jo@la.example", "openid": "https://id.example/jo"}', "agent", "ifi-count"),
        ('{"mbox": "jo@la.example"}', "agent.mbox", "mbox-format"),
        ('{"mbox_sha1sum": "abc"}', "agent.mbox_sha1sum", "mbox-sha1sum-format"),
        ('{"account": {"name": "sam"}}', "agent.account.homePage", "iri"),
        ('{"objectType": "Activity", "mbox": "mailto:jo@la.example"}', "agent", "agent-json"),
        ('{"mbox": "mailto:jo@la.example", "email": "jo@la.example"}', "agent.email", "unknown-property"),
        ('{"mbox": "mailto:jo@la.example", "member": []}', "agent.member", "unknown-property"),
    ],
)
def test_malformed_agent_is_400(client, agent, path, rule):
    query = params("state")
    query["agent"] = agent
    for method in ("get", "put", "post", "delete"):
        response = getattr(client, method)("/xapi/activities/state?" + urlencode(query), json={})
        assert response.status_code == 400, method
        assert error(response)["path"] == path
        assert error(response)["rule"] == rule


def test_broken_percent_encoding_of_the_agent_is_400(client):
    # As the conformance suite sends it: one character of the encoded JSON broken.
    agent = urlencode({"agent": json.dumps(SAM)}).replace("%3A", "%22", 1)
    response = client.post(f"/xapi/activities/state?activityId={ACTIVITY}&stateId=x&{agent}", json={"a": 1})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "extra", "path"),
    [
        ("get", {"registration": "not-a-uuid"}, "registration"),
        ("put", {"registration": "12345"}, "registration"),
        ("get", {"activityId": "not an iri"}, "activityId"),
        ("get", {"since": "not a timestamp"}, "since"),
        ("get", {"since": "2024-13-01T00:00:00Z"}, "since"),
        ("put", {"since": "2024-01-01T00:00:00Z"}, "since"),
        ("delete", {"since": "2024-01-01T00:00:00Z"}, "since"),
        ("get", {"profileId": "x"}, "profileId"),
        ("get", {"limit": "10"}, "limit"),
        ("put", {"stateId": ""}, "stateId"),
    ],
)
def test_bad_or_unknown_parameters_are_400_naming_them(client, method, extra, path):
    response = getattr(client, method)(url("state", **extra), json={})
    assert response.status_code == 400
    assert error(response)["path"] == path


def test_repeated_parameter_is_400(client):
    response = client.get(url("state") + "&stateId=again")
    assert response.status_code == 400
    assert error(response)["rule"] == "parameter-repeated"


def test_unknown_parameter_on_the_profile_resources(client):
    assert error(client.get(url("activity_profile", agent=JO)))["path"] == "agent"
    assert error(client.get(url("agent_profile", activityId=ACTIVITY)))["path"] == "activityId"
    assert (
        error(client.put(url("agent_profile", registration=str(uuid.uuid4())), json={}))["path"]
        == "registration"
    )


def test_document_over_the_payload_limit_is_a_json_413(lrs_instance, credential):
    app = create_app(replace(lrs_instance.settings, max_payload=1024), lrs=lrs_instance)
    client = XAPIClient(app.test_client(), *credential)
    response = client.put(url("state"), data=b"x" * 4096, content_type="application/octet-stream")
    assert response.status_code == 413
    assert error(response)["rule"] == "payload-too-large"
    assert client.get(url("state")).status_code == 404


# --- scopes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "state_read", "state_write", "profile_read", "profile_write"),
    [
        (["all"], True, True, True, True),
        (["all/read"], True, False, True, False),
        (["state"], True, True, False, False),
        (["profile"], False, False, True, True),
        (["statements/write", "statements/read", "define"], False, False, False, False),
    ],
)
def test_scopes(app, lrs_instance, scopes, state_read, state_write, profile_read, profile_write):
    admin = XAPIClient(app.test_client(), *make_credential(lrs_instance, ["all"], name="admin"))
    for kind in RESOURCES:
        create(admin, kind)
    c = XAPIClient(app.test_client(), *make_credential(lrs_instance, scopes, name="limited"))
    expected = {
        "state": (state_read, state_write),
        "activity_profile": (profile_read, profile_write),
        "agent_profile": (profile_read, profile_write),
    }
    for kind, (may_read, may_write) in expected.items():
        assert c.get(url(kind)).status_code == (200 if may_read else 403), (kind, scopes)
        assert c.get(url(kind, None)).status_code == (200 if may_read else 403), (kind, scopes)
        writes = [
            c.post(url(kind), json={"b": 2}),
            c.put(url(kind, "new"), json={}, headers={"If-None-Match": "*"}),
            c.delete(url(kind, "new")),
        ]
        assert [w.status_code for w in writes] == ([204] * 3 if may_write else [403] * 3), (kind, scopes)
        if not may_write:
            assert error(writes[0])["rule"] == "scope"


# --- interoperability -------------------------------------------------------------------------------------


def test_alternate_request_syntax_reaches_the_document_resources(client, credential):
    auth = "Basic " + base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()
    form = {
        **params("state"),
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": '{"via": "form"}',
    }
    response = client.flask.post(
        "/xapi/activities/state?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 204
    assert client.get(url("state")).get_json() == {"via": "form"}


def test_a_content_type_with_control_characters_is_refused(client, credential):
    # Only the alternate syntax can carry one (as a form field); it must never be replayed as a header.
    auth = "Basic " + base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()
    form = {
        **params("state"),
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "text/plain\r\nSet-Cookie: x=1",
        "content": "hello",
    }
    response = client.flask.post(
        "/xapi/activities/state?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert error(response)["rule"] == "content-type"
    assert client.get(url("state")).status_code == 404


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("*", ("*",)),
        ('"abc"', ("abc",)),
        ('W/"abc", "def" ,ghi', ("abc", "def", "ghi")),
        ("abc", ("abc",)),
        ('"a,b", "c"', ("a,b", "c")),
        ("", ()),
    ],
)
def test_parse_etags(header, tags):
    assert xdocs.parse_etags(header) == tags


def test_version_2_answers_carry_the_2_0_0_header(client2):
    create(client2, "state")
    got = client2.get(url("state"))
    assert got.headers["X-Experience-API-Version"] == "2.0.0"
    assert got.last_modified is not None
    assert got.headers["ETag"]
