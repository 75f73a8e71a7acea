"""An LMS's view: the tincan Python client (RemoteLRS) against a live server, over real HTTP."""

from __future__ import annotations

import uuid

import pytest
from tincan import Activity, ActivityDefinition, Agent, LanguageMap, RemoteLRS, Statement, Verb


@pytest.fixture
def remote(live_server: str, credential: tuple[str, str]) -> RemoteLRS:
    key, secret = credential
    return RemoteLRS(endpoint=f"{live_server}/xapi/", version="1.0.3", username=key, password=secret)


def make_statement(n: int, actor: str = "mailto:jo@la.example") -> Statement:
    return Statement(
        actor=Agent(name="Jo Bloggs", mbox=actor),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/attended", display=LanguageMap({"en-GB": "attended"})),
        object=Activity(
            id=f"https://lrs.example/activities/seminar-{n}",
            definition=ActivityDefinition(
                name=LanguageMap({"en-GB": f"Seminar {n}"}),
                type="http://adlnet.gov/expapi/activities/meeting",
            ),
        ),
    )


def test_save_retrieve_query_and_follow_more(remote: RemoteLRS) -> None:
    saved = remote.save_statement(make_statement(1))
    assert saved.success, saved.data
    statement_id = saved.content.id
    uuid.UUID(str(statement_id))

    # A statement with a client-chosen id goes through PUT.
    chosen = make_statement(2)
    chosen.id = str(uuid.uuid4())
    put = remote.save_statement(chosen)
    assert put.success, put.data

    batch = remote.save_statements([make_statement(n) for n in range(3, 8)])
    assert batch.success, batch.data
    assert len(batch.content) == 5 and all(s.id for s in batch.content)

    got = remote.retrieve_statement(statement_id)
    assert got.success, got.data
    assert got.content.object.id == "https://lrs.example/activities/seminar-1"
    assert got.content.actor.mbox == "mailto:jo@la.example"

    query = remote.query_statements(
        {"agent": Agent(mbox="mailto:jo@la.example"), "verb": Verb(id="http://adlnet.gov/expapi/verbs/attended"), "limit": 3}
    )
    assert query.success, query.data
    seen = [s.id for s in query.content.statements]
    assert len(seen) == 3
    more = query.content.more
    while more:
        page = remote.more_statements(more)
        assert page.success, page.data
        seen += [s.id for s in page.content.statements]
        more = page.content.more
    assert len(seen) == 7 and len(set(seen)) == 7


def test_tincan_sees_a_rejection_as_a_failure(remote: RemoteLRS) -> None:
    bad = make_statement(1)
    bad.verb = Verb(id="not-an-iri")
    response = remote.save_statement(bad)
    assert not response.success
    assert response.response.status == 400


def test_tincan_cannot_read_an_answer_with_attachments(remote: RemoteLRS, lrs_instance) -> None:  # noqa: ANN001
    """The documented quirk (docs/api.md, clients): tincan decodes every answer as UTF-8 text and parses it as
    JSON, so a multipart/mixed answer with binary attachment bytes cannot be read through it. `lrs import`
    therefore reads statements over httpx with tincan's credential header (docs/operations.md, Import)."""
    import hashlib

    from lrs.xapi.attachments import Part

    content = bytes(range(256))
    sha2 = hashlib.sha256(content).hexdigest()
    body = {
        "actor": {"mbox": "mailto:jo@la.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://lrs.example/activities/seminar-1"},
        "attachments": [{"usageType": "http://id.tincanapi.com/attachment/certificate", "display": {"en-GB": "c"},
                         "contentType": "application/pdf", "length": len(content), "sha2": sha2}],
    }
    lrs_instance.store_statements(body, lrs_instance.operator_principal(), "1.0.3",
                                  parts=[Part(1, content, sha2, "application/pdf", transfer_encoding="binary")])
    assert remote.query_statements({"limit": 1}).success  # without attachments: fine
    with pytest.raises(UnicodeDecodeError):
        remote.query_statements({"limit": 1, "attachments": True})
