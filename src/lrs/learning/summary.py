"""Learner and cohort summaries: how much learning, and how much time, in each 70/20/10 mode.

The split is reported as a *balance* against a configurable target, never as compliance (the figures are
descriptive: research/domain.md §4.1). docs/api.md ("Learning API") documents the JSON these functions return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from lrs.learning.vocabulary import Mode
from lrs.store import cohort_totals as cohort_store
from lrs.store import learning as learning_store
from lrs.store.learning import ModeTotals
from lrs.xapi.errors import XAPIError

if TYPE_CHECKING:
    from lrs.services.statements import LRS

#: The modes every summary reports, in the model's order.
MODES: tuple[str, ...] = tuple(m.value for m in Mode)
#: The classic split; an operator sets another with LRS_LEARNING_TARGET, a caller with ``target=``.
DEFAULT_TARGET: dict[str, float] = {"on-the-job": 0.7, "social": 0.2, "formal": 0.1}
PERIODS = ("month", "quarter", "year")
BASES = ("time", "statements")
TARGET_ENV = "LRS_LEARNING_TARGET"


@dataclass(frozen=True)
class SummaryQuery:
    """What to summarise: dates are inclusive UTC days of the statements' timestamps."""

    date_from: date | None = None
    date_to: date | None = None
    #: None for totals only, or "month", "quarter", "year".
    period: str | None = None
    #: Fractions per mode summing to 1.
    target: dict[str, float] | None = None
    #: "time" (durations) or "statements" (counts): what the balance compares with the target.
    basis: str = "time"

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time.min, UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, UTC) if self.date_to else None


#: The range a summary accepts: wide enough for any programme, narrow enough that the day after the end exists
#: and a weekly breakdown stays a page long.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def _bad(path: str, message: str) -> XAPIError:
    return XAPIError(message, rule="invalid-summary-parameter", path=path)


def parse_target(raw: str | None, *, path: str = "target", default: str | None = None) -> dict[str, float]:
    """A target as fractions summing to 1, from "70/20/10" (on-the-job/social/formal), "70,20,10" or
    "on-the-job=60,social=30,formal=10". None or "" gives ``default`` (the operator's LRS_LEARNING_TARGET,
    Settings.learning_target) or the classic split."""
    if not raw:
        return parse_target(default, path=TARGET_ENV) if default else dict(DEFAULT_TARGET)
    parts = [p.strip() for p in raw.replace("/", ",").split(",") if p.strip()]
    weights: dict[str, float] = {}
    try:
        if all("=" in p for p in parts):
            for part in parts:
                mode, _, value = part.partition("=")
                if mode.strip() not in MODES:
                    raise _bad(path, f"unknown mode {mode.strip()!r}; use {', '.join(MODES)}")
                weights[mode.strip()] = float(value)
        elif len(parts) == len(MODES):
            weights = {mode: float(value) for mode, value in zip(MODES, parts, strict=True)}
        else:
            raise _bad(path, f"give {len(MODES)} numbers ({'/'.join(MODES)}), e.g. 70/20/10")
    except ValueError as exc:
        raise _bad(path, f"not a number in {raw!r}") from exc
    if any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
        raise _bad(path, "target weights must be zero or more and not all zero")
    total = sum(weights.values())
    return {mode: round(weights.get(mode, 0.0) / total, 6) for mode in MODES}


def parse_date(raw: str | None, path: str) -> date | None:
    if not raw:
        return None
    try:
        parsed = date.fromisoformat(raw)
    except ValueError as exc:
        raise _bad(path, f"{raw!r} is not a date (YYYY-MM-DD)") from exc
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        # The end of a range is the next day's midnight, and periods are counted between the two dates.
        raise _bad(path, f"dates run from {EARLIEST_DATE} to {LATEST_DATE}")
    return parsed


