"""``lrs cohorts``: enrol and unenrol learners, and list a cohort's learners (as an admin)."""

from __future__ import annotations

import click

from lrs.cli.context import Context, pass_ctx


@click.group()
def cohorts() -> None:
    """Cohort enrolments: who is a learner of which cohort (what assessors, IQAs and leads may read)."""


def _run(action):  # noqa: ANN001, ANN202
    from lrs.xapi.errors import XAPIError

    try:
        return action()
    except XAPIError as exc:
        raise click.ClickException(exc.message) from exc


@cohorts.command("enrol")
@click.argument("cohort")
@click.option("--agent", required=True, help="The learner, e.g. mailto:jo@la.example or account:<homePage>|<name>.")
@click.option("--registration-number", default=None,
              help="The learner's registration number with the awarding body (as `lrs review registration`).")
@pass_ctx
def cohorts_enrol(ctx: Context, cohort: str, agent: str, registration_number: str | None) -> None:
    """Enrol a learner in COHORT (the cohort activity IRI)."""
    from lrs.review import units
    from lrs.services import enrolments
    from lrs.xapi.ifi import parse_agent

    lrs = ctx.lrs
    learner = _run(lambda: parse_agent(agent))
    created = _run(lambda: enrolments.enrol(lrs, lrs.operator_principal(), cohort, learner))
    click.echo(f"{'enrolled' if created else 'already enrolled'}: {learner} in {cohort}")
    if registration_number is not None:
        _run(lambda: units.set_registration_number(lrs, learner, registration_number))
        click.echo(f"{learner}: registration number {registration_number.strip()}")


@cohorts.command("unenrol")
@click.argument("cohort")
@click.option("--agent", required=True, help="The learner to remove from COHORT.")
@pass_ctx
def cohorts_unenrol(ctx: Context, cohort: str, agent: str) -> None:
    """Remove a learner from COHORT."""
    from lrs.services import enrolments
    from lrs.xapi.ifi import parse_agent

    lrs = ctx.lrs
    learner = _run(lambda: parse_agent(agent))
    if not _run(lambda: enrolments.unenrol(lrs, lrs.operator_principal(), cohort, learner)):
        raise click.ClickException(f"{learner} is not enrolled in {cohort}")
    click.echo(f"unenrolled: {learner} from {cohort}")


@cohorts.command("list")
@click.argument("cohort", required=False)
@pass_ctx
def cohorts_list(ctx: Context, cohort: str | None) -> None:
    """List the learners of COHORT (of every cohort when none is given)."""
    from lrs.services import enrolments

    lrs = ctx.lrs
    for row in enrolments.learners(lrs, lrs.operator_principal(), cohort):
        source = f"  from statement {row['source_statement_id']}" if row["source_statement_id"] else ""
        click.echo(f"{row['cohort']}  {row['agent']}  enrolled {row['enrolled_at']} by {row['enrolled_by']}{source}")
