"""`lrs users ...`: people's accounts for the web pages (separate from API credentials).

There is no mail server: a new account without --password-stdin, and `lrs users reset`, print a one-time link
that the operator passes on; the person sets their own password there.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

import click

ROLE_CHOICE = click.Choice(["participant", "assessor", "iqa", "lead", "admin"])


def _reset_link(ctx: Any, user_id: int) -> str:
    from lrs.store import users as user_store
    from lrs.web.sessions import RESET_VALID_FOR

    token = secrets.token_urlsafe(32)
    ctx.lrs.db.write(lambda conn: user_store.create_reset(conn, user_id=user_id, token=token, valid_for=RESET_VALID_FOR))
    return f"{ctx.settings.pages_url}/reset/{token}"


def _find(ctx: Any, email: str) -> dict[str, Any]:
    from lrs.store import users as user_store

    with ctx.lrs.db.read() as conn:
        user = user_store.user_by_email(conn, email)
    if user is None:
        raise click.ClickException(f"there is no account for {email}")
    return user


@click.group()
def users() -> None:
    """People's accounts for the web pages (sign-in with email and password)."""


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as the pages show it.")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option(
    "--agent", default=None,
    help="The person's agent in the record, e.g. mailto:jo@la.example (required for a participant).",
)
@click.option("--cohort", "cohorts", multiple=True, help="A cohort activity IRI they belong to or review; repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of printing a link.")
@click.pass_obj
def users_create(
    ctx: Any, email: str, name: str, role: str, agent: str | None, cohorts: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account; print a one-time link where the person sets their password."""
    from lrs.store import users as user_store
    from lrs.web.passwords import hash_password, password_problem
    from lrs.xapi.ifi import key_from_identifier

    if "@" not in email:
        raise click.BadParameter("an email address, e.g. jo@la.example", param_hint="EMAIL")
    if role == "participant" and not agent:
        raise click.BadParameter("a participant needs the agent their learning is recorded as", param_hint="--agent")
    try:
        agent_key = key_from_identifier(agent) if agent else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--agent") from exc
    password_hash = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password, email=email, name=name)
        if problem:
            raise click.ClickException(problem)
        password_hash = hash_password(password)

    def work(conn):  # noqa: ANN001, ANN202
        if user_store.user_by_email(conn, email):
            raise click.ClickException(f"there is already an account for {email}")
        return user_store.create_user(
            conn, email=email, name=name, role=role, agent_key=agent_key, cohorts=list(cohorts), password_hash=password_hash
        )

    user_id = ctx.lrs.db.write(work)
    click.echo(f"created {user_store.normalise_email(email)} ({role})")
    if not password_stdin:
        click.echo(f"set a password (one use, 24 hours): {_reset_link(ctx, user_id)}")


@users.command("list")
@click.pass_obj
def users_list(ctx: Any) -> None:
    """Every account: email, role, state, name, last sign-in."""
    from lrs.store import users as user_store

    with ctx.lrs.db.read() as conn:
        rows = user_store.list_users(conn)
    if not rows:
        click.echo("no accounts yet: create one with `lrs users create EMAIL --name NAME --role admin`")
    for user in rows:
        state = "disabled" if user["disabled"] else ("active" if user["password_hash"] else "no-password")
        last = user["last_sign_in"].strftime("%Y-%m-%d %H:%M") if user["last_sign_in"] else "never"
        click.echo(f"{user['email']}  {user['role']:11}  {state:11}  {user['name']}  last sign-in: {last}")


@users.command("disable")
@click.argument("email")
@click.pass_obj
def users_disable(ctx: Any, email: str) -> None:
    """Stop an account signing in, and end its sessions now."""
    from lrs.store import users as user_store

    user = _find(ctx, email)
    ctx.lrs.db.write(lambda conn: user_store.disable_user(conn, user["id"]))
    click.echo(f"disabled {user['email']} (signed out everywhere)")


@users.command("reset")
@click.argument("email")
@click.pass_obj
def users_reset(ctx: Any, email: str) -> None:
    """Print a one-time link where the person sets a new password."""
    user = _find(ctx, email)
    if user["disabled"]:
        raise click.ClickException(f"{user['email']} is disabled")
    click.echo(f"set a new password (one use, 24 hours): {_reset_link(ctx, user['id'])}")
