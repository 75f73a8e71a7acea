"""``lrs serve``: migrate, make sure a credential exists, and serve with granian."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import sys
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
    ``ready`` is printed once the port accepts connections (see announce_when_listening).
    """
    from granian.constants import Interfaces
    from granian.server import Server

    from lrs.api.serving import connection_limits
    from lrs.api.spread import create_board

    access_log = settings.access_log
    server = Server(
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
    if ready:
        announce_when_listening(host, port, ready)
    try:
        # Workers are forked: each builds its own app (and its own database connections) from these settings.
        server.serve(target_loader=lambda: _worker_app(settings, board), wrap_loader=False)
    finally:
        if board:
            with contextlib.suppress(OSError):
                os.remove(board)


def announce_when_listening(host: str, port: int, line: str) -> None:
    """Print ``line`` once ``host:port`` accepts connections. The banner comes before granian's workers have
    bound the port, and a client that took it as its cue was refused for about a second (a new user's first
    curl). The waiting is done by a process of its own (forked twice, so that init reaps it): a thread here
    would be running when granian forks its workers, and with one a worker never answered its first request
    (a fork while another thread holds a lock)."""
    from lrs.api.serving import wait_until_listening

    if not hasattr(os, "fork"):
        return
    server = os.getpid()
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    try:
        if os.fork() == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole process group
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if wait_until_listening(host, port, still_waiting=lambda: _alive(server)):
                click.echo(line)
                sys.stdout.flush()
    finally:
        os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (its pid perhaps taken by another user's process)
        return False
    return True


def _worker_app(settings: Settings, board: str | None = None):  # noqa: ANN202 - a Flask app
    """A worker's app: its logging configured, the forwarding sender started in the worker (the lease lets
    one deliver at a time), and its requests marked on the workers' board when there is one."""
    from lrs.api.spread import BoardFull, SpreadConnections, WorkerBoard
    from lrs.app import create_app
    from lrs.logs import configure_logging
    from lrs.services.forwarding import start_background_sender

    # LRS_LOG_FORMAT=json: one JSON object per line, each with its request id
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    start_background_sender(app.extensions["lrs"])
    if board:
        try:
            app.wsgi_app = SpreadConnections(app.wsgi_app, WorkerBoard(board))
        except BoardFull:  # never expected (twice the slots there are workers); serve, without spreading
            logging.getLogger(__name__).warning("no slot on the workers' board: this worker keeps its connections")
    settle_garbage_collector()
    return app


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
