"""The competency domain's commands: ``lrs frameworks list|show|import|import-units|mapped`` and ``lrs evidence rebuild``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lrs.cli.context import error_message, lrs_of


@click.group("frameworks")
def frameworks_group() -> None:
    """Competency frameworks (CASE packages): shipped, from plugins, or imported."""


@frameworks_group.command("list")
@click.pass_context
def frameworks_list(click_ctx: click.Context) -> None:
    """List the frameworks in force."""
    from lrs.competency.evidence import registry

    for framework in registry(lrs_of(click_ctx)).frameworks.values():
        click.echo(f"{framework.slug:34} {len(framework.items):4} items  {framework.title}  <{framework.uri}>")


@frameworks_group.command("show")
@click.argument("framework")
@click.pass_context
def frameworks_show(click_ctx: click.Context, framework: str) -> None:
    """Show one framework's items as a tree (FRAMEWORK: its slug or URI)."""
    from lrs.competency.evidence import registry

    found = registry(lrs_of(click_ctx)).lookup(framework)
    if found is None:
        raise click.ClickException(f"no framework {framework!r}; see `lrs frameworks list`")
    click.echo(f"{found.title}\n{found.uri}\nsource: {found.source_url}\nlicence: {found.licence}\n")

    def show(parent: str | None, depth: int) -> None:
        for item in found.children(parent):
            click.echo(f"{'  ' * depth}{item.code:18} {item.title}")
            show(item.id, depth + 1)

    show(None, 0)


@frameworks_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def frameworks_import(click_ctx: click.Context, file: str) -> None:
    """Import a CASE 1.1 package (JSON), e.g. an organisation's own practice framework."""
    from lrs.competency.evidence import import_framework
    from lrs.xapi.errors import XAPIError

    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
        framework, replaced = import_framework(lrs_of(click_ctx), data)
    except ValueError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from exc
    except XAPIError as exc:
        raise click.ClickException(error_message(exc)) from exc
    verb = "replaced" if replaced else "imported"
    click.echo(f"{verb} {framework.slug}: {len(framework.items)} items ({framework.uri})")
    click.echo("run `lrs evidence rebuild` to link stored statements to it")


@frameworks_group.command("import-units")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def frameworks_import_units(click_ctx: click.Context, file: str) -> None:
    """Import a centre's qualification units (JSON, schemas/centre-units.schema.json)."""
    from lrs.competency.evidence import import_units
    from lrs.xapi.errors import XAPIError

    try:
        framework, replaced = import_units(lrs_of(click_ctx), json.loads(Path(file).read_text(encoding="utf-8")))
    except ValueError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from exc
    except XAPIError as exc:
        raise click.ClickException(error_message(exc)) from exc
    units = sum(1 for item in framework.items if item.item_type == "Unit")
    click.echo(f"{'replaced' if replaced else 'imported'} {framework.slug}: {units} units, "
               f"{len(framework.leaves())} criteria ({framework.uri})")
    click.echo("run `lrs evidence rebuild` to link stored statements to it")


@frameworks_group.command("mapped")
@click.argument("item")
@click.pass_context
def frameworks_mapped(click_ctx: click.Context, item: str) -> None:
    """List the items of other frameworks that ITEM (an item IRI) is mapped to."""
    from lrs.competency.evidence import mapped_items

    for mapped in mapped_items(lrs_of(click_ctx), item):
        click.echo(f"{mapped.framework.slug:34} {mapped.item.code:18} {mapped.item.title}  ({mapped.association_type})")


@click.group("evidence")
def evidence_group() -> None:
    """Evidence links between statements and framework items."""


@evidence_group.command("rebuild")
@click.pass_context
def evidence_rebuild(click_ctx: click.Context) -> None:
    """Derive every evidence link again from the stored statements."""
    from lrs.cli.progress import progress
    from lrs.competency.evidence import rebuild
    from lrs.store import evidence as evidence_store

    lrs = lrs_of(click_ctx)
    with lrs.db.read() as conn:
        total = evidence_store.count_statements_to_link(conn)
    with progress("Rebuilding evidence links", total=total, unit="statements") as meter:
        report = rebuild(lrs, on_progress=meter.advance)
    click.echo(meter.summary(f"examined {report['statements']} statements, {report['links']} evidence links"))


COMMANDS = (frameworks_group, evidence_group)
