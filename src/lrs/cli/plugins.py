"""``lrs plugins``: what is loaded, from where, with which hooks."""

from __future__ import annotations

import json

import click

from lrs.cli.context import Context, pass_ctx


@click.command("plugins")
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
