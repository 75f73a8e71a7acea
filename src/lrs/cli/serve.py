"""``lrs serve``: migrate, make sure a credential exists, and serve with granian."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path

import click

from lrs.cli.context import Context, pass_ctx, safe_url
from lrs.config import Settings

FIRST_CREDENTIAL_FILE = Path("var") / "first-credential.json"


def prepare_to_serve(ctx: Context, *, migrate: bool) -> dict[str, str] | None:
    """Migrate, make sure the bootstrap (or a first) credential exists; return a credential to show."""
    from lrs.store.credentials import count_active, create_credential, ensure_credential
    from lrs.store.migrate import upgrade

    lrs = ctx.lrs
    settings = ctx.settings
    if migrate:
        upgrade(lrs.db.engine)
    if settings.bootstrap_key and settings.bootstrap_secret:
        from lrs.store.credentials import WeakSecret, check_secret_strength

        try:
            check_secret_strength(settings.bootstrap_secret)
        except WeakSecret as exc:
            raise SystemExit(f"LRS_BOOTSTRAP_SECRET is too weak: {exc}") from None
        lrs.db.write(
            lambda conn: ensure_credential(
                conn,
                key=settings.bootstrap_key,
                secret=settings.bootstrap_secret,
                name="bootstrap",
                scopes=["all"],
                authority_home_page=settings.authority_home_page,
            )
        )
        return {"key": settings.bootstrap_key, "secret": settings.bootstrap_secret}
    with lrs.db.read() as conn:
        active = count_active(conn)
    if active == 0:
        key, secret = lrs.db.write(
            lambda conn: create_credential(
                conn, name="first admin", scopes=["all"], role="admin", authority_home_page=settings.authority_home_page
            )
        )
        FIRST_CREDENTIAL_FILE.parent.mkdir(parents=True, exist_ok=True)
        FIRST_CREDENTIAL_FILE.write_text(json.dumps({"key": key, "secret": secret}))
        FIRST_CREDENTIAL_FILE.chmod(0o600)
        return {"key": key, "secret": secret}
    if FIRST_CREDENTIAL_FILE.exists():
        return json.loads(FIRST_CREDENTIAL_FILE.read_text())
    return None


@click.command("serve")
@click.option("--host", default=None, help="Default: LRS_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: LRS_PORT or 8080.")
@click.option(
    "--workers", type=int, default=None,
    help="Worker processes. Default: LRS_WORKERS, else CPUs + 1 (at most 8) on SQLite and 2 on PostgreSQL.",
)
@click.option(
    "--threads", type=int, default=None,
    help="Threads per worker. Default: LRS_THREADS, else 1 on SQLite and 4 on PostgreSQL.",
)
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="Upgrade the schema first.")
@pass_ctx
def serve(
    ctx: Context, host: str | None, port: int | None, workers: int | None, threads: int | None, migrate: bool
) -> None:
    """Serve the LRS with granian (a production HTTP server, WSGI interface)."""
    settings = ctx.settings
    host = host or settings.host
    port = port or settings.port
    from lrs.api.serving import PortInUse, check_port_free

    try:
        check_port_free(host, port)
    except PortInUse as exc:
        raise click.ClickException(str(exc)) from None
    ctx.may_create = migrate
    credential = prepare_to_serve(ctx, migrate=migrate)
    click.echo(f"LRS endpoint: http://{host}:{port}/xapi/  (database: {safe_url(settings)})")
    if credential:
        click.echo(f"credential:   key {credential['key']}  secret {credential['secret']}")
        click.echo(
            f"try it:       curl -u {credential['key']}:{credential['secret']} "
            f"-H 'X-Experience-API-Version: 1.0.3' http://{host}:{port}/xapi/statements"
        )
    else:
        click.echo("credential:   create one with `lrs credentials create`")
    click.echo(f"sign in:      http://{host}:{port}/sign-in  (first admin: lrs users create EMAIL --name NAME --role admin)")
    workers = workers or settings.workers
    threads = threads or settings.threads
    click.echo(f"serving:      {workers} worker{'s' * (workers != 1)} x {threads} thread{'s' * (threads != 1)}")
    sys.stdout.flush()
    click.echo(f"operations:   http://{host}:{port}/metrics  /healthz  /readyz  (API reference: /api/docs)")
    sys.stdout.flush()
    ctx.lrs.db.dispose()  # workers fork after this; each opens its own connections
    from lrs.metrics import share_across_processes

    with share_across_processes():  # the workers' metrics add up in one temporary directory
        run_server(settings, host, port, workers, threads, ready="ready:        accepting requests (Ctrl-C stops)")


def run_server(settings: Settings, host: str, port: int, workers: int, threads: int, *, ready: str = "") -> None:
    """Serve the app with granian: its HTTP/1.1 and HTTP/2 handling is Rust, so a request costs the worker only
    the app's own Python (gunicorn's Python HTTP parsing and event loop cost a single POST 0.75 ms of CPU,
    docs/performance.md). Workers are forked processes, each with ``threads`` threads running the app; idle
    keep-alive connections wait in the server, not in a thread (a slow upload does hold one: the app reads it).
    ``ready`` is printed once the port accepts connections (see ReadyAnnouncement).
    """
    from granian.constants import Interfaces

    from lrs.api.serving import connection_limits
    from lrs.api.spread import create_board

    access_log = settings.access_log
    server = _server_class()(
        "lrs.app:create_app",  # the process title; the app itself comes from the loader below
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        log_access=access_log is not None,
        log_dictconfig=_granian_logging(access_log),
        respawn_failed_workers=True,  # a worker that dies is replaced, as gunicorn's arbiter did
        workers_kill_timeout=30,  # a graceful stop lets requests in flight finish for up to 30 s
        **connection_limits(settings, workers),
    )
    # With several workers, each marks on a shared board whether it is busy, so that one running every
    # request of a few keep-alive clients while another idles can hand a connection back (lrs.api.spread).
    board = create_board(workers) if workers > 1 else None
    announcement = ReadyAnnouncement(host, port, ready) if ready else None
    server.on_startup(keep_stop_signals_for_workers)  # after granian's own handlers, before the workers fork
    try:
        # Workers are forked: each builds its own app (and its own database connections) from these settings.
        server.serve(target_loader=lambda: _worker_app(settings, board, announcement), wrap_loader=False)
        ignore_late_stop_signals()
    finally:
        if board:
            with contextlib.suppress(OSError):
                os.remove(board)


class ReadyAnnouncement:
    """Prints ``line`` once ``host:port`` accepts connections, from a thread in each worker; the first to see it
    prints, once for the server's life (a flag in shared memory, made before the workers are forked).

    The banner comes before granian's workers have bound the port (each binds it itself, SO_REUSEPORT, once its
    app is loaded), and a client that took the banner as its cue was refused for about a second (a new user's
    first curl). The waiting is done in the workers, which never fork: a thread in the serving process would be
    running when granian forks its workers, and with one there a worker never answered its first request in the
    first trial (probably a fork while that thread held a lock)."""

    def __init__(self, host: str, port: int, line: str):
        self.host, self.port, self.line = host, port, line
        self._printed = multiprocessing.Value("b", 0)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._announce, name="lrs-ready", daemon=True)
        thread.start()
        return thread

    def _announce(self) -> None:
        from lrs.api.serving import wait_until_listening

        if not wait_until_listening(self.host, self.port):
            return
        with self._printed.get_lock():
            if self._printed.value:
                return
            self._printed.value = 1
        click.echo(self.line)
        sys.stdout.flush()


def _worker_app(  # noqa: ANN202 - a Flask app
    settings: Settings, board: str | None = None, announcement: ReadyAnnouncement | None = None
):
    """A worker's app: its logging configured, the forwarding sender and the answer keeper started in the worker
    (a lease each lets one work at a time), its requests marked on the workers' board when there is one, the wait for the
    port to take connections begun (``announcement``), and its stop signals made to count once."""
    from lrs.api.spread import BoardFull, SpreadConnections, WorkerBoard
    from lrs.app import create_app
    from lrs.logs import configure_logging
    from lrs.services.answer_keeper import start_background_keeper
    from lrs.services.forwarding import start_background_sender

    stop_signals_count_once()  # first: a stop signal while the app loads is kept for granian's handlers
    # LRS_LOG_FORMAT=json: one JSON object per line, each with its request id
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    start_background_sender(app.extensions["lrs"])
    start_background_keeper(app.extensions["lrs"])
    if board:
        try:
            app.wsgi_app = SpreadConnections(app.wsgi_app, WorkerBoard(board))
        except BoardFull:  # never expected (twice the slots there are workers); serve, without spreading
            logging.getLogger(__name__).warning("no slot on the workers' board: this worker keeps its connections")
    settle_garbage_collector()
    if announcement:
        announcement.start()
    return app


def _server_class() -> type:
    """granian's server, with workers that are not reported running once they have exited (see worker_running)."""
    from granian.server import Server

    class LrsServer(Server):
        def _spawn_worker(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - granian's own signature
            worker = super()._spawn_worker(*args, **kwargs)
            if isinstance(getattr(worker, "inner", None), multiprocessing.process.BaseProcess):
                worker.is_alive = lambda: worker_running(worker.inner)
            return worker

    return LrsServer


def worker_running(process: multiprocessing.process.BaseProcess) -> bool:
    """Whether a worker process is still running, for granian's stop: a ``False`` it takes for a worker that
    stopped, a ``True`` makes it kill the worker and warn "Killing worker-N after it refused to gracefully stop".

    Two threads of granian's main process reap each worker: a watcher that waits on it from its start, and the
    stop, which waits for it to close its end of a pipe. When the watcher reaps it first, the stop's own reaping
    fails (ECHILD) and ``Process.is_alive()`` is ``True`` until the watcher, once it holds the GIL again, has noted
    the exit code. granian waits 1 ms for that; under load the watcher may not run so soon, and a worker that had
    stopped cleanly was "killed" with that warning (one CI run; 3 of 200 in a reproduction with one busy thread).
    A process that has been reaped is gone: ``os.kill(pid, 0)`` says so."""
    if not process.is_alive():
        return False
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


#: Stop signals a worker took before granian's worker handlers were in place (see stop_signals_count_once).
_EARLY_STOPS: list[int] = []
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Set by granian's main process when it takes a stop signal; made before the workers fork, so theirs is the same
#: memory (see stop_signals_count_once).
_SERVER_STOPPING: list = []


def ignore_late_stop_signals() -> None:
    """Once the server has stopped: a stop signal has nothing left to stop. Python puts back the default handlers
    as it exits, and a second Ctrl-C (or the second of two SIGTERMs) that came then ended the process by that
    signal, after a clean stop (exit status -15 in one of 48 stops under load, instead of 0). Ignored handlers are
    left as they are."""
    for number in _STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)


