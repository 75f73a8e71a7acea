"""``lrs import``: copy statements (and documents) from another LRS through its xAPI."""

from __future__ import annotations

import json
import sys

import click

from lrs.cli.context import Context, pass_ctx


@click.command("import")
@click.option("--endpoint", required=True, help="The other LRS's xAPI endpoint, e.g. https://old-lrs.example/xapi/")
@click.option("--key", required=True, help="A credential key there that may read all statements.")
@click.option("--secret", required=True)
@click.option("--since", default=None, help="Only statements the other LRS stored after this instant (ISO 8601).")
@click.option("--documents", is_flag=True, help="Also copy state, agent and activity profile documents.")
@click.option("--page-size", type=int, default=500, show_default=True)
@click.option("--xapi-version", default="1.0.3", show_default=True, help="X-Experience-API-Version to send.")
@click.option("--restart", is_flag=True, help="Forget the checkpoint of an earlier import from this endpoint.")
@pass_ctx
def import_command(ctx: Context, endpoint: str, key: str, secret: str, since: str | None, documents: bool,
                   page_size: int, xapi_version: str, restart: bool) -> None:
    """Copy statements from another LRS, resumably and idempotently (docs/operations.md, Import)."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from lrs.services.importing import Importer, ImportError_
    from lrs.store import importing as checkpoints

    importer = Importer(ctx.lrs, endpoint, key, secret, version=xapi_version, page_size=page_size)
    if restart:
        ctx.lrs.db.write(lambda conn: checkpoints.forget(conn, importer.endpoint))
    # A progress bar on a terminal only: piped or logged output gets the summary alone.
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=None),
                  TextColumn("{task.fields[stored]} stored, {task.fields[skipped]} already here"),
                  TimeElapsedColumn(), disable=not sys.stdout.isatty()) as bar:
        task = bar.add_task("importing", total=None, stored=0, skipped=0)

        def progress(report) -> None:  # noqa: ANN001
            bar.update(task, completed=report.received, stored=report.stored, skipped=report.skipped,
                       description=f"page {report.pages}")

        try:
            report = importer.run(since=since, documents=documents, progress=progress)
        except (ImportError_, OSError) as exc:
            raise click.ClickException(f"import stopped: {exc} (run again to resume)") from exc
    click.echo(json.dumps(report.as_dict(), indent=2))


COMMANDS = [import_command]
