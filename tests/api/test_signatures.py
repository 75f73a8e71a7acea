"""Signed statements (Data 2.6): a JWS in a signature attachment, checked before the statement is stored.
Keys and certificates are generated here; JWS are built by hand with ``cryptography``, independently of the
JOSE library the LRS verifies with. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from conftest import statement
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from .test_attachments import error, meta, mixed, multipart, parse_multipart_response, part, sha256

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
OCTET_STREAM = "application/octet-stream"
HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(payload: dict[str, Any] | str, key: rsa.RSAPrivateKey, alg: str = "RS256", **header: Any) -> bytes:
    """A JWS compact serialisation (RFC 7515) signed with RSASSA-PKCS1-v1_5, or HMAC for ``HS256``."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = (
        b64url(json.dumps({"alg": alg, **header}).encode()) + "." + b64url(body.encode())
    ).encode()
    if alg == "HS256":
        signature = hmac.new(b"a shared secret", signing_input, hashlib.sha256).digest()
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), HASHES[alg])
    return signing_input + b"." + b64url(signature).encode()


def certificate(key: rsa.RSAPrivateKey) -> str:
    """A self-signed certificate for ``key``, base64 DER as x5c carries it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Signed by the test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def with_signature(stmt: dict[str, Any], token: bytes, content_type: str = OCTET_STREAM) -> dict[str, Any]:
    signature = {
        "usageType": SIGNATURE,
        "display": {"en-US": "Signed by the test"},
        "contentType": content_type,
        "length": len(token),
        "sha2": sha256(token),
    }
    return {**stmt, "attachments": [*stmt.get("attachments", []), signature]}


def post_signed(client, stmt: dict[str, Any], token: bytes, content_type: str = OCTET_STREAM, *parts):  # noqa: ANN001, ANN201
    body = multipart(with_signature(stmt, token, content_type), *parts, part(token, content_type))
    return client.post("/xapi/statements", data=body, headers=mixed())


def signed_statement() -> dict[str, Any]:
    return statement(id=str(uuid.uuid4()), timestamp="2024-05-01T09:30:00.000Z")


# --- accepted ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_good_signature_is_accepted_and_its_jws_returned(client, key, alg):
    stmt = signed_statement()
    token = jws(stmt, key, alg)
    response = post_signed(client, stmt, token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [stmt["id"]]
    [_, (headers, content)] = parse_multipart_response(
        client.get(f"/xapi/statements?statementId={stmt['id']}&attachments=true")
    )
    assert content == token
    assert headers["Content-Type"] == OCTET_STREAM


def test_signature_verified_against_its_x5c_certificate(client, key):
    stmt = signed_statement()
    assert post_signed(client, stmt, jws(stmt, key, x5c=[certificate(key)])).status_code == 200


def test_signed_without_the_properties_the_lrs_assigns(client, key):
    """The signer may leave out id and timestamp; the comparison ignores what the LRS could have set."""
    unsigned = statement()
    sent = {**unsigned, "id": str(uuid.uuid4()), "timestamp": "2024-05-01T09:30:00Z"}
    assert post_signed(client, sent, jws(unsigned, key)).status_code == 200


def test_comparison_ignores_what_immutability_allows(client, key):
    """Id case and the form of the timestamp for the same instant are not differences."""
    stmt = signed_statement()
    signed = {**stmt, "id": stmt["id"].upper(), "timestamp": "2024-05-01T10:30:00.000+01:00"}
    assert post_signed(client, stmt, jws(signed, key)).status_code == 200


def test_put_of_a_statement_signed_with_its_id(client, key):
    statement_id = str(uuid.uuid4())
    signed = statement(id=statement_id)
    sent = statement()  # the body leaves the id to statementId
    token = jws(signed, key)
    body = multipart(with_signature(sent, token), part(token, OCTET_STREAM))
    response = client.put(f"/xapi/statements?statementId={statement_id}", data=body, headers=mixed())
    assert response.status_code == 204, response.get_json()


def test_signed_statement_with_another_attachment(client, key):
    """Attachments other than the signature existed before signing, so they are in the signed payload."""
    content = b"a certificate of attendance"
    stmt = {**signed_statement(), "attachments": [meta(content)]}
    response = post_signed(client, stmt, jws(stmt, key), OCTET_STREAM, part(content))
    assert response.status_code == 200, response.get_json()


# The example of the specification (Data, Appendix D): RS256 with an x5c chain, a 1024-bit key, a payload
# serialised with CRLF line breaks. Its certificate has long expired: validity is not the LRS's concern.
SPEC_STATEMENT = {
    "version": "1.0.0",
    "id": "33cff416-e331-4c9d-969e-5373a1756120",
    "actor": {"mbox": "mailto:example@example.com", "name": "Example Learner", "objectType": "Agent"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
    "object": {
        "id": "https://www.youtube.com/watch?v=xh4kIiH3Sm8",
        "objectType": "Activity",
        "definition": {
            "name": {"en-US": "Tax Tips & Information : How to File a Tax Return "},
            "description": {
                "en-US": "Filing a tax return will require filling out either a 1040, 1040A or 1040EZ form"
            },
        },
    },
    "timestamp": "2013-04-01T12:00:00Z",
}
SPEC_JWS = (
    "ew0KICAgICJhbGciOiAiUlMyNTYiLA0KICAgICJ4NWMiOiBbDQogICAgICAgICJNSUlEQVRDQ0FtcWdBd0lCQWdJSkFNQjFj"
    "c051QTYra01BMEdDU3FHU0liM0RRRUJCUVVBTUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpa"
    "V1V4R0RBV0JnTlZCQW9URDBWNFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdT"
    "SWIzRFFFSkFSWVRaWGhoYlhCc1pVQmxlR0Z0Y0d4bExtTnZiVEFlRncweE16QTBNRFF4TlRJNE16QmFGdzB4TkRBME1EUXhO"
    "VEk0TXpCYU1JR1dNUXN3Q1FZRFZRUUdFd0pWVXpFU01CQUdBMVVFQ0JNSlZHVnVibVZ6YzJWbE1SRXdEd1lEVlFRSEV3aEdj"
    "bUZ1YTJ4cGJqRVlNQllHQTFVRUNoTVBSWGhoYlhCc1pTQkRiMjF3WVc1NU1SQXdEZ1lEVlFRTEV3ZEZlR0Z0Y0d4bE1SQXdE"
    "Z1lEVlFRREV3ZEZlR0Z0Y0d4bE1TSXdJQVlKS29aSWh2Y05BUWtCRmhObGVHRnRjR3hsUUdWNFlXMXdiR1V1WTI5dE1JR2ZN"
    "QTBHQ1NxR1NJYjNEUUVCQVFVQUE0R05BRENCaVFLQmdRRGp4dlpYRjMwV0w0b0tqWllYZ1IwWnlhWCt1M3k2K0pxVHFpTmtG"
    "YS9WVG5ldDZMeTJPVDZabW1jSkVQbnEzVW5ld3BIb09RK0dmaGhUa1cxM2owNmo1aU5uNG9iY0NWV1RMOXlYTnZKSCtLbyt4"
    "dTRZbC95U1BScklQeVRqdEhkRzBNMlh6SWxtbUxxbStDQVMrS0NiSmVINHRmNTQza0lXQzVwQzVwM2NWUUlEQVFBQm8zc3dl"
    "VEFKQmdOVkhSTUVBakFBTUN3R0NXQ0dTQUdHK0VJQkRRUWZGaDFQY0dWdVUxTk1JRWRsYm1WeVlYUmxaQ0JEWlhKMGFXWnBZ"
    "MkYwWlRBZEJnTlZIUTRFRmdRVVZzM3Y1YWZFZE9lb1llVmFqQVFFNHYwV1MxUXdId1lEVlIwakJCZ3dGb0FVeVZJYzN5dnJh"
    "NEVCejIwSTRCRjM5SUFpeEJrd0RRWUpLb1pJaHZjTkFRRUZCUUFEZ1lFQWdTL0ZGNUQwSG5qNDRydlQ2a2duM2tKQXZ2Mmxq"
    "L2Z5anp0S0lyWVMzM2xqWEduNmdHeUE0cXRiWEEyM1ByTzR1Yy93WUNTRElDRHBQb2JoNjJ4VENkOXFPYktoZ3dXT2kwNVBT"
    "QkxxVXUzbXdmQWUxNUxKQkpCcVBWWjRLMGtwcGVQQlU4bTZhSVpvSDU3TC85dDRPb2FMOHlLcy9xaktGZUkxT0ZXWnh2QT0i"
    "LA0KICAgICAgICAiTUlJRE56Q0NBcUNnQXdJQkFnSUpBTUIxY3NOdUE2K2pNQTBHQ1NxR1NJYjNEUUVCQlFVQU1IRXhDekFK"
    "QmdOVkJBWVRBbFZUTVJJd0VBWURWUVFJRXdsVVpXNXVaWE56WldVeEdEQVdCZ05WQkFvVEQwVjRZVzF3YkdVZ1EyOXRjR0Z1"
    "ZVRFUU1BNEdBMVVFQXhNSFJYaGhiWEJzWlRFaU1DQUdDU3FHU0liM0RRRUpBUllUWlhoaGJYQnNaVUJsZUdGdGNHeGxMbU52"
    "YlRBZUZ3MHhNekEwTURReE5USTFOVE5hRncweU16QTBNREl4TlRJMU5UTmFNSEV4Q3pBSkJnTlZCQVlUQWxWVE1SSXdFQVlE"
    "VlFRSUV3bFVaVzV1WlhOelpXVXhHREFXQmdOVkJBb1REMFY0WVcxd2JHVWdRMjl0Y0dGdWVURVFNQTRHQTFVRUF4TUhSWGho"
    "YlhCc1pURWlNQ0FHQ1NxR1NJYjNEUUVKQVJZVFpYaGhiWEJzWlVCbGVHRnRjR3hsTG1OdmJUQ0JuekFOQmdrcWhraUc5dzBC"
    "QVFFRkFBT0JqUUF3Z1lrQ2dZRUExc0JuQldQWjBmN1dKVUZUSnk1KzAxU2xTNVo2RERENlV5ZTl2SzlBeWNnVjVCMytXQzhI"
    "QzV1NWg5MU11akFDMUFSUFZVT3RzdlBSczQ1cUtORklnSUdSWEtQQXdaamF3RUkyc0NKUlNLVjQ3aTZCOGJEdjRXa3VHdlFh"
    "dmVaR0kwcWxtTjVSMUVpbTJnVUl0UmoxaGdjQzlyUWF2amxuRktEWTJybFhHdWtDQXdFQUFhT0IxakNCMHpBZEJnTlZIUTRF"
    "RmdRVXlWSWMzeXZyYTRFQnoyMEk0QkYzOUlBaXhCa3dnYU1HQTFVZEl3U0JtekNCbUlBVXlWSWMzeXZyYTRFQnoyMEk0QkYz"
    "OUlBaXhCbWhkYVJ6TUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpaV1V4R0RBV0JnTlZCQW9U"
    "RDBWNFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdTSWIzRFFFSkFSWVRaWGho"
    "YlhCc1pVQmxlR0Z0Y0d4bExtTnZiWUlKQU1CMWNzTnVBNitqTUF3R0ExVWRFd1FGTUFNQkFmOHdEUVlKS29aSWh2Y05BUUVG"
    "QlFBRGdZRUFEaHdUZWJHazczNXlLaG04RHFDeHZObkVaME54c1lFWU9qZ1JHMXlYVGxXNXBFNjkxZlNINUFaK1Q2ZnB3cFpj"
    "V1k1UVlrb042RG53ak94R2tTZlFDMy95R21jVURLQlB3aVo1TzJzOUMrZkUxa1VFbnJYMlhlYTRhZ1ZuZ016UjhEUTZvT2F1"
    "TFdxZWhEQitnMkVOV1JMb1ZnUyttYTUvWWNzMEdUeXJFQ1k9Ig0KICAgIF0NCn0.ew0KICAgICJ2ZXJzaW9uIjogIjEuMC4w"
    "IiwNCiAgICAiaWQiOiAiMzNjZmY0MTYtZTMzMS00YzlkLTk2OWUtNTM3M2ExNzU2MTIwIiwNCiAgICAiYWN0b3IiOiB7DQog"
    "ICAgICAgICJtYm94IjogIm1haWx0bzpleGFtcGxlQGV4YW1wbGUuY29tIiwNCiAgICAgICAgIm5hbWUiOiAiRXhhbXBsZSBM"
    "ZWFybmVyIiwNCiAgICAgICAgIm9iamVjdFR5cGUiOiAiQWdlbnQiDQogICAgfSwNCiAgICAidmVyYiI6IHsNCiAgICAgICAg"
    "ImlkIjogImh0dHA6Ly9hZGxuZXQuZ292L2V4cGFwaS92ZXJicy9leHBlcmllbmNlZCIsDQogICAgICAgICJkaXNwbGF5Ijog"
    "ew0KICAgICAgICAgICAgImVuLVVTIjogImV4cGVyaWVuY2VkIg0KICAgICAgICB9DQogICAgfSwNCiAgICAib2JqZWN0Ijog"
    "ew0KICAgICAgICAiaWQiOiAiaHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g_dj14aDRrSWlIM1NtOCIsDQogICAgICAg"
    "ICJvYmplY3RUeXBlIjogIkFjdGl2aXR5IiwNCiAgICAgICAgImRlZmluaXRpb24iOiB7DQogICAgICAgICAgICAibmFtZSI6"
    "IHsNCiAgICAgICAgICAgICAgICAiZW4tVVMiOiAiVGF4IFRpcHMgJiBJbmZvcm1hdGlvbiA6IEhvdyB0byBGaWxlIGEgVGF4"
    "IFJldHVybiAiDQogICAgICAgICAgICB9LA0KICAgICAgICAgICAgImRlc2NyaXB0aW9uIjogew0KICAgICAgICAgICAgICAg"
    "ICJlbi1VUyI6ICJGaWxpbmcgYSB0YXggcmV0dXJuIHdpbGwgcmVxdWlyZSBmaWxsaW5nIG91dCBlaXRoZXIgYSAxMDQwLCAx"
    "MDQwQSBvciAxMDQwRVogZm9ybSINCiAgICAgICAgICAgIH0NCiAgICAgICAgfQ0KICAgIH0sDQogICAgInRpbWVzdGFtcCI6"
    "ICIyMDEzLTA0LTAxVDEyOjAwOjAwWiINCn0.FWuwaPhwUbkk7h9sKW5zSvjsYNugvxJ-TrVaEgt_DCUT0bmKhQScRrjMB6P9"
    "O50uznPwT66oF1NnU_G0HVhRzS5voiXE-y7tT3z0M3-8A6YK009Bk_digVUul-HA4Fpd5IjoBBGe3yzaQ2ZvzarvRuipvNEQ"
    "CI0onpfuZZJQ0d8"
)


def test_the_specification_example_signature(client):
    token = SPEC_JWS.encode()
    assert post_signed(client, SPEC_STATEMENT, token).status_code == 200
    tampered = {**SPEC_STATEMENT, "timestamp": "2013-04-01T12:00:01Z"}
    assert error(post_signed(client, tampered, token))["rule"] == "signature-mismatch"


# --- refused -----------------------------------------------------------------------------------------


def test_another_algorithm_is_refused(client, key):
    stmt = signed_statement()
    response = post_signed(client, stmt, jws(stmt, key, "HS256"))
    assert error(response)["rule"] == "signature-algorithm"
    assert error(response)["path"] == "attachments[0]"
    assert "HS256" in error(response)["message"]


def test_a_signature_that_is_not_a_jws_is_refused(client):
    response = post_signed(client, signed_statement(), b"this is not a JWS")
    assert error(response)["rule"] == "signature-malformed"
    assert error(response)["path"] == "attachments[0]"


def test_a_payload_that_is_not_json_is_refused(client, key):
    """XAPI-00116: the conformance suite breaks the payload's JSON by swapping its first quote."""
    stmt = signed_statement()
    broken = json.dumps(stmt).replace('"', "'", 1)
    response = post_signed(client, stmt, jws(broken, key))
    assert error(response)["rule"] == "signature-payload"


