"""Throttling failed authentication: after too many failures from one client address, or for one key, within
a window, requests from that address (or naming that key) are answered 429 with Retry-After until it passes.

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
    """The two counters a worker keeps: by client address and by key."""

    def __init__(self) -> None:
        self.by_address = FailureCounter(MAX_FAILURES_PER_ADDRESS)
        self.by_key = FailureCounter(MAX_FAILURES_PER_KEY)

    def check(self, address: str | None, key: str) -> None:
        """Raise Throttled when this address or this key has failed too often lately."""
        now = time.monotonic()
        wait = max(self.by_address.retry_after(address or "", now), self.by_key.retry_after(key, now))
        if wait > 0:
            raise Throttled(
                "too many failed authentications from this client or for this key; try again later",
                status=429,
                rule="authentication-throttled",
                path="Authorization",
                retry_after=max(1, math.ceil(wait)),
            )

    def failed(self, address: str | None, key: str) -> None:
        now = time.monotonic()
        self.by_address.record(address or "", now)
        if key:
            self.by_key.record(key, now)
