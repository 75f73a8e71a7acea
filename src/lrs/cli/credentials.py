"""``lrs credentials``: create, list and revoke API credentials."""

from __future__ import annotations

import json

import click

from lrs.cli.context import Context, pass_ctx
from lrs.xapi.scopes import SCOPES


@click.group()
def credentials() -> None:
    """API credentials (HTTP Basic key and secret)."""


@credentials.command("create")
@click.option("--name", default="client", show_default=True, help="Who the credential is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="xAPI scope; repeat for several. Default: all.",
)
@click.option("--role", type=click.Choice(["admin", "participant", "assessor", "iqa"]), default=None)
@click.option(
    "--agent",
    "agent",
    default=None,
    help="A participant's own agent, e.g. mailto:jo@la.example; for an assessor or IQA (optional), the agent their "
    "decisions name as actor.",
)
@click.option(
    "--cohort", "cohorts", multiple=True, help="For an assessor or IQA: a cohort activity IRI it reviews; repeat for several."
)
@click.option("--key", default=None, help="Choose the key (default: random).")
@click.option("--secret", default=None, help="Choose the secret (default: random, 43 characters).")
@click.option("--json", "as_json", is_flag=True, help="Print the credential as JSON.")
@pass_ctx
def credentials_create(
    ctx: Context,
    name: str,
    scopes: tuple[str, ...],
    role: str | None,
    agent: str | None,
    cohorts: tuple[str, ...],
    key: str | None,
    secret: str | None,
    as_json: bool,
) -> None:
    """Create a credential and print its key and secret (the secret is shown only now)."""
    from lrs.store.credentials import WeakSecret, check_secret_strength, create_credential
    from lrs.xapi.ifi import key_from_identifier

    if secret is not None:
        try:
            check_secret_strength(secret)
        except WeakSecret as exc:
            raise click.BadParameter(f"{exc}; leave --secret out for a random one", param_hint="--secret") from None
    key, secret = ctx.lrs.db.write(
        lambda conn: create_credential(
            conn,
            name=name,
            scopes=list(scopes) or ["all"],
            authority_home_page=ctx.settings.authority_home_page,
            key=key,
            secret=secret,
            role=role,
            agent_key=key_from_identifier(agent) if agent else None,
            cohorts=list(cohorts) or None,
        )
    )
    if as_json:
        click.echo(json.dumps({"key": key, "secret": secret, "scopes": list(scopes) or ["all"]}))
    else:
        click.echo(f"key:    {key}\nsecret: {secret}\nscopes: {', '.join(scopes) or 'all'}")


@credentials.command("list")
@pass_ctx
def credentials_list(ctx: Context) -> None:
    """List credentials (never their secrets)."""
    from lrs.store.credentials import list_credentials

    with ctx.lrs.db.read() as conn:
        rows = list_credentials(conn)
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        extra = f" role={row['role']}" if row["role"] else ""
        click.echo(f"{row['key']}  {state:7}  {row['name']}  scopes={','.join(row['scopes'])}{extra}")


@credentials.command("revoke")
@click.argument("key")
@pass_ctx
def credentials_revoke(ctx: Context, key: str) -> None:
    """Revoke a credential. Running workers stop accepting it within LRS_CREDENTIAL_CACHE_SECONDS."""
    from lrs.store.credentials import revoke_credential

    if not ctx.lrs.db.write(lambda conn: revoke_credential(conn, key)):
        raise click.ClickException(f"no active credential with key {key}")
    click.echo(f"revoked {key}")
