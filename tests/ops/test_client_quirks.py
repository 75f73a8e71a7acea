"""Quirks of popular xAPI clients the LRS tolerates (docs/api.md, "Clients"): the ``cachebuster`` parameter,
and two attachments written without the CRLF before a boundary (@xapi/xapi, TinCanJS)."""

from __future__ import annotations

import hashlib
import json

from conftest import statement

BOUNDARY = "4012983731842733"
CRLF = b"\r\n"
USAGE = "http://example.com/attachment-usage/test"


def _meta(content: bytes) -> dict:
    return {"usageType": USAGE, "display": {"en-GB": "file"}, "contentType": "text/plain",
            "length": len(content), "sha2": hashlib.sha256(content).hexdigest()}


def _as_xapi_js_writes_it(statements: list, attachments: list[bytes]) -> bytes:
    """The layout @xapi/xapi's createMultiPart produces: each part's header block, its bytes, and then the next
    ``--boundary`` straight after the bytes (no CRLF), a CRLF only before the close delimiter."""
    body = b"--" + BOUNDARY.encode() + CRLF + b"Content-Type: application/json" + CRLF
    body += b'Content-Disposition: form-data; name="statement"' + CRLF + CRLF + json.dumps(statements).encode() + CRLF
    for content in attachments:
        body += b"--" + BOUNDARY.encode() + CRLF + b"Content-Type: text/plain" + CRLF
        body += b"Content-Transfer-Encoding: binary" + CRLF
        body += b"X-Experience-API-Hash: " + hashlib.sha256(content).hexdigest().encode() + CRLF + CRLF + content
    return body + CRLF + b"--" + BOUNDARY.encode() + b"--" + CRLF


def test_two_attachments_without_the_crlf_before_a_boundary_are_stored_whole(client) -> None:  # noqa: ANN001
    first, second = b"first attachment, no line break at its end", b"second one\r\nwith a line break inside"
    sent = statement(attachments=[_meta(first), _meta(second)])
    response = client.post(
        "/xapi/statements", data=_as_xapi_js_writes_it([sent], [first, second]),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()
    got = client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    assert got.status_code == 200
    assert first in got.data and second in got.data
    assert got.data.count(first) == 1 and b"--" + BOUNDARY.encode() not in got.data


def test_a_mismatched_attachment_is_still_refused(client) -> None:  # noqa: ANN001
    first, second = b"first", b"second"
    sent = statement(attachments=[_meta(first), _meta(b"something else")])
    response = client.post(
        "/xapi/statements", data=_as_xapi_js_writes_it([sent], [first, second]),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert response.status_code == 400


def test_cachebuster_is_recognised_and_ignored_and_other_unknown_parameters_still_refused(client) -> None:  # noqa: ANN001
    assert client.post_statements(statement()).status_code == 200
    plain = client.get("/xapi/statements")
    busted = client.get("/xapi/statements?cachebuster=1733400000123")
    assert busted.status_code == 200
    assert busted.get_json()["statements"] == plain.get_json()["statements"]
    state = "/xapi/activities/state?activityId=https://a.example/x&stateId=s&agent={\"mbox\":\"mailto:jo@la.example\"}"
    assert client.put(state, data=b"x", headers={"Content-Type": "text/plain"}).status_code == 204
    assert client.get(state + "&cachebuster=42").data == b"x"
    assert client.get("/xapi/activities?activityId=https://lrs.example/activities/residential-1&cachebuster=7").status_code == 200
    refused = client.get("/xapi/statements?cacheBuster=1")
    assert refused.status_code == 400 and refused.get_json()["error"]["rule"] == "unknown-parameter"
    assert client.get("/xapi/statements?nocache=1").status_code == 400


class ProfileSafeRemoteLRS:
    """The workaround docs/api.md gives for tincan (Python): a first PUT of a profile document gets
    ``If-None-Match: *``, which tincan never sends (xAPI 1.0.3 requires a 400 without either header)."""

    @staticmethod
    def make(endpoint: str, key: str, secret: str):  # noqa: ANN205
        from tincan import RemoteLRS

        class _Remote(RemoteLRS):
            def _send_request(self, request):  # noqa: ANN001, ANN202
                if (request.method == "PUT" and request.resource.endswith("/profile")
                        and "If-Match" not in request.headers):
                    request.headers["If-None-Match"] = "*"
                return super()._send_request(request)

        return _Remote(endpoint=endpoint, version="1.0.3", username=key, password=secret)


def test_tincan_profile_put_needs_the_documented_workaround(live_server: str, credential) -> None:  # noqa: ANN001
    from tincan import Agent, AgentProfileDocument, RemoteLRS

    key, secret = credential
    endpoint = f"{live_server}/xapi/"
    profile = AgentProfileDocument(
        agent=Agent(mbox="mailto:jo@la.example"), id="preferences", content='{"theme": "dark"}',
        content_type="application/json",
    )
    plain = RemoteLRS(endpoint=endpoint, version="1.0.3", username=key, password=secret)
    refused = plain.save_agent_profile(profile)
    assert not refused.success and refused.response.status == 400
    assert "If-None-Match" in refused.data.decode() if isinstance(refused.data, bytes) else "If-None-Match" in refused.data

    remote = ProfileSafeRemoteLRS.make(endpoint, key, secret)
    assert remote.save_agent_profile(profile).success
    got = remote.retrieve_agent_profile(agent=profile.agent, profile_id="preferences")
    # tincan looks for the ETag in a list of header pairs, so never finds it: a save over the document is a
    # 409 (or 412 with the If-None-Match above) until the caller copies the header across (the second half of the workaround).
    assert got.success and got.content.etag is None
    got.content.content = '{"theme": "light"}'
    assert plain.save_agent_profile(got.content).response.status == 409  # neither header over a document
    assert remote.save_agent_profile(got.content).response.status == 412  # If-None-Match: * over a document
    got.content.etag = got.response.getheader("ETag")
    assert remote.save_agent_profile(got.content).success  # now with If-Match
    again = plain.retrieve_agent_profile(agent=profile.agent, profile_id="preferences")
    assert json.loads(again.content.content) == {"theme": "light"}
