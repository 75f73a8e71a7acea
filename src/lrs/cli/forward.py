"""``lrs forward``: forwarding targets, the dead-letter list, and a sender run from the command line."""

from __future__ import annotations

import json
import signal
import threading

import click

from lrs.cli.context import Context, pass_ctx


@click.group()
def forward() -> None:
    """Forward stored statements to another LRS or a webhook (docs/operations.md, Forwarding)."""


@forward.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["xapi", "webhook"]), required=True)
@click.option("--url", required=True, help="xapi: the target's endpoint (…/xapi); webhook: the URL to POST to.")
@click.option("--key", "username", help="xapi: the target LRS's credential key.")
@click.option("--secret", help="xapi: the target's credential secret; webhook: the signing secret (default: generated).")
@click.option("--xapi-version", default=None, help="xapi: X-Experience-API-Version to send (default 1.0.3).")
@click.option("--verb", help="Forward only statements with this verb IRI.")
@click.option("--activity", help="Forward only statements touching this activity IRI.")
@click.option("--agent", help="Forward only statements whose actor (or object) is this agent (mailto:…, account:…).")
@click.option("--backfill", is_flag=True, help="Also queue the statements stored before now.")
@pass_ctx
def forward_add(ctx: Context, name: str, kind: str, url: str, username: str | None, secret: str | None,
                xapi_version: str | None, verb: str | None, activity: str | None, agent: str | None,
                backfill: bool) -> None:
    """Add a target NAME."""
    from lrs.services.forwarding import ForwardingError, add_target

    try:
        target = add_target(
            ctx.lrs, name=name, kind=kind, url=url, username=username,
            password=secret if kind == "xapi" else None, secret=secret if kind == "webhook" else None,
            xapi_version=xapi_version, verb=verb, activity=activity, agent=agent, backfill=backfill,
        )
    except ForwardingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(target, indent=2))


@forward.command("list")
@pass_ctx
def forward_list(ctx: Context) -> None:
    """Targets, with how many statements are pending and dead for each."""
    from lrs.services.forwarding import list_targets

    click.echo(json.dumps(list_targets(ctx.lrs), indent=2))


@forward.command("remove")
@click.argument("name")
@pass_ctx
def forward_remove(ctx: Context, name: str) -> None:
    """Remove a target and what is queued for it."""
    from lrs.services.forwarding import remove_target

    if not remove_target(ctx.lrs, name):
        raise click.ClickException(f"no target named {name!r}")
    click.echo(f"removed {name}")


@forward.command("dead")
@click.option("--target", default=None)
@pass_ctx
def forward_dead(ctx: Context, target: str | None) -> None:
    """The dead-letter list: statements given up on, with the last error."""
    from lrs.services.forwarding import dead_letters

    click.echo(json.dumps(dead_letters(ctx.lrs, target), indent=2, default=str))


@forward.command("replay")
@click.option("--target", default=None, help="Only this target's dead letters.")
@click.option("--id", "ids", type=int, multiple=True, help="Only these dead-letter ids.")
@pass_ctx
def forward_replay(ctx: Context, target: str | None, ids: tuple[int, ...]) -> None:
    """Queue dead letters again (attempts start from zero)."""
    from lrs.services.forwarding import replay

    click.echo(f"{replay(ctx.lrs, target, list(ids) or None)} queued again")


@forward.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due and stop.")
@click.option("--lease-seconds", type=float, default=30.0, show_default=True,
              help="How long the sender's lease lasts unrenewed (a crashed sender is taken over after it).")
@click.option("--batch-size", type=int, default=100, show_default=True)
@click.option("--max-attempts", type=int, default=10, show_default=True)
@click.option("--base-delay", type=float, default=2.0, show_default=True, help="Seconds before the first retry; doubles each time.")
@pass_ctx
def forward_run(ctx: Context, once: bool, lease_seconds: float, batch_size: int, max_attempts: int, base_delay: float) -> None:
    """Run the sender in the foreground (one at a time across processes; SIGTERM/Ctrl-C stops it)."""
    from lrs.services.forwarding import Sender

    sender = Sender(ctx.lrs, lease_seconds=lease_seconds, batch_size=batch_size, max_attempts=max_attempts,
                    base_delay=base_delay)
    if once:
        click.echo(f"{sender.run_once()} delivered")
        sender.release()
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"forwarding as {sender.holder}", err=True)
    try:
        sender.run(stop)
    except KeyboardInterrupt:
        stop.set()
        sender.release()
    click.echo(f"{sender.delivered} delivered", err=True)


COMMANDS = [forward]
