"""``lrs db backup FILE`` and ``lrs db restore FILE`` (added to the ``db`` group)."""

from __future__ import annotations

from pathlib import Path

import click

from lrs.cli.context import Context, pass_ctx
from lrs.cli.db import db
from lrs.cli.progress import progress


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def db_backup(ctx: Context, file: Path) -> None:
    """A consistent copy of the database, taken while the server runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from lrs.store.backup import BackupError, backup

    try:
        with progress("Backing up", unit="pages") as meter:
            result = backup(ctx.lrs.db, file, on_progress=meter.report)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    count = f", {result.statements} statements" if result.statements is not None else ""
    click.echo(meter.summary(f"backed up to {result.path} ({result.size} bytes{count}, schema {result.revision})"))


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Restore even though other processes use the database.")
@pass_ctx
def db_restore(ctx: Context, file: Path, force: bool) -> None:
    """Replace the database's content with a backup made by `lrs db backup` (refuses while it is in use)."""
    from lrs.store.backup import BackupError, restore

    try:
        with progress("Restoring", unit="pages") as meter:
            result = restore(ctx.lrs.db, file, force=force, on_progress=meter.report)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(meter.summary(f"restored {file} ({result.statements} statements, schema {result.revision})")
               + "; run `lrs db upgrade` if this code is newer")
