"""The review domain's commands: ``lrs review queue|decide|progress|rebuild|sampling-plan|claim|registration|
eqa-pack``."""

from __future__ import annotations

import json
from typing import Any

import click

from lrs.cli.context import error_message, lrs_of


def _principal(lrs: Any, key: str | None) -> Any:
    if key is None:
        return lrs.operator_principal()
    principal = lrs.principal_for(key)
    if principal is None:
        raise click.ClickException(f"no active credential {key!r}; see `lrs credentials list`")
    return principal


def _run(fn: Any) -> Any:
    from lrs.xapi.errors import XAPIError

    try:
        return fn()
    except XAPIError as exc:
        raise click.ClickException(f"{error_message(exc)} [{exc.rule}]") from exc


@click.group("review")
def review_group() -> None:
    """Assessment: the review queue, decisions on evidence, a learner's progress per unit."""


@review_group.command("queue")
@click.option("--as", "as_key", metavar="KEY", help="The assessor's or IQA's credential key (default: all learners).")
@click.option("--cohort", help="Only this cohort (grouping activity IRI).")
@click.option("--framework", help="Only this framework (slug or URI); default: every qualification.")
@click.option("--role", type=click.Choice(["assessor", "iqa"]), help="Without --as: whose queue (default assessor).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@click.pass_context
def queue_command(
    click_ctx: click.Context, as_key: str | None, cohort: str | None, framework: str | None, role: str | None,
    limit: int, as_json: bool,
) -> None:
    """What awaits a decision, oldest first."""
    from lrs.review import service

    lrs = lrs_of(click_ctx)
    found = _run(
        lambda: service.queue(
            lrs, _principal(lrs, as_key), cohort=cohort, framework=framework, role=role, limit=limit
        )
    )
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    click.echo(f"{found['total']} awaiting {'an assessor' if found['role'] == 'assessor' else 'an IQA'}")
    for item in found["items"]:
        evidence = item["evidence"]
        line = f"{item['waiting_since'][:10]}  {item['learner']}  {item['criterion']['code']:18} {evidence['title']}"
        if "decision" in item:
            line += f"  [{item['decision']['outcome']}: {item['decision']['id']}]"
        click.echo(f"{line}  ({evidence['id']})")


@review_group.command("decide")
@click.option("--as", "as_key", required=True, metavar="KEY", help="The assessor's or IQA's credential key.")
@click.option("--evidence", help="Assessor: the evidence statement id.")
@click.option("--criterion", help="Assessor: the criterion's IRI, or its code with --framework.")
@click.option("--framework", help="The framework of a criterion code (slug or URI).")
@click.option("--decision", help="IQA: the assessor's decision statement id.")
@click.option(
    "--outcome", required=True, type=click.Choice(["accepted", "referred", "confirmed", "action-raised"])
)
@click.option("--rationale", help="Why you decided so (required for every decision).")
@click.option("--feedback", help="Feedback to the learner (referred), or the action for the assessor (action-raised).")
@click.option("--map", "map_", is_flag=True, default=None,
              help="Assessor: map the evidence to this criterion in the decision (the learner had not linked it).")
@click.option("--sample", type=click.Choice(["plan", "additional"]), help="IQA: why sampled (default: what the plan says).")
@click.pass_context
def decide_command(click_ctx: click.Context, as_key: str, **options: Any) -> None:
    """Record a decision (an xAPI statement under the reviewer's credential)."""
    from lrs.review import service

    lrs = lrs_of(click_ctx)
    options["map"] = options.pop("map_")
    body = {k: val for k, val in options.items() if val is not None}
    made = _run(lambda: service.decide(lrs, _principal(lrs, as_key), body))
    click.echo(f"{made.outcome}: {made.statement_id} ({made.criterion})")


@review_group.command("progress")
@click.option("--agent", required=True, help="The learner: mailto:..., account:<homePage>|<name>, or Agent JSON.")
@click.option("--framework", required=True, help="The qualification or framework (slug or URI).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@click.pass_context
def progress_command(click_ctx: click.Context, agent: str, framework: str, as_json: bool) -> None:
    """A learner's progress per unit: criteria accepted, awaiting a decision, referred, without evidence."""
    from lrs.review import service
    from lrs.xapi.ifi import parse_agent

    lrs = lrs_of(click_ctx)
    found = _run(lambda: service.progress(lrs, parse_agent(agent), framework))
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    click.echo(f"{found['framework']['title']}: {found['units_complete']}/{len(found['units'])} units complete")
    for unit in found["units"]:
        c = unit["counts"]
        mark = "complete" if unit["complete"] else "assessed" if unit["assessed"] else "in progress"
        click.echo(
            f"{unit['code']:12} {mark:11}  accepted {c['accepted']}, awaiting {c['awaiting-decision']}, "
            f"referred {c['referred']}, without evidence {c['without-evidence']}  {unit['title']}"
        )
        for criterion in unit["criteria"]:
            click.echo(f"    {criterion['code']:18} {criterion['status']}")


@review_group.command("rebuild")
@click.pass_context
def rebuild_command(click_ctx: click.Context) -> None:
    """Derive every decision again from the stored statements."""
    from lrs.cli.progress import progress
    from lrs.review import service
    from lrs.store import reviews as review_store

    lrs = lrs_of(click_ctx)
    with lrs.db.read() as conn:
        total = review_store.count_statements_after(conn)
    with progress("Rebuilding review decisions", total=total, unit="statements") as meter:
        report = service.rebuild(lrs, on_progress=meter.advance)
    click.echo(meter.summary(f"examined {report['statements']} statements, {report['decisions']} decisions"))


@review_group.command("sampling-plan")
@click.option("--set", "plan_file", type=click.File("r"), help="Adopt the plan in this JSON file (as the admin).")
@click.pass_context
def sampling_plan_command(click_ctx: click.Context, plan_file: Any) -> None:
    """Show the IQA sampling plan in force, or adopt a new one (docs/review.md lists its fields)."""
    from lrs.review import units

    lrs = lrs_of(click_ctx)
    if plan_file is not None:
        try:
            body = json.load(plan_file)
        except ValueError as exc:
            raise click.ClickException(f"the plan file is not JSON: {exc}") from exc
        _run(lambda: units.adopt_plan(lrs, lrs.operator_principal(), body))
    click.echo(json.dumps(units.current_plan(lrs), indent=2, ensure_ascii=False))


@review_group.command("claim")
@click.option("--agent", required=True, help="The learner: mailto:..., account:<homePage>|<name>, or Agent JSON.")
@click.option("--framework", required=True, help="The qualification (slug or URI).")
@click.option("--unit", required=True, help="The unit's code or IRI.")
@click.pass_context
def claim_command(click_ctx: click.Context, agent: str, framework: str, unit: str) -> None:
    """Claim certification of a learner's unit (the centre, as admin); refused until it is ready."""
    from lrs.review import units

    lrs = lrs_of(click_ctx)
    made = _run(lambda: units.claim_unit(lrs, lrs.operator_principal(), {"learner": agent, "framework": framework, "unit": unit}))
    click.echo(f"claimed: {made['claim']['id']} ({made['unit']})")


@review_group.command("registration")
@click.option("--agent", required=True, help="The learner: mailto:..., account:<homePage>|<name>, or Agent JSON.")
@click.option("--number", required=True, help="Their registration number with the awarding body.")
@click.pass_context
def registration_command(click_ctx: click.Context, agent: str, number: str) -> None:
    """Record a learner's awarding-body registration number (shown on the portfolio cover)."""
    from lrs.review import units
    from lrs.xapi.ifi import parse_agent

    lrs = lrs_of(click_ctx)
    key = parse_agent(agent)
    _run(lambda: units.set_registration_number(lrs, key, number))
    click.echo(f"{key}: registration number {number.strip()}")


@review_group.command("eqa-pack")
@click.option("--cohort", help="Only this cohort (grouping activity IRI); default: the whole centre.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="Where to write the ZIP.")
@click.pass_context
def eqa_pack_command(click_ctx: click.Context, cohort: str | None, output: str) -> None:
    """Write the EQA pack: sampling plan, samples, actions and a per-assessor summary (HTML, JSON, CSV)."""
    from pathlib import Path

    from lrs.review import eqa

    lrs = lrs_of(click_ctx)
    data = _run(lambda: eqa.eqa_data(lrs, lrs.operator_principal(), cohort=cohort))
    Path(output).write_bytes(eqa.eqa_zip(data))
    click.echo(f"{output}: {len(data['samples'])} samples, {len(data['actions'])} actions, "
               f"{len(data['assessors'])} assessors")


COMMANDS = (review_group,)
