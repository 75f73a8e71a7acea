"""The ``lrs`` command: one click group, a module per command group (db, credentials, cohorts, plugins, export, serve, demo,
and the built-in domains' summary, journal, reclassify, frameworks, evidence, review) and people's accounts (users). Plugins add commands
through the ``lrs_register_commands`` hook; the built-in ones are added here, by the core."""

from __future__ import annotations

import sys

import click

from lrs.cli import (
    agents,
    backup,  # noqa: F401 - adds `lrs db backup` and `lrs db restore` to the db group
    cohorts,
    competency,
    credentials,
    db,
    demo,
    export,
    forward,
    importing,
    learning,
    plugins,
    review,
    serve,
    users,
)
from lrs.cli.context import Context, safe_url
from lrs.cli.serve import _DeliberateWorkerCount, prepare_to_serve
from lrs.config import Settings

__all__ = ["Context", "_DeliberateWorkerCount", "cli", "main", "prepare_to_serve"]


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """A learning record store that speaks xAPI and understands professional development."""
    ctx.ensure_object(Context)


for command in (
    db.db,
    credentials.credentials,
    cohorts.cohorts,
    plugins.plugins_list,
    export.export_command,
    serve.serve,
    demo.demo,
    users.users,
    *learning.COMMANDS,
    *competency.COMMANDS,
    *review.COMMANDS,
    *forward.COMMANDS,
    *importing.COMMANDS,
    *agents.COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lrs.plugins import call_each_or_raise, make_plugin_manager

    settings = Settings.from_env()
    pm = make_plugin_manager(settings.plugins)
    call_each_or_raise(pm, "lrs_register_commands", cli=cli)
    from lrs.cli.context import error_message
    from lrs.xapi.errors import XAPIError

    try:
        cli(prog_name="lrs")
    except XAPIError as exc:  # a rule broken by what was typed (an agent, a date): the rule, said once
        click.echo(f"Error: {error_message(exc)}", err=True)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        # A command run before the database is set up (or while it cannot be reached) deserves a sentence,
        # not a traceback.
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        missing = ("unable to open database file", "no such table", "does not exist")
        if message.startswith("connection failed") or not any(m in message for m in missing):
            hint = "check LRS_DATABASE_URL, and that the server is running and the database exists"
        else:
            hint = "run `lrs db upgrade` (or `lrs serve`, which does it) first"
        click.echo(f"lrs: the database at {safe_url(settings)} is not ready: {message}; {hint}", err=True)
        sys.exit(1)
