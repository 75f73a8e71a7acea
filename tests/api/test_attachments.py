"""Attachments over HTTP: multipart/mixed requests built by hand, byte for byte, and multipart responses
parsed back without the LRS's own parser. Runs on SQLite and PostgreSQL.

The cases follow the ADL conformance suite (XAPI-00127 to XAPI-00135, XAPI-00161, XAPI-00167).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from conftest import statement

BOUNDARY = "-------314159265358979323846"
CRLF = b"\r\n"
TEXT = b"here is a simple attachment"
# Every byte value, CR and LF among them, and the boundary itself where it is not a delimiter (not after CRLF).
BINARY = bytes(range(256)) + b"\r\n\r\nx--" + BOUNDARY.encode() + b"\r" + bytes(range(255, -1, -1))
USAGE = "http://example.com/attachment-usage/test"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def meta(content: bytes, content_type: str = "text/plain", **overrides: Any) -> dict[str, Any]:
    """Attachment metadata for ``content``."""
    body = {
        "usageType": USAGE,
        "display": {"en-GB": "A test attachment"},
        "contentType": content_type,
        "length": len(content),
        "sha2": sha256(content),
    }
    body.update(overrides)
    return body


def part(
    content: bytes, content_type: str | None = "text/plain", sha2: str | None = None, **extra: str
) -> tuple[dict[str, str], bytes]:
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers["Content-Transfer-Encoding"] = "binary"
    headers["X-Experience-API-Hash"] = sha2 if sha2 is not None else sha256(content)
    headers.update(extra)
    return {k: v for k, v in headers.items() if v is not None}, content


def multipart(statements: Any, *parts: tuple[dict[str, str], bytes], boundary: str = BOUNDARY) -> bytes:
    """A multipart/mixed body as RFC 2046 and the xAPI specification lay it out: CRLF line breaks, the
    CRLF before each delimiter belonging to the delimiter, the close delimiter last."""
    delimiter = b"--" + boundary.encode()
    body = (
        delimiter + CRLF + b"Content-Type: application/json" + CRLF + CRLF + json.dumps(statements).encode()
    )
    for headers, content in parts:
        body += CRLF + delimiter + CRLF
        body += b"".join(f"{name}: {value}".encode() + CRLF for name, value in headers.items())
        body += CRLF + content
    return body + CRLF + delimiter + b"--" + CRLF


def mixed(boundary: str = BOUNDARY) -> dict[str, str]:
    return {"Content-Type": f"multipart/mixed; boundary={boundary}"}


def post_multipart(client, statements: Any, *parts: tuple[dict[str, str], bytes]):  # noqa: ANN001, ANN201
    return client.post("/xapi/statements", data=multipart(statements, *parts), headers=mixed())


def parse_multipart_response(response) -> list[tuple[dict[str, str], bytes]]:  # noqa: ANN001
    """Split a multipart/mixed response by hand: the boundary from the header, CRLF before each delimiter."""
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    delimiter = b"--" + content_type.split("boundary=", 1)[1].encode()
    body = response.get_data()
    closing = CRLF + delimiter + b"--" + CRLF
    assert body.startswith(delimiter + CRLF) and body.endswith(closing)
    parts = []
    for chunk in body[len(delimiter) : -len(closing)].split(CRLF + delimiter):
        assert chunk.startswith(CRLF)
        head, separator, content = chunk[2:].partition(CRLF + CRLF)
        assert separator
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append((headers, content))
    return parts


def error(response) -> dict[str, Any]:  # noqa: ANN001
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.get_json()["error"]


def count(client) -> int:  # noqa: ANN001
    return len(client.get("/xapi/statements?limit=1000").get_json()["statements"])


# --- accepted ----------------------------------------------------------------------------------------


def test_post_with_binary_attachment_reads_back_byte_for_byte(client):
    stmt = statement(attachments=[meta(BINARY, "application/octet-stream")])
    response = post_multipart(client, stmt, part(BINARY, "application/octet-stream"))
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()

    got = client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    assert got.status_code == 200
    assert got.headers["X-Experience-API-Consistent-Through"]
    (json_headers, json_part), (headers, content) = parse_multipart_response(got)
    assert json_headers["Content-Type"] == "application/json"
    assert json.loads(json_part)["id"] == statement_id
    assert headers == {
        "Content-Type": "application/octet-stream",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha256(BINARY),
    }
    assert content == BINARY


def test_a_request_with_attachments_is_validated_once(client, monkeypatch):
    """The HTTP layer hands the parts to the service, which validates, then matches the parts: the statements
    of a multipart request are checked once, not once in the view and again when stored."""
    import sys

    from lrs.xapi import validate

    calls = []
    real = validate.validate_batch

    def counting(payload, version):  # noqa: ANN001, ANN202
        calls.append(payload)
        return real(payload, version)

    # Wherever a module holds the function (the view, the service, ...), it counts.
    for module in [m for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("lrs")]:
        if getattr(module, "validate_batch", None) is real:
            monkeypatch.setattr(module, "validate_batch", counting)
    batch = [statement(attachments=[meta(TEXT)]), statement(attachments=[meta(BINARY, "application/octet-stream")])]
    response = post_multipart(client, batch, part(TEXT), part(BINARY, "application/octet-stream"))
    assert response.status_code == 200, response.get_json()
    assert len(calls) == 1

    calls.clear()
    bad = statement(attachments=[meta(TEXT)], verb={"id": "not an IRI"})
    response = post_multipart(client, bad, part(TEXT))
    assert response.status_code == 400
    assert len(calls) == 1  # reported as a malformed statement, before any part is matched
    assert response.get_json()["error"]["path"].startswith("verb")


def test_put_with_attachment(client):
    statement_id = str(uuid.uuid4())
    body = multipart(statement(attachments=[meta(TEXT)]), part(TEXT))
    response = client.put(f"/xapi/statements?statementId={statement_id}", data=body, headers=mixed())
    assert response.status_code == 204, response.get_json()
    [_, (headers, content)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    )
    assert content == TEXT and headers["X-Experience-API-Hash"] == sha256(TEXT)


def test_without_attachments_true_the_answer_is_json(client):
    [statement_id] = post_multipart(client, statement(attachments=[meta(TEXT)]), part(TEXT)).get_json()
    for query in ("", "&attachments=false"):
        got = client.get(f"/xapi/statements?statementId={statement_id}{query}")
        assert got.mimetype == "application/json"
        assert got.get_json()["attachments"][0]["sha2"] == sha256(TEXT)


def test_query_with_attachments_true_returns_statement_result_then_parts_once_per_hash(client):
    shared, other = b"shared content", b"other content"
    first = statement(id=str(uuid.uuid4()), attachments=[meta(shared), meta(other)])
    second = statement(id=str(uuid.uuid4()), attachments=[meta(shared, display={"en-GB": "the same again"})])
    # Two statements, three attachments, two distinct hashes: one part per hash is enough.
    response = post_multipart(client, [first, second], part(shared), part(other))
    assert response.status_code == 200, response.get_json()

    parts = parse_multipart_response(client.get("/xapi/statements?attachments=true"))
    result = json.loads(parts[0][1])
    assert {s["id"] for s in result["statements"]} == {first["id"], second["id"]}
    assert result["more"] == ""
    assert sorted(content for _, content in parts[1:]) == sorted([shared, other])
    assert {h["X-Experience-API-Hash"] for h, _ in parts[1:]} == {sha256(shared), sha256(other)}


def test_two_attachments_sharing_a_hash_in_one_statement_need_one_part(client):
    stmt = statement(
        attachments=[meta(TEXT), meta(TEXT, usageType="http://example.com/attachment-usage/copy")]
    )
    assert post_multipart(client, stmt, part(TEXT)).status_code == 200


def test_file_url_attachments_need_no_part(client):
    stmt = statement(attachments=[meta(TEXT, fileUrl="http://over.there.com/file.txt")])
    assert client.post_statements(stmt).status_code == 200
    # multipart/mixed with the statements part only is accepted too (2.0.0 conformance suite)
    response = post_multipart(client, stmt)
    assert response.status_code == 200
    parts = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={response.get_json()[0]}&attachments=true")
    )
    assert len(parts) == 1  # the LRS holds no content for an attachment known only by its fileUrl


def test_multipart_without_any_attachment_is_accepted(client):
    assert post_multipart(client, statement()).status_code == 200


def test_a_part_for_a_file_url_attachment_is_kept_and_returned(client):
    """XAPI-00161: content sent for an attachment that also has a fileUrl is stored and returned."""
    stmt = statement(attachments=[meta(TEXT, fileUrl="http://over.there.com/file.txt")])
    [statement_id] = post_multipart(client, stmt, part(TEXT)).get_json()
    [_, (_, content)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    )
    assert content == TEXT


def test_the_specification_example_is_accepted(client):
    """Communication 1.5.2's example: a quoted boundary with every allowed character class, no space after
    the header colons, an empty preamble line, a part Content-Type without the declared charset."""
    boundary = "abcABC0123'()+_,-./:=?"
    stmt = statement(attachments=[meta(TEXT, "text/plain; charset=ascii")])
    body = (
        b"\r\n--"
        + boundary.encode()
        + b"\r\nContent-Type:application/json\r\n\r\n"
        + json.dumps(stmt).encode()
        + b"\r\n--"
        + boundary.encode()
        + b"\r\nContent-Type:text/plain\r\nContent-Transfer-Encoding:binary\r\n"
        + b"X-Experience-API-Hash:"
        + sha256(TEXT).encode()
        + b"\r\n\r\n"
        + TEXT
        + b"\r\n--"
        + boundary.encode()
        + b"--"
    )
    response = client.post(
        "/xapi/statements", data=body, headers={"Content-Type": f'multipart/mixed; boundary="{boundary}"'}
    )
    assert response.status_code == 200, response.get_json()
    [_, (_, content)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={response.get_json()[0]}&attachments=true")
    )
    assert content == TEXT


def test_part_without_content_transfer_encoding_is_taken_as_binary(client):
    headers, content = part(TEXT)
    del headers["Content-Transfer-Encoding"]
    assert post_multipart(client, statement(attachments=[meta(TEXT)]), (headers, content)).status_code == 200


def test_part_without_content_type_takes_the_declared_one(client):
    [statement_id] = post_multipart(
        client, statement(attachments=[meta(TEXT, "text/csv")]), part(TEXT, content_type=None)
    ).get_json()
    [_, (headers, _)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    )
    assert headers["Content-Type"] == "text/csv"


def test_hash_header_and_sha2_compare_without_case(client):
    stmt = statement(attachments=[meta(TEXT, sha2=sha256(TEXT).upper())])
    response = post_multipart(client, stmt, part(TEXT))
    assert response.status_code == 200
    [_, (headers, content)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={response.get_json()[0]}&attachments=true")
    )
    assert content == TEXT and headers["X-Experience-API-Hash"] == sha256(TEXT).upper()


def test_sha384_and_sha512_hashes_are_verified(client):
    for algorithm in ("sha384", "sha512"):
        digest = hashlib.new(algorithm, TEXT).hexdigest()
        stmt = statement(attachments=[meta(TEXT, sha2=digest)])
        assert post_multipart(client, stmt, part(TEXT, sha2=digest)).status_code == 200
        bad = hashlib.new(algorithm, b"something else").hexdigest()
        stmt = statement(attachments=[meta(TEXT, sha2=bad)])
        assert error(post_multipart(client, stmt, part(TEXT, sha2=bad)))["rule"] == "attachment-hash-mismatch"


def test_declared_length_is_not_compared_with_the_content(client):
    """The content is identified by its SHA-2, checked above. The ADL suite (XAPI-00127) sends a JPEG as hex
    text with the binary file's length and expects 200, so a differing octet count is not refused; a part's
    Content-Length header, which the specification pairs with ``length``, is (see below)."""
    stmt = statement(attachments=[meta(TEXT, length=len(TEXT) // 2)])
    assert post_multipart(client, stmt, part(TEXT)).status_code == 200


def test_live_server_round_trip(live_server, credential):
    """A real HTTP request: the body goes over a socket with its Content-Length, as clients send it."""
    import base64

    url = urlsplit(live_server)
    auth = "Basic " + base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()
    body = multipart(statement(attachments=[meta(BINARY, "image/png")]), part(BINARY, "image/png"))
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {**mixed(), "Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    connection.request("POST", "/xapi/statements", body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 200, response.read()
    [statement_id] = json.loads(response.read())
    connection.request(
        "GET", f"/xapi/statements?statementId={statement_id}&attachments=true", headers=headers
    )
    response = connection.getresponse()
    raw = response.read()
    assert response.status == 200
    boundary = response.getheader("Content-Type").split("boundary=", 1)[1].encode()
    assert raw.count(b"--" + boundary) == 3
    assert CRLF + CRLF + BINARY + CRLF + b"--" + boundary + b"--" in raw
    connection.close()


# --- refused: parts and attachments that do not match ---------------------------------------------------


def test_json_request_with_an_attachment_without_file_url_is_refused(client):
    response = client.post_statements(statement(attachments=[meta(TEXT)]))
    assert error(response)["rule"] == "attachment-missing-part"
    assert error(response)["path"] == "attachments[0]"


def test_missing_part_is_refused_and_nothing_is_stored(client):
    """XAPI-00129: two attachments, one part."""
    other = b"a second attachment"
    stmt = statement(attachments=[meta(TEXT), meta(other)])
    response = post_multipart(client, stmt, part(TEXT))
    assert error(response)["rule"] == "attachment-missing-part"
    assert error(response)["path"] == "attachments[1]"
    assert sha256(other) in error(response)["message"]
    assert count(client) == 0


def test_missing_part_in_a_batch_names_the_statement(client):
    response = post_multipart(client, [statement(), statement(attachments=[meta(TEXT)])])
    assert error(response)["path"] == "[1].attachments[0]"
    assert count(client) == 0


def test_extra_part_is_refused(client):
    """XAPI-00128: a part that is the content of no attachment."""
    stmt = statement(attachments=[meta(TEXT)])
    response = post_multipart(client, stmt, part(TEXT), part(b"an extra part"))
    assert error(response)["rule"] == "attachment-extra-part"
    assert error(response)["path"] == "multipart[2]"
    assert count(client) == 0


def test_part_without_hash_header_is_refused(client):
    """XAPI-00132"""
    headers, content = part(TEXT)
    del headers["X-Experience-API-Hash"]
    response = post_multipart(client, statement(attachments=[meta(TEXT)]), (headers, content))
    assert error(response)["rule"] == "attachment-hash-header"
    assert error(response)["path"] == "multipart[1].X-Experience-API-Hash"


def test_hash_header_matching_no_sha2_is_refused(client):
    """XAPI-00132: the part names another hash, so it matches nothing and the attachment has no part."""
    stmt = statement(attachments=[meta(TEXT)])
    response = post_multipart(client, stmt, part(TEXT, sha2=sha256(b"something else")))
    assert {p["rule"] for p in error(response)["problems"]} == {
        "attachment-extra-part",
        "attachment-missing-part",
    }


def test_content_not_matching_its_hash_is_refused(client):
    stmt = statement(attachments=[meta(TEXT)])
    response = post_multipart(client, stmt, part(b"tampered content", sha2=sha256(TEXT)))
    assert error(response)["rule"] == "attachment-hash-mismatch"
    assert error(response)["path"] == "multipart[1]"


def test_content_type_differing_from_contentType_is_refused(client):
    response = post_multipart(
        client, statement(attachments=[meta(TEXT, "text/plain")]), part(TEXT, "image/png")
    )
    assert error(response)["rule"] == "attachment-content-type"
    assert error(response)["path"] == "attachments[0].contentType"


def test_content_length_header_differing_from_length_is_refused(client):
    stmt = statement(attachments=[meta(TEXT)])
    response = post_multipart(client, stmt, part(TEXT, **{"Content-Length": str(len(TEXT) + 1)}))
    assert error(response)["rule"] == "attachment-length"
    assert error(response)["path"] == "attachments[0].length"
    assert post_multipart(client, stmt, part(TEXT, **{"Content-Length": str(len(TEXT))})).status_code == 200


def test_transfer_encoding_other_than_binary_is_refused(client):
    """XAPI-00135"""
    response = post_multipart(
        client, statement(attachments=[meta(TEXT)]), part(TEXT, **{"Content-Transfer-Encoding": "base64"})
    )
    assert error(response)["rule"] == "attachment-transfer-encoding"
    assert error(response)["path"] == "multipart[1].Content-Transfer-Encoding"


# --- refused: malformed multipart bodies -----------------------------------------------------------------


def test_no_boundary_parameter(client):
    """XAPI-00131: ``multipart/mixed;`` with no boundary."""
    body = multipart(statement(attachments=[meta(TEXT)]), part(TEXT))
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "multipart/mixed;"})
    assert error(response)["rule"] == "multipart-boundary"
    assert error(response)["path"] == "Content-Type"


def test_body_without_the_boundary(client):
    response = client.post("/xapi/statements", data=json.dumps(statement()).encode(), headers=mixed())
    assert error(response)["rule"] == "multipart-boundary"


def test_body_with_another_boundary(client):
    body = multipart(statement(attachments=[meta(TEXT)]), part(TEXT), boundary="another-boundary")
    assert error(client.post("/xapi/statements", data=body, headers=mixed()))["rule"] == "multipart-boundary"


def test_truncated_body(client):
    body = multipart(statement(attachments=[meta(BINARY)]), part(BINARY))
    cut = body[: body.rindex(b"--" + BOUNDARY.encode()) - 2]
    response = client.post("/xapi/statements", data=cut, headers=mixed())
    assert error(response)["rule"] == "multipart-truncated"
    assert count(client) == 0


def test_missing_delimiter_before_an_attachment_part(client):
    """XAPI-00130: the attachment's headers follow the statements without a delimiter line."""
    stmt = statement(attachments=[meta(TEXT)])
    delimiter = b"--" + BOUNDARY.encode()
    body = (
        delimiter
        + b"\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(stmt).encode()
        + b"\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        + b"X-Experience-API-Hash: "
        + sha256(TEXT).encode()
        + b"\r\n\r\n"
        + TEXT
        + b"\r\n"
        + delimiter
        + b"--\r\n"
    )
    response = client.post("/xapi/statements", data=body, headers=mixed())
    assert error(response)["rule"] == "invalid-json"
    assert error(response)["path"] == "multipart[0]"


