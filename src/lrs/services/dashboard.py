"""The programme lead's cohort dashboard (issues 18 and 23): what the page, its CSV and ``GET /api/cohorts/dashboard``
show, worked out once here. Read-only; who may read it is lrs.services.access's (the cohort's lead, an admin).

For each enrolled learner: their last activity, how many activities, their 70/20/10 balance (whole record, the
"time" basis of lrs.learning.summary), their CPD readiness for the registration year in progress (the
``lrs_readiness`` hook), their unit progress in each qualification (lrs.review.cohort) and whether they are at
risk, with the reasons; and the cohort's 70/20/10 month by month (the last 12 months with learning recorded).

Every panel is a grouped read of the whole cohort, never one per learner: the learners' totals, latest statement
and first day from their whole records in ``learning_month_totals`` (lrs.store.dashboard.cohort_learner_totals),
the months from their month rows over the months shown, the unit progress in two range reads, all three in one
read transaction; and the readiness hook over the cohort's learners (the CPD log plugin keeps each learner's
answer until their record changes, lrs.plugin_api.kept_answers, and works out the others from one read of those
who recorded anything in the year). On PostgreSQL the hook runs in a second thread, on a second pooled connection, while the request's
thread reads the other panels and builds the rows (docs/performance.md, "The lead's dashboard data on
PostgreSQL"); on SQLite after them, in the request's thread.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lrs.learning import summary as learning_summary
from lrs.review import cohort as review_cohort
from lrs.services import access
from lrs.services import exports as exporting
from lrs.store import dashboard as store
from lrs.store import users as user_store
from lrs.xapi.errors import NotFound, XAPIError

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

#: The learning modes, in the order the page's columns and the JSON's balances list them.
MODES: tuple[str, ...] = learning_summary.MODES
#: The months of the cohort's 70/20/10 the dashboard shows (the latest ones with learning recorded).
MONTHS_SHOWN = 12
#: The exporter whose readiness the dashboard's CPD column shows (the regulator's CPD log).
CPD_EXPORTER = "cpd-log"


def cpd_year(today: date) -> int:
    """The CPD registration year in progress, named by the year it ends in (1 December starts the next one)."""
    return today.year + 1 if today.month == 12 else today.year


def check_cohort(lrs: LRS, principal: Principal, cohort: str | None) -> str:
    """The cohort asked for, once the principal may read its dashboard: 400 without one or for one that is not an
    IRI, 403 for a role that may not (lrs.services.access), 404 for a cohort the store does not know."""
    from lrs.xapi.datatypes import is_iri

    if not cohort:
        raise XAPIError("name the cohort: cohort=<IRI>", rule="missing-parameter", path="cohort")
    if not is_iri(cohort):
        raise XAPIError(f"cohort must be a cohort's IRI, got {cohort[:80]!r}", rule="invalid-iri", path="cohort")
    access.check_read_dashboard(principal, cohort)
    if cohort not in principal.cohorts:
        with lrs.db.read() as conn:
            known = cohort in user_store.known_cohorts(conn)
        if not known:
            raise NotFound("no cohort with that IRI: nobody is enrolled in it or bound to it", rule="unknown-cohort",
                           path="cohort")
    return cohort


def cohort_dashboard(lrs: LRS, principal: Principal, cohort: str | None, today: datetime | None = None) -> dict[str, Any]:
    """The dashboard of ``cohort`` (access checked: :func:`check_cohort`). ``today``: now (UTC) unless given.

    ``{"cohort", "weeks" (the at-risk threshold), "cpd_year" (int), "cpd_year_label" ("2025–26"), "rows",
    "at_risk" (the rows at risk), "periods", "qualifications" ([{"uri", "slug", "title"}])}``; a row:
    ``{"agent", "name", "last" ("YYYY-MM-DD" or ""), "statements", "shares" (mode -> whole per cent),
    "at_risk", "reasons" ([{"rule", "words"}]), "cpd" (words, "" without a CPD plugin), "cpd_ready" (bool or
    None), "units" (framework URI -> lrs.review.cohort.UnitProgress)}``; a period: ``{"period" ("YYYY-MM"),
    "statements", "shares"}``. Rows in name order."""
    cohort = check_cohort(lrs, principal, cohort)
    now = today or datetime.now(UTC)
    year = cpd_year(now.date())
    query = learning_summary.parse_query(period="month")
    # PostgreSQL: the readiness hook (its own read, then ~15-20 ms of Python for 500 learners) runs in a second
    # thread on a second pooled connection, on the cohort's enrolled learners (the learners of the totals, in
    # their order: read first), while this thread reads the totals, the months and the unit progress and builds
    # the rows: each thread's waits on the server overlap the other's Python (psycopg releases the interpreter
    # lock while it waits).
    overlapped = None
    try:
        with lrs.db.read() as conn:  # one transaction for the totals, the months and the unit progress
            if _can_overlap(lrs):
                keys = store.cohort_learner_keys(conn, cohort)
                overlapped = _Background(lambda: cpd_readiness(lrs, keys, year))
            # The reads back to back, the work on their rows after (once the readiness thread is at its Python,
            # each answer this thread waits for costs it a turn of the interpreter lock): the unit progress's
            # small reads first, the months (the longest) last.
            progress_read = review_cohort.read_unit_progress(lrs, cohort, conn)
            learners = store.cohort_learner_totals(conn, cohort, MODES)
            latest = max((x.latest for x in learners if x.latest is not None), default=None)
            months: list[Any] = []
            first_shown = None
            if latest is not None:
                first_shown = _first_month_shown(_utc(latest).date())
                # The months run from the cohort's first with learning when that is later
                # (lrs.learning.summary.periods).
                first_day = date.fromisoformat(min(x.first for x in learners if x.first is not None))
                first_shown = max(first_shown, first_day.replace(day=1))
                months = store.cohort_month_totals(conn, cohort, first_shown.isoformat())
        progress = review_cohort.unit_progress(progress_read)
        # The rows and the months too, while the readiness may still be at work: only its column waits for it.
        weeks = lrs.settings.at_risk_weeks
        rows = _rows(learners, progress, now - timedelta(weeks=weeks), weeks)
        periods = []
        if first_shown is not None:
            shown = learning_summary.periods(months, replace(query, date_from=first_shown))
            for p in shown[-MONTHS_SHOWN:]:
                shares = (p.get("balance") or {}).get("shares", {})
                periods.append({"period": p["period"], "statements": p.get("statements", 0),
                                "shares": {m: round(shares.get(m, 0) * 100) for m in MODES}})
    except BaseException:
        if overlapped is not None:
            overlapped.wait()  # ended (its connection back in the pool) before this error leaves the request
        raise
    if overlapped is not None:
        readiness = overlapped.result()
    else:
        readiness = cpd_readiness(lrs, [x.agent_key for x in learners], year)
    for row in rows:
        found = readiness.get(row["agent"])
        if found:
            row["cpd"], row["cpd_ready"] = _readiness_words(found), found.ready
    rows.sort(key=lambda r: r["name"].lower())
    return {
        "cohort": cohort,
        "weeks": weeks,
        "rows": rows,
        "at_risk": [r for r in rows if r["at_risk"]],
        "periods": periods,
        "qualifications": progress["qualifications"],
        "cpd_year": year,
        "cpd_year_label": f"{year - 1}–{str(year)[-2:]}",
    }


def _rows(learners: list[Any], progress: dict[str, Any], cutoff: datetime, weeks: int) -> list[dict[str, Any]]:
    """The learners' rows (in the store's order), their CPD readiness not yet in ("cpd" "", "cpd_ready" None)."""
    rows = []
    mine_of = progress["learners"]
    nothing_yet = progress["nothing_yet"]
    uris = [q["uri"] for q in progress["qualifications"]]
    for x in learners:
        when = _utc(x.latest) if x.latest is not None else None
        reasons = []
        if when is None:
            reasons.append({"rule": "no-activity", "words": "Nothing recorded yet"})
        elif when < cutoff:
            reasons.append({"rule": "no-recent-activity",
                            "words": f"No learning recorded for {weeks} weeks or more (last on {when.date().isoformat()})"})
        mine = mine_of.get(x.agent_key, {})
        rows.append({
            "agent": x.agent_key,
            "name": x.name or x.agent_key.split(":", 2)[-1],
            "last": when.date().isoformat() if when else "",
            "statements": x.statements,
            "shares": _shares(x.by_mode),
            "at_risk": bool(reasons),
            "reasons": reasons,
            "cpd": "",
            "cpd_ready": None,
            "units": {uri: mine.get(uri) or nothing_yet[uri] for uri in uris},
        })
    return rows


def _can_overlap(lrs: LRS) -> bool:
    """Whether the readiness is worked out in a second thread: on PostgreSQL, whose waits on the server (the
    readiness's read, the totals', the months') are a third of the request and overlap the other thread's
    Python. Not on SQLite: its reads are the process's own CPU (the page cache of each connection, the
    interpreter lock taken back after each step), and two threads measured slower there than one
    (docs/performance.md, "The lead's dashboard data on PostgreSQL")."""
    return lrs.db.dialect == "postgresql"


class _Background:
    """``work`` run in a thread of its own, started at once, with this thread's context variables (the request
    id its log lines carry). :meth:`result` waits for it and gives its result, or raises what it raised (in
    the waiting thread, as if called there); :meth:`wait` only waits. One of them is always called, so the
    thread has ended, and given its connection back, before the request does."""

    def __init__(self, work: Callable[[], Any]):
        self._done: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                self._done.append((True, work()))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread and raised there
                self._done.append((False, exc))

        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(run,),
                                        name="lrs-dashboard-readiness", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:  # noqa: ANN401
        self._thread.join()
        ok, value = self._done[0]
        if not ok:
            raise value
        return value


def _shares(by_mode: tuple[tuple[int, float], ...]) -> dict[str, int]:
    """A learner's 70/20/10 balance in whole per cent, worked out as lrs.learning.summary gives it (``balance``'s
    shares on the "time" basis: each mode's seconds rounded to the millisecond, shares of their sum rounded to 4
    places, falling back to the statements when no classified statement is timed; every share 0 when nothing is
    classified), without building the summary's blocks for each of 500 learners. ``by_mode``: the store's
    (statements, seconds) per mode of :data:`MODES` (lrs.store.dashboard.LearnerTotals.by_mode)."""
    values: list[Any] = [round(seconds, 3) for _, seconds in by_mode]
    total = sum(values)
    if total <= 0:
        values = [n for n, _ in by_mode]
        total = sum(values)
    if total <= 0:
        return dict.fromkeys(MODES, 0)
    return {m: round(round(v / total, 4) * 100) for m, v in zip(MODES, values, strict=True)}


def _utc(when: datetime) -> datetime:
    # SQLite gives the stored (UTC) timestamp back without its zone.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _first_month_shown(last_day: date) -> date:
    """The first of the :data:`MONTHS_SHOWN` months ending with the month of ``last_day``."""
    back = last_day.year * 12 + last_day.month - 1 - (MONTHS_SHOWN - 1)
    return date(back // 12, back % 12 + 1, 1)


def cpd_readiness(lrs: LRS, agent_keys: list[str], year: int) -> dict[str, Any]:
    """Each learner's readiness (lrs.hookspecs.YearReadiness) from the CPD log plugin for ``year``: one
    ``lrs_readiness`` call for them all; empty when no CPD plugin answers."""
    found = {}
    for key, answers in exporting.year_readiness(lrs, agent_keys, year, pieces=False).items():
        mine = next((r for r in answers if r.exporter == CPD_EXPORTER), None)
        if mine is not None:
            found[key] = mine
    return found


def _readiness_words(found: Any) -> str:  # noqa: ANN401
    piece = "piece" if found.required == 1 else "pieces"
    return "Ready" if found.ready else f"Not ready: {found.counted} of {found.required} complete {piece}"


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """The dashboard as ``GET /api/cohorts/dashboard`` answers it (docs/api.md)."""
    return {
        "cohort": data["cohort"],
        "at_risk_weeks": data["weeks"],
        "cpd_year": {"year": data["cpd_year"], "label": data["cpd_year_label"]},
        "qualifications": data["qualifications"],
        "learners": [
            {
                "agent": r["agent"],
                "name": r["name"],
                "last_activity": r["last"] or None,
                "statements": r["statements"],
                "balance": r["shares"],
                "cpd_readiness": {"ready": r["cpd_ready"], "words": r["cpd"]} if r["cpd"] else None,
                "units": {
                    uri: {"complete": p.complete, "in_progress": p.in_progress, "not_started": p.not_started,
                          "units": p.units, "criteria_met": p.criteria_accepted, "criteria": p.criteria}
                    for uri, p in r["units"].items()
                },
                "at_risk": r["at_risk"],
                "at_risk_reasons": r["reasons"],
            }
            for r in data["rows"]
        ],
        "at_risk": [r["agent"] for r in data["at_risk"]],
        "periods": data["periods"],
    }