def keep_stop_signals_for_workers() -> None:
    """In granian's main process, once its handlers are set and before it forks the workers: a worker inherits
    them, and in a worker they only note the signal in its copy of the server, which then serves on. Wrapped,
    they keep the signal for stop_signals_count_once in a worker, and in the main process run granian's handler
    in a thread of its own: it sets a ``threading.Event`` that the main thread waits on, and a handler runs in
    the main thread, where it can come while that thread holds the event's own lock (just woken, by a worker
    that stopped first): ``set()`` would then wait for ever. In one CI run, the group signalled twice at once,
    the workers stopped and the main process never began its shutdown; this is the likely cause."""
    main = os.getpid()
    stopping = multiprocessing.RawValue("b", 0)
    _SERVER_STOPPING[:] = [stopping]
    for number in _STOP_SIGNALS:
        handler = signal.getsignal(number)
        if not callable(handler):
            continue

        def main_or_kept(number: int, frame: object, handler=handler) -> None:  # noqa: ANN001
            if os.getpid() == main:
                stopping.value = 1  # before granian's handler: it is what signals the workers
                threading.Thread(target=handler, args=(number, None), name="lrs-stop", daemon=True).start()
            else:
                _EARLY_STOPS.append(number)

        signal.signal(number, main_or_kept)


