"""What the benchmark runs against and measures with: a real ``lrs serve`` (granian) on a free loopback port,
a keep-alive HTTP client, process memory and CPU from /proc, percentiles and the machine's description."""

from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the benchmark only ever talks to this machine
VERSION = "1.0.3"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


# --- the machine --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_commit(repo: Path) -> dict[str, Any]:
    def run(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": run("rev-parse", "HEAD"), "dirty_src": bool(run("status", "--porcelain", "--", "src"))}


class CpuMeter:
    """Whole-machine CPU use between start() and stop(), from /proc/stat (busy share of all cores)."""

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    def start(self) -> None:
        self.t0, self.i0 = self._read()

    def stop(self) -> float:
        t1, i1 = self._read()
        total = t1 - self.t0
        return round(100.0 * (total - (i1 - self.i0)) / total, 1) if total else 0.0


# --- processes ----------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in KiB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


class Server:
    """``lrs serve`` (granian, LRS_WORKERS x LRS_THREADS) in a subprocess, on a free loopback port."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int, threads: int, key: str, secret: str):
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.threads = threads
        self.key = key
        self.secret = secret
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / "server.log"

    def start(self, timeout: float = 90.0) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "LRS_DATABASE_URL": self.database_url,
            "LRS_HOST": HOST,
            "LRS_PORT": str(self.port),
            "LRS_WORKERS": str(self.workers),
            "LRS_THREADS": str(self.threads),
            "LRS_BOOTSTRAP_KEY": self.key,
            "LRS_BOOTSTRAP_SECRET": self.secret,
        }
        env.pop("LRS_ACCESS_LOG", None)
        script = Path(sys.executable).with_name("lrs")
        cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from lrs.cli import main; main()"]
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*cmd, "serve"], cwd=self.workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lrs serve exited with {self.proc.returncode}; see {self.log_path}")
            if len(self.worker_pids()) >= self.workers:
                try:
                    status, _ = Client(self.port, self.key, self.secret).request("GET", "/xapi/about")
                    if status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"lrs serve did not answer within {timeout:.0f} s; see {self.log_path}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> list[str]:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []
        # The tail goes into results files: leave out the lines that print the credential.
        return [line for line in tail if self.secret not in line]

    def check(self) -> None:
        """Raise, with the end of the server's log, if ``lrs serve`` is no longer running."""
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("lrs serve is no longer running; its log ends:\n" + "\n".join(self.log_tail()))

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid) if self.proc else []

    def memory(self) -> dict[str, Any]:
        workers = {pid: proc_status(pid) for pid in self.worker_pids()}
        master = proc_status(self.pid)
        return {
            "master_rss_mib": round(master.get("VmRSS", 0) / 1024, 1),
            "workers_rss_mib": [round(s.get("VmRSS", 0) / 1024, 1) for s in workers.values()],
            "workers_peak_rss_mib": [round(s.get("VmHWM", 0) / 1024, 1) for s in workers.values()],
            "total_rss_mib": round((master.get("VmRSS", 0) + sum(s.get("VmRSS", 0) for s in workers.values())) / 1024, 1),
        }

    def cpu_seconds(self) -> float:
        return sum(proc_cpu_seconds(p) for p in [self.pid, *self.worker_pids()])

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()


class RssSampler:
    """Samples the server's total RSS (master + workers) in a thread; ``peak_mib`` is the highest sample."""

    def __init__(self, server: Server, interval: float = 0.02):
        self.server = server
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [self.server.pid, *self.server.worker_pids()]
            total = sum(proc_status(p).get("VmRSS", 0) for p in pids)
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return round(self.peak_kib / 1024, 1)


# --- HTTP ---------------------------------------------------------------------------------------------------


#: The write lock's histograms in ``/metrics`` (lrs.metrics): SQLite only, each worker's added up.
_LOCK_SERIES = {
    "holds": "lrs_sqlite_write_lock_hold_seconds_count",
    "held_seconds": "lrs_sqlite_write_lock_hold_seconds_sum",
    "waited_seconds": "lrs_sqlite_write_lock_wait_seconds_sum",
    "holds_to_100ms": 'lrs_sqlite_write_lock_hold_seconds_bucket{le="0.1"}',
}


def write_lock_reading(port: int) -> dict[str, float]:
    """The write lock's totals so far, from the server's ``/metrics`` (zeros on PostgreSQL: it has no such lock)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    found = dict.fromkeys(_LOCK_SERIES, 0.0)
    for line in text.splitlines():
        for name, series in _LOCK_SERIES.items():
            if line.startswith(series + " "):
                found[name] += float(line.rsplit(" ", 1)[1])
    return found


def write_lock_figures(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, Any] | None:
    """How busy SQLite's write lock was between two readings ``wall`` seconds apart: the share of the time it was
    held, the mean hold, the writers waiting on average, and the holds over 100 ms (a fold, a checkpoint in a
    COMMIT). None when nothing held it (PostgreSQL)."""
    delta = {name: after[name] - before[name] for name in _LOCK_SERIES}
    if delta["holds"] <= 0 or wall <= 0:
        return None
    return {
        "holds": int(delta["holds"]),
        "held_fraction": round(delta["held_seconds"] / wall, 3),
        "mean_hold_ms": round(1000 * delta["held_seconds"] / delta["holds"], 2),
        "mean_writers_waiting": round(delta["waited_seconds"] / wall, 2),
        "holds_over_100ms": int(delta["holds"] - delta["holds_to_100ms"]),
    }


class Client:
    """One keep-alive connection to the LRS, speaking xAPI 1.0.3 with HTTP Basic credentials."""

    def __init__(self, port: int, key: str, secret: str, timeout: float = 120.0):
        self.port = port
        self.timeout = timeout
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": VERSION}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path: str) -> tuple[int, Any, int]:
        status, data = self.request("GET", path)
        return status, (json.loads(data) if data else None), len(data)

    def close(self) -> None:
        self.conn.close()
