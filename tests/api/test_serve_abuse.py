"""Abuse against the real `lrs serve` (granian) on 127.0.0.1: chunked bodies over the limit, idle and slow
connections, and a second server on a port already taken (issue 15)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.test_lrs_serve import MAX_PAYLOAD, Served, start_lrs_serve, stop


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = start_lrs_serve(database_url, tmp_path_factory.mktemp("serve-abuse"))
    yield running
    if running.process.poll() is None:
        stop(running)


def _send_chunked(served: Served, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    conn = served.connection()
    try:
        conn.putrequest(method, path)
        for name, value in served.headers(**{"Content-Type": content_type, "Transfer-Encoding": "chunked"}).items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for start in range(0, len(body), 16_384):
                piece = body[start:start + 16_384]
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_chunked_batch_over_the_limit_is_a_413_and_stores_nothing(served: Served) -> None:
    marker = f"https://lrs.example/activities/chunked-{uuid.uuid4()}"
    batch = [
        {"actor": {"mbox": "mailto:big@la.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
         "object": {"id": marker}, "result": {"response": "x" * 1000}}
        for _ in range(400)
    ]
    body = json.dumps(batch).encode()
    assert len(body) > MAX_PAYLOAD
    status, answer = _send_chunked(served, "POST", "/xapi/statements", body, "application/json")
    assert status == 413, answer[:300]
    error = json.loads(answer)["error"]
    assert "LRS_MAX_PAYLOAD" in error["message"] and str(MAX_PAYLOAD) in error["message"]
    status, _, found = served.request("GET", "/xapi/statements?activity=" + marker)
    assert status == 200 and json.loads(found)["statements"] == []


def test_a_chunked_document_over_the_limit_is_a_413_and_not_stored(served: Served) -> None:
    query = "/xapi/activities/state?activityId=https%3A%2F%2Flrs.example%2Fa&stateId=big&agent=" + \
        "%7B%22mbox%22%3A%22mailto%3Ajo%40la.example%22%7D"
    status, answer = _send_chunked(served, "PUT", query, b"x" * (MAX_PAYLOAD + 5_000), "application/octet-stream")
    assert status == 413, answer[:300]
    assert served.request("GET", query)[0] == 404


def _idle_sockets(port: int, count: int) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        opened.append(s)
    return opened


def _slowloris(port: int, stop_at: float, opened: list[socket.socket]) -> None:
    """Sends a request head one byte every two seconds, never finishing it."""
    head = b"POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: "
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    opened.append(s)
    sent = 0
    while time.monotonic() < stop_at:
        try:
            s.send(head[sent:sent + 1] if sent < len(head) else b"a")
        except OSError:
            return  # the server dropped us: what it should do
        sent += 1
        time.sleep(2)


@pytest.mark.slow
def test_idle_and_slow_connections_do_not_stop_other_clients(served: Served) -> None:
    opened = _idle_sockets(served.port, 1100)
    slow_sockets: list[socket.socket] = []
    stop_at = time.monotonic() + 40
    senders = [threading.Thread(target=_slowloris, args=(served.port, stop_at, slow_sockets), daemon=True) for _ in range(8)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(3)
        answered = []
        for _ in range(18):
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
            try:
                conn.request("GET", "/xapi/about", headers=served.headers())
                status = conn.getresponse().status
            except OSError:
                status = 0
            finally:
                conn.close()
            answered.append((status, round(time.monotonic() - started, 2)))
            if status != 200:
                break
        assert len(opened) >= 1000
        assert [s for s, _ in answered] == [200] * 18, answered
        assert max(t for _, t in answered) < 5, answered
    finally:
        for s in opened + slow_sockets:
            s.close()


def test_a_second_serve_on_a_taken_port_stops_with_a_clear_message(served: Served, tmp_path: Path) -> None:
    env = {**os.environ, "LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}", "LRS_PORT": str(served.port)}
    command = [sys.executable, "-c", "from lrs.cli import main; main()", "serve"]
    try:
        finished = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("a second lrs serve on a taken port kept running")
    assert finished.returncode != 0
    said = finished.stdout + finished.stderr
    assert f"127.0.0.1:{served.port}" in said and "already in use" in said, said