def stop_signals_count_once() -> None:
    """In a worker, before granian installs its stop handlers: make a stop signal reach granian once, and always.

    Measured with granian 2.8.9, a worker hung on two stop signals, then granian's main process killed it 30 s
    later (``workers_kill_timeout``). A worker gets two whenever its process group or control group is signalled:
    Ctrl-C in a terminal sends every process SIGINT, then granian's main process sends each worker SIGTERM;
    systemd sends SIGTERM to every process of the service. Two causes, and what is done here for each:

    * granian's handler calls ``WorkerSignal.set()``, and a second call blocks for ever (``s = WorkerSignal();
      s.set(); s.set()`` never returns). The handlers are wrapped so that only the first signal calls it.
    * The worker's main thread waits on a lock, and a Python handler runs only in the main thread, once that wait
      is interrupted. When the kernel hands a signal to another thread (it may, as when the main thread has
      one pending already), nothing interrupts the wait, and the signal is only noted. Python also writes the
      signal's number to its wakeup file descriptor, from whichever thread took it: a thread here reads that pipe
      and stops the worker itself.

    A third case is granian's too: a worker signalled while it starts (loading its app, about a second) had only
    its parent's handlers, which note the signal in the worker's copy of the server and nothing more; it then
    served on. Here a stop signal that comes before granian's handlers are in place is kept (from the fork on,
    with keep_stop_signals_for_workers), and passed on to them as soon as they are. A signal that comes before
    the new worker has run at all is lost: Python forgets, just after a fork, the signals its handler took before
    the fork returned (27 of 300 signals sent at once after a fork, none 0.5 ms later). Under load a worker just
    forked may not run before both its signals come, and it then served on until killed, 30 s later (2 of 48
    stops under load). So a worker also stops as soon as granian's handlers are in place if granian's main
    process has taken a stop signal: it notes one in memory the workers share before it signals them.

    granian reads ``granian._signals.set_sync_signals`` when the worker starts serving, after this app is loaded,
    so replacing it here takes effect; with a granian that has no such function, nothing changes."""
    try:
        from granian import _signals
    except ImportError:  # pragma: no cover - granian is a dependency
        return
    install = getattr(_signals, "set_sync_signals", None)
    if install is None or getattr(install, "counts_once", False):
        return
    early = _EARLY_STOPS
    for number in _STOP_SIGNALS:
        signal.signal(number, lambda number, _frame: early.append(number))

    def install_counting_once():  # noqa: ANN202 - returns granian's WorkerSignal
        event = install()
        handlers = {number: signal.getsignal(number) for number in _STOP_SIGNALS}
        first = threading.Lock()

        def stop(number: int, frame: object = None) -> None:
            handler = handlers.get(number)
            if callable(handler) and first.acquire(blocking=False):
                handler(number, frame)

        for number in _STOP_SIGNALS:
            if callable(handlers[number]):
                signal.signal(number, stop)
        if early:
            stop(early[0])
        elif _SERVER_STOPPING and _SERVER_STOPPING[0].value:
            stop(signal.SIGTERM)
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        try:
            previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        except ValueError:  # not the main thread (granian calls this in it): no watcher, then
            previous = None
        if previous != -1:  # the descriptor was someone else's (given back), or none could be set
            if previous is not None:
                signal.set_wakeup_fd(previous)
            os.close(read_end)
            os.close(write_end)
            return event

        def watch() -> None:
            while True:
                for number in os.read(read_end, 16):
                    if number in _STOP_SIGNALS:
                        stop(number)

        threading.Thread(target=watch, name="lrs-stop-signals", daemon=True).start()
        return event

    install_counting_once.counts_once = True
    _signals.set_sync_signals = install_counting_once


