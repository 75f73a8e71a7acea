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


def _agent(agent: str | None) -> str | None:
    from lrs.xapi.errors import XAPIError
    from lrs.xapi.ifi import key_from_identifier

    try:
        return key_from_identifier(agent) if agent else None
    except XAPIError as exc:
        raise click.BadParameter(exc.message, param_hint="--agent") from exc


def _refused(exc: Any) -> click.ClickException:
    """A refusal of lrs.services.accounts in the command's words: the option it is about, then the rule's."""
    option = {"role": "--role", "agent": "--agent", "cohorts": "--cohort", "name": "--name", "email": "EMAIL"}
    where = option.get(exc.path, "")
    return click.ClickException(f"{where}: {exc.message}" if where else exc.message)


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as the pages show it.")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option(
    "--agent", default=None,
    help="The person's agent in the record, e.g. mailto:jo@la.example (required for a participant).",
)
@click.option(
    "--cohort", "cohorts", multiple=True,
    help="A cohort activity IRI: a participant is enrolled in it as a learner, an assessor, IQA or lead reviews "
    "or leads it; repeatable.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of printing a link.")
@click.pass_obj
def users_create(
    ctx: Any, email: str, name: str, role: str, agent: str | None, cohorts: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account; print a one-time link where the person sets their password."""
    from lrs.services import accounts
    from lrs.store import users as user_store
    from lrs.web.passwords import hash_password, password_problem
    from lrs.xapi.errors import XAPIError

    if "@" not in email:
        raise click.BadParameter("an email address, e.g. jo@la.example", param_hint="EMAIL")
    if role == "participant" and not agent:
        raise click.BadParameter("a participant needs the agent their learning is recorded as", param_hint="--agent")
    agent_key = _agent(agent)
    password_hash = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password, email=email, name=name)
        if problem:
            raise click.ClickException(problem)
        password_hash = hash_password(password)
    with ctx.lrs.db.read() as conn:
        if user_store.user_by_email(conn, email):
            raise click.ClickException(f"there is already an account for {email}")
    try:
        user_id = accounts.create_account(
            ctx.lrs, ctx.lrs.operator_principal(), email=email, name=name, role=role, agent_key=agent_key,
            cohorts=list(cohorts), password_hash=password_hash,
        )
    except XAPIError as exc:
        raise _refused(exc) from exc
    click.echo(f"created {user_store.normalise_email(email)} ({role})")
    if role == "participant" and cohorts:
        click.echo(f"enrolled as a learner in: {' '.join(cohorts)}")
    if not password_stdin:
        click.echo(f"set a password (one use, 24 hours): {_reset_link(ctx, user_id)}")


@users.command("update")
@click.argument("email")
@click.option("--name", default=None, help="A new name.")
@click.option("--role", type=ROLE_CHOICE, default=None, help="A new role.")
@click.option("--agent", default=None, help="A new learner identity, e.g. mailto:jo@la.example.")
@click.option(
    "--cohort", "cohorts", multiple=True,
    help="The cohorts an assessor, IQA or lead reviews or leads (replaces the list); repeatable. A participant's "
    "cohorts are enrolments: `lrs cohorts enrol`.",
)
@click.option("--no-cohorts", is_flag=True, help="Bind the account to no cohort.")
@click.pass_obj
def users_update(
    ctx: Any, email: str, name: str | None, role: str | None, agent: str | None, cohorts: tuple[str, ...],
    no_cohorts: bool,
) -> None:
    """Change an account's name, role, learner identity or cohorts; what is not given stays. The rules the
    pages keep hold here too: a person is not learner and reviewer in the same cohort, and the last
    administrator stays one."""
    from lrs.services import access, accounts
    from lrs.xapi.errors import XAPIError

    if cohorts and no_cohorts:
        raise click.UsageError("--cohort and --no-cohorts contradict each other")
    user = _find(ctx, email)
    new_role = role or user["role"]
    if no_cohorts:
        new_cohorts: list[str] = []
    elif cohorts:
        new_cohorts = list(dict.fromkeys(cohorts))
    else:  # kept, unless the new role has none
        new_cohorts = list(user["cohorts"]) if new_role in access.COHORT_ROLES else []
    try:
        changed = accounts.update_account(
            ctx.lrs, ctx.lrs.operator_principal(), user["id"], name=name or user["name"], role=new_role,
            agent_key=_agent(agent) if agent else user["agent_key"], cohorts=new_cohorts,
        )
    except XAPIError as exc:
        raise _refused(exc) from exc
    bound = " ".join(changed["cohorts"]) or "no cohort"
    click.echo(f"updated {changed['email']}: {changed['role']}, {changed['name']}, {changed['agent_key'] or 'no agent'}, {bound}")


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
        cohorts = f"  cohorts: {' '.join(user['cohorts'])}" if user["cohorts"] else ""
        click.echo(f"{user['email']}  {user['role']:11}  {state:11}  {user['name']}  last sign-in: {last}{cohorts}")


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
