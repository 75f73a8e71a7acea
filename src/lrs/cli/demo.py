"""``lrs demo``: a realistic programme in a separate database, one account per role, served.

The demo database is its own SQLite file (``var/demo.sqlite3`` unless ``--database``); it is deleted and made
again on every run, and the command refuses to touch the file LRS_DATABASE_URL points at, so demo data never
mixes with a real store.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from lrs.cli.context import Context
from lrs.config import Settings, default_server_shape

DEFAULT_DEMO_DATABASE = Path("var") / "demo.sqlite3"


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def demo_settings(settings: Settings, database: Path) -> Settings:
    """The settings of the demo: the real ones with the demo's database, and the demo's centre name and number
    where LRS_CENTRE_NAME or LRS_CENTRE_NUMBER is not set. Refuses the real store's file."""
    from lrs.demo import programme
    target = database.resolve()
    real = _sqlite_file(settings.database_url)
    if real is not None and real == target:
        raise click.ClickException(
            f"{target} is the store LRS_DATABASE_URL points at; the demo needs a database of its own "
            "(give another --database)"
        )
    return replace(
        settings,
        database_url=f"sqlite:///{target}",
        centre_name=settings.centre_name or programme.CENTRE_NAME,
        centre_number=settings.centre_number or programme.CENTRE_NUMBER,
    )


def fresh_database(path: Path) -> None:
    """Delete the demo database (and SQLite's WAL files) so that the run starts from nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@click.command("demo")
@click.option(
    "--database", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DEMO_DATABASE, show_default=True,
    help="The demo's own SQLite file; deleted and made again on every run.",
)
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the demo once loaded.")
@click.option("--host", default=None, help="Default: LRS_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: LRS_PORT or 8080.")
@click.pass_context
def demo(click_ctx: click.Context, database: Path, serve: bool, host: str | None, port: int | None) -> None:
    """Load a realistic programme into a separate demo database and serve it, with an account for each role."""
    from lrs.cli.progress import progress
    from lrs.demo import loader
    from lrs.store.migrate import upgrade

    real = click_ctx.ensure_object(Context).settings
    settings = demo_settings(real, database)
    host = host or settings.host
    port = port or settings.port
    settings = replace(settings, host=host, port=port)
    if serve:
        from lrs.api.serving import PortInUse, check_port_free

        try:
            check_port_free(host, port)
        except PortInUse as exc:
            raise click.ClickException(str(exc)) from None
    fresh_database(database.resolve())
    ctx = Context()
    ctx.may_create = True  # the demo makes its own database afresh (upgrade below creates it)
    # A throwaway database made again on every run: loading need not wait for the disk at each commit. Serving
    # uses the ordinary setting.
    ctx.settings = replace(settings, sqlite_synchronous="OFF")
    lrs = ctx.lrs
    with progress("Loading the demo", total=loader.planned_work(), unit="records") as meter:
        upgrade(lrs.db.engine)
        loaded = loader.load(lrs, meter=meter)
    click.echo(
        meter.summary(
            f"loaded {loaded.statements} statements ({loaded.journal_entries} journal entries, {loaded.decisions} "
            f"decisions) for {len(loaded.cohorts)} cohorts and {len(loaded.accounts)} accounts into {database}"
        )
    )
    click.echo(f"\ncentre:   {settings.centre_name} (centre number {settings.centre_number}), as the ILM portfolios "
               "and the EQA pack name it; the ILM learners have registration numbers")
    click.echo(f"sign in:  {settings.pages_url}/sign-in")
    width = max(len(a.email) for a in loaded.accounts)
    secret_width = max(len(a.password) for a in loaded.accounts)
    for account in loaded.accounts:
        click.echo(
            f"  {account.role:<12} {account.email:<{width}}  {account.password:<{secret_width}}  "
            f"{account.name}, {account.what}"
        )
    if loaded.lms_credential:
        key, secret = loaded.lms_credential
        click.echo(f"xAPI:     http://{host}:{port}/xapi/  (the programme LMS's credential: key {key}  secret {secret})")
    click.echo("The demo database is separate from your store; `lrs demo` again starts it afresh.")
    if not serve:
        return
    from lrs.cli.serve import run_server

    workers, threads = settings.workers, settings.threads
    if not real.is_sqlite:  # the shape chosen for the real store's PostgreSQL does not suit the demo's SQLite
        workers, threads = default_server_shape(settings.database_url)
    click.echo(f"serving:  {workers} worker{'s' * (workers != 1)} x {threads} thread{'s' * (threads != 1)}")
    sys.stdout.flush()
    lrs.db.dispose()  # workers fork after this; each opens its own connections
    run_server(settings, host, port, workers, threads, ready="ready:    accepting requests (Ctrl-C stops)")
