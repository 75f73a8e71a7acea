"""``lrs export``: a learner's record through an exporter plugin."""

from __future__ import annotations

from pathlib import Path

import click

from lrs.cli.context import Context


@click.command(
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
    from lrs.services.exports import run_export
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
