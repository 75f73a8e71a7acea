"""``lrs export``: a learner's record through an exporter plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lrs.cli.context import Context, error_message


def _installed_exporters() -> dict[str, Any]:
    """The exporters the installed plugins offer (no database needed: for --help and option checks)."""
    from lrs.config import Settings
    from lrs.plugins import call_each, make_plugin_manager

    found: dict[str, Any] = {}
    for _plugin, exporters in call_each(make_plugin_manager(Settings.from_env().plugins), "lrs_exporters"):
        for exporter in exporters or []:
            found.setdefault(exporter.name, exporter)
    return found


class ExportCommand(click.Command):
    """``lrs export --help`` ends with the installed exporters, their formats and their options."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        try:
            exporters = _installed_exporters()
        except Exception as exc:  # help must print even when a plugin is broken
            formatter.write_paragraph()
            formatter.write_text(f"(could not list the exporters: {exc})")
            return
        with formatter.section("Installed exporters"):
            if not exporters:
                formatter.write_text("none: install an exporter plugin (e.g. plugins/lrs-cpd-log)")
            for exporter in exporters.values():
                formatter.write_text(f"{exporter.name}: {exporter.title}")
                with formatter.indentation():
                    rows = [("--format", f"{', '.join(exporter.formats)} (default {exporter.formats[0]})")]
                    rows += [(f"--{name.replace('_', '-')}", help) for name, help in (exporter.options or {}).items()]
                    formatter.write_dl(rows)


@click.command(
    "export", cls=ExportCommand, context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("name")
@click.option("--agent", required=True, help="The learner: mailto:jo@la.example (or jo@la.example), account:…")
@click.option("--format", "fmt", default=None, help="Output format (the exporter's first by default).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
    help="File to write. Default: the exporter's file name in the current directory (printed).",
)
@click.pass_context
def export_command(click_ctx: click.Context, name: str, agent: str, fmt: str | None, output: str | None) -> None:
    """Export a learner's record with exporter NAME.

    Exporter options follow as --option value, e.g. `lrs export cpd-log --agent mailto:jo@la.example --year 2026
    --format pdf -o cpd.pdf`; an option the exporter does not take is an error.
    """
    from lrs.services.exports import run_export
    from lrs.xapi.errors import XAPIError
    from lrs.xapi.ifi import parse_agent

    options = _extra_options(click_ctx.args)
    exporter = _installed_exporters().get(name)
    if exporter is not None and exporter.options is not None:
        for key in options:
            if key not in exporter.options:
                takes = ", ".join(f"--{o.replace('_', '-')}" for o in ["format", *exporter.options])
                raise click.UsageError(f"no such option for {name}: --{key.replace('_', '-')} (it takes {takes})")
    if fmt:
        options["format"] = fmt
    try:
        agent_key = parse_agent(agent)
    except XAPIError as exc:
        raise click.BadParameter(exc.message, param_hint="--agent") from exc
    ctx: Context = click_ctx.ensure_object(Context)
    try:
        file = run_export(ctx.lrs, name, agent_key, options)
    except XAPIError as exc:
        raise click.ClickException(error_message(exc)) from exc
    target = Path(output or file.filename).resolve()
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
            if index + 1 >= len(args) or args[index + 1].startswith("--"):
                raise click.UsageError(f"option --{key} needs a value")
            index += 1
            value = args[index]
        options[key.replace("-", "_")] = value
        index += 1
    return options
