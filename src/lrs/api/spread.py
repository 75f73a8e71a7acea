"""Keep-alive connections spread over `lrs serve`'s workers, not piled on one.

granian's workers each listen on the port with ``SO_REUSEPORT``: the kernel hands each new connection to a
worker by a hash of its addresses, and the connection stays with that worker for as long as the client keeps
it open. A worker runs ``threads`` requests at a time (one, on SQLite). So a client that keeps a few
connections open (an LMS, a reverse proxy) can land them all on one worker: that worker runs every request
one after another while the others sit idle. With four connections and three workers that happens one time
in 27. On SQLite it cost batches of 100 a third to a half of their throughput (docs/performance.md, the ninth
round).

The fix works at the HTTP level, where the connection's owner can act. Every worker marks, in a small file
that all of them map, whether it is running a request and since when. A worker that has run requests back to
back for ``BUSY_FOR`` seconds, while another live worker has been idle for ``IDLE_FOR``, answers one request
with ``Connection: close``. Such a worker answers at most one in every ``CLOSE_EVERY`` seconds. The client
opens a new connection for its next request (HTTP/1.1 clients do so on their own), and the kernel hands that
one out afresh. When every worker is busy, or only one client is at work, nothing is closed. Only HTTP/1.1
responses are marked: HTTP/2 has no ``Connection`` header, and HTTP/1.0 closes anyway.

WSGI leaves hop-by-hop headers to the server (PEP 3333), so this runs only under ``lrs serve``, whose server
(granian) honours the header (tests/api/test_spread.py). The app itself, and its tests, never see it.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

#: A request that starts within this long after the last one ended continues a run of back-to-back requests
#: (a client's own turnaround between two requests, on a loaded machine several milliseconds).
GAP = 0.02
#: How long a worker must have run requests back to back before it closes a connection (seconds).
BUSY_FOR = 0.25
#: How long another worker must have been idle for this one to close a connection (seconds).
IDLE_FOR = 0.25
#: A worker closes at most one connection in this many seconds.
CLOSE_EVERY = 0.5

#: One slot a worker: its pid, whether it runs a request (0/1), and since when (time.monotonic(), which is
#: the same clock in every process of the machine).
_SLOT = struct.Struct("=iid")


class BoardFull(RuntimeError):
    """Every slot of the board is held by a live process."""


def create_board(workers: int) -> str:
    """A new, zeroed board file for ``workers`` workers; the caller removes it when the server stops. It has
    twice as many slots, so that a worker granian starts in place of one that is still exiting finds one."""
    handle, path = tempfile.mkstemp(prefix="lrs-workers-")
    try:
        os.write(handle, bytes(_SLOT.size * 2 * workers))
    finally:
        os.close(handle)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process holds the pid: alive, not ours
        return True
    return True


class WorkerBoard:
    """This worker's view of the board: its own slot to write, the others' to read."""

    def __init__(self, path: str, pid: int | None = None, alive: Callable[[int], bool] = _alive):
        self.pid = pid if pid is not None else os.getpid()
        self._alive = alive
        self._file = open(path, "r+b")  # noqa: SIM115 - held for the worker's lifetime
        self._map = mmap.mmap(self._file.fileno(), 0)
        self._slots = len(self._map) // _SLOT.size
        self.slot = self._claim()

    def _claim(self) -> int:
        # A lock across the workers: two starting at once must not take the same slot.
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        try:
            free = None
            for index in range(self._slots):
                pid, _busy, _since = _SLOT.unpack_from(self._map, index * _SLOT.size)
                if pid == self.pid:
                    free = index
                    break
                if free is None and (pid == 0 or not self._alive(pid)):  # a worker that died: its slot is free
                    free = index
            if free is None:
                raise BoardFull(f"all {self._slots} slots of the workers' board are taken")
            _SLOT.pack_into(self._map, free * _SLOT.size, self.pid, 0, time.monotonic())
            return free
        finally:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def mark(self, busy: bool, now: float) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, self.pid, int(busy), now)

    def idle_sibling(self, now: float, idle_for: float) -> bool:
        """Another live worker has run no request for ``idle_for`` seconds."""
        for index in range(self._slots):
            if index == self.slot:
                continue
            pid, busy, since = _SLOT.unpack_from(self._map, index * _SLOT.size)
            if pid and not busy and now - since >= idle_for and self._alive(pid):
                return True
        return False


class SpreadConnections:
    """WSGI middleware for `lrs serve`'s workers: see the module's docstring."""

    def __init__(self, app: Callable[..., Iterable[bytes]], board: WorkerBoard,
                 clock: Callable[[], float] = time.monotonic):
        self.app = app
        self.board = board
        self.clock = clock
        self._lock = threading.Lock()  # a worker may run several threads
        self._running = 0
        self._busy_since = clock()
        self._last_end = float("-inf")
        self._last_close = float("-inf")
        board.mark(False, self._busy_since)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self._started()

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:  # noqa: ANN401
            if environ.get("SERVER_PROTOCOL") == "HTTP/1.1" and self._should_close():
                headers = [*headers, ("Connection", "close")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        # The request counts as ended when the app returns its body: granian sends what it returns as it is
        # (a file it may send with sendfile), so the body is not wrapped to see its end.
        try:
            return self.app(environ, start)
        finally:
            self._ended()

    def _started(self) -> None:
        with self._lock:
            now = self.clock()
            if self._running == 0:
                if now - self._last_end > GAP:  # an idle spell ended: a new run of requests starts
                    self._busy_since = now
                self.board.mark(True, now)
            self._running += 1

    def _ended(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self._last_end = self.clock()
                self.board.mark(False, self._last_end)

    def _should_close(self) -> bool:
        with self._lock:
            now = self.clock()
            if now - self._busy_since < BUSY_FOR or now - self._last_close < CLOSE_EVERY:
                return False
            if not self.board.idle_sibling(now, IDLE_FOR):
                return False
            self._last_close = now
            return True

