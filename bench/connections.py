"""How a few keep-alive clients spread over ``lrs serve``'s workers (SQLite).

    .venv/bin/python bench/connections.py [--trials 30] [--clients 4] [--seconds 2] [--workers N]

One ``lrs serve`` on a fresh SQLite file in a temporary directory (removed at the end), then ``--trials``
trials. In each, ``--clients`` threads open new keep-alive connections and POST batches of 100 workload
statements back to back for ``--seconds``. The trial then closes them and waits half a second. The kernel
hands each new connection to a worker by a hash of its addresses (granian listens with SO_REUSEPORT in every
worker), so each trial deals the connections afresh.

For each trial the script prints:
* the statements per second;
* how many workers did the work in its first and in its last half second, counted from the workers' CPU time
  (``/proc``): a worker with at least a fifth of the busiest one's CPU in that half second;
* the responses that carried ``Connection: close`` (lrs.api.spread hands a connection back when its worker
  is busy and another is idle).

The summary counts the trials that ended with one worker doing all the work. Run it with each commit's own
interpreter: the LRS is the venv's, the workload this directory's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from harness import Client, Server, proc_cpu_seconds  # noqa: E402
from workload import Workload  # noqa: E402

KEY = "lrs-connections"
SECRET = "connections-secret-0123456789"


def busy_workers(before: dict[int, float], after: dict[int, float]) -> int:
    used = {pid: after.get(pid, 0.0) - before.get(pid, 0.0) for pid in after}
    most = max(used.values(), default=0.0)
    return sum(1 for cpu in used.values() if most > 0 and cpu >= most / 5)


def trial(server: Server, bodies: list[bytes], cursor: list[int], clients: int, seconds: float) -> dict:
    pids = server.worker_pids()
    lock = threading.Lock()
    done = [0]
    closes = [0]
    errors: list[str] = []
    start = time.monotonic()
    deadline = start + seconds

    def client() -> None:
        connection = Client(server.port, KEY, SECRET)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if cursor[0] >= len(bodies):
                        return
                    body = bodies[cursor[0]]
                    cursor[0] += 1
                connection.conn.request("POST", "/xapi/statements", body=body,
                                        headers={**connection.headers, "Content-Type": "application/json"})
                response = connection.conn.getresponse()
                response.read()
                with lock:
                    if response.status != 200:
                        errors.append(str(response.status))
                        return
                    done[0] += 100
                    if response.getheader("Connection", "").lower() == "close":
                        closes[0] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu = {pid: proc_cpu_seconds(pid) for pid in pids}
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    early = {pid: proc_cpu_seconds(pid) for pid in pids}
    time.sleep(max(0.0, seconds - 1.0))
    late = {pid: proc_cpu_seconds(pid) for pid in pids}
    for thread in threads:
        thread.join()
    end = {pid: proc_cpu_seconds(pid) for pid in pids}
    elapsed = time.monotonic() - start
    if errors:
        raise SystemExit(f"the LRS answered {errors[0]}")
    return {
        "statements_per_second": round(done[0] / elapsed),
        "workers_first_half_second": busy_workers(cpu, early),
        "workers_last_half_second": busy_workers(late, end),
        "connections_closed": closes[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write every trial here too")
    args = parser.parse_args()
    # Enough statements for the trials at up to 10,000 a second.
    batches = int(args.trials * args.seconds * 100) + 100
    workload = Workload(23, total=batches * 100)
    bodies = [json.dumps(list(workload.statements(k * 100, 100))).encode() for k in range(batches)]
    workdir = Path(tempfile.mkdtemp(prefix="lrs-connections-"))
    server = Server(f"sqlite:///{workdir / 'lrs.sqlite3'}", workdir, workers=args.workers, threads=1,
                    key=KEY, secret=SECRET)
    server.start()
    cursor = [0]
    trials = []
    try:
        for number in range(1, args.trials + 1):
            result = trial(server, bodies, cursor, args.clients, args.seconds)
            trials.append(result)
            print(f"trial {number:>3}: {result['statements_per_second']:>6} statements/s, workers writing "
                  f"{result['workers_first_half_second']} first, {result['workers_last_half_second']} last; "
                  f"connections closed {result['connections_closed']}", flush=True)
            time.sleep(0.5)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # the store grows to a gigabyte or more
    alone = sum(1 for t in trials if t["workers_last_half_second"] == 1)
    alone_first = sum(1 for t in trials if t["workers_first_half_second"] == 1)
    rates = [t["statements_per_second"] for t in trials]
    print(f"{len(trials)} trials, {args.clients} clients, {args.workers} workers: one worker writing in the first "
          f"half second of {alone_first}, in the last of {alone}; statements/s median "
          f"{statistics.median(rates):.0f}, lowest {min(rates)}; connections closed "
          f"{sum(t['connections_closed'] for t in trials)}")
    if args.json:
        args.json.write_text(json.dumps(trials, indent=2) + "\n")


if __name__ == "__main__":
    main()
