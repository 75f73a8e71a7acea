"""A lease: one holder at a time among the processes (and machines) that share the database, taken over once it
expires (the ``leases`` table, lrs.store.forwarding). The forwarding sender and the answer keeper run in every
``lrs serve`` worker, and each works only while it holds its own lease."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from lrs.store import forwarding as store

#: The statement service reaches this module (through forwarding), so it names the LRS only as ``LRS`` (an alias
#: of Any), as lrs.services.forwarding does: importing lrs.services.statements here would be an import cycle.
LRS = Any


class Lease:
    """The lease ``name`` as this process would hold it (``holder``: host, process and a random part, unless given)."""

    def __init__(self, lrs: LRS, name: str, *, holder: str | None = None, seconds: float = 30.0):
        self.lrs = lrs
        self.name = name
        self.seconds = seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def hold(self) -> bool:
        """Take or renew it until ``seconds`` from now; False while another holds it (a write)."""
        now = datetime.now(UTC)
        return self.lrs.db.write(
            lambda conn: store.try_lease(conn, self.name, self.holder, now=now, seconds=self.seconds)
        )

    def release(self) -> None:
        """Let it go (if this holder has it), so that another may take it at once."""
        self.lrs.db.write(lambda conn: store.release_lease(conn, self.name, self.holder))
