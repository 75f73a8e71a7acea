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
    help="xAPI scope; repeat for several. Default: what the role needs (all for admin and for no role).",
)
@click.option(
    "--role",
    type=click.Choice(["admin", "participant", "assessor", "iqa", "lead"]),
    default=None,
    help="A person's role (docs/operations.md, Security); none for an xAPI client such as an LMS.",
)
@click.option(
    "--agent",
    "agent",
    default=None,
    help="A participant's own agent, e.g. mailto:jo@la.example; for an assessor or IQA (optional), the agent their "
    "decisions name as actor.",
)
@click.option(
    "--cohort",
    "cohorts",
    multiple=True,
    help="For an assessor, IQA or lead: a cohort activity IRI it reviews or leads; repeat for several.",
)
@click.option(
    "--may-enrol",
    is_flag=True,
    help="Trust this client (an LMS, no role) to enrol learners: its statements make their actor a learner of the "
    "grouping and parent activities they name.",
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
    may_enrol: bool,
    key: str | None,
    secret: str | None,
    as_json: bool,
) -> None:
    """Create a credential and print its key and secret (the secret is shown only now), and what it may do."""
    from lrs.services.access import DEFAULT_SCOPES
    from lrs.store.credentials import WeakSecret, check_secret_strength, create_credential
    from lrs.xapi.ifi import key_from_identifier

    if may_enrol and role is not None:
        raise click.UsageError("--may-enrol is for an xAPI client without a role (an LMS)")
    if role == "participant" and not agent:
        raise click.UsageError("a participant is bound to its agent: give --agent")
    if role in ("assessor", "iqa", "lead") and not cohorts:
        raise click.UsageError(f"a {role} is bound to cohorts: give --cohort (repeat for several)")
    granted = sorted(set(scopes)) if scopes else list(DEFAULT_SCOPES[role])
    agent_key = key_from_identifier(agent) if agent else None
    if secret is not None:
        try:
            check_secret_strength(secret)
        except WeakSecret as exc:
            raise click.BadParameter(f"{exc}; leave --secret out for a random one", param_hint="--secret") from None
    key, secret = ctx.lrs.db.write(
        lambda conn: create_credential(
            conn,
            name=name,
            scopes=granted,
            authority_home_page=ctx.settings.authority_home_page,
            key=key,
            secret=secret,
            role=role,
            agent_key=agent_key,
            cohorts=list(cohorts) or None,
            may_enrol=may_enrol,
        )
    )
    words = describe_permissions(role, granted, agent_key, list(cohorts), may_enrol)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "key": key,
                    "secret": secret,
                    "scopes": granted,
                    "role": role,
                    "agent": agent_key,
                    "cohorts": list(cohorts),
                    "may_enrol": may_enrol,
                    "permissions": words,
                }
            )
        )
    else:
        click.echo(f"key:    {key}\nsecret: {secret}\nscopes: {', '.join(granted)}")
        click.echo("may:\n" + "\n".join(f"  - {line}" for line in words))


def describe_permissions(
    role: str | None, scopes: list[str], agent: str | None, cohorts: list[str], may_enrol: bool
) -> list[str]:
    """What a credential may do, in words (docs/operations.md, Security, has the same table)."""
    cohort_list = ", ".join(cohorts) or "no cohort yet"
    if role == "participant":
        lines = [
            f"read only the record of {agent}: its statements, and the decisions and voids about them",
            f"record statements only with {agent} as actor; void only its own statements",
            f"use State and Agent Profile documents only for {agent}; read activity profiles",
            "read its own summary, evidence, progress and export",
        ]
    elif role in ("assessor", "iqa"):
        act = agent or "its own authority agent"
        lines = [
            f"read the records of the learners enrolled in: {cohort_list}",
            f"record statements only as {act}; void only its own statements",
            "decide on those learners' evidence (accepted / referred)"
            if role == "assessor"
            else "confirm or overturn the assessors' decisions on those learners",
        ]
    elif role == "lead":
        lines = [
            f"read the records, summaries, evidence, progress and exports of the learners enrolled in: {cohort_list}",
            "enrol and unenrol learners of those cohorts",
            "write nothing through /xapi",
        ]
    elif role == "admin":
        lines = ["read and write everything; void any statement; enrol learners; import frameworks; decide nothing"]
    else:
        lines = [f"xAPI as its scopes allow: {', '.join(scopes)}"]
        if agent and "all" not in scopes:
            lines.append(f"State and Agent Profile documents only for {agent}")
        lines.append("void only the statements it stored")
        lines.append(
            "enrol the actors of its statements in the grouping and parent activities they name"
            if may_enrol
            else "enrol nobody (not --may-enrol)"
        )
    if role is not None and set(scopes) != {"all"}:
        lines.append(f"within the scopes {', '.join(scopes)}")
    return lines


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
        extra += " may-enrol" if row.get("may_enrol") else ""
        click.echo(f"{row['key']}  {state:7}  {row['name']}  scopes={','.join(row['scopes'])}{extra}")


@credentials.command("trust")
@click.argument("key")
@click.option("--may-enrol/--no-may-enrol", required=True, help="Trust (or stop trusting) it to enrol learners.")
@pass_ctx
def credentials_trust(ctx: Context, key: str, may_enrol: bool) -> None:
    """Trust an LMS's credential (no role) to enrol learners through its statements, or stop."""
    from lrs.store.credentials import find_credential, set_may_enrol

    with ctx.lrs.db.read() as conn:
        row = find_credential(conn, key)
    if row is None or row["revoked"] is not None:
        raise click.ClickException(f"no active credential with key {key}")
    if may_enrol and row["role"] is not None:
        raise click.ClickException("only a credential without a role (an LMS) may enrol")
    ctx.lrs.db.write(lambda conn: set_may_enrol(conn, key, may_enrol))
    click.echo(f"{key}: {'may enrol' if may_enrol else 'enrols nobody'}")


@credentials.command("revoke")
@click.argument("key")
@pass_ctx
def credentials_revoke(ctx: Context, key: str) -> None:
    """Revoke a credential. Running workers stop accepting it within LRS_CREDENTIAL_CACHE_SECONDS."""
    from lrs.store.credentials import revoke_credential

    if not ctx.lrs.db.write(lambda conn: revoke_credential(conn, key)):
        raise click.ClickException(f"no active credential with key {key}")
    click.echo(f"revoked {key}")
