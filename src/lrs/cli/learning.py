"""The learning domain's commands: ``lrs summary``, ``lrs journal add``, ``lrs reclassify``,
``lrs learning-totals rebuild``."""

from __future__ import annotations

import json
from typing import Any

import click

from lrs.cli.context import error_message, lrs_of


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(error_message(exc))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def format_summary(data: dict[str, Any]) -> str:
    """A summary as a small text table (what ``lrs summary`` prints)."""
    who = data.get("agent") or data.get("activity")
    start, end = data.get("from"), data.get("to")
    span = f"{start} to {end}, " if start and end else f"from {start}, " if start else f"to {end}, " if end else ""
    lines = [f"{who}  ({span}balance by {data['totals']['balance']['basis'] or 'nothing classified'})"]
    if "learner_count" in data:
        lines[0] += f"  {data['learner_count']} learners"
    totals = data["totals"]
    shares = totals["balance"]["shares"]
    lines.append(f"  {'mode':<13}{'records':>8}{'hours':>9}{'share':>8}{'target':>8}{'diff':>7}")
    for mode, counts in totals["modes"].items():
        diff = totals["balance"]["difference"].get(mode)
        lines.append(
            f"  {mode:<13}{counts['statements']:>8}{counts['seconds'] / 3600:>9.1f}{_pct(shares.get(mode)):>8}"
            f"{_pct(data['target'].get(mode, 0.0)):>8}{'' if diff is None else f'{diff * 100:+.0f}':>7}"
        )
    un = totals["unclassified"]
    lines.append(f"  {'unclassified':<13}{un['statements']:>8}{un['seconds'] / 3600:>9.1f}")
    for verb in un.get("verbs", [])[:5]:
        lines.append(f"      {verb['statements']:>5} × {verb['verb']}")
    for block in data.get("periods", []):
        parts = "  ".join(f"{m} {_pct(block['balance']['shares'].get(m)) or '-'}" for m in block["modes"])
        lines.append(
            f"  {block['period']:<9} {block['statements']:>4} records {block['seconds'] / 3600:>6.1f} h  {parts}"
        )
    return "\n".join(lines)