#: Allocations of container objects (net of those freed) between two young-generation collections in a worker.
#: Python's default, 700, ran ~5 collections during each batch of 100 statements (its parsed JSON alone is
#: some 10,000 dicts and lists, all freed when the request ends): 3-5 ms of a ~35 ms batch. 10,000 counted
#: fewer instructions than 50,000 for single POSTs and as few for batches (docs/performance.md).
WORKER_GC_THRESHOLD = 10_000


def settle_garbage_collector() -> None:
    """After a worker's app is built: collect once, then freeze what is left (the modules, Flask, SQLAlchemy's
    compiled statements: ~170,000 objects, which every full collection walked again and never freed) and
    collect the young generation less often. A request's objects are freed by reference counting when it
    ends; the collector is only for cycles, and it still runs, once every WORKER_GC_THRESHOLD net allocations
    of container objects."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(WORKER_GC_THRESHOLD, second, third)


class _DeliberateWorkerCount(logging.Filter):
    """Drops granian's advice to run no more workers than CPUs: on SQLite ``lrs serve`` runs one more on
    purpose (lrs.config.default_server_shape), and a new user should not read that as a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configured number of workers appears to be higher")


def _granian_logging(access_log: str | None) -> dict:
    """granian's logging: its messages on standard output, and the access log (if any) at ``access_log``
    (``-``: standard output)."""
    access = (
        {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
        if access_log in (None, "-")
        else {"formatter": "access", "class": "logging.FileHandler", "filename": access_log}
    )
    return {
        "filters": {"deliberate_worker_count": {"()": _DeliberateWorkerCount}},
        "handlers": {
            "console": {
                "formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                "filters": ["deliberate_worker_count"],
            },
            "access": access,
        },
    }
