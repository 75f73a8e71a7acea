"""``lrs agents export|erase|audit`` (personal data) and ``lrs retention apply``."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from lrs.cli.context import Context, pass_ctx
from lrs.cli.progress import progress


@click.group()
def agents() -> None:
    """Personal data: subject access exports and erasure (docs/operations.md, Personal data)."""


def _person(identifiers: tuple[str, ...]):  # noqa: ANN202
    from lrs.services.erasure import ErasureError, Person

    try:
        return Person.of(identifiers)
    except ErasureError as exc:
        raise click.BadParameter(str(exc), param_hint="--agent") from exc


@agents.command("export")
@click.option("--agent", "identifiers", multiple=True, required=True,
              help="The person's identifier (mailto:…, account:HOME|NAME, openid:…); repeat for each they use.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def agents_export(ctx: Context, identifiers: tuple[str, ...], output: Path) -> None:
    """Everything held about one person as a ZIP (index.html and JSON files)."""
    from lrs.learning.vocabulary import JOURNAL_VERB
    from lrs.services.erasure import export_zip

    content = export_zip(ctx.lrs, _person(identifiers), journal_verbs=[JOURNAL_VERB])
    output.write_bytes(content)
    click.echo(f"wrote {output} ({len(content)} bytes)")


@agents.command("erase")
@click.option("--agent", "identifiers", multiple=True, required=True,
              help="The person's identifier (mailto:…, account:HOME|NAME, openid:…); repeat for each they use.")
@click.option("--mode", type=click.Choice(["delete", "pseudonymise"]), default=None,
              help="delete: their own statements go; pseudonymise: they stay under a pseudonym. Required unless --dry-run.")
@click.option("--dry-run", is_flag=True, help="List what would go (counts per kind) and change nothing.")
@click.option("--operator", default=None, help="Who erases (for the audit record). Default: the system user.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def agents_erase(ctx: Context, identifiers: tuple[str, ...], mode: str | None, dry_run: bool,
                 operator: str | None, yes: bool) -> None:
    """Erase or pseudonymise everything held about one person (audited: who, when, counts)."""
    from lrs.services.erasure import erase

    person = _person(identifiers)
    if not dry_run and mode is None:
        raise click.UsageError("choose --mode delete or --mode pseudonymise (or --dry-run to see what would go)")
    if not dry_run and not yes:
        click.confirm(f"{mode} everything held about {', '.join(identifiers)}? This cannot be undone", abort=True)
    with progress("Erasing", unit="statements") as meter:
        report = erase(ctx.lrs, person, mode=mode or "delete", operator=operator or getpass.getuser(),
                       dry_run=dry_run, on_progress=meter.report)
    click.echo(json.dumps(report, indent=2))
    counts = report["counts"]
    verb = "would erase" if dry_run else f"erased ({mode})"
    # Standard output stays the JSON report (scripts read it); the one-line summary goes beside the bar.
    click.echo(meter.summary(
        f"{verb}: {counts['statements deleted']} statements deleted, {counts['statements pseudonymised']} "
        f"pseudonymised, {counts['documents']} documents, {counts['accounts']} accounts"
    ), err=True)


@agents.command("audit")
@click.option("--limit", type=int, default=50, show_default=True)
@pass_ctx
def agents_audit(ctx: Context, limit: int) -> None:
    """The audit log of erasures and retention runs (who, when, mode, counts; never the data)."""
    from lrs.services.erasure import audit_log

    click.echo(json.dumps(audit_log(ctx.lrs, limit), indent=2, default=str))


@click.group()
def retention() -> None:
    """Retention policy (LRS_RETENTION): delete statements kept longer than the policy says."""


@retention.command("apply")
@click.option("--dry-run", is_flag=True, help="Count what would go and change nothing.")
@click.option("--operator", default=None)
@pass_ctx
def retention_apply(ctx: Context, dry_run: bool, operator: str | None) -> None:
    """Apply LRS_RETENTION (e.g. all=7,http://adlnet.gov/expapi/verbs/attended=2, in years)."""
    from lrs.services.retention import RetentionError, apply

    if not ctx.settings.retention:
        raise click.ClickException("no retention policy: set LRS_RETENTION (docs/operations.md, Retention)")
    try:
        with progress("Applying retention", unit="statements") as meter:
            report = apply(ctx.lrs, dry_run=dry_run, operator=operator or getpass.getuser(),
                           on_progress=meter.report)
    except RetentionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report, indent=2))
    verb = "would delete" if dry_run else "deleted"
    # Standard output stays the JSON report (scripts read it); the one-line summary goes beside the bar.
    click.echo(meter.summary(
        f"retention: {verb} {report['statements']} statements and {report['attachments']} attachments "
        f"under {len(report['rules'])} rule{'' if len(report['rules']) == 1 else 's'}"
    ), err=True)


COMMANDS = [agents, retention]
