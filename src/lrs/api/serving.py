"""The HTTP server's own limits for `lrs serve` (granian), against idle and slow connections.

Measured on granian 2 (tests/api/test_serve_abuse.py, docs/operations.md "Security"):
- granian stops accepting when a worker holds ``backpressure`` connections, and its default (backlog /
  workers, 512 with two workers) counted idle sockets: 1,100 of them left no room for anyone else. Each
  worker now holds up to LRS_MAX_CONNECTIONS; only ``threads`` of them run Python at a time, the rest wait in
  Rust at a few kilobytes each.
- The header read timeout (LRS_HEADER_TIMEOUT) closes a connection that is slow to send its request head,
  byte-by-byte senders included, and an idle keep-alive connection. It starts at the first byte: a socket
  that never sends anything is held until the client closes it. A reverse proxy must bound that.
- The open-files limit is raised to what those connections need (up to the hard limit), so ``accept`` does
  not fail first.
"""

from __future__ import annotations

import resource
from typing import Any

from granian.http import HTTP1Settings

from lrs.config import Settings

#: Room for the database connections, log files and the listening socket besides the clients.
_SPARE_FILES = 256


def connection_limits(settings: Settings, workers: int) -> dict[str, Any]:
    """Keyword arguments for granian's Server."""
    raise_open_files_limit(settings.max_connections + _SPARE_FILES)
    return {
        "backlog": max(settings.max_connections, 1024),
        "backpressure": settings.max_connections,
        "http1_settings": HTTP1Settings(header_read_timeout=settings.header_timeout * 1000),
    }


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards ``wanted`` (never above the hard limit, never
    lower than it is). Forked workers inherit it. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


class PortInUse(RuntimeError):
    """Another process already listens on the address `lrs serve` was asked to use."""


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse when ``host:port`` is taken. granian binds with SO_REUSEPORT, so a second server on the
    same port started quietly and the kernel split requests between the two (and their databases)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by a server just stopped is free; Linux still refuses the bind
        # while any socket listens there.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"{host}:{port} is already in use ({exc.strerror}); stop the other server or choose "
                            "another port (--port or LRS_PORT)") from None


def wait_until_listening(host: str, port: int, *, timeout: float = 120.0, interval: float = 0.05) -> bool:
    """True once ``host:port`` accepts a TCP connection (closed again at once, before a byte is sent); False
    after ``timeout`` seconds. granian's workers each bind the port themselves (SO_REUSEPORT) once their app is
    loaded, about a second after `lrs serve` has printed its banner: until then a client is refused."""
    import socket
    import time

    # A wildcard address is not one to connect to; the loopback of its family reaches the same listener.
    address = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
