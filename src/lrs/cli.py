"""The ``lrs`` command: serve, migrate, manage credentials. Plugins add commands through a hook."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from lrs.config import Settings
from lrs.xapi.scopes import SCOPES

FIRST_CREDENTIAL_FILE = Path("var") / "first-credential.json"


class Context:
    """Lazily built settings and LRS, so ``lrs --help`` needs no database."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._lrs = None

    @property
    def lrs(self):  # noqa: ANN201
        if self._lrs is None:
            from lrs.service import LRS

            self._lrs = LRS(self.settings)
        return self._lrs


pass_ctx = click.make_pass_decorator(Context, ensure=True)


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """A learning record store that speaks xAPI and understands professional development."""
    ctx.ensure_object(Context)


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create or upgrade the schema to the latest migration."""
    from lrs.store.migrate import current_revision, upgrade

    upgrade(ctx.lrs.db.engine)
    click.echo(f"database at revision {current_revision(ctx.lrs.db.engine)} ({_safe_url(ctx.settings)})")


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Show the schema revision of the database and the latest one this code knows."""
    from lrs.store.migrate import current_revision, head_revision

    click.echo(f"current: {current_revision(ctx.lrs.db.engine)}  latest: {head_revision()}")


@cli.group()
def credentials() -> None:
    """API credentials (HTTP Basic key and secret)."""


@credentials.command("create")
@click.option("--name", default="client", show_default=True, help="Who the credential is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="xAPI scope; repeat for several. Default: all.",
)
@click.option("--role", type=click.Choice(["admin", "participant", "assessor", "iqa"]), default=None)
@click.option(
    "--agent",
    "agent",
    default=None,
    help="A participant's own agent, e.g. mailto:jo@la.example; for an assessor or IQA (optional), the agent their "
    "decisions name as actor.",
)
@click.option(
    "--cohort", "cohorts", multiple=True, help="For an assessor or IQA: a cohort activity IRI it reviews; repeat for several."
)
@click.option("--key", default=None, help="Choose the key (default: random).")
@click.option("--secret", default=None, help="Choose the secret (default: random, 43 characters).")
@click.option("--json", "as_json", is_flag=True, help="Print the credential as JSON.")
@pass_ctx
def credentials_create(
    ctx: Context,
    name: str,
    scopes: tuple[str, ...],
    role: str | None,
    agent: str | None,
    cohorts: tuple[str, ...],
    key: str | None,
    secret: str | None,
    as_json: bool,
) -> None:
    """Create a credential and print its key and secret (the secret is shown only now)."""
    from lrs.store.credentials import WeakSecret, check_secret_strength, create_credential
    from lrs.xapi.ifi import key_from_identifier

    if secret is not None:
        try:
            check_secret_strength(secret)
        except WeakSecret as exc:
            raise click.BadParameter(f"{exc}; leave --secret out for a random one", param_hint="--secret") from None
    key, secret = ctx.lrs.db.write(
        lambda conn: create_credential(
            conn,
            name=name,
            scopes=list(scopes) or ["all"],
            authority_home_page=ctx.settings.authority_home_page,
            key=key,
            secret=secret,
            role=role,
            agent_key=key_from_identifier(agent) if agent else None,
            cohorts=list(cohorts) or None,
        )
    )
    if as_json:
        click.echo(json.dumps({"key": key, "secret": secret, "scopes": list(scopes) or ["all"]}))
    else:
        click.echo(f"key:    {key}\nsecret: {secret}\nscopes: {', '.join(scopes) or 'all'}")


@credentials.command("list")
@pass_ctx
def credentials_list(ctx: Context) -> None:
    """List credentials (never their secrets)."""
    from lrs.store.credentials import list_credentials

    with ctx.lrs.db.read() as conn:
        rows = list_credentials(conn)
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        extra = f" role={row['role']}" if row["role"] else ""
        click.echo(f"{row['key']}  {state:7}  {row['name']}  scopes={','.join(row['scopes'])}{extra}")


@credentials.command("revoke")
@click.argument("key")
@pass_ctx
def credentials_revoke(ctx: Context, key: str) -> None:
    """Revoke a credential. Running workers stop accepting it within LRS_CREDENTIAL_CACHE_SECONDS."""
    from lrs.store.credentials import revoke_credential

    if not ctx.lrs.db.write(lambda conn: revoke_credential(conn, key)):
        raise click.ClickException(f"no active credential with key {key}")
    click.echo(f"revoked {key}")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def plugins_list(ctx: Context, as_json: bool) -> None:
    """List the loaded plugins: where each came from, its version and the hooks it implements."""
    from dataclasses import asdict

    from lrs.plugins import describe_plugins, make_plugin_manager

    infos = describe_plugins(make_plugin_manager(ctx.settings.plugins))
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    for info in infos:
        dist = f" ({info.distribution})" if info.distribution and info.distribution != "lrs" else ""
        click.echo(f"{info.name} {info.version or '?'}  [{info.source}]{dist}")
        click.echo(f"    hooks: {', '.join(info.hooks) or '(none)'}")


