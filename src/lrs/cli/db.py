"""``lrs db``: the schema (Alembic migrations)."""

from __future__ import annotations

import click

from lrs.cli.context import Context, database_origin, pass_ctx, safe_url


@click.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create or upgrade the schema to the latest migration."""
    from lrs.store.migrate import current_revision, upgrade

    ctx.may_create = True
    upgrade(ctx.lrs.db.engine)
    click.echo(f"database at revision {current_revision(ctx.lrs.db.engine)} ({safe_url(ctx.settings)})")


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Show the schema revision of the database and the latest one this code knows."""
    from lrs.store.migrate import current_revision, head_revision

    click.echo(f"current: {current_revision(ctx.lrs.db.engine)}  latest: {head_revision()}")
    click.echo(f"database: {safe_url(ctx.settings)} ({database_origin(ctx.settings)})")
