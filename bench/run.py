"""The LRS benchmark: one command, ``make bench`` (or ``.venv/bin/python bench/run.py``). docs/performance.md
explains what it measures and holds the latest figures.

For each database (SQLite, PostgreSQL):

1. ingest: a real ``lrs serve`` (granian, LRS_WORKERS x LRS_THREADS) on a free loopback port and a fresh
   database; single-statement POST latency, then batches of 1, 10, 100 and 1000 statements from several
   keep-alive clients. After each case the same statements go into a second fresh database of the same schema
   through the raw-insert floor (bench/rawstore.py: executemany, one transaction per batch, no HTTP, no
   validation), with as many connections as clients and with one; the LRS's figure is a ratio of the better.
2. queries: a store of N statements loaded straight into the schema (not over HTTP), then over HTTP: the
   latest page, by agent, by verb, by activity with related_activities, agent + verb + since, a one-day
   since/until window, and one agent's whole ~2,000-statement record paged through ``more``; p50/p95 each,
   and the plan of each query (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE).
3. memory: the server's peak RSS while limit=1000 pages are paged through.
4. profile: pyinstrument around in-process POSTs (batches of 100, and single statements) and the slowest query.

Results go to bench/results/<date>-<db>[-quick].json and a Markdown summary to stdout.

    .venv/bin/python bench/run.py --quick              # ~3 minutes: N = 50,000
    .venv/bin/python bench/run.py                      # full: N = 1,000,000, both databases, < ~30 minutes
    .venv/bin/python bench/run.py --db sqlite --statements 200000

PostgreSQL: --pg-url names a server and a database to connect to for administration (default
postgresql://127.0.0.1:5432/test); the bench creates lrs_bench and lrs_bench_floor there and drops them after
(LRS_BENCH_PG_PREFIX=other: other and other_floor, so that two runs on one server do not drop each other's).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
import profiling  # noqa: E402
import rawstore  # noqa: E402
import report  # noqa: E402
import whatif  # noqa: E402
from harness import Client, CpuMeter, RssSampler, Server, summary_ms  # noqa: E402
from workload import Workload  # noqa: E402

from lrs.cli.progress import format_seconds, progress  # noqa: E402
from lrs.config import Settings, default_server_shape  # noqa: E402
from lrs.services.principal import Principal  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store import learning as learning_store  # noqa: E402
from lrs.store import statements as statement_store  # noqa: E402
from lrs.store.db import Database  # noqa: E402
from lrs.store.migrate import upgrade  # noqa: E402
from lrs.xapi.ifi import agent_key  # noqa: E402

KEY = "lrs-bench"
VERB = {
    "attended": "http://adlnet.gov/expapi/verbs/attended",
    "commented": "http://adlnet.gov/expapi/verbs/commented",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "reflected": "https://w3id.org/xapi/social-work-leadership/verbs/reflected",
    "mentored": "http://id.tincanapi.com/verb/mentored",
}
QUERY_KINDS = ("latest", "by_agent", "by_verb", "by_activity_related", "agent_verb_since", "day_window")
TARGETS = {
    "batch_ingest_ratio": 0.5,
    # Issue 23: SQLite's batches of 100 at 0.7 of the floor (PostgreSQL's and other sizes keep the statement
    # path's 0.5).
    "sqlite_batch_100_ingest_ratio": 0.7,
    "query_p95_ms": 20.0,
    "paging_2000_seconds": 1.0,
    "single_post_p50_ms": 5.0,
}


@dataclass
class Config:
    mode: str
    statements: int
    seed: int = 1
    clients: int = 4
    #: the server's shape; None: what ``lrs serve`` chooses for the database (lrs.config.default_server_shape)
    workers: int | None = None
    threads: int | None = None
    batch_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    single_posts: int = 500
    #: statements sent per batch-size case, and the time cap of each case (seconds)
    case_statements: dict[int, int] = field(default_factory=lambda: {1: 2000, 10: 8000, 100: 25000, 1000: 30000})
    case_seconds: float = 15.0
    query_reps: int = 50
    query_seconds: float = 12.0
    paging_reps: int = 5
    paging_seconds: float = 20.0
    memory_pages: int = 50
    memory_concurrent_pages: int = 10
    memory_seconds: float = 25.0
    whatif_seconds: float = 6.0
    #: PostgreSQL statement_timeout for the server and the bench's own connections (ms): no query runs away.
    statement_timeout_ms: int = 30000
    profile_batches: int = 20
    profile_singles: int = 200
    profile_seconds: float = 10.0
    profile: bool = True
    #: ingest into a database that knows the workload's cohorts and programme (every statement then adds to
    #: cohort_totals: lrs.store.cohort_totals), as a store with enrolments does
    known_cohorts: bool = False
    #: ingest into a database where the workload's learners are enrolled in their cohorts (the cohorts known
    #: too): ``lrs serve``'s answer keeper then works out the readiness of those whose records the ingest changes
    enrolled: bool = False

    @classmethod
    def quick(cls, statements: int | None) -> Config:
        return cls(
            mode="quick",
            statements=statements or 50_000,
            single_posts=150,
            case_statements={1: 200, 10: 1000, 100: 3000, 1000: 4000},
            case_seconds=6.0,
            query_reps=20,
            query_seconds=2.5,
            paging_reps=2,
            paging_seconds=10.0,
            memory_pages=10,
            memory_concurrent_pages=3,
            memory_seconds=8.0,
            whatif_seconds=2.0,
            profile_batches=5,
            profile_singles=50,
            profile_seconds=5.0,
        )

    @classmethod
    def full(cls, statements: int | None) -> Config:
        return cls(mode="full", statements=statements or 1_000_000)


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------------------


class Target:
    """One database product: where its benchmark databases live and how to make a fresh one."""

    def __init__(self, name: str, workdir: Path, pg_admin_url: str):
        self.name = name
        self.workdir = workdir
        self.pg_admin_url = pg_admin_url
        self.made: list[str] = []

    def url(self, label: str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / f'{label}.sqlite3'}"
        base = self.pg_admin_url.rsplit("/", 1)[0]
        return f"{base}/{self._pg_name(label)}"

    @staticmethod
    def _pg_name(label: str) -> str:
        prefix = os.environ.get("LRS_BENCH_PG_PREFIX", "lrs_bench")
        return prefix if label in ("lrs", "store") else f"{prefix}_{label}"

    def fresh(self, label: str) -> str:
        """An empty database with the LRS schema (through the migrations, as ``lrs db upgrade`` makes it)."""
        url = self.url(label)
        if self.name == "sqlite":
            path = Path(rawstore.sqlite_path(url))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            import psycopg

            name = self._pg_name(label)
            with psycopg.connect(rawstore.pg_dsn(self.pg_admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            if name not in self.made:
                self.made.append(name)
        db = Database(url)
        upgrade(db.engine)
        db.dispose()
        return url

    def drop_all(self) -> None:
        if self.name != "postgresql":
            return
        import psycopg

        with psycopg.connect(rawstore.pg_dsn(self.pg_admin_url), autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def describe(self) -> dict[str, Any]:
        if self.name == "sqlite":
            return {"engine": "sqlite", "version": harness.sqlite3.sqlite_version, "journal_mode": "WAL",
                    "synchronous": "NORMAL (LRS default)"}
        import psycopg

        with psycopg.connect(rawstore.pg_dsn(self.pg_admin_url)) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "random_page_cost",
                             "effective_cache_size", "max_connections")
            }
        return {"engine": "postgresql", "version": version, "settings": settings}

    def size_mib(self, label: str) -> float:
        if self.name == "sqlite":
            path = rawstore.sqlite_path(self.url(label))
            return round(sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p)) / 2**20, 1)
        import psycopg

        with psycopg.connect(rawstore.pg_dsn(self.url(label))) as conn:
            return round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20, 1)


def bench_principal(authority_home_page: str = "https://lrs.local/") -> Principal:
    """The principal ``lrs serve`` makes for LRS_BOOTSTRAP_KEY (name "bootstrap", all scopes)."""
    authority = {"objectType": "Agent", "name": "bootstrap", "account": {"homePage": authority_home_page, "name": KEY}}
    return Principal(
        key=KEY, name="bootstrap", scopes=frozenset({"all"}), authority=authority,
        authority_key=agent_key(authority) or "",
    )


def server_shape(url: str, cfg: Config) -> tuple[int, int]:
    """Workers and threads: the command line's, else those ``lrs serve`` picks for this database."""
    default_workers, default_threads = default_server_shape(url)
    return cfg.workers or default_workers, cfg.threads or default_threads


