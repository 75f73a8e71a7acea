"""Throttling failed authentication: after too many failures for one key, or from one client address, within a
window, requests are answered 429 with Retry-After until it passes.

An address over its limit is refused outright only for the keys that failed from it in the window (and every
failing request from it is a 429, not a 401); a key that has not failed from there is still checked, so one
client's stale secret does not lock out the other clients that share its address (a reverse proxy, a NAT, an LMS
serving several tenants). xAPI defines 429 as too many requests "from the Client or set of credentials"
(Communication 3.2); a client whose own credential is right is neither. A guesser gains one checked try per key
name per window from that address, and the per-key limit still holds every key wherever the tries come from.

The counters live in each worker's memory. A shared table would hold the limit exactly across workers, but
every failure would cost a write and every request a read; in memory a request that authenticates pays one
dictionary look-up (measured in docs/operations.md, "Security"). With W workers a client gets at most W times
the allowance, which still holds a guesser to a few hundred tries a minute against a 256-bit random secret, or
a 16-character operator-chosen one. Successes never count, so legitimate clients are not slowed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from lrs.xapi.errors import XAPIError

#: Failures tolerated within WINDOW_SECONDS, per client address and per key.
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_KEY = 50
WINDOW_SECONDS = 60.0
#: Addresses and keys remembered at most (the oldest are forgotten first), so a flood cannot grow memory.
MAX_TRACKED = 10_000


@dataclass
class Throttled(XAPIError):
    """A 429: too many failed authentications. ``retry_after`` is in whole seconds."""

    retry_after: int = 1


class FailureCounter:
    """Failure times per name, within a sliding window. Safe to share between a worker's threads."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS):
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, name: str, now: float) -> float:
        """Seconds until ``name`` may try again (0 when it may now)."""
        times = self._failures.get(name)
        if not times or len(times) < self.limit:
            return 0.0
        with self._lock:
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return 0.0
            return times[-self.limit] + self.window - now

    def record(self, name: str, now: float) -> None:
        with self._lock:
            times = self._failures.pop(name, None) or deque(maxlen=self.limit)
            times.append(now)
            self._failures[name] = times  # re-inserted: the dict's order is least recently failed first
            while len(self._failures) > MAX_TRACKED:
                del self._failures[next(iter(self._failures))]


class AuthThrottle:
    """The counters a worker keeps: by client address, by key, and which keys failed from which address."""

    def __init__(self) -> None:
        self.by_address = FailureCounter(MAX_FAILURES_PER_ADDRESS)
        self.by_key = FailureCounter(MAX_FAILURES_PER_KEY)
        #: One failure is enough: it marks the key as one this address has been failing with.
        self.by_address_and_key = FailureCounter(1)

    def check(self, address: str | None, key: str) -> None:
        """Raise Throttled when this key has failed too often lately, or this address has and this key is one of
        its failures. Any other key from that address is let through to be checked (see ``failed``)."""
        now = time.monotonic()
        wait = self.by_key.retry_after(key, now)
        address_wait = self.by_address.retry_after(address or "", now)
        if address_wait > 0 and self.by_address_and_key.retry_after(_pair(address, key), now) > 0:
            wait = max(wait, address_wait)
        if wait > 0:
            raise _throttled(wait)

    def failed(self, address: str | None, key: str) -> None:
        """Count a failure; raise Throttled (rather than let it be a 401) when the address was already over its
        limit."""
        now = time.monotonic()
        address_wait = self.by_address.retry_after(address or "", now)
        self.by_address.record(address or "", now)
        self.by_address_and_key.record(_pair(address, key), now)
        if key:
            self.by_key.record(key, now)
        if address_wait > 0:
            raise _throttled(address_wait)


def _pair(address: str | None, key: str) -> str:
    return f"{address or ''}\n{key}"


def _throttled(wait: float) -> Throttled:
    return Throttled(
        "too many failed authentications from this client or for this key; try again later",
        status=429,
        rule="authentication-throttled",
        path="Authorization",
        retry_after=max(1, math.ceil(wait)),
    )
