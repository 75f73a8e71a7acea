"""Keep-alive connections handed back by a worker that runs every request while another idles
(lrs.api.spread): the rule on a clock the test moves, and granian honouring it under a real `lrs serve`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.test_lrs_serve import start_lrs_serve, stop
from lrs.api import spread
from lrs.api.spread import BoardFull, SpreadConnections, WorkerBoard, create_board

OWN, SIBLING, GONE = 101, 202, 303


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def board_path() -> Iterator[str]:
    path = create_board(2)
    yield path
    os.remove(path)


def alive(pid: int) -> bool:
    return pid != GONE


def app(environ: dict, start_response) -> list[bytes]:  # noqa: ANN001
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def failing_app(environ: dict, start_response) -> list[bytes]:  # noqa: ANN001
    raise RuntimeError("the app failed")


def request(middleware: SpreadConnections, clock: Clock, seconds: float = 0.0,
            protocol: str = "HTTP/1.1") -> list[tuple[str, str]]:
    """One request taking ``seconds`` on the clock; the headers the server was given."""
    given: list[tuple[str, str]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        given.extend(headers)

    def timed_app(environ: dict, start) -> list[bytes]:  # noqa: ANN001
        clock.now += seconds
        return app(environ, start)

    middleware.app = timed_app
    middleware({"SERVER_PROTOCOL": protocol}, start_response)
    return given


def closes(headers: list[tuple[str, str]]) -> bool:
    return ("Connection", "close") in headers


def busy_for(middleware: SpreadConnections, clock: Clock, seconds: float, **kw: str) -> list[bool]:
    """Requests of 10 ms back to back for ``seconds``: which were answered with Connection: close."""
    answers = []
    end = clock.now + seconds
    while clock.now < end:
        answers.append(closes(request(middleware, clock, 0.01, **kw)))
    return answers


def two_workers(board_path: str, clock: Clock, sibling_busy: bool) -> tuple[SpreadConnections, WorkerBoard]:
    sibling = WorkerBoard(board_path, pid=SIBLING, alive=alive)
    sibling.mark(sibling_busy, clock.now)
    own = SpreadConnections(app, WorkerBoard(board_path, pid=OWN, alive=alive), clock=clock)
    return own, sibling


def test_each_worker_claims_a_slot_of_its_own_and_a_dead_workers_slot_is_taken_again(board_path: str) -> None:
    first = WorkerBoard(board_path, pid=OWN, alive=alive)
    gone = WorkerBoard(board_path, pid=GONE, alive=alive)
    assert first.slot != gone.slot
    again = WorkerBoard(board_path, pid=OWN, alive=alive)
    assert again.slot == first.slot  # a worker finds its own slot again
    replacement = WorkerBoard(board_path, pid=SIBLING, alive=alive)
    assert replacement.slot == gone.slot  # the dead worker's slot, not a new one


def test_a_full_board_refuses_a_slot_rather_than_share_one(board_path: str) -> None:
    holders = [WorkerBoard(board_path, pid=pid, alive=alive) for pid in (1, 2, 3, 4)]  # two workers' room: 4
    assert len({board.slot for board in holders}) == 4
    with pytest.raises(BoardFull):
        WorkerBoard(board_path, pid=5, alive=alive)


def test_a_busy_worker_hands_back_one_connection_while_another_idles(board_path: str) -> None:
    clock = Clock()
    own, _ = two_workers(board_path, clock, sibling_busy=False)
    clock.now += spread.IDLE_FOR
    answers = busy_for(own, clock, 2.0)
    closed = [i for i, closed in enumerate(answers) if closed]
    # Not before the worker has been busy for BUSY_FOR; then one close every CLOSE_EVERY, not more.
    # (request i is answered when the clock has moved (i + 1) * 10 ms)
    assert closed and round((closed[0] + 1) * 0.01, 6) >= spread.BUSY_FOR
    gaps = [round((b - a) * 0.01, 6) for a, b in zip(closed, closed[1:], strict=False)]
    assert len(closed) >= 3 and all(gap >= spread.CLOSE_EVERY for gap in gaps)


def test_nothing_is_closed_when_every_worker_is_busy(board_path: str) -> None:
    clock = Clock()
    own, _ = two_workers(board_path, clock, sibling_busy=True)
    clock.now += 5
    assert not any(busy_for(own, clock, 3.0))


def test_nothing_is_closed_for_a_worker_that_idles_between_requests(board_path: str) -> None:
    clock = Clock()
    own, _ = two_workers(board_path, clock, sibling_busy=False)
    for _ in range(300):
        assert not closes(request(own, clock, 0.01))
        clock.now += 2 * spread.GAP  # each request after a pause: never a run of BUSY_FOR


def test_a_sibling_that_died_idle_is_not_counted(board_path: str) -> None:
    clock = Clock()
    dead = WorkerBoard(board_path, pid=GONE, alive=alive)
    dead.mark(False, clock.now)
    own = SpreadConnections(app, WorkerBoard(board_path, pid=OWN, alive=alive), clock=clock)
    clock.now += 5
    assert not any(busy_for(own, clock, 2.0))


def test_only_http_1_1_responses_are_marked(board_path: str) -> None:
    clock = Clock()
    own, _ = two_workers(board_path, clock, sibling_busy=False)
    clock.now += spread.IDLE_FOR
    assert not any(busy_for(own, clock, 2.0, protocol="HTTP/2"))
    assert not any(busy_for(own, clock, 2.0, protocol="HTTP/1.0"))


def test_a_request_whose_app_fails_still_ends_on_the_board(board_path: str) -> None:
    clock = Clock()
    own, sibling = two_workers(board_path, clock, sibling_busy=False)
    own.app = failing_app
    with pytest.raises(RuntimeError):
        own({"SERVER_PROTOCOL": "HTTP/1.1"}, lambda *a: None)
    # Seen from the sibling, the failed worker is idle again (it would otherwise look busy for ever).
    clock.now += 5
    helper = SpreadConnections(app, sibling, clock=clock)
    assert any(busy_for(helper, clock, 2.0))


def test_lrs_serve_hands_back_a_connection_when_one_client_keeps_one_worker_busy(
    database_url: str, tmp_path: Path
) -> None:
    served = start_lrs_serve(database_url, tmp_path, workers=2, threads=1)
    try:
        conn = served.connection()
        statuses, closed, served_by_new_connection = [], 0, 0
        for _ in range(4000):
            conn.request("GET", "/xapi/about", headers=served.headers())
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
            if response.getheader("Connection", "").lower() == "close":
                closed += 1
            elif closed:
                served_by_new_connection += 1  # http.client opened a new connection on its own
            if closed >= 2 and served_by_new_connection >= 10:
                break
        conn.close()
        assert set(statuses) == {200}
        assert closed >= 2, "a worker busy back to back with the other idle never handed its connection back"
        assert served_by_new_connection >= 10
    finally:
        assert stop(served) == 0


def test_one_worker_has_no_board_and_closes_nothing(database_url: str, tmp_path: Path) -> None:
    served = start_lrs_serve(database_url, tmp_path, workers=1, threads=1)
    try:
        conn = served.connection()
        for _ in range(1500):
            conn.request("GET", "/xapi/about", headers=served.headers())
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() != "close"
        conn.close()
    finally:
        assert stop(served) == 0


def test_granian_sends_connection_close_and_http_client_reconnects(database_url: str, tmp_path: Path) -> None:
    """The mechanism the rule relies on, seen on the wire: a response marked ``Connection: close`` ends the
    connection, and the next request arrives on a new one."""
    served = start_lrs_serve(database_url, tmp_path, workers=2, threads=1)
    try:
        conn = served.connection()
        ports = set()
        closed = False
        for _ in range(4000):
            conn.request("GET", "/xapi/about", headers=served.headers())
            response = conn.getresponse()
            response.read()
            if conn.sock is not None:
                ports.add(conn.sock.getsockname()[1])
            if response.getheader("Connection", "").lower() == "close":
                closed = True
                assert conn.sock is None or response.will_close
            elif closed:
                break
        conn.close()
        assert closed and len(ports) >= 2
    finally:
        assert stop(served) == 0