@cli.command(
    "export", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("name")
@click.option("--agent", required=True, help="The learner, e.g. mailto:jo@la.example.")
@click.option("--format", "fmt", default=None, help="Output format (the exporter's first by default).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="File to write.")
@click.pass_context
def export_command(click_ctx: click.Context, name: str, agent: str, fmt: str | None, output: str | None) -> None:
    """Export a learner's record with exporter NAME (GET /api/exporters lists them).

    Exporter options follow as --key value, e.g. `lrs export cpd-log --agent mailto:jo@la.example --year 2026
    --format pdf -o cpd.pdf`.
    """
    from lrs.exporting import run_export
    from lrs.xapi.errors import XAPIError
    from lrs.xapi.ifi import key_from_identifier

    options = _extra_options(click_ctx.args)
    if fmt:
        options["format"] = fmt
    ctx: Context = click_ctx.ensure_object(Context)
    try:
        file = run_export(ctx.lrs, name, key_from_identifier(agent), options)
    except XAPIError as exc:
        raise click.ClickException(f"{exc.path + ': ' if exc.path else ''}{exc.message}") from exc
    target = Path(output or file.filename)
    target.write_bytes(file.content)
    click.echo(f"wrote {target} ({len(file.content)} bytes, {file.media_type})")


def _extra_options(args: list[str]) -> dict[str, str]:
    """``--year 2026 --since=2025-12-01`` -> {"year": "2026", "since": "2025-12-01"}."""
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("--"):
            raise click.UsageError(f"unexpected argument {arg!r}; exporter options look like --name value")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if index + 1 >= len(args):
                raise click.UsageError(f"option --{key} needs a value")
            index += 1
            value = args[index]
        options[key.replace("-", "_")] = value
        index += 1
    return options


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


@cli.command("serve")
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
    credential = prepare_to_serve(ctx, migrate=migrate)
    click.echo(f"LRS endpoint: http://{host}:{port}/xapi/  (database: {_safe_url(settings)})")
    if credential:
        click.echo(f"credential:   key {credential['key']}  secret {credential['secret']}")
        click.echo(
            f"try it:       curl -u {credential['key']}:{credential['secret']} "
            f"-H 'X-Experience-API-Version: 1.0.3' http://{host}:{port}/xapi/statements"
        )
    else:
        click.echo("credential:   create one with `lrs credentials create`")
    workers = workers or settings.workers
    threads = threads or settings.threads
    click.echo(f"serving:      {workers} worker{'s' * (workers != 1)} x {threads} thread{'s' * (threads != 1)}")
    sys.stdout.flush()
    ctx.lrs.db.dispose()  # workers fork after this; each opens its own connections
    run_server(settings, host, port, workers, threads)


def run_server(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with granian: its HTTP/1.1 and HTTP/2 handling is Rust, so a request costs the worker only
    the app's own Python (gunicorn's Python HTTP parsing and event loop cost a single POST 0.75 ms of CPU,
    docs/performance.md). Workers are forked processes, each with ``threads`` threads running the app; idle
    keep-alive connections wait in the server, not in a thread (a slow upload does hold one: the app reads it).
    """
    from granian.constants import Interfaces
    from granian.server import Server

    from lrs.api.serving import connection_limits
    from lrs.app import create_app

    access_log = os.environ.get("LRS_ACCESS_LOG") or None
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
    # Workers are forked: each builds its own app (and so its own database connections) from these settings.
    server.serve(target_loader=lambda: create_app(settings), wrap_loader=False)


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


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def main() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lrs.plugins import make_plugin_manager

    settings = Settings.from_env()
    pm = make_plugin_manager(settings.plugins)
    pm.hook.lrs_register_commands(cli=cli)
    try:
        cli(prog_name="lrs")
    except (OperationalError, ProgrammingError) as exc:
        # A command run before the database is set up (or while it cannot be reached) deserves a sentence,
        # not a traceback.
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        missing = ("unable to open database file", "no such table", "does not exist")
        if message.startswith("connection failed") or not any(m in message for m in missing):
            hint = "check LRS_DATABASE_URL, and that the server is running and the database exists"
        else:
            hint = "run `lrs db upgrade` (or `lrs serve`, which does it) first"
        click.echo(f"lrs: the database at {_safe_url(settings)} is not ready: {message}; {hint}", err=True)
        sys.exit(1)
