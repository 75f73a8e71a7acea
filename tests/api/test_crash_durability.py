"""A statement the LRS acknowledged survives the server being killed outright (SIGKILL, no clean-up).

`lrs serve` takes batches from several clients at once; midway, the whole server (its workers included) is
killed. Started again on the same database, it holds every statement it had answered 200 for, and on SQLite the
file passes `PRAGMA integrity_check`. On SQLite this crosses the LRS's own WAL checkpoints, which run between
requests (lrs.store.db.Database.write); a kill can land in the middle of one.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from .test_lrs_serve import Served, start_lrs_serve, stop

ACTIVITY = "https://lrs.example/activities/crash-durability"
CLIENTS = 3
BATCH = 50


def batch(client: int, n: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:learner-{client}-{k % 7}@la.example", "name": f"Learner {client}"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-GB": "experienced"}},
            "object": {"id": ACTIVITY, "definition": {"name": {"en-GB": "Supervision notes"}}},
            "context": {"contextActivities": {"grouping": [{"id": f"{ACTIVITY}/cohort-{client}"}]}},
            "result": {"duration": f"PT{n % 50 + 1}M", "response": "x" * (k * 13 % 400)},
            "timestamp": "2026-11-02T09:30:00Z",
        }
        for k in range(BATCH)
    ]


def ingest_until_killed(served: Served, seconds: float) -> tuple[set[str], int, list[str]]:
    """Clients post batches until the server dies; returns the ids it answered 200 for, the batches answered, and
    what went wrong before the kill (an answer other than 200 with the ids sent)."""
    acknowledged: set[str] = set()
    problems: list[str] = []
    sent = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        conn = served.connection()
        n = 0
        while time.monotonic() < stop_at:
            statements = batch(number, n)
            n += 1
            try:
                conn.request("POST", "/xapi/statements", body=json.dumps(statements).encode(),
                             headers=served.headers(**{"Content-Type": "application/json"}))
                response = conn.getresponse()
                body = response.read()
            # The server was killed, or closed this connection (before the answer, or in the middle of its body:
            # http.client.IncompleteRead): the answer never came.
            except (OSError, http.client.HTTPException):
                conn.close()
                if served.process.poll() is not None:
                    return
                conn = served.connection()
                continue
            with lock:
                sent[0] += 1
                if response.status == 200 and json.loads(body) == [s["id"] for s in statements]:
                    acknowledged.update(s["id"] for s in statements)
                else:
                    problems.append(f"{response.status}: {body[:200]!r}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = served.connection()
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    # Kill once the clients have been at it for a while, while their requests are in flight.
    time.sleep(seconds / 2)
    os.killpg(served.process.pid, signal.SIGKILL)
    served.process.wait(timeout=30)
    for t in threads:
        t.join(timeout=60)
    return acknowledged, sent[0], problems


def stored_ids(served: Served) -> set[str]:
    ids: set[str] = set()
    path = f"/xapi/statements?activity={ACTIVITY}&limit=500"
    while path:
        status, _, body = served.request("GET", path)
        assert status == 200, body[:300]
        page = json.loads(body)
        ids.update(s["id"] for s in page["statements"])
        path = page.get("more") or ""
    return ids


def test_every_acknowledged_statement_survives_a_sigkill(empty_database_url: str, tmp_path: Path) -> None:
    first = start_lrs_serve(empty_database_url, tmp_path, workers=2, threads=1, own_session=True)
    try:
        acknowledged, sent, problems = ingest_until_killed(first, seconds=6)
    finally:
        if first.process.poll() is None:
            os.killpg(first.process.pid, signal.SIGKILL)
    assert not problems, problems[:3]
    assert sent >= 10, "too few batches went through to test anything"
    assert len(acknowledged) >= 10 * BATCH

    if empty_database_url.startswith("sqlite"):
        conn = sqlite3.connect(empty_database_url.split("///", 1)[1])
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()

    workdir = tmp_path / "again"
    workdir.mkdir()
    again = start_lrs_serve(empty_database_url, workdir)
    try:
        missing = acknowledged - stored_ids(again)
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged statements were lost"
    finally:
        stop(again)
