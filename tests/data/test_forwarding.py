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

import pytest
from conftest import statement
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from data.conftest import Peer, lrs_command
from lrs.services import forwarding
from lrs.services.statements import LRS
from lrs.store import forwarding as forwarding_store

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


class Receiver:
    """A webhook receiver that checks each request's signature, as an operator's would."""

    def __init__(self, secret: str = ""):
        self.secret = secret
        self.statement_ids: list[str] = []
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