def test_a_payload_of_another_statement_is_refused(client, key):
    stmt = signed_statement()
    other = {
        **stmt,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-GB": "completed"}},
    }
    response = post_signed(client, stmt, jws(other, key))
    assert error(response)["rule"] == "signature-mismatch"
    assert error(response)["path"] == "attachments[0]"
    assert client.get(f"/xapi/statements?statementId={stmt['id']}").status_code == 404


def test_a_signature_not_made_with_the_x5c_key_is_refused(client, key, other_key):
    stmt = signed_statement()
    response = post_signed(client, stmt, jws(stmt, key, x5c=[certificate(other_key)]))
    assert error(response)["rule"] == "signature-invalid"


def test_an_unreadable_x5c_is_refused(client, key):
    stmt = signed_statement()
    response = post_signed(client, stmt, jws(stmt, key, x5c=["bm90IGEgY2VydGlmaWNhdGU="]))
    assert error(response)["rule"] == "signature-certificate"


def test_signature_content_type_must_be_octet_stream(client, key):
    """XAPI-00115: the conformance suite sends a good JWS declared as text/plain."""
    stmt = signed_statement()
    response = post_signed(client, stmt, jws(stmt, key), "text/plain; charset=ascii")
    assert error(response)["rule"] == "signature-content-type"
    assert error(response)["path"] == "attachments[0].contentType"


def test_a_signature_needs_its_part_even_with_a_file_url(client, key):
    stmt = signed_statement()
    token = jws(stmt, key)
    body = with_signature(stmt, token)
    body["attachments"][0]["fileUrl"] = "https://signatures.example/1.jws"
    response = client.post_statements(body)
    assert error(response)["rule"] == "attachment-missing-part"
    assert error(response)["path"] == "attachments[0]"


def test_a_bad_signature_in_a_batch_refuses_the_batch(client, key):
    good, bad = signed_statement(), signed_statement()
    good_token, bad_token = jws(good, key), jws({**bad, "id": str(uuid.uuid4())}, key)
    body = multipart(
        [with_signature(good, good_token), with_signature(bad, bad_token)],
        part(good_token, OCTET_STREAM),
        part(bad_token, OCTET_STREAM),
    )
    response = client.post("/xapi/statements", data=body, headers=mixed())
    assert error(response)["rule"] == "signature-mismatch"
    assert error(response)["path"] == "[1].attachments[0]"
    assert client.get(f"/xapi/statements?statementId={good['id']}").status_code == 404
