"""`lrs serve`, the production server the README starts, run as a user runs it: a subprocess on a real port,
reached over real HTTP by the tincan client and by hand-made requests (bad ones included)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from tincan import Activity, Agent, RemoteLRS, Statement, Verb

KEY, SECRET = "serve-test", "serve-test-secret-0123456789"
MAX_PAYLOAD = 200_000


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    output: Path
    access_log: Path

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def headers(self, **extra: str) -> dict[str, str]:
        token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3", **extra}

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, dict, bytes]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=self.headers(**headers))
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lrs_serve(
    database_url: str,
    workdir: Path,
    *,
    workers: int = 2,
    threads: int = 2,
    own_session: bool = False,
    wait_for_answer: bool = True,
) -> Served:
    """``lrs serve`` in a subprocess, once it answers (at once with ``wait_for_answer=False``); ``own_session``: in
    a process group of its own (with its workers), which a test can kill whole. A killed server cannot remove its
    temporary files (the workers' board, the metrics directory), so with ``own_session`` they go in ``workdir``,
    which pytest removes."""
    port = _free_port()
    output = workdir / "serve.out"
    access_log = workdir / "access.log"
    env = {
        **os.environ,
        "LRS_DATABASE_URL": database_url,
        "LRS_PORT": str(port),
        "LRS_WORKERS": str(workers),
        "LRS_THREADS": str(threads),
        "LRS_BOOTSTRAP_KEY": KEY,
        "LRS_BOOTSTRAP_SECRET": SECRET,
        "LRS_MAX_PAYLOAD": str(MAX_PAYLOAD),
        "LRS_ACCESS_LOG": str(access_log),
    }
    if own_session:
        env["TMPDIR"] = str(workdir)
    command = [sys.executable, "-c", "from lrs.cli import main; main()", "serve"]
    with open(output, "wb") as out:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=own_session
        )
    served = Served(process, port, output, access_log)
    if not wait_for_answer:
        return served
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"lrs serve exited with {process.returncode}:\n{output.read_text()}")
        try:
            if served.request("GET", "/xapi/about")[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"lrs serve did not answer within 60 s:\n{output.read_text()}")


def stop(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    return served.process.wait(timeout=45)


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = start_lrs_serve(database_url, tmp_path_factory.mktemp("serve"))
    yield running
    if running.process.poll() is None:
        stop(running)


def statement(n: int = 0, **extra: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:serve@la.example", "name": "Sam Serve"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}},
        "object": {"id": f"https://lrs.example/activities/serve-{n}"},
        **extra,
    }


def test_it_prints_the_endpoint_and_the_credential(served: Served) -> None:
    printed = served.output.read_text()
    assert f"LRS endpoint: http://127.0.0.1:{served.port}/xapi/" in printed
    assert f"key {KEY}" in printed


def test_tincan_saves_and_reads_back(served: Served) -> None:
    remote = RemoteLRS(endpoint=f"http://127.0.0.1:{served.port}/xapi/", version="1.0.3", username=KEY, password=SECRET)
    sent = Statement(
        actor=Agent(name="Sam Serve", mbox="mailto:serve@la.example"),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/attended"),
        object=Activity(id="https://lrs.example/activities/serve-tincan"),
    )
    saved = remote.save_statement(sent)
    assert saved.success, saved.data
    got = remote.retrieve_statement(saved.content.id)
    assert got.success, got.data
    assert got.content.object.id == "https://lrs.example/activities/serve-tincan"


def test_a_batch_over_keep_alive_then_queried_back(served: Served) -> None:
    batch = [statement(n) for n in range(50)]
    conn = served.connection()
    try:
        conn.request("POST", "/xapi/statements", body=json.dumps(batch), headers=served.headers(**{"Content-Type": "application/json"}))
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert json.loads(response.read()) == [s["id"] for s in batch]
        # The same connection again: keep-alive works.
        conn.request("GET", f"/xapi/statements?statementId={batch[7]['id']}", headers=served.headers())
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["object"]["id"] == "https://lrs.example/activities/serve-7"
    finally:
        conn.close()


def test_a_bad_statement_gets_a_json_400_naming_the_rule_and_path(served: Served) -> None:
    bad = statement(verb={"display": {"en-GB": "attended"}})
    status, headers, body = served.request("POST", "/xapi/statements", json.dumps(bad).encode(), **{"Content-Type": "application/json"})
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["path"] == "verb.id" and error["rule"]


def test_a_body_over_the_limit_gets_a_json_413(served: Served) -> None:
    huge = [statement(n, result={"response": "x" * 1000}) for n in range(MAX_PAYLOAD // 1000 + 10)]
    body = json.dumps(huge).encode()
    assert len(body) > MAX_PAYLOAD
    status, _, answer = served.request("POST", "/xapi/statements", body, **{"Content-Type": "application/json"})
    assert status == 413
    assert json.loads(answer)["error"]["status"] == 413


def test_a_chunked_upload_is_read_whole(served: Served) -> None:
    """Some clients stream their body without a Content-Length."""
    sent = statement(1)
    data = json.dumps(sent).encode()
    conn = served.connection()
    try:
        conn.putrequest("POST", "/xapi/statements")
        for name, value in served.headers(**{"Content-Type": "application/json", "Transfer-Encoding": "chunked"}).items():
            conn.putheader(name, value)
        conn.endheaders()
        for start in range(0, len(data), 40):
            piece = data[start:start + 40]
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert json.loads(response.read()) == [sent["id"]]
    finally:
        conn.close()


def test_a_large_result_arrives_whole(served: Served) -> None:
    """Statement results are streamed: the page must still arrive as one valid JSON document."""
    batch = [statement(n, result={"response": "reflection " * 30}) for n in range(200)]
    assert len(json.dumps(batch)) < MAX_PAYLOAD
    status, _, body = served.request("POST", "/xapi/statements", json.dumps(batch).encode(), **{"Content-Type": "application/json"})
    assert status == 200, body
    status, _, body = served.request("GET", "/xapi/statements?limit=1000&agent=" + quote(json.dumps({"mbox": "mailto:serve@la.example"})))
    assert status == 200
    page = json.loads(body)
    assert len(page["statements"]) >= 200


def test_requests_are_written_to_the_access_log(served: Served) -> None:
    served.request("GET", "/xapi/about")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if served.access_log.exists() and "/xapi/about" in served.access_log.read_text():
            return
        time.sleep(0.1)
    pytest.fail("no access log line for GET /xapi/about")


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    running = start_lrs_serve(f"sqlite:///{tmp_path}/lrs.sqlite3", tmp_path, workers=1, threads=1)
    assert running.request("POST", "/xapi/statements", json.dumps(statement()).encode(), **{"Content-Type": "application/json"})[0] == 200
    assert stop(running) == 0
    with pytest.raises(OSError):
        running.request("GET", "/xapi/about")


def test_ready_is_printed_once_requests_are_taken(tmp_path: Path) -> None:
    """The banner comes before granian's workers bind the port; a user (or script) who sends a request the moment
    "ready:" appears must get an answer, not a refused connection."""
    running = start_lrs_serve(f"sqlite:///{tmp_path}/lrs.sqlite3", tmp_path, workers=2, threads=1, wait_for_answer=False)
    try:
        deadline = time.monotonic() + 60
        while "ready:" not in running.output.read_text():
            assert running.process.poll() is None, running.output.read_text()
            assert time.monotonic() < deadline, f"no ready line within 60 s:\n{running.output.read_text()}"
            time.sleep(0.01)
        assert running.request("GET", "/xapi/about")[0] == 200  # at once: no retry
        lines = running.output.read_text().splitlines()
        ready = [k for k, line in enumerate(lines) if line.startswith("ready:")]
        serving = [k for k, line in enumerate(lines) if line.startswith("serving:")]
        assert len(ready) == 1 and serving and serving[0] < ready[0], lines
        assert "accepting requests" in lines[ready[0]]
    finally:
        assert stop(running) == 0


def _wait_for_line(served: Served, text: str, count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while served.output.read_text().count(text) < count:
        assert served.process.poll() is None, served.output.read_text()
        assert time.monotonic() < deadline, f"no {text!r} within 60 s:\n{served.output.read_text()}"
        time.sleep(0.01)


@pytest.mark.parametrize("when", ["serving", "starting", "twice"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_whole_group_stops_the_server_at_once(tmp_path: Path, signum: int, when: str) -> None:
    """Ctrl-C in a terminal sends SIGINT to every process of the group, and systemd stops a service by sending
    SIGTERM to all its processes: each worker then gets the signal twice (the second from granian's main
    process). With granian alone such a stop often waited 30 s for granian to kill the workers. "starting": the
    signal comes while a worker is still loading its app; "twice": the group is signalled twice, at once (a
    second Ctrl-C). Without lrs.cli.serve's handling of stop signals, "starting" failed in every run and the
    others in some (5 of the 6 cases in one run)."""
    running = start_lrs_serve(
        f"sqlite:///{tmp_path}/lrs.sqlite3", tmp_path, workers=3, threads=1, own_session=True, wait_for_answer=False
    )
    try:
        if when == "starting":
            _wait_for_line(running, "Spawning worker-2")
        else:
            _wait_for_line(running, "Started worker", 3)
            assert running.request("GET", "/xapi/about")[0] == 200
            time.sleep(1)  # settled: each worker's sender thread has made its first round
        os.killpg(running.process.pid, signum)
        if when == "twice":
            os.killpg(running.process.pid, signum)
        assert running.process.wait(timeout=15) == 0, running.output.read_text()
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()
    printed = running.output.read_text()
    assert "Killing worker" not in printed and "Granian shutdown completed" in printed, printed


def test_only_granians_advice_on_the_worker_count_is_kept_quiet() -> None:
    """SQLite runs one more worker than CPUs on purpose; granian's other warnings still reach the operator."""
    import logging

    from lrs.cli import _DeliberateWorkerCount

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("_granian", logging.WARNING, __file__, 1, message, None, None)

    quiet = _DeliberateWorkerCount()
    assert not quiet.filter(record("Configured number of workers appears to be higher than the amount of CPU cores available."))
    assert quiet.filter(record("Unexpected exit from worker-1"))
