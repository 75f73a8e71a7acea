"""Forwarding: statements reach a webhook (signed) and another LRS exactly once, even when the sender is
killed mid-way and another takes over; failures retry, then wait in the dead-letter list for a replay."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import statement
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from data.conftest import BINARY, Peer, attachment, lrs_command, sha256, signed, store_with_content
from lrs.services import forwarding
from lrs.services.statements import LRS
from lrs.store import forwarding as forwarding_store
from lrs.store.models import Attachment
from lrs.xapi.multipart import parse_multipart

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


class Receiver:
    """A webhook receiver that checks each request's signature, as an operator's would."""

    def __init__(self, secret: str = ""):
        self.secret = secret
        self.statement_ids: list[str] = []
        self.statements: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_with: int | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: ANN401
        request = Request(environ)
        body = request.get_data()
        if not forwarding.verify(
            self.secret, request.headers.get("X-LRS-Timestamp", ""), body, request.headers.get("X-LRS-Signature", "")
        ):
            self.bad_signatures += 1
            return Response("bad signature", status=401)(environ, start_response)
        if self.fail_with:
            return Response("down", status=self.fail_with)(environ, start_response)
        self.statements.extend(json.loads(body)["statements"])
        self.statement_ids.extend(s["id"] for s in json.loads(body)["statements"])
        return Response(status=204)(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    thread.join(timeout=5)


def store(lrs: LRS, statements: list[dict[str, Any]]) -> list[str]:
    return lrs.store_statements(statements, lrs.operator_principal(), "1.0.3")


def test_no_target_no_outbox_rows(lrs_instance: LRS) -> None:
    store(lrs_instance, [statement()])
    with lrs_instance.db.read() as conn:
        assert forwarding_store.pending_count(conn) == 0


def test_a_backfill_counts_the_statements_it_queues_on_both_databases(lrs_instance: LRS) -> None:
    wanted = store(lrs_instance, [statement(id=str(uuid.uuid4())) for _ in range(3)])
    store(lrs_instance, [statement(verb={"id": COMPLETED})])  # not the target's verb
    forwarding.add_target(lrs_instance, name="hook", kind="webhook", url="http://127.0.0.1:9/hook", verb=ATTENDED)

    def backfill(conn: Any) -> int:
        target_id = forwarding_store.get_target(conn, "hook")["id"]
        return forwarding_store.enqueue_existing(conn, target_id, after_seq=0, now=forwarding.now_utc())

    assert lrs_instance.db.write(backfill) == len(wanted)
    assert lrs_instance.db.write(backfill) == 0  # each statement is queued once per target
    with lrs_instance.db.read() as conn:
        assert forwarding_store.pending_count(conn) == len(wanted)


def test_webhook_gets_matching_statements_signed(lrs_instance: LRS, receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    target = forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url, verb=ATTENDED)
    app.secret = target["secret"]
    wanted = store(lrs_instance, [statement(id=str(uuid.uuid4())) for _ in range(5)])
    store(lrs_instance, [statement(verb={"id": COMPLETED})])  # filtered out
    store(lrs_instance, [statement(id=wanted[0])])  # the same statement again: not queued twice
    delivered = forwarding.Sender(lrs_instance).run_once()
    assert delivered == 5
    assert sorted(app.statement_ids) == sorted(wanted)
    assert app.bad_signatures == 0
    with lrs_instance.db.read() as conn:
        assert forwarding_store.pending_count(conn) == 0


def test_wrong_secret_is_refused_by_receiver(lrs_instance: LRS, receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url, secret="the-real-one")
    app.secret = "another"
    store(lrs_instance, [statement()])
    forwarding.Sender(lrs_instance).run_once()
    assert app.bad_signatures == 1 and app.statement_ids == []
    assert len(forwarding.dead_letters(lrs_instance)) == 1  # 401 is permanent: no retry can change it


def test_retries_then_dead_letter_then_replay(lrs_instance: LRS, receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    app.secret = forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url)["secret"]
    app.fail_with = 503
    ids = store(lrs_instance, [statement(), statement()])
    sender = forwarding.Sender(lrs_instance, max_attempts=3, base_delay=0.0)
    for _ in range(3):
        assert sender.run_once() == 0
    dead = forwarding.dead_letters(lrs_instance)
    assert sorted(d["statement_id"] for d in dead) == sorted(ids)
    assert all(d["attempts"] == 3 and "503" in d["last_error"] for d in dead)
    app.fail_with = None
    assert sender.run_once() == 0  # dead letters wait for an operator
    assert forwarding.replay(lrs_instance, "hook") == 2
    assert sender.run_once() == 2
    assert sorted(app.statement_ids) == sorted(ids)
    assert forwarding.dead_letters(lrs_instance) == []


def test_backoff_delays_the_next_attempt(lrs_instance: LRS, receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    app.secret = forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url)["secret"]
    app.fail_with = 500
    store(lrs_instance, [statement()])
    sender = forwarding.Sender(lrs_instance, base_delay=60)
    sender.run_once()
    app.fail_with = None
    assert sender.run_once() == 0  # not due for a minute
    assert app.statement_ids == []


def test_one_sender_at_a_time(lrs_instance: LRS) -> None:
    first = forwarding.Sender(lrs_instance, lease_seconds=0.5)
    second = forwarding.Sender(lrs_instance, lease_seconds=0.5)
    assert first.holds_lease()
    assert not second.holds_lease()
    time.sleep(0.6)  # the first holder stopped renewing (crashed): the lease expires and is taken over
    assert second.holds_lease()
    assert not first.holds_lease()


def test_lrs_target_gets_each_statement_exactly_once_after_a_killed_sender(
    lrs_instance: LRS, peer: Peer, database_url: str
) -> None:
    forwarding.add_target(lrs_instance, name="peer", kind="xapi", url=peer.url, username=peer.key, password=peer.secret)
    ids: list[str] = []
    for _ in range(12):
        ids += store(lrs_instance, [statement(id=str(uuid.uuid4())) for _ in range(50)])
    sender = lrs_command(database_url, "forward", "run", "--batch-size", "10", "--lease-seconds", "2")
    deadline = time.monotonic() + 60
    while peer.statement_count() < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    sender.send_signal(signal.SIGKILL)  # mid-way, without releasing its lease or finishing a batch
    sender.wait(timeout=10)
    delivered_before = peer.statement_count()
    assert 100 <= delivered_before < len(ids)
    # A second sender takes over once the dead one's lease expires, and redelivers harmlessly.
    time.sleep(2.2)
    again = lrs_command(database_url, "forward", "run", "--once", "--batch-size", "50")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert sorted(peer.statement_ids()) == sorted(ids)  # every statement, once
    with lrs_instance.db.read() as conn:
        assert forwarding_store.pending_count(conn) == 0
    assert forwarding.dead_letters(lrs_instance) == []


def test_lrs_serve_runs_one_sender_across_its_workers(
    lrs_instance: LRS, receiver: tuple[Receiver, str], database_url: str, tmp_path: Any
) -> None:
    from api.test_lrs_serve import start_lrs_serve, stop

    app, url = receiver
    app.secret = forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url)["secret"]
    served = start_lrs_serve(database_url, tmp_path, workers=2, threads=1)
    try:
        ids = []
        for _ in range(5):
            body = json.dumps([statement(id=str(uuid.uuid4())) for _ in range(20)]).encode()
            status, _, answer = served.request("POST", "/xapi/statements", body, **{"Content-Type": "application/json"})
            assert status == 200, answer
            ids += json.loads(answer)
        deadline = time.monotonic() + 30
        while len(app.statement_ids) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a second sender delivering the same rows would show up as duplicates now
    finally:
        assert stop(served) == 0
    assert sorted(app.statement_ids) == sorted(ids)
    assert app.bad_signatures == 0


# --- attachments ---------------------------------------------------------------------------------------------------

class Requests:
    """The requests a sender makes, recorded from its HTTP client."""

    def __init__(self, sender: forwarding.Sender):
        self.seen: list[httpx.Request] = []
        sender.client.event_hooks["request"] = [self.seen.append]

    def bodies(self, method: str) -> list[tuple[str, bytes]]:
        return [(r.headers["Content-Type"], r.read()) for r in self.seen if r.method == method]


def test_lrs_target_gets_attachments_byte_for_byte_and_signatures_intact(
    lrs_instance: LRS, peer: Peer, rsa_key: Any  # noqa: ANN401
) -> None:
    forwarding.add_target(lrs_instance, name="peer", kind="xapi", url=peer.url, username=peer.key, password=peer.secret)
    text = b"Reflective account, version 2"
    # Two statements share one attachment (one part for it), a third carries another, a fourth is signed.
    with_binary = [statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)]) for _ in range(2)]
    with_text = statement(id=str(uuid.uuid4()), attachments=[attachment(text, "text/plain")])
    by_url = statement(id=str(uuid.uuid4()), attachments=[{**attachment(b"elsewhere"), "fileUrl": "https://files.example/x"}])
    ids = store_with_content(lrs_instance, [*with_binary, with_text, by_url],
                             [("application/pdf", BINARY), ("text/plain", text)])
    signed_statement, token = signed(rsa_key)
    ids += store_with_content(lrs_instance, [signed_statement], [("application/octet-stream", token)])

    sender = forwarding.Sender(lrs_instance)
    requests = Requests(sender)
    assert sender.run_once() == 5
    assert forwarding.dead_letters(lrs_instance) == []  # a strict target took them all
    # The target holds the very bytes, the JWS among them, and every statement with its attachment metadata.
    held = peer.lrs.attachments({sha256(BINARY), sha256(text), sha256(token), sha256(b"elsewhere")})
    assert held == {sha256(BINARY): ("application/pdf", BINARY), sha256(text): ("text/plain", text),
                    sha256(token): ("application/octet-stream", token)}
    assert sorted(peer.statement_ids()) == sorted(ids)
    operator = peer.lrs.operator_principal()
    there = peer.lrs.get_statement(signed_statement["id"], voided=False, principal=operator)
    assert there["attachments"] == signed_statement["attachments"]
    # One multipart/mixed POST: the statements first, then one part per distinct sha2, in the statements' order.
    [(content_type, body)] = requests.bodies("POST")
    assert content_type.startswith("multipart/mixed; boundary=")
    first, parts = parse_multipart(content_type, body)
    assert [s["id"] for s in json.loads(first)] == ids
    assert [(p.hash_header, p.content_type, p.transfer_encoding, p.content) for p in parts] == [
        (sha256(BINARY), "application/pdf", "binary", BINARY),
        (sha256(text), "text/plain", "binary", text),
        (sha256(token), "application/octet-stream", "binary", token),
    ]


def test_the_put_fallback_carries_each_statements_own_attachments(lrs_instance: LRS, peer: Peer) -> None:
    forwarding.add_target(lrs_instance, name="peer", kind="xapi", url=peer.url, username=peer.key, password=peer.secret)
    clash = statement(id=str(uuid.uuid4()))
    peer.lrs.store_statements({**clash, "verb": {"id": COMPLETED}}, peer.lrs.operator_principal(), "1.0.3")
    carried = statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])
    plain = statement(id=str(uuid.uuid4()))
    store_with_content(lrs_instance, [clash, carried, plain], [("application/pdf", BINARY)])

    sender = forwarding.Sender(lrs_instance)
    requests = Requests(sender)
    assert sender.run_once() == 2  # the batch is refused (409 for the clash), then each goes on its own
    assert peer.lrs.attachments({sha256(BINARY)}) == {sha256(BINARY): ("application/pdf", BINARY)}
    assert [d["statement_id"] for d in forwarding.dead_letters(lrs_instance)] == [clash["id"]]
    puts = requests.bodies("PUT")
    assert len(puts) == 3
    assert [c.split(";")[0] for c, _ in puts] == ["application/json", "multipart/mixed", "application/json"]
    first, parts = parse_multipart(*puts[1])
    assert json.loads(first)["id"] == carried["id"] and [p.content for p in parts] == [BINARY]


def test_content_this_lrs_lacks_is_dead_lettered_with_the_targets_reason(lrs_instance: LRS, peer: Peer) -> None:
    forwarding.add_target(lrs_instance, name="peer", kind="xapi", url=peer.url, username=peer.key, password=peer.secret)
    [lost] = store_with_content(lrs_instance, [statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])],
                                [("application/pdf", BINARY)])
    lrs_instance.db.write(lambda conn: conn.execute(Attachment.__table__.delete()))  # the content is gone here
    sender = forwarding.Sender(lrs_instance)
    assert sender.run_once() == 0
    [dead] = forwarding.dead_letters(lrs_instance)
    assert dead["statement_id"] == lost
    assert dead["last_error"].startswith("HTTP 400") and "attachment-missing-part" in dead["last_error"]
    assert peer.statement_count() == 0
    # With the content here again (as for a statement dead-lettered before forwarding carried attachments),
    # a replay delivers it, bytes and all, and the dead-letter list is empty.
    lrs_instance.db.write(lambda conn: conn.execute(Attachment.__table__.insert().values(
        sha2=sha256(BINARY), content_type="application/pdf", length=len(BINARY), content=BINARY)))
    assert forwarding.replay(lrs_instance) == 1
    assert sender.run_once() == 1
    assert forwarding.dead_letters(lrs_instance) == [] and peer.statement_ids() == [lost]
    assert peer.lrs.attachments({sha256(BINARY)}) == {sha256(BINARY): ("application/pdf", BINARY)}


def test_webhook_gets_attachment_metadata_not_content(lrs_instance: LRS, receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    app.secret = forwarding.add_target(lrs_instance, name="hook", kind="webhook", url=url)["secret"]
    sent = statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])
    store_with_content(lrs_instance, [sent], [("application/pdf", BINARY)])
    assert forwarding.Sender(lrs_instance).run_once() == 1
    [got] = app.statements
    assert got["attachments"] == sent["attachments"]