@click.command("summary")
@click.option("--agent", default=None, help="A learner, e.g. mailto:jo@la.example.")
@click.option("--activity", default=None, help="A cohort or programme activity IRI.")
@click.option("--from", "date_from", default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last day (YYYY-MM-DD).")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default=None)
@click.option(
    "--target", default=None, help="on-the-job/social/formal, e.g. 70/20/10 (default LRS_LEARNING_TARGET)."
)
@click.option("--basis", type=click.Choice(["time", "statements"]), default="time", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@click.pass_context
def summary_command(
    click_ctx: click.Context,
    agent: str | None,
    activity: str | None,
    date_from: str | None,
    date_to: str | None,
    period: str | None,
    target: str | None,
    basis: str,
    as_json: bool,
) -> None:
    """A learner's or a cohort's 70/20/10 balance: records and hours per mode against the target."""
    from lrs.learning import summary
    from lrs.xapi.errors import XAPIError
    from lrs.xapi.ifi import key_from_identifier

    if not agent and not activity:
        raise click.UsageError("give --agent, --activity or both")
    lrs = lrs_of(click_ctx)
    try:
        query = summary.parse_query(
            date_from, date_to, period, target, basis, default_target=lrs.settings.learning_target
        )
        if agent:
            data = summary.learner_summary(lrs, key_from_identifier(agent), query, activity=activity)
        else:
            data = summary.cohort_summary(lrs, activity or "", query)
    except XAPIError as exc:
        raise _fail(exc) from exc
    click.echo(json.dumps(data, indent=2) if as_json else format_summary(data))


@click.group("journal")
def journal_group() -> None:
    """The learning journal: on-the-job and social learning, with reflections."""


@journal_group.command("add")
@click.option("--agent", required=True, help="The learner, e.g. mailto:jo@la.example.")
@click.option("--name", default=None, help="The learner's name.")
@click.option("--mode", required=True, type=click.Choice(["on-the-job", "social", "formal"]))
@click.option("--date", "when", required=True, help="When it happened (YYYY-MM-DD).")
@click.option("--what", required=True, help="What happened, in a line.")
@click.option("--description", default=None, help="More about what happened.")
@click.option("--duration", default=None, help="How long, ISO 8601 (PT1H30M).")
@click.option("--learned", default=None, help="Reflection: what I learned (needed unless other evidence).")
@click.option("--impact", default=None, help="Reflection: how it changes my practice (likewise).")
@click.option("--peer", default=None, help="Who gave peer reflection, e.g. mailto:sam@la.example.")
@click.option("--peer-name", default=None)
@click.option("--peer-reflection", default=None, help="What I learned from discussing it with the peer.")
@click.option("--standard", "standards", multiple=True, help="A framework item IRI it evidences; repeat.")
@click.option("--programme", default=None, help="The programme or cohort activity IRI.")
@click.option(
    "--evidence-type",
    default=None,
    help="The kind of portfolio evidence: observation, product, questioning, professional-discussion, "
    "reflective-account, witness-testimony or recognition-of-prior-learning.",
)
@click.option("--witness-name", default=None, help="The witness (for an observation, the observer).")
@click.option("--witness-role", default=None, help="The witness's job title or role.")
@click.option("--witness-relationship", default=None, help="How the witness knows the learner's practice.")
@click.option("--witness-date", default=None, help="When the witness signed (YYYY-MM-DD).")
@click.option("--witness-testimony", default=None, help="The witness's account, as text.")
@click.option(
    "--attach",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A file to attach (media type guessed from its name); repeat.",
)
@click.option("--credential", default=None, help="Record under this credential's authority (its key).")
@click.pass_context
def journal_add_command(click_ctx: click.Context, **options: Any) -> None:
    """Record a journal entry as an xAPI statement (validated and classified like any other), with its
    portfolio evidence: evidence type, witness and attached files."""
    from lrs.learning import journal
    from lrs.xapi.errors import XAPIError

    lrs = lrs_of(click_ctx)
    key = options.pop("credential")
    principal = lrs.principal_for(key) if key else lrs.operator_principal()
    if principal is None:
        raise click.ClickException(f"no active credential with key {key}")
    try:
        entry = journal.entry_from_options(options)
    except OSError as exc:
        raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror}") from exc
    try:
        ids = journal.record(lrs, journal.parse_entries(entry), principal)
    except XAPIError as exc:
        raise _fail(exc) from exc
    for statement_id in ids:
        click.echo(statement_id)


@click.command("reclassify")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.pass_context
def reclassify_command(click_ctx: click.Context, batch_size: int, dry_run: bool) -> None:
    """Apply the current classification rules to stored statements classified by other rules."""
    from lrs.cli.progress import progress
    from lrs.store import learning as learning_store

    lrs = lrs_of(click_ctx)
    with lrs.db.read() as conn:
        total = learning_store.count_to_reclassify(conn, lrs.classification_fingerprint())
    with progress("Reclassifying", total=total, unit="statements") as meter:
        report = lrs.reclassify(batch_size=batch_size, dry_run=dry_run, on_progress=meter.advance)
    verb = "would change" if dry_run else "changed"
    for mode, n in sorted(report["modes"].items()):
        click.echo(f"  {mode}: {n}")
    click.echo(
        meter.summary(
            f"rules {report['fingerprint']}: examined {report['examined']}, {verb} {report['changed']}, "
            f"unchanged {report['unchanged']}"
        )
    )


@click.group("learning-totals")
def totals_group() -> None:
    """learning_totals and cohort_totals (with their months, learning_month_totals and cohort_month_totals): each
    learner's and each known cohort's statements and time per UTC day (and month) and mode, which the summaries
    read."""


@totals_group.command("rebuild")
@click.pass_context
def totals_rebuild_command(click_ctx: click.Context) -> None:
    """Count learning_totals and cohort_totals (and their months) again from the stored statements (derived data: after a bulk load,
    after enrolments written straight into the database, or in doubt); every cohort with an enrolment becomes
    known; and statement_agents' copies of their statements' timestamps made true again. One transaction;
    statements stored meanwhile wait for it."""
    from lrs.store import cohort_totals, records
    from lrs.store import learning as learning_store

    lrs = lrs_of(click_ctx)

    def rebuild(conn: Any) -> tuple[int, int, int]:
        return (records.copy_agent_timestamps(conn), learning_store.rebuild_totals(conn),
                cohort_totals.rebuild(conn))

    stamps, rows, cohort_rows = lrs.db.write(rebuild)
    click.echo(f"statement_agents' timestamps copied again from the statements: {stamps} rows corrected")
    click.echo(f"learning_totals (and learning_month_totals) rebuilt from the statements: {rows} rows")
    click.echo(f"cohort_totals rebuilt from the statements: {cohort_rows} rows")


COMMANDS = (summary_command, journal_group, reclassify_command, totals_group)
