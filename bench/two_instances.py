"""Two ``lrs serve`` instances on one PostgreSQL database, driven together by ingest and query load.

    .venv/bin/python bench/two_instances.py                 # 20 s of load per case
    .venv/bin/python bench/two_instances.py --seconds 60 --clients 4

What it checks and measures (issue 23):
- no errors: every request of the mixed load (POST batches of 10 statements, GET pages by agent and the latest
  page) answers 200, on one instance and on two;
- a ``more`` link one instance gave is followed on the other (the cursor is signed with the server secret both
  read from the database);
- a credential revoked through one instance's database (``lrs credentials revoke``, what an operator runs) is
  refused by the other on its next request;
- throughput: requests and statements per second with one instance, then with two (the same number of clients
  spread over both). Results: bench/results/<date>-two-instances.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run as bench_run  # noqa: E402
from harness import Client, Server, git_commit, machine, summary_ms  # noqa: E402
from workload import Workload  # noqa: E402

KEY = "lrs-two"


def lrs_command(url: str, *args: str) -> str:
    script = Path(sys.executable).with_name("lrs")
    env = {**os.environ, "LRS_DATABASE_URL": url}
    done = subprocess.run([str(script), *args], env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def mixed_load(servers: list[Server], secret: str, bodies: list[bytes], agents: list[str], clients: int,
               seconds: float) -> dict[str, Any]:
    """``clients`` keep-alive clients spread over ``servers``; each alternates a POST of 10 statements and a
    GET (by agent or the latest page) until ``seconds`` pass."""
    lock = threading.Lock()
    next_body = [0]
    posts: list[float] = []
    gets: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        server = servers[n % len(servers)]
        client = Client(server.port, KEY, secret)
        rng = random.Random(n)
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next_body[0]
                    next_body[0] += 1
                if i >= len(bodies):
                    return
                t0 = time.perf_counter()
                status, data = client.request("POST", "/xapi/statements", bodies[i])
                t1 = time.perf_counter()
                path = "/xapi/statements?limit=50"
                if rng.random() < 0.7:
                    path += "&agent=" + urllib.parse.quote(rng.choice(agents))
                status2, data2 = client.request("GET", path)
                t2 = time.perf_counter()
                with lock:
                    (posts if status == 200 else errors).append(t1 - t0 if status == 200 else f"POST {status}: {data[:200]!r}")
                    (gets if status2 == 200 else errors).append(t2 - t1 if status2 == 200 else f"GET {status2}: {data2[:200]!r}")
        except OSError as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {
        "instances": len(servers),
        "clients": clients,
        "wall_seconds": round(wall, 2),
        "posts": len(posts),
        "statements_per_second": round(len(posts) * 10 / wall, 1),
        "queries_per_second": round(len(gets) / wall, 1),
        "requests_per_second": round((len(posts) + len(gets)) / wall, 1),
        "post_latency": summary_ms(posts),
        "get_latency": summary_ms(gets),
        "error_count": len(errors),
        "errors": errors[:5],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1, help="workers of each instance")
    ap.add_argument("--threads", type=int, default=4, help="threads of each worker")
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="lrs-two-"))
    target = bench_run.Target("postgresql", workdir, args.pg_url)
    url = target.fresh("two")
    secret = "two-instances-" + os.urandom(8).hex()
    result: dict[str, Any] = {"machine": machine(), "git": git_commit(BENCH_DIR.parent),
                              "shape": f"{args.workers} worker(s) x {args.threads} threads per instance"}
    servers: list[Server] = []
    try:
        for n in range(2):
            (workdir / str(n)).mkdir()
            server = Server(url, workdir / str(n), workers=args.workers, threads=args.threads, key=KEY, secret=secret)
            server.start()
            servers.append(server)
        a, b = servers
        wl = Workload(7, 200_000)
        statements = list(wl.statements(0, 60_000))
        bodies = [json.dumps(statements[i:i + 10]).encode() for i in range(0, len(statements), 10)]
        agents = [json.dumps(wl.agent(j)) for j in range(50)]
        # Some data first, so that a page has a `more` link.
        client_a, client_b = Client(a.port, KEY, secret), Client(b.port, KEY, secret)
        for body in bodies[:30]:
            status, data = client_a.request("POST", "/xapi/statements", body)
            assert status == 200, data
        bodies = bodies[30:]
        checks: dict[str, Any] = {}
        status, page, _ = client_a.get_json("/xapi/statements?limit=20")
        more = page.get("more") if status == 200 else None
        status_b, page_b, _ = client_b.get_json(more) if more else (None, None, 0)
        checks["more_from_a_followed_on_b"] = {
            "status": status_b, "statements": len((page_b or {}).get("statements", [])),
            "ok": status_b == 200 and bool((page_b or {}).get("statements")),
        }
        # A credential used on both, revoked through the database (as `lrs credentials revoke` does on any
        # instance's host), then refused by the other on its next request.
        created = lrs_command(url, "credentials", "create", "--name", "two-instances check", "--scope", "statements/read",
                              "--json")
        made = json.loads(created)
        key, cred_secret = made["key"], made["secret"]
        before = [Client(s.port, key, cred_secret).request("GET", "/xapi/statements?limit=1")[0] for s in servers]
        lrs_command(url, "credentials", "revoke", key)
        after = [Client(s.port, key, cred_secret).request("GET", "/xapi/statements?limit=1")[0] for s in servers]
        checks["revoked_credential"] = {"before": before, "after": after,
                                        "ok": before == [200, 200] and after == [401, 401]}
        result["checks"] = checks
        print(json.dumps(checks), flush=True)
        half = len(bodies) // 2
        result["one_instance"] = mixed_load([a], secret, bodies[:half], agents, args.clients, args.seconds)
        print(json.dumps(result["one_instance"]), flush=True)
        result["two_instances"] = mixed_load([a, b], secret, bodies[half:], agents, args.clients, args.seconds)
        print(json.dumps(result["two_instances"]), flush=True)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for server in servers:
            server.stop()
        target.drop_all()
    out = BENCH_DIR / "results" / f"{date.today().isoformat()}-two-instances.json"
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"saved {out}")
    ok = all(c["ok"] for c in result["checks"].values()) and not any(
        result[k]["error_count"] for k in ("one_instance", "two_instances"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
