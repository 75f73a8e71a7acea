"""Concurrent writers never see a 500: batches that share activities (and change their definitions) are posted
from many threads at once over real HTTP; the store retries serialisation failures and lock waits itself."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from urllib.error import HTTPError

WRITERS = 8
BATCHES = 6
BATCH_SIZE = 25
SHARED = [f"https://lrs.example/programmes/plp/seminar-{n}" for n in range(5)]


def batch(writer: int, number: int) -> list[dict]:
    return [
        {
            "actor": {"mbox": f"mailto:writer{writer}@la.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {
                "id": SHARED[(writer + i) % len(SHARED)],
                # Each writer names the shared activities in its own language: canonical definitions change.
                "definition": {"name": {f"en-x-w{writer}n{number}": f"Seminar by {writer}"}},
            },
            "context": {"contextActivities": {"grouping": [{"id": SHARED[i % len(SHARED)]}]}},
        }
        for i in range(BATCH_SIZE)
    ]


def test_concurrent_batches_sharing_activities_all_succeed(live_server, credential, client):
    auth = "Basic " + base64.b64encode(":".join(credential).encode()).decode()
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        start.wait()
        for number in range(BATCHES):
            request = urllib.request.Request(
                f"{live_server}/xapi/statements",
                data=json.dumps(batch(writer, number)).encode(),
                headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status = response.status
            except HTTPError as exc:
                status = exc.code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * (WRITERS * BATCHES)
    total, url = 0, "/xapi/statements?limit=1000"
    while url:
        body = client.get(url).get_json()
        total += len(body["statements"])
        url = body["more"]
    assert total == WRITERS * BATCHES * BATCH_SIZE
    # Every writer's language ended up in the canonical definition of the first shared activity.
    activity = client.get("/xapi/activities?activityId=" + SHARED[0]).get_json()
    assert len(activity["definition"]["name"]) >= WRITERS