def test_nan_in_the_statements_part_is_not_json(client):
    stmt = statement(attachments=[meta(TEXT)], result={"score": {"raw": 0.25}})
    body = multipart(stmt, part(TEXT)).replace(b"0.25", b"NaN")
    response = client.post("/xapi/statements", data=body, headers=mixed())
    assert (error(response)["rule"], error(response)["path"]) == ("invalid-json", "multipart[0]")
    assert count(client) == 0


def test_part_headers_without_a_blank_line(client):
    headers, content = part(TEXT)
    body = multipart(statement(attachments=[meta(TEXT)]), (headers, content))
    body = body.replace(
        f"X-Experience-API-Hash: {sha256(TEXT)}\r\n\r\n".encode(),
        f"X-Experience-API-Hash: {sha256(TEXT)}\r\n".encode(),
    )
    response = client.post("/xapi/statements", data=body, headers=mixed())
    assert error(response)["rule"] == "multipart-malformed"
    assert error(response)["path"] == "multipart[1]"


def test_first_part_must_be_json(client):
    """XAPI-00134"""
    body = multipart(statement(attachments=[meta(TEXT)]), part(TEXT)).replace(
        b"application/json", b"text/plain", 1
    )
    response = client.post("/xapi/statements", data=body, headers=mixed())
    assert error(response)["rule"] == "multipart-first-part"
    assert error(response)["path"] == "multipart[0].Content-Type"