def parse_query(
    date_from: str | None = None,
    date_to: str | None = None,
    period: str | None = None,
    target: str | None = None,
    basis: str | None = None,
    *,
    default_target: str | None = None,
) -> SummaryQuery:
    """Build a :class:`SummaryQuery` from request or command-line strings; 400s name the parameter.
    ``default_target``: the operator's split (Settings.learning_target), used when ``target`` is empty."""
    start, end = parse_date(date_from, "from"), parse_date(date_to, "to")
    if start and end and start > end:
        raise _bad("from", "from is after to")
    if period and period not in PERIODS:
        raise _bad("period", f"period must be one of {', '.join(PERIODS)}")
    if basis and basis not in BASES:
        raise _bad("basis", f"basis must be one of {', '.join(BASES)}")
    return SummaryQuery(start, end, period or None, parse_target(target, default=default_target), basis or "time")


# --- building the JSON ---------------------------------------------------------------------------------


def bucket(
    rows: Iterable[ModeTotals], query: SummaryQuery, *, top_unclassified: list[tuple[str, int]] | None = None
) -> dict[str, Any]:
    """One summary block from the store's totals: raw figures per mode, unclassified, and the balance."""
    counts: dict[str | None, list[Any]] = {}
    for row in rows:
        found = counts.get(row.mode)
        if found is None:
            counts[row.mode] = [row.statements, 0.0 + row.seconds, row.timed]
        else:
            found[0] += row.statements
            found[1] += row.seconds
            found[2] += row.timed
    return counts_block(counts, query, top_unclassified=top_unclassified)


def _figures(found: list[Any] | None) -> dict[str, Any]:
    if found is None:
        return {"statements": 0, "seconds": 0.0, "timed": 0}
    return {"statements": found[0], "seconds": round(found[1], 3), "timed": found[2]}


def counts_block(
    counts: dict[str | None, list[Any]], query: SummaryQuery, *, top_unclassified: list[tuple[str, int]] | None = None
) -> dict[str, Any]:
    """:func:`bucket`'s block from the figures added up per mode (None: unclassified) as [statements, seconds
    (a float), timed]: the modes in the model's order, then any other mode in the order first met."""
    # Written out (a programme's answer makes a block per learner: 500 of them).
    modes: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        found = counts.get(mode)
        modes[mode] = (
            {"statements": 0, "seconds": 0.0, "timed": 0} if found is None
            else {"statements": found[0], "seconds": round(found[1], 3), "timed": found[2]}
        )
    for mode, found in counts.items():
        if mode is not None and mode not in modes:
            modes[mode] = _figures(found)
    unclassified = _figures(counts.get(None))
    if top_unclassified is not None:
        unclassified["verbs"] = [{"verb": verb, "statements": n} for verb, n in top_unclassified]
    figures = [*modes.values(), unclassified]
    return {
        "statements": sum([c["statements"] for c in figures]),
        "seconds": round(sum([c["seconds"] for c in figures]), 3),
        "modes": modes,
        "unclassified": unclassified,
        "balance": balance(modes, query),
    }


def balance(modes: dict[str, dict[str, Any]], query: SummaryQuery) -> dict[str, Any]:
    """Each mode's share of the classified learning and its difference from the target.

    On the "time" basis shares are of the classified seconds; when no classified statement carries a duration
    the balance falls back to counting statements (and says so in ``basis``). ``basis`` is None when nothing
    is classified.
    """
    target = query.target or DEFAULT_TARGET
    key = "seconds" if query.basis == "time" else "statements"
    total = sum([c[key] for c in modes.values()])
    if key == "seconds" and total <= 0:
        key = "statements"
        total = sum([c[key] for c in modes.values()])
    if total <= 0:
        return {"basis": None, "shares": {}, "difference": {}}
    shares: dict[str, float] = {}
    difference: dict[str, float] = {}
    for mode, c in modes.items():
        share = shares[mode] = round(c[key] / total, 4)
        difference[mode] = round(share - target.get(mode, 0.0), 4)
    return {"basis": "time" if key == "seconds" else "statements", "shares": shares, "difference": difference}


def period_key(month: str, period: str) -> str:
    """The label of the period a "YYYY-MM" month falls in: "2026-03", "2026-Q1" or "2026"."""
    year, mon = month.split("-")
    if period == "month":
        return month
    if period == "quarter":
        return f"{year}-Q{(int(mon) - 1) // 3 + 1}"
    return year


