"""``lrs import``: copy statements (and documents) from another LRS through its xAPI."""

from __future__ import annotations

import json

import click

from lrs.cli.context import Context, pass_ctx
from lrs.cli.progress import progress


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
    from lrs.services.importing import Importer, ImportError_
    from lrs.store import importing as checkpoints

    importer = Importer(ctx.lrs, endpoint, key, secret, version=xapi_version, page_size=page_size)
    if restart:
        ctx.lrs.db.write(lambda conn: checkpoints.forget(conn, importer.endpoint))
    # The peer gives no total, so a spinner with the count received (standard error, on a terminal only).
    with progress("Importing", unit="statements") as meter:

        def on_page(report) -> None:  # noqa: ANN001
            meter.update(completed=report.received,
                         description=f"Importing page {report.pages}: {report.stored} stored, "
                                     f"{report.skipped} already here")

        try:
            report = importer.run(since=since, documents=documents, progress=on_page)
        except (ImportError_, OSError) as exc:
            raise click.ClickException(f"import stopped: {exc} (run again to resume)") from exc
        finally:
            importer.close()
    click.echo(json.dumps(report.as_dict(), indent=2))
    # Standard output stays the JSON report (scripts read it); the one-line summary goes beside the bar.
    click.echo(meter.summary(f"imported {report.stored} statements ({report.skipped} already here, "
                             f"{len(report.conflicts)} conflicts, {len(report.rejected)} rejected) "
                             f"of {report.received} received"), err=True)


COMMANDS = [import_command]