def helper_lrs() -> LRS:
    """An LRS object for its classifier and plugins only (the in-memory database is never used)."""
    return LRS(Settings(database_url="sqlite://"))


# --- ingest -------------------------------------------------------------------------------------------------


def drive(server: Server, secret: str, bodies: list[bytes], clients: int, seconds: float) -> dict[str, Any]:
    """POST ``bodies`` from ``clients`` keep-alive connections until done or ``seconds`` pass."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    done: list[int] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker() -> None:
        client = Client(server.port, KEY, secret)
        try:
            while time.monotonic() < deadline and len(errors) < 20:
                with lock:
                    i = next_index[0]
                    if i >= len(bodies):
                        return
                    next_index[0] += 1
                t0 = time.perf_counter()
                try:
                    status, data = client.request("POST", "/xapi/statements", bodies[i])
                except OSError as exc:  # the server is gone: report it rather than hang or retry
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    return
                elapsed = time.perf_counter() - t0
                with lock:
                    if status == 200:
                        latencies.append(elapsed)
                        done.append(i)
                    else:
                        errors.append(f"{status}: {data[:300]!r}")
        finally:
            client.close()

    cpu = CpuMeter()
    cpu.start()
    server_cpu0 = server.cpu_seconds()
    lock0 = harness.write_lock_reading(server.port)
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    lock = harness.write_lock_figures(lock0, harness.write_lock_reading(server.port), wall)
    return {
        "wall_seconds": round(wall, 3),
        "requests": len(done),
        "done_indexes": sorted(done),
        "latency": summary_ms(latencies),
        "errors": errors[:5],
        "error_count": len(errors),
        "machine_cpu_percent": cpu.stop(),
        "server_cpu_seconds": round(server.cpu_seconds() - server_cpu0, 2),
        "write_lock": lock,
    }


def know_cohorts(url: str, wl: Workload) -> None:
    """The workload's cohorts and programme become known cohorts of the (empty) database (--known-cohorts)."""
    from workload import COHORT_SIZE, PROGRAMME_IRI

    from lrs.store import cohort_totals

    db = Database(url)
    iris = [wl.cohort_iri(c) for c in range((wl.n_agents + COHORT_SIZE - 1) // COHORT_SIZE)] + [PROGRAMME_IRI]
    db.write(lambda conn: cohort_totals.know(conn, iris))
    db.dispose()
    log(f"known cohorts: {len(iris)}")


def enrol_learners(url: str, wl: Workload) -> None:
    """Every learner of the workload enrolled in their cohort, and the programme's first 500 in it too, as
    ``bench/people.py`` enrols them (--enrolled); the cohorts become known."""
    from workload import PROGRAMME_IRI

    from lrs.store import cohort_totals
    from lrs.store.enrolments import CE, LEARNER
    from lrs.xapi.ifi import agent_key

    now = datetime.now(UTC)
    rows = [{"cohort": wl.cohort_iri(wl.cohort(j)), "agent_key": agent_key(wl.agent(j)), "role": LEARNER,
             "enrolled_by": "bench", "enrolled_at": now} for j in range(wl.n_agents)]
    rows += [{"cohort": PROGRAMME_IRI, "agent_key": agent_key(wl.agent(j)), "role": LEARNER, "enrolled_by": "bench",
              "enrolled_at": now} for j in range(min(500, wl.n_agents))]
    db = Database(url)
    db.write(lambda conn: (conn.execute(CE.insert(), rows), cohort_totals.know_enrolled(conn)))
    db.dispose()
    log(f"learners enrolled: {len(rows)}")


def ingest_phase(target: Target, cfg: Config, workdir: Path, secret: str) -> dict[str, Any]:
    log(f"{target.name}: ingest — fresh databases, starting lrs serve")
    lrs_url = target.fresh("lrs")
    floor_url = target.fresh("floor")
    total = cfg.single_posts + sum(cfg.case_statements[b] for b in cfg.batch_sizes) + 20_000
    wl = Workload(cfg.seed + 7, total=total)
    if cfg.known_cohorts:
        know_cohorts(lrs_url, wl)
    if cfg.enrolled:
        enrol_learners(lrs_url, wl)
    helper = helper_lrs()
    principal = bench_principal()
    encoder = rawstore.Encoder(target.name)
    cursor = 0
    unmeasured: list[dict[str, Any]] = []  # sent to the LRS outside the measured cases; copied to the floor DB

    def take(n: int) -> list[dict[str, Any]]:
        nonlocal cursor
        out = list(wl.statements(cursor, n))
        cursor += n
        return out

    def sync_floor() -> None:
        """Give the floor database the statements the LRS got outside measurements (untimed)."""
        if not unmeasured:
            return
        ins = rawstore.RawInserter(floor_url)
        ins.insert(encoder.encode(rawstore.prepare_all(helper, principal, unmeasured)))
        ins.close()
        unmeasured.clear()

    workers, threads = server_shape(lrs_url, cfg)
    server = Server(lrs_url, workdir, workers=workers, threads=threads, key=KEY, secret=secret)
    server.start()
    result: dict[str, Any] = {"server": {"workers": workers, "threads": threads}, "clients": cfg.clients}
    try:
        warm = take(20)
        drive(server, secret, [json.dumps(s).encode() for s in warm], 2, 30)
        unmeasured.extend(warm)
        # Single-statement POST latency: one client, one statement per request.
        singles = take(cfg.single_posts)
        run = drive(server, secret, [json.dumps(s).encode() for s in singles], 1, cfg.case_seconds)
        unmeasured.extend(singles)
        server.check()
        result["single_post"] = {**run["latency"], "errors": run["error_count"]}
        log(f"{target.name}: single POST p50 {run['latency'].get('p50_ms')} ms")
        cases = []
        with progress(f"{target.name}: ingest cases", total=len(cfg.batch_sizes), unit="cases") as meter:
            for batch in cfg.batch_sizes:
                warm = take(cfg.clients * min(batch, 100))
                step = min(batch, 100)
                drive(server, secret, [json.dumps(warm[k:k + step]).encode() for k in range(0, len(warm), step)],
                      cfg.clients, 30)
                unmeasured.extend(warm)
                sync_floor()
                for attempt in (1, 2):
                    statements = take(cfg.case_statements[batch])
                    groups = [statements[k:k + batch] for k in range(0, len(statements), batch)]
                    bodies = [json.dumps(g).encode() for g in groups]
                    run = drive(server, secret, bodies, cfg.clients, cfg.case_seconds)
                    if server.alive():
                        break
                    # Something outside the bench stopped the server (the machine is shared): start it again and
                    # run the case once more on new statements; what was acknowledged stays in the floor's data.
                    log(f"{target.name}: lrs serve stopped during batch {batch} (attempt {attempt}); restarting")
                    result.setdefault("server_restarts", []).append(
                        {"batch": batch, "attempt": attempt, "log_tail": server.log_tail()})
                    for i in run["done_indexes"]:
                        unmeasured.extend(groups[i])
                    server.stop()
                    if attempt == 2:
                        server.check()
                    server.start()
                    sync_floor()
                sent = [groups[i] for i in run["done_indexes"]]
                n_sent = sum(len(g) for g in sent)
                lrs_sps = n_sent / run["wall_seconds"] if run["wall_seconds"] else 0.0
                # Statements that were not acknowledged (time cap) never reach the LRS; leave them out of the floor.
                encoded = [encoder.encode(rawstore.prepare_all(helper, principal, g)) for g in sent]
                mark = _max_seq(floor_url)
                server.check()
                floor_many = rawstore.run_floor(floor_url, encoded, cfg.clients, time_limit=cfg.case_seconds)
                _delete_after(floor_url, mark)
                floor_one = rawstore.run_floor(floor_url, encoded, 1, time_limit=cfg.case_seconds)
                floor_best = max(floor_many["statements_per_second"] or 0, floor_one["statements_per_second"] or 0)
                case = {
                    "batch": batch,
                    "statements": n_sent,
                    "lrs": {
                        "statements_per_second": round(lrs_sps, 1),
                        "requests_per_second": round(run["requests"] / run["wall_seconds"], 1),
                        "request_latency": run["latency"],
                        "wall_seconds": run["wall_seconds"],
                        "errors": run["error_count"],
                        "error_examples": run["errors"],
                        "machine_cpu_percent": run["machine_cpu_percent"],
                        "server_cpu_seconds": run["server_cpu_seconds"],
                        "write_lock": run["write_lock"],
                    },
                    "floor": {"concurrent": floor_many, "single_connection": floor_one,
                              "best_statements_per_second": floor_best},
                    "ratio_to_floor": round(lrs_sps / floor_best, 3) if floor_best else None,
                }
                cases.append(case)
                meter.advance()
                log(
                    f"{target.name}: batch {batch:>4}: LRS {lrs_sps:8.0f} st/s, floor {floor_best:8.0f} st/s "
                    f"(x{cfg.clients} {floor_many['statements_per_second']}, x1 {floor_one['statements_per_second']}), "
                    f"ratio {case['ratio_to_floor']}"
                    + (f"; write lock held {lock['held_fraction']:.0%}, {lock['mean_hold_ms']} ms a hold "
                       f"({lock['holds_over_100ms']} over 100 ms)" if (lock := run["write_lock"]) else "")
                )
        result["batches"] = cases
    finally:
        server.stop()
    result["database_size_mib"] = {"lrs": target.size_mib("lrs"), "floor": target.size_mib("floor")}
    if cfg.profile:
        log(f"{target.name}: profiling the ingest path in-process")
        result["profile"] = profile_ingest(lrs_url, cfg, wl, cursor)
    return result


def _max_seq(url: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM statements").scalar() or 0
    finally:
        db.dispose()


def _delete_after(url: str, seq: int) -> None:
    """Remove what a floor run inserted, so the next run inserts the same rows into the same table state."""

    def delete(conn: Any) -> None:
        for table, column in (("statement_agents", "statement_seq"), ("statement_activities", "statement_seq"),
                              ("statements", "seq")):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE {column} > {int(seq)}")

    db = Database(url)
    try:
        db.write(delete)
    finally:
        db.dispose()


def _app_client(url: str) -> tuple[Any, LRS, dict[str, str]]:
    import base64

    from lrs.app import create_app

    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings)
    app = create_app(settings, lrs=lrs)
    secret = secrets.token_urlsafe(16)
    from lrs.store.credentials import ensure_credential

    lrs.db.write(lambda conn: ensure_credential(
        conn, key=KEY + "-profile", secret=secret, name="bench profile", scopes=["all"],
        authority_home_page=settings.authority_home_page,
    ))
    token = base64.b64encode(f"{KEY}-profile:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
    return app.test_client(), lrs, headers


def profile_ingest(url: str, cfg: Config, wl: Workload, cursor: int) -> dict[str, Any]:
    client, lrs, headers = _app_client(url)
    batch_bodies = [json.dumps(list(wl.statements(cursor + k * 100, 100))).encode() for k in range(cfg.profile_batches)]
    cursor += cfg.profile_batches * 100
    single_bodies = [json.dumps(s).encode() for s in wl.statements(cursor, cfg.profile_singles)]
    # One warm request so first-use costs (rules file, connection) stay out of the profile.
    warm = json.dumps(list(wl.statements(cursor + cfg.profile_singles, 10))).encode()
    client.post("/xapi/statements", data=warm, headers=headers, content_type="application/json")

    def post_all(bodies: list[bytes]) -> None:
        deadline = time.monotonic() + cfg.profile_seconds
        for body in bodies:
            if time.monotonic() > deadline:
                break
            response = client.post("/xapi/statements", data=body, headers=headers, content_type="application/json")
            if response.status_code != 200:
                raise RuntimeError(f"profile POST failed: {response.status_code} {response.data[:300]!r}")

    out = {
        "batch_100": profiling.profile(lambda: post_all(batch_bodies), profiling.INGEST_COMPONENTS),
        "single": profiling.profile(lambda: post_all(single_bodies), profiling.INGEST_COMPONENTS),
    }
    lrs.db.dispose()
    return out


# --- the query store ----------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(seed: int, total: int, dialects: list[str]) -> None:
    _worker["wl"] = Workload(seed, total=total)
    _worker["lrs"] = helper_lrs()
    _worker["principal"] = bench_principal()
    _worker["encoders"] = {d: rawstore.Encoder(d) for d in dialects}


def _make_chunk(span: tuple[int, int]) -> dict[str, rawstore.EncodedBatch]:
    start, count = span
    wl: Workload = _worker["wl"]
    prepared = rawstore.prepare_all(
        _worker["lrs"], _worker["principal"], wl.statements(start, count), stored=wl.stored_at, first_index=start
    )
    return {d: enc.encode(prepared) for d, enc in _worker["encoders"].items()}


def load_stores(targets: list[Target], cfg: Config) -> dict[str, dict[str, Any]]:
    """Fill one store per database with the same N statements, generated once (in worker processes)."""
    n = cfg.statements
    log(f"loading {n:,} statements into {', '.join(t.name for t in targets)} (raw path, not HTTP)")
    urls = {t.name: t.fresh("store") for t in targets}
    for t in targets:
        db = Database(urls[t.name])
        rawstore.drop_secondary_indexes(db.engine)
        db.dispose()  # no connection may be open when the workers fork
    chunk = 5000
    spans = [(s, min(chunk, n - s)) for s in range(0, n, chunk)]
    queues = {t.name: queue.Queue(maxsize=6) for t in targets}
    timings = {t.name: {"insert_seconds": 0.0} for t in targets}
    errors: list[BaseException] = []
    start = time.perf_counter()
    dialects = [t.name for t in targets]
    ctx = multiprocessing.get_context("fork")
    processes = max(1, min(2, os.cpu_count() or 1))
    with ctx.Pool(processes, initializer=_init_worker, initargs=(cfg.seed, n, dialects)) as pool:
        writers = {t.name: rawstore.BulkWriter(urls[t.name]) for t in targets}

        def write(name: str) -> None:
            writer = writers[name]
            while True:
                batch = queues[name].get()
                if batch is None:
                    return
                if errors:
                    continue
                t0 = time.perf_counter()
                try:
                    writer.write(batch)
                except BaseException as exc:
                    errors.append(exc)
                timings[name]["insert_seconds"] += time.perf_counter() - t0

        threads = [threading.Thread(target=write, args=(name,)) for name in dialects]
        for t in threads:
            t.start()
        loaded = 0
        next_report = time.monotonic() + 30
        with progress("loading the stores", total=n, unit="statements") as meter:
            for encoded in pool.imap(_make_chunk, spans):
                if errors:
                    break
                for name in dialects:
                    queues[name].put(encoded[name])
                loaded += len(encoded[dialects[0]])
                meter.advance(len(encoded[dialects[0]]))
                if time.monotonic() > next_report and not sys.stderr.isatty():  # a terminal has the bar
                    log(f"  loaded {loaded:,} / {n:,} ({loaded / (time.perf_counter() - start):,.0f} st/s)")
                    next_report = time.monotonic() + 30
        for name in dialects:
            queues[name].put(None)
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    rows_seconds = time.perf_counter() - start
    out = {}
    encoder = {d: rawstore.Encoder(d) for d in dialects}
    for t in targets:
        t0 = time.perf_counter()
        writers[t.name].finish(encoder[t.name])
        db = Database(urls[t.name])
        rawstore.create_secondary_indexes(db.engine)
        with db.engine.begin() as conn:
            # The index rows the LRS copies from StatementRef targets as it stores statements one batch at a time.
            statement_store.rebuild_statement_refs(conn)
            # learning_totals, which the LRS also keeps as it stores statements (the summaries read it).
            learning_store.rebuild_totals(conn)
        if t.name == "postgresql":
            # What autovacuum does to a table that has grown for months: statistics and a visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        db.dispose()
        out[t.name] = {
            "statements": n,
            "rows_seconds": round(rows_seconds, 1),
            "insert_seconds": round(timings[t.name]["insert_seconds"], 1),
            "index_and_finish_seconds": round(time.perf_counter() - t0, 1),
            "database_size_mib": t.size_mib("store"),
            "statistics": "VACUUM ANALYZE (as autovacuum would)" if t.name == "postgresql"
            else "none: the LRS never runs ANALYZE, so SQLite plans without sqlite_stat1",
        }
        log(f"{t.name}: store loaded: {out[t.name]}")
    return out


# --- queries ------------------------------------------------------------------------------------------------


def _ifi(agent: dict[str, Any]) -> dict[str, Any]:
    for prop in ("mbox", "mbox_sha1sum", "openid", "account"):
        if prop in agent:
            return {"objectType": "Agent", prop: agent[prop]}
    raise ValueError(agent)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def query_params(wl: Workload, kind: str, rng: random.Random) -> dict[str, str]:
    """The parameters of one query of ``kind``, chosen at random (but reproducibly) from the store's data."""
    def some_agent() -> dict[str, Any]:
        return wl.agent(rng.randrange(1, wl.n_agents))

    if kind == "latest":
        return {}
    if kind == "by_agent":
        return {"agent": json.dumps(_ifi(some_agent()))}
    if kind == "by_verb":
        return {"verb": VERB[rng.choice(list(VERB))]}
    if kind == "by_activity_related":
        cohort = rng.randrange(0, max(1, wl.n_agents // 24))
        return {"activity": wl.cohort_iri(cohort), "related_activities": "true"}
    if kind == "agent_verb_since":
        since = wl.stored_at(int(wl.total * rng.uniform(0.3, 0.7)))
        return {"agent": json.dumps(_ifi(some_agent())), "verb": VERB["attended"], "since": _iso(since)}
    if kind == "day_window":
        day = wl.start_time + timedelta(days=rng.randrange(1, max(2, wl.span.days - 1)))
        return {"since": _iso(day), "until": _iso(day + timedelta(days=1))}
    if kind == "heavy_agent":
        return {"agent": json.dumps(_ifi(wl.heavy_agent))}
    raise ValueError(kind)


def _path(params: dict[str, str]) -> str:
    return "/xapi/statements" + ("?" + urllib.parse.urlencode(params) if params else "")


def measure_queries(server: Server, secret: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    client = Client(server.port, KEY, secret)
    out: dict[str, Any] = {}
    try:
        with progress("queries", total=len(QUERY_KINDS), unit="kinds") as meter:
            for kind in QUERY_KINDS:
                rng = random.Random(f"{cfg.seed}:{kind}")
                failures: list[str] = []
                t0 = time.perf_counter()
                for _ in range(3):  # warm up this query's pages and code paths (once if it is slow)
                    t0 = time.perf_counter()
                    status, _, _ = _try_get(client, _path(query_params(wl, kind, rng)), failures)
                    if status != 200 or time.perf_counter() - t0 > 1.0:
                        break
                times, counts, sizes = [], [], []
                deadline = time.monotonic() + cfg.query_seconds
                example = None
                # Slow queries get at least two timings, fast ones up to query_reps within query_seconds.
                while len(times) < cfg.query_reps and (time.monotonic() < deadline or len(times) < 2) and len(failures) < 2:
                    params = query_params(wl, kind, rng)
                    example = example or params
                    t0 = time.perf_counter()
                    status, body, size = _try_get(client, _path(params), failures)
                    if status != 200:
                        continue
                    times.append(time.perf_counter() - t0)
                    counts.append(len(body["statements"]))
                    sizes.append(size)
                if not times:
                    out[kind] = {"n": 0, "failed": failures, "p50_ms": None, "p95_ms": None, "example": example,
                                 "statements_per_page_avg": None}
                    log(f"  {kind:<20} FAILED: {failures[:1]}")
                    client.close()
                    client = Client(server.port, KEY, secret)
                    meter.advance()
                    continue
                out[kind] = {
                    "failed": failures,
                    **summary_ms(times),
                    "statements_per_page_avg": round(sum(counts) / len(counts), 1),
                    "response_kib_avg": round(sum(sizes) / len(sizes) / 1024, 1),
                    "example": example,
                }
                log(f"  {kind:<20} p50 {out[kind]['p50_ms']:>8} ms  p95 {out[kind]['p95_ms']:>8} ms  "
                    f"({out[kind]['statements_per_page_avg']} statements/page, n={out[kind]['n']})")
                meter.advance()
        # One agent's whole record, page by page through `more`.
        params = query_params(wl, "heavy_agent", random.Random(0))
        walks = []
        paging_deadline = time.monotonic() + cfg.paging_seconds
        for _ in range(cfg.paging_reps):
            if walks and time.monotonic() > paging_deadline:
                break
            t0 = time.perf_counter()
            path: str | None = _path(params)
            pages = statements = 0
            page_times = []
            # One walk may not outlast the paging budget: an unfinished walk is reported as such.
            walk_deadline = time.monotonic() + cfg.paging_seconds
            while path and pages < 1000 and time.monotonic() < walk_deadline:
                p0 = time.perf_counter()
                failures = []
                status, body, _ = _try_get(client, path, failures)
                page_times.append(time.perf_counter() - p0)
                if status != 200:
                    log(f"  paging: {failures}")
                    break
                pages += 1
                statements += len(body["statements"])
                path = body.get("more") or None
            walks.append({"seconds": time.perf_counter() - t0, "pages": pages, "statements": statements,
                          "complete": not path, "page": summary_ms(page_times)})
        complete = [w for w in walks if w["complete"]]
        out["paging_heavy_agent"] = {
            "record_statements": walks[0]["statements"],
            "pages": walks[0]["pages"],
            "page_size": 100,
            "complete": bool(complete),
            "whole_record": summary_ms([w["seconds"] for w in complete]) if complete else {
                "n": 0, "unfinished_after_seconds": round(walks[0]["seconds"], 1)},
            "per_page": walks[-1]["page"],
            "example": params,
        }
        if not complete:
            # Estimate from the pages it did: the record is ~HEAVY_RECORD statements, page size 100.
            est = walks[0]["seconds"] / max(1, walks[0]["pages"]) * (wl.total // wl.heavy_every / 100 + 1)
            out["paging_heavy_agent"]["estimated_whole_record_seconds"] = round(est, 1)
        log(f"  paging {walks[0]['statements']} statements in {walks[0]['pages']} pages: "
            f"{out['paging_heavy_agent']['whole_record']}")
    finally:
        client.close()
    return out


def _try_get(client: Client, path: str, failures: list[str]) -> tuple[int, Any, int]:
    """GET, recording a timeout, a dropped connection or a non-200 answer in ``failures`` instead of raising."""
    t0 = time.perf_counter()
    try:
        status, body, size = client.get_json(path)
    except (OSError, ValueError) as exc:
        failures.append(f"{type(exc).__name__} after {time.perf_counter() - t0:.1f} s: {exc}")
        client.close()
        client.conn = harness.http.client.HTTPConnection(harness.HOST, client.port, timeout=client.timeout)
        return 0, None, 0
    if status != 200:
        failures.append(f"HTTP {status} after {time.perf_counter() - t0:.1f} s: {str(body)[:300]}")
    return status, body, size


def measure_memory(server: Server, secret: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    """Peak RSS while limit=1000 pages are paged through: one client, then ``clients`` at once."""
    baseline = server.memory()
    errors: list[str] = []

    def page_through(params: dict[str, str], max_pages: int) -> tuple[int, int, float]:
        client = Client(server.port, KEY, secret)
        path: str | None = _path({**params, "limit": "1000"})
        pages = statements = 0
        t0 = time.perf_counter()
        deadline = time.monotonic() + cfg.memory_seconds
        try:
            while path and pages < max_pages and time.monotonic() < deadline:
                failures: list[str] = []
                status, body, _ = _try_get(client, path, failures)
                if status != 200:
                    errors.extend(failures)
                    break
                pages += 1
                statements += len(body["statements"])
                path = body.get("more") or None
        finally:
            client.close()
        return pages, statements, time.perf_counter() - t0

    with RssSampler(server) as one:
        pages, statements, seconds = page_through({}, cfg.memory_pages)
    after_one = server.memory()
    # Filters whose plans are cheap at any size: this measures the memory of big pages, not slow plans.
    middle = _iso(wl.stored_at(wl.total // 2))
    filters = [{}, {"ascending": "true"}, {"since": middle}, {"until": middle}]
    with RssSampler(server) as many:
        threads = [threading.Thread(target=page_through, args=(filters[k % len(filters)], cfg.memory_concurrent_pages))
                   for k in range(cfg.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        many_seconds = time.perf_counter() - t0
    after_many = server.memory()
    log(f"  memory: baseline {baseline['total_rss_mib']} MiB, peak {one.peak_mib} MiB (1 client), "
        f"{many.peak_mib} MiB ({cfg.clients} clients)")
    return {
        "baseline": baseline,
        "one_client": {"pages": pages, "statements": statements, "seconds": round(seconds, 2),
                       "statements_per_second": round(statements / seconds, 1) if seconds else None,
                       "peak_total_rss_mib": one.peak_mib, "after": after_one},
        "errors": errors[:5],
        "concurrent_clients": {"clients": cfg.clients, "pages_each": cfg.memory_concurrent_pages,
                               "seconds": round(many_seconds, 2), "peak_total_rss_mib": many.peak_mib,
                               "after": after_many},
    }


def measure_export(server: Server, url: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    """Peak RSS while the heaviest learner's CPD log is exported (GET /api/learners/{agent}/exports/cpd-log,
    JSON), twice in a row, with an admin credential made for the purpose."""
    from lrs.store.credentials import create_credential

    db = Database(url)
    try:
        key, secret = db.write(lambda conn: create_credential(
            conn, name="bench export", scopes=["all"], role="admin", authority_home_page="https://lrs.local/"))
    finally:
        db.dispose()
    agent = wl.heavy_agent
    identifier = agent.get("mbox") or f"account:{agent['account']['homePage']}|{agent['account']['name']}"
    path = f"/api/learners/{urllib.parse.quote(identifier, safe='')}/exports/cpd-log?format=json"
    baseline = server.memory()
    runs = []
    with RssSampler(server) as sampler:
        for _ in range(2):
            client = Client(server.port, key, secret, timeout=cfg.memory_seconds * 4)
            t0 = time.perf_counter()
            try:
                status, data = client.request("GET", path)
            except OSError as exc:
                runs.append({"error": f"{type(exc).__name__}: {exc}", "seconds": round(time.perf_counter() - t0, 2)})
                break
            finally:
                client.close()
            runs.append({"status": status, "seconds": round(time.perf_counter() - t0, 2), "bytes": len(data)})
    statements = None
    if runs and runs[-1].get("status") == 200:
        try:
            body = json.loads(data)
            statements = len(body.get("entries") or body.get("statements") or []) or None
        except ValueError:
            pass
    log(f"  export cpd-log of the heaviest learner: {runs}, RSS {baseline['total_rss_mib']} → peak {sampler.peak_mib} MiB")
    return {"path": path, "runs": runs, "entries": statements, "baseline_total_rss_mib": baseline["total_rss_mib"],
            "peak_total_rss_mib": sampler.peak_mib, "after": server.memory()}


def _queries_for_plans(wl: Workload, cfg: Config, db: Database) -> dict[str, Any]:
    """One StatementQuery per kind (and page 2 of the heavy agent's record), with its parameters."""
    from lrs.xapi.query import parse_statement_query

    out = {}
    for kind in [*QUERY_KINDS, "heavy_agent", "heavy_agent_page_2"]:
        params = query_params(wl, kind.replace("_page_2", ""), random.Random(f"{cfg.seed}:{kind}"))
        q = parse_statement_query(params, page_size=100, max_page_size=1000)
        if kind.endswith("_page_2"):
            with db.read() as conn:
                _, q.after_seq = statement_store.query_statements(conn, q)
        out[kind] = (params, q)
    return out


def explain_queries(url: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    """The SQL the store runs for each query (captured from SQLAlchemy) and its plan on this database."""
    db = Database(url)
    out = {}
    try:
        for kind, (params, q) in _queries_for_plans(wl, cfg, db).items():
            sql, sql_params = whatif.capture_sql(db, lambda conn, q=q: statement_store.query_page(conn, q, raw=True))
            out[kind] = {"params": params, "sql": sql, "sql_params": _jsonable(sql_params),
                         "plan": whatif.explain(db, sql, sql_params)}
    finally:
        db.dispose()
    return out


def whatif_phase(target: Target, url: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    """The store's statement query next to the query it ran before the StatementRef index (bench/whatif.py),
    database time only, same results checked; on SQLite also the current query after ANALYZE (the LRS never
    runs it, so this shows whether its plans depend on statistics)."""
    from lrs.xapi.query import parse_statement_query

    db = Database(url)
    kinds = ["by_agent", "by_verb", "by_activity_related", "agent_verb_since", "heavy_agent"]
    queries = {}
    for kind in kinds:
        rng = random.Random(f"{cfg.seed}:{kind}:whatif")
        queries[kind] = [parse_statement_query(query_params(wl, kind, rng), page_size=100, max_page_size=1000)
                         for _ in range(cfg.query_reps)]
    plans = _queries_for_plans(wl, cfg, db)
    queries["heavy_agent_page_2"] = [plans["heavy_agent_page_2"][1]]
    out: dict[str, Any] = {}

    def show(title: str, timings: dict[str, Any]) -> None:
        log(f"{target.name}: {title}")
        for kind, v in timings.items():
            new = v.get("current", {}).get("p95_ms", "–")
            old = v.get("previous", {}).get("p95_ms", "–")
            log(f"  {kind:<20} previous p95 {old:>9} ms   current p95 {new:>9} ms   same results: {v['same_results']}")

    try:
        out["before_after"] = whatif.compare(db, queries, seconds_per_kind=cfg.whatif_seconds,
                                             timeout_ms=cfg.statement_timeout_ms)
        show("the query before the StatementRef index vs now (database time only)", out["before_after"])
        out["previous_plans"] = {kind: whatif.explain_previous(db, plans[kind][1]) for kind in kinds}
        if target.name == "sqlite":
            t0 = time.perf_counter()
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            analyze_seconds = time.perf_counter() - t0
            db.dispose()
            db = Database(url)
            after = whatif.compare(db, queries, seconds_per_kind=cfg.whatif_seconds, run_previous=False)
            show(f"current query after ANALYZE ({analyze_seconds:.1f} s)", after)
            out["current_after_analyze"] = {"analyze_seconds": round(analyze_seconds, 1), "timings": after}
            with db.engine.connect() as conn:
                # Leave the store as the LRS keeps it: without statistics.
                conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
                conn.commit()
    finally:
        db.dispose()
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def profile_query(url: str, kind: str, wl: Workload, cfg: Config) -> dict[str, Any]:
    """pyinstrument around in-process GETs of one query kind (the slowest by p95), and of limit=1000 pages."""
    client, lrs, headers = _app_client(url)
    rng = random.Random(f"{cfg.seed}:{kind}:profile")
    paths = [_path(query_params(wl, kind, rng)) for _ in range(20)]
    big = [_path({"limit": "1000"})] * 5  # the latest 1000: the cost of a big page, not of a plan

    def get_all(items: list[str]) -> None:
        deadline = time.monotonic() + cfg.profile_seconds
        for path in items:
            if time.monotonic() > deadline:
                break
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"profile GET failed: {response.status_code}")

    get_all(paths[:1])
    out = {
        "query": kind,
        "slowest_query": profiling.profile(lambda: get_all(paths), profiling.QUERY_COMPONENTS),
        "page_of_1000": profiling.profile(lambda: get_all(big), profiling.QUERY_COMPONENTS),
    }
    lrs.db.dispose()
    return out


def query_phase(target: Target, cfg: Config, workdir: Path, secret: str) -> dict[str, Any]:
    url = target.url("store")
    wl = Workload(cfg.seed, total=cfg.statements)
    log(f"{target.name}: queries at N = {cfg.statements:,}")
    workers, threads = server_shape(url, cfg)
    server = Server(url, workdir, workers=workers, threads=threads, key=KEY, secret=secret)
    server.start()
    try:
        client = Client(server.port, KEY, secret)
        client.get_json("/xapi/statements")
        client.close()
        memory = measure_memory(server, secret, wl, cfg)
        memory["export"] = measure_export(server, url, wl, cfg)
        queries = measure_queries(server, secret, wl, cfg)
    finally:
        server.stop()
    log(f"{target.name}: query plans")
    explain = explain_queries(url, wl, cfg)
    result = {"statements": cfg.statements, "server": {"workers": workers, "threads": threads}, "queries": queries,
              "memory": memory, "explain": explain}
    if cfg.profile:
        slowest = max(QUERY_KINDS, key=lambda k: queries[k]["p95_ms"] or float("inf"))
        log(f"{target.name}: profiling the slowest query ({slowest}) in-process")
        result["profile"] = profile_query(url, slowest, wl, cfg)
    result["whatif"] = whatif_phase(target, url, wl, cfg)
    return result


# --- results ------------------------------------------------------------------------------------------------


def evaluate(result: dict[str, Any], cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ingest = result.get("ingest")
    if ingest and "batches" in ingest and "single_post" in ingest:
        sqlite = result.get("database", {}).get("engine") == "sqlite"
        for case in ingest["batches"]:
            if case["batch"] > 1:
                floor = TARGETS["sqlite_batch_100_ingest_ratio" if sqlite and case["batch"] == 100
                                else "batch_ingest_ratio"]
                out[f"batch_{case['batch']}_ratio_to_floor"] = {
                    "target": f">= {floor}", "value": case["ratio_to_floor"],
                    "met": (case["ratio_to_floor"] or 0) >= floor,
                }
        p50 = ingest["single_post"].get("p50_ms")
        out["single_post_p50_ms"] = {"target": f"< {TARGETS['single_post_p50_ms']}", "value": p50,
                                     "met": p50 is not None and p50 < TARGETS["single_post_p50_ms"]}
    q = result.get("queries")
    if q and "queries" in q and "paging_heavy_agent" in q["queries"]:
        for kind in QUERY_KINDS:
            p95 = q["queries"][kind]["p95_ms"]
            out[f"query_{kind}_p95_ms"] = {"target": f"< {TARGETS['query_p95_ms']} at N = {q['statements']:,}",
                                          "value": p95, "met": p95 is not None and p95 < TARGETS["query_p95_ms"]}
        paging = q["queries"]["paging_heavy_agent"]
        if paging["complete"]:
            secs = paging["whole_record"]["p95_ms"] / 1000
        else:
            secs = paging.get("estimated_whole_record_seconds") or float("inf")
        out["paging_2000_record_seconds"] = {"target": f"< {TARGETS['paging_2000_seconds']} (p95)",
                                             "value": round(secs, 3), "met": secs < TARGETS["paging_2000_seconds"],
                                             "complete": paging["complete"]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast check: N = 50,000 and short cases (~3 min)")
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql, or both: sqlite,postgresql or both (default)")
    parser.add_argument("--statements", type=int, default=None, help="N, the query store's size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=None, help="concurrent ingest clients (default 4)")
    parser.add_argument("--workers", type=int, default=None, help="server workers (default: as lrs serve)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: as lrs serve)")
    parser.add_argument("--batches", default=None, help="ingest batch sizes, comma-separated (default 1,10,100,1000)")
    parser.add_argument("--pg-url", default=os.environ.get("LRS_BENCH_PG_URL", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--known-cohorts", action="store_true",
                        help="ingest into a database that knows the workload's cohorts (cohort_totals kept)")
    parser.add_argument("--enrolled", action="store_true",
                        help="ingest into a database where the workload's learners are enrolled (the answer keeper works)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work directory")
    parser.add_argument("--report", nargs="+", metavar="FILE", help="print the Markdown report of results files")
    args = parser.parse_args(argv)
    if args.report:
        loaded = {}
        for path in args.report:
            data = json.loads(Path(path).read_text())
            loaded[data.get("database", {}).get("engine") or Path(path).stem] = data
        print(report.render(loaded))
        return 0

    cfg = Config.quick(args.statements) if args.quick else Config.full(args.statements)
    for name in ("clients", "workers", "threads", "seed"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.batches:
        try:
            cfg.batch_sizes = tuple(int(b) for b in args.batches.split(","))
        except ValueError:
            parser.error("--batches takes sizes like 100 or 10,100")
        unknown = [b for b in cfg.batch_sizes if b not in cfg.case_statements]
        if unknown:
            parser.error(f"--batches: no case defined for {unknown}; choose from {sorted(cfg.case_statements)}")
    cfg.profile = not args.no_profile
    cfg.known_cohorts = args.known_cohorts
    cfg.enrolled = args.enrolled
    names = ["sqlite", "postgresql"] if args.db == "both" else [d.strip() for d in args.db.split(",") if d.strip()]
    for name in names:
        if name not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {name!r}")
    workdir = Path(tempfile.mkdtemp(prefix="lrs-bench-"))
    targets = [Target(name, workdir, args.pg_url) for name in names]
    secret = secrets.token_urlsafe(24)
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    meta = {
        "date": started.isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "git": harness.git_commit(REPO),
        "config": {k: v for k, v in asdict(cfg).items()},
        "targets": TARGETS,
    }
    results: dict[str, dict[str, Any]] = {}
    out_dir = Path(args.out)
    suffix = "" if cfg.mode == "full" else f"-{cfg.mode}"

    def save(final: bool = False) -> None:
        """Write every database's results so far (after each phase: a later failure loses nothing)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        elapsed = round(time.perf_counter() - t_start, 1)
        commit_at_end = harness.git_commit(REPO)
        for name, result in results.items():
            result["elapsed_seconds"] = elapsed
            result["complete"] = final
            # The tree is shared: say if src/ moved on while the bench ran (servers load code when they start).
            result["git_at_end"] = commit_at_end
            result["targets"] = evaluate(result, cfg)
            path = out_dir / f"{started.date().isoformat()}-{name}{suffix}.json"
            path.write_text(json.dumps(result, indent=2, default=str) + "\n")
            if final:
                log(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")

    def phase(name: str, label: str, work: Any) -> Any:
        """Run one phase; a failure is recorded in the results (with its traceback) and the run goes on. The
        result is in ``results`` before it is saved, so a later phase that hangs loses nothing."""
        phase_started = time.perf_counter()
        try:
            value = work()
            log(f"{name}: {label} done in {format_seconds(time.perf_counter() - phase_started)}")
            if label in ("ingest", "queries"):
                results[name][label] = value
            return value
        except Exception as exc:  # noqa: BLE001 - reported in the results and the log
            import traceback

            log(f"{name}: {label} failed: {type(exc).__name__}: {exc}")
            results[name].setdefault("failures", []).append(
                {"phase": label, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-4000:]})
            return None
        finally:
            save()

    try:
        for t in targets:
            results[t.name] = {**meta, "database": t.describe()}
        if not args.skip_ingest:
            for t in targets:
                results[t.name]["ingest"] = phase(t.name, "ingest", lambda t=t: ingest_phase(t, cfg, workdir, secret))
        if not args.skip_queries:
            loads = phase(targets[0].name, "load", lambda: load_stores(targets, cfg)) or {}
            for t in targets:
                if t.name not in loads:
                    continue
                results[t.name]["load"] = loads[t.name]
                results[t.name]["queries"] = phase(t.name, "queries", lambda t=t: query_phase(t, cfg, workdir, secret))
    finally:
        if not args.keep:
            for t in targets:
                try:
                    t.drop_all()
                except Exception as exc:  # noqa: BLE001 - cleanup must not hide the real error
                    log(f"could not drop {t.name} databases: {exc}")
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir} and the PostgreSQL databases lrs_bench, lrs_bench_floor")
        save(final=True)
    elapsed = round(time.perf_counter() - t_start, 1)
    print(report.render(results))
    log(f"done: {len(targets)} database{'s' * (len(targets) != 1)}, "
        f"{sum(len(r.get('failures', [])) for r in results.values())} failed phases, in {format_seconds(elapsed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