def period_bounds(key: str, period: str) -> tuple[date, date]:
    """First and last day of a period label."""
    if period == "year":
        year = int(key)
        return date(year, 1, 1), date(year, 12, 31)
    if period == "quarter":
        year, q = int(key[:4]), int(key[-1])
        first = date(year, 3 * (q - 1) + 1, 1)
    else:
        first = date(int(key[:4]), int(key[5:7]), 1)
    months = 12 if period == "year" else 3 if period == "quarter" else 1
    next_first = date(first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1, 1)
    return first, next_first - timedelta(days=1)


def _months_between(first: date, last: date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def periods(rows: list[ModeTotals], query: SummaryQuery) -> list[dict[str, Any]]:
    """One block per period, consecutive (empty periods included) from ``from`` (or the first statement)
    to ``to`` (or the last statement)."""
    if not query.period:
        return []
    months = sorted({r.month for r in rows if r.month})
    first = query.date_from or (date.fromisoformat(months[0] + "-01") if months else None)
    last = query.date_to or (date.fromisoformat(months[-1] + "-01") if months else None)
    if first is None or last is None:
        return []
    keys: list[str] = []
    for month in _months_between(first, last):
        key = period_key(month, query.period)
        if not keys or keys[-1] != key:
            keys.append(key)
    out = []
    for key in keys:
        start, end = period_bounds(key, query.period)
        block = bucket((r for r in rows if r.month and period_key(r.month, query.period) == key), query)
        out.append({"period": key, "from": start.isoformat(), "to": end.isoformat(), **block})
    return out


def _header(query: SummaryQuery) -> dict[str, Any]:
    return {
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "period": query.period,
        "basis": query.basis,
        "target": query.target or dict(DEFAULT_TARGET),
    }


def learner_summary(
    lrs: LRS, agent_key: str, query: SummaryQuery, *, activity: str | None = None
) -> dict[str, Any]:
    """One learner's summary; ``activity`` narrows it to one programme or cohort. The whole record is added up
    from the learner's days in ``learning_totals``; within an activity, from the statements that touch it."""
    with lrs.db.read() as conn:
        if activity is None:
            days = {"first": query.date_from, "last": query.date_to}
            rows = learning_store.learner_totals(conn, agent_key, by_month=bool(query.period), **days)
            verbs = learning_store.learner_unclassified_verbs(conn, agent_key, **days)
        else:
            scope = {"agent_key": agent_key, "activity_iri": activity, "start": query.start, "end": query.end}
            rows = learning_store.mode_totals(conn, by_month=bool(query.period), **scope)
            verbs = learning_store.unclassified_verbs(conn, **scope)
    return {
        "agent": agent_key,
        "activity": activity,
        **_header(query),
        "totals": bucket(rows, query, top_unclassified=verbs),
        "periods": periods(rows, query),
    }


def cohort_summary(
    lrs: LRS, activity: str, query: SummaryQuery, *, learners: bool = True, enrolled_only: bool = False
) -> dict[str, Any]:
    """A cohort's or programme's summary: every statement that touches ``activity`` (as object, parent,
    grouping, category or other), with a block per learner (each direct agent) when ``learners``.
    ``enrolled_only``: only the statements and blocks of the learners enrolled in the cohort (what its
    assessors, IQAs and lead may read; lrs.services.access)."""
    scope = {"activity_iri": activity, "start": query.start, "end": query.end, "enrolled_in": activity if enrolled_only else None}
    with lrs.db.read() as conn:
        if cohort_store.is_known(conn, activity):
            # A known cohort's rows in cohort_totals (lrs.store.cohort_totals): the same figures.
            rows, verbs, per_agent = _from_cohort_totals(conn, activity, query, enrolled_only=enrolled_only)
        else:
            rows = learning_store.mode_totals(conn, by_month=bool(query.period), **scope)
            verbs = learning_store.unclassified_verbs(conn, **scope)
            per_agent = learning_store.mode_totals(conn, by_agent=True, **scope)
    if isinstance(per_agent, dict):
        of_agent = per_agent
    else:
        of_agent = {}
        for r in per_agent:
            if r.agent_key:
                found = of_agent.setdefault(r.agent_key, {}).get(r.mode)
                if found is None:
                    of_agent[r.agent_key][r.mode] = [r.statements, 0.0 + r.seconds, r.timed]
                else:
                    found[0] += r.statements
                    found[1] += r.seconds
                    found[2] += r.timed
    agents = sorted(of_agent)
    out: dict[str, Any] = {
        "activity": activity,
        **_header(query),
        "learner_count": len(agents),
        "totals": bucket(rows, query, top_unclassified=verbs),
        "periods": periods(rows, query),
    }
    if learners:
        out["learners"] = [
            {"agent": agent, **counts_block(of_agent[agent], query)}
            for agent in agents
        ]
    return out


def _from_cohort_totals(
    conn: Any, activity: str, query: SummaryQuery, *, enrolled_only: bool  # noqa: ANN401
) -> tuple[list[ModeTotals], list[tuple[str, int]], dict[str, dict[str | None, list[Any]]]]:
    """What :func:`cohort_summary` reads for a known cohort, from its rows in ``cohort_totals`` and
    ``cohort_month_totals``: (per mode and month, the ten most used verbs of the unclassified, per learner its
    figures per mode as :func:`counts_block` takes them), as the statements give them.

    One query's rows per set of direct agents, mode and verb (and month for periods), added up here per mode and
    month and per key and mode, give the totals, the periods, the verbs and (each member of a set getting the
    set's sums) the learners' figures."""
    days = {"first": query.date_from, "last": query.date_to}
    if enrolled_only:
        return _from_member_totals(conn, activity, query)
    grouped = cohort_store.totals_by_agents(
        conn, activity, enrolled_only=enrolled_only, by_month=bool(query.period), **days
    )
    enrolled = cohort_store.enrolled_learners(conn, activity) if enrolled_only else None
    # The rows added up per (mode, month) for the totals and periods, and per (key, mode) for the learners (each
    # member of a key then gets the key's sums: a few thousand rows, not one per row of a programme's year).
    by_mode: dict[tuple[str, str | None], list[Any]] = {}
    by_key: dict[tuple[str, str], list[Any]] = {}
    by_verb: dict[str, int] = {}
    for agents, mode, verb, month, n, seconds, timed in grouped:
        found = by_mode.get((mode, month))
        if found is None:
            by_mode[(mode, month)] = [n, seconds, timed]
        else:
            found[0] += n
            found[1] += seconds
            found[2] += timed
        found = by_key.get((agents, mode))
        if found is None:
            by_key[(agents, mode)] = [n, seconds, timed]
        else:
            found[0] += n
            found[1] += seconds
            found[2] += timed
        if not mode:
            by_verb[verb] = by_verb.get(verb, 0) + n
    # Each learner's figures per mode (None: unclassified), as counts_block takes them.
    by_learner: dict[str, dict[str | None, list[Any]]] = {}
    members: dict[str, list[str]] = {}
    for (agents, mode), (n, seconds, timed) in by_key.items():
        their = members.get(agents)
        if their is None:
            their = members[agents] = [
                a for a in cohort_store.members(agents) if enrolled is None or a in enrolled
            ]
        for agent in their:
            of_mode = by_learner.get(agent)
            if of_mode is None:
                of_mode = by_learner[agent] = {}
            found = of_mode.get(mode or None)
            if found is None:
                of_mode[mode or None] = [n, 0.0 + seconds, timed]
            else:
                found[0] += n
                found[1] += seconds
                found[2] += timed
    return _added_up(conn, by_mode, by_verb, by_learner)


def _added_up(
    conn: Any,  # noqa: ANN401
    by_mode: dict[tuple[str, str | None], list[Any]],
    by_verb: dict[str, int],
    by_learner: dict[str, dict[str | None, list[Any]]],
) -> tuple[list[ModeTotals], list[tuple[str, int]], dict[str, dict[str | None, list[Any]]]]:
    """The totals per mode and month, the ten most used verbs and the learners' figures, without what adds up to
    no statement: on SQLite, rows taken out (a voided statement) may still be negative rows beside the ones they
    cancel (lrs.store.cohort_totals.fold), and a learner, mode, month or verb left with none is not in the
    statements' answer."""
    rows = [
        ModeTotals(mode=mode or None, statements=n, seconds=seconds, timed=timed, month=month)
        for (mode, month), (n, seconds, timed) in by_mode.items()
        if n
    ]
    learners = {}
    for learner, of_mode in by_learner.items():
        kept = {mode: sums for mode, sums in of_mode.items() if sums[0]}
        if kept:
            learners[learner] = kept
    used = sorted(verb for verb, n in by_verb.items() if n)
    # Most used first, then in the database's order of text (as learning_store.unclassified_verbs orders them).
    place = {verb: k for k, verb in enumerate(cohort_store.in_database_order(conn, used))}
    verbs = sorted(((verb, by_verb[verb]) for verb in used), key=lambda item: (-item[1], place[item[0]]))[:10]
    return rows, verbs, learners


def _from_member_totals(
    conn: Any, activity: str, query: SummaryQuery  # noqa: ANN401
) -> tuple[list[ModeTotals], list[tuple[str, int]], dict[str, dict[str | None, list[Any]]]]:
    """:func:`_from_cohort_totals` for the enrolled learners only, from ``cohort_member_totals``: each learner's
    rows (their own and their sets') go to their block; a set's rows, which come under each of its enrolled
    members, count once in the totals, periods and verbs (under the first member met)."""
    grouped = cohort_store.totals_by_members(
        conn, activity, first=query.date_from, last=query.date_to, by_month=bool(query.period)
    )
    by_mode: dict[tuple[str, str | None], list[Any]] = {}
    by_learner: dict[str, dict[str | None, list[Any]]] = {}
    by_verb: dict[str, int] = {}
    owner: dict[str, str] = {}
    # A learner's rows mostly come one after another (each is a seek): their figures per mode are looked up once
    # per run of rows, not per row.
    last, of_mode = None, {}
    for member, agents, mode, verb, month, n, seconds, timed in grouped:
        if member != last:
            last = member
            of_mode = by_learner.get(member)
            if of_mode is None:
                of_mode = by_learner[member] = {}
        found = of_mode.get(mode or None)
        if found is None:
            of_mode[mode or None] = [n, 0.0 + seconds, timed]
        else:
            found[0] += n
            found[1] += seconds
            found[2] += timed
        if agents and owner.setdefault(agents, member) != member:
            continue
        found = by_mode.get((mode, month))
        if found is None:
            by_mode[(mode, month)] = [n, seconds, timed]
        else:
            found[0] += n
            found[1] += seconds
            found[2] += timed
        if not mode:
            by_verb[verb] = by_verb.get(verb, 0) + n
    return _added_up(conn, by_mode, by_verb, by_learner)


def enrolled_learners_summary(lrs: LRS, cohort: str, query: SummaryQuery) -> dict[str, Any]:
    """A cohort's learners' whole records (a programme lead's dashboard): a block per enrolled learner with any
    learning, and the cohort's periods (``query.period``): two grouped queries, never one per learner or period."""
    with lrs.db.read() as conn:
        per_learner = learning_store.enrolled_mode_totals(conn, cohort, by="agent")
        per_month = learning_store.enrolled_mode_totals(conn, cohort, by="month") if query.period else []
    by_agent: dict[str, list[ModeTotals]] = {}
    for row in per_learner:
        by_agent.setdefault(row.agent_key or "", []).append(row)
    return {
        "activity": cohort,
        **_header(query),
        "learner_count": len(by_agent),
        "totals": bucket(per_learner, query),
        "periods": periods(per_month, query),
        "learners": [{"agent": agent, **bucket(found, query)} for agent, found in sorted(by_agent.items())],
    }
