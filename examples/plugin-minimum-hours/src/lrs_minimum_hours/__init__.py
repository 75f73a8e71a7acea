"""Example LRS plugin: keep recorded hours believable, and report them against a CPD minimum.

Two hooks: ``lrs_validate_statement`` (reject a single record longer than a day) and
``lrs_register_commands`` (``lrs hours``). See docs/plugins.md.
"""

from __future__ import annotations

import os
from typing import Any

import click
import isodate

from lrs.hookspecs import hookimpl

__version__ = "0.1.0"

#: Hours a learner is expected to record per registration period (Social Care Wales, NISCC: 90 in 3 years).
DEFAULT_MINIMUM_HOURS = 90.0


def max_record_hours() -> float:
    return float(os.environ.get("LRS_MAX_RECORD_HOURS") or 24)


@hookimpl
def lrs_validate_statement(statement: dict[str, Any], version: str) -> list[dict[str, str]]:
    """Reject a statement whose result.duration is longer than LRS_MAX_RECORD_HOURS (default 24)."""
    duration = (statement.get("result") or {}).get("duration")
    if not isinstance(duration, str):
        return []
    try:
        parsed = isodate.parse_duration(duration)
    except (isodate.ISO8601Error, ValueError):
        return []  # the LRS's own validation decides what a well-formed duration is
    if isinstance(parsed, isodate.Duration):  # years or months: always more than a day
        return [_too_long(duration)]
    if parsed.total_seconds() > max_record_hours() * 3600:
        return [_too_long(duration)]
    return []


def _too_long(duration: str) -> dict[str, str]:
    return {
        "rule": "duration-too-long",
        "path": "result.duration",
        "message": f"{duration} is longer than {max_record_hours():g} hours; record each day separately",
    }


@hookimpl
def lrs_register_commands(cli: click.Group) -> None:
    """Add ``lrs hours``."""
    cli.add_command(hours)


@click.command("hours")
@click.argument("agent")
@click.option("--minimum", type=float, default=None, help="Hours required. Default: LRS_MINIMUM_HOURS or 90.")
@click.option("--from", "date_from", default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last day (YYYY-MM-DD).")
@click.pass_context
def hours(
    click_ctx: click.Context, agent: str, minimum: float | None, date_from: str | None, date_to: str | None
) -> None:
    """Hours AGENT recorded (e.g. mailto:jo@la.example), per mode, against a minimum. Exit status 1 if short."""
    from lrs.cli import Context
    from lrs.learning.summary import learner_summary, parse_query
    from lrs.xapi.ifi import key_from_identifier

    lrs = click_ctx.ensure_object(Context).lrs
    minimum = (
        minimum
        if minimum is not None
        else float(os.environ.get("LRS_MINIMUM_HOURS") or DEFAULT_MINIMUM_HOURS)
    )
    summary = learner_summary(lrs, key_from_identifier(agent), parse_query(date_from, date_to))
    totals = summary["totals"]
    for mode, counts in {**totals["modes"], "unclassified": totals["unclassified"]}.items():
        click.echo(f"{mode:>12}: {counts['seconds'] / 3600:7.1f} h  ({counts['statements']} records)")
    recorded = totals["seconds"] / 3600
    click.echo(f"{'total':>12}: {recorded:7.1f} h  of {minimum:g} h required")
    if recorded < minimum:
        click.echo(f"short by {minimum - recorded:.1f} h")
        click_ctx.exit(1)