def test_statements_in_more_than_the_first_part(client):
    """XAPI-00133: a second JSON part is not an attachment."""
    stmt = statement(attachments=[meta(TEXT)])
    json_part = ({"Content-Type": "application/json"}, json.dumps(stmt).encode())
    response = post_multipart(client, stmt, json_part, part(TEXT))
    assert error(response)["rule"] == "attachment-hash-header"
    assert error(response)["path"] == "multipart[1].X-Experience-API-Hash"


def test_nested_multipart_part(client):
    stmt = statement(attachments=[meta(TEXT, "multipart/alternative")])
    response = post_multipart(client, stmt, part(TEXT, "multipart/alternative; boundary=inner"))
    assert error(response)["rule"] == "multipart-nested"


def test_multipart_form_data_is_refused(client):
    """XAPI-00127"""
    body = multipart(statement(attachments=[meta(TEXT)]), part(TEXT))
    response = client.post(
        "/xapi/statements", data=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert error(response)["rule"] == "content-type"


def test_an_invalid_statement_is_reported_before_its_parts(client):
    stmt = statement(attachments=[meta(TEXT)])
    del stmt["verb"]
    response = post_multipart(client, stmt, part(b"an extra part"))
    assert not error(response)["rule"].startswith(("attachment-", "multipart-"))
