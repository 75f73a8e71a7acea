"""Cohort totals: what the statements touching a known cohort or programme add up to, so that a cohort summary
(``GET /api/cohorts/summary``) reads a few rows per learner instead of every statement naming the cohort.

``cohort_totals`` (lrs.store.models.CohortTotal) has one row per (cohort activity, set of direct agents, UTC day,
mode, verb of the unclassified). Each statement counts once in each known cohort it touches (as object or in
any context activity, exactly the ``statement_activities`` rows a summary's scope reads), under the key of its
direct agents: the one agent's key, "" for none, or ``set:`` and the sorted keys as JSON for two or more, whose
members are rows of ``cohort_agent_sets``. One agent's days are kept in ``cohort_member_totals`` only (as the
agent's own days there, migration 0030): ``cohort_totals`` holds the sets' and no agent's. From these:

* a cohort's totals add up every row of the cohort (each statement once);
* a learner's block adds up the rows under the learner's key and under the sets the learner is in;
* the enrolled learners' totals (an assessor's, IQA's or lead's summary) add up the rows under the enrolled
  learners' keys and under the sets with at least one of them in (each statement once, however many of its
  agents are enrolled), which per-learner rows alone could not give.

``cohort_month_totals`` (lrs.store.models.CohortMonthTotal) holds the same rows added up per month and over all
time (month :data:`ALL_TIME`, ""), kept by the same calls in the same transaction: a summary of all time reads
each key's whole record, a range its whole months and, for a period that starts or ends mid-month, the edge
days from ``cohort_totals`` (:func:`reading_plan`), so a programme's answer reads a few rows per key instead of
one per day it learned.

``cohort_member_totals`` (lrs.store.models.CohortMemberTotal) holds the rows of sets again under each of their
members (by day, month and all time), and each agent's own days (only there), so that an enrolled summary reads a
learner's sets' months (or whole records) in one seek and all their edge days in another, rather than a seek per
set or per month row. A learner's own months and whole record it reads under their key from ``cohort_month_totals``:
copying those too made each statement upsert six rows in every known cohort it names; now it is three.

Only activities in ``known_cohorts`` are kept: the write path's upsert joins its candidate rows against that
table inside SQL, in the statements' transaction, so two LRS instances never disagree about which cohorts are
kept. A cohort becomes known when its first learner is enrolled (:func:`know`), which counts what is already
stored; voiding, reclassifying, erasure and retention take out what the statements counted (:func:`take_out`)
and, where they still count, put back what they count after (:func:`put_back`). :func:`rebuild` remakes it
all (``lrs learning-totals rebuild``, migration 0018).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, text

from lrs.store.models import (
    CohortAgentSet,
    CohortEnrolment,
    CohortMemberTotal,
    CohortMonthTotal,
    CohortRecentTotal,
    CohortTotal,
    KnownCohort,
)

CT = CohortTotal.__table__
CM = CohortMonthTotal.__table__
CMT = CohortMemberTotal.__table__
RECENT = CohortRecentTotal.__table__
CS = CohortAgentSet.__table__
KNOWN = KnownCohort.__table__
CE = CohortEnrolment.__table__
LEARNER = "learner"  # lrs.store.enrolments.LEARNER (that module imports this one)

#: The prefix of the key of two or more direct agents (an agent key starts with mbox:, mbox_sha1sum:, openid: or
#: account:, so it never collides).
SET_PREFIX = "set:"
#: ``cohort_month_totals.month`` of a key's whole record (every month added up).
ALL_TIME = ""
COLUMNS = ("activity_iri", "agents", "day", "mode", "verb_iri", "statements", "seconds", "timed", "month")
MONTH_COLUMNS = ("activity_iri", "agents", "month", "mode", "verb_iri", "statements", "seconds", "timed")
MEMBER_COLUMNS = (
    "activity_iri", "agent_key", "grain", "period", "mode", "verb_iri", "agents", "statements", "seconds", "timed"
)
#: ``cohort_member_totals.grain``: a day's row, a month's, a key's whole record (period "").
DAY, MONTH, WHOLE = "d", "m", "a"
_SUMS = (
    "statements = {t}.statements + excluded.statements, seconds = {t}.seconds + excluded.seconds, "
    "timed = {t}.timed + excluded.timed"
)
_KEY = "activity_iri, agents, mode, verb_iri, month, day"
_ADD = f"ON CONFLICT ({_KEY}) DO UPDATE SET " + _SUMS.format(t="cohort_totals")
_MONTH_KEY = "activity_iri, agents, month, mode, verb_iri"
_ADD_MONTH = f"ON CONFLICT ({_MONTH_KEY}) DO UPDATE SET " + _SUMS.format(t="cohort_month_totals")
_MEMBER_KEY = "activity_iri, agent_key, grain, period, mode, verb_iri, agents"
_ADD_MEMBER = f"ON CONFLICT ({_MEMBER_KEY}) DO UPDATE SET " + _SUMS.format(t="cohort_member_totals")
#: A batch's rows go to the SQL as one JSON array of [agents, day, mode, verb, statements, seconds, timed, [the
#: activity IRIs]]: the statements with the same facts and activities added up (in a batch, nearly one row per
#: statement). The SQL takes them apart, keeps the IRIs of known cohorts (a join inside the SQL, in the
#: statements' transaction) and adds up per key (``ctr``), then upserts the days (``ct``) and, from the same
#: rows, their months and the keys' whole records (``ctm``), each in key order (concurrent writers lock shared
#: rows in one order). PostgreSQL: ``{only}`` is a further condition (the one-statement path's "only if stored").
PG_ROWS = (
    "SELECT i.iri AS a, r->>0 AS g, r->>1 AS d, r->>2 AS m, r->>3 AS v, sum((r->>4)::int) AS n, "
    "sum((r->>5)::float8) AS s, sum((r->>6)::int) AS t "
    "FROM jsonb_array_elements(%s::jsonb) AS r, jsonb_array_elements_text(r->7) AS i(iri) "
    "JOIN known_cohorts AS k ON k.activity_iri = i.iri{only} GROUP BY 1, 2, 3, 4, 5"
)
PG_ADD_DAYS = (
    f"INSERT INTO cohort_totals ({', '.join(COLUMNS)}) SELECT a, g, d, m, v, n, s, t, substr(d, 1, 7) FROM ctr "
    "{shared}"
    f"ORDER BY 1, 2, 3, 4, 5 {_ADD}"
)
#: Only the days of sets and of no direct agent go to ``cohort_totals``: one agent's are in ``cohort_member_totals``.
PG_SHARED = f"WHERE g = '' OR left(g, {len(SET_PREFIX)}) = '{SET_PREFIX}' "
PG_ADD_MONTHS = (
    f"INSERT INTO cohort_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT a, g, p, m, v, sum(n), sum(s), sum(t) "
    f"FROM ctr, LATERAL (VALUES (substr(d, 1, 7)), ('{ALL_TIME}')) AS x(p) GROUP BY 1, 2, 3, 4, 5 "
    f"ORDER BY 1, 2, 3, 4, 5 {_ADD_MONTH}"
)
#: The batch's sets' members (agent, set key), from the second parameter: for ``cs`` and ``cmt``.
PG_SET_ROWS = "SELECT r->>0 AS member, r->>1 AS set_key FROM jsonb_array_elements(%s::jsonb) AS r{only}"
#: ``ctr``'s rows as :func:`member_keys` puts them: a set's under each of its members (joined from ``csr``) by
#: day, month and all time, one agent's own by day; "" (no direct agent) is no one's. (A join, not a function of
#: each row's key: the planner's estimate of such a function's rows put the batch's statement over
#: jit_above_cost, and compiling took ~1 s a batch.)
PG_ADD_MEMBERS = (
    f"INSERT INTO cohort_member_totals ({', '.join(MEMBER_COLUMNS)}) SELECT a, coalesce(csr.member, ctr.g), x.g, x.p, "
    "m, v, CASE WHEN csr.member IS NULL THEN '' ELSE ctr.g END, sum(n), sum(ctr.s), sum(t) FROM ctr "
    "LEFT JOIN csr ON csr.set_key = ctr.g CROSS JOIN LATERAL "
    f"(VALUES ('{DAY}', ctr.d), ('{MONTH}', substr(ctr.d, 1, 7)), ('{WHOLE}', '{ALL_TIME}')) AS x(g, p) "
    f"WHERE ctr.g <> '' AND (csr.member IS NOT NULL OR x.g = '{DAY}') "
    f"GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7 {_ADD_MEMBER}"
)
PG_SETS = "INSERT INTO cohort_agent_sets (agent_key, agents) SELECT member, set_key FROM csr ORDER BY 1, 2 ON CONFLICT DO NOTHING"


def pg_ctes(only: str = "") -> str:
    """The CTEs that add a batch's rows (two parameters: :func:`batch_rows`'s rows and sets) to the known
    cohorts' days, months and whole records, their members' rows and to the sets' members, for a PostgreSQL
    statement's WITH list (names ctr, ct, ctm, cmt, cs)."""
    return (
        f"ctr AS ({PG_ROWS.format(only=only)}), ct AS ({PG_ADD_DAYS.replace('{shared}', PG_SHARED)}), "
        f"ctm AS ({PG_ADD_MONTHS}), "
        f"csr AS ({PG_SET_ROWS.format(only=only)}), cmt AS ({PG_ADD_MEMBERS}), cs AS ({PG_SETS})"
    )


#: SQLite: which of a batch's activities are known cohorts is read in the transaction (which holds the write lock
#: from BEGIN IMMEDIATE, so it is what the store holds), then their rows are upserted with parameters: taking a
#: JSON array apart costs SQLite several times as much (2.8 ms a batch of 100 against 0.6 for learning_totals).
SQLITE_KNOWN = "SELECT activity_iri FROM known_cohorts WHERE activity_iri IN (SELECT value FROM json_each(?))"
SQLITE_ADD = f"INSERT INTO cohort_totals ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) {_ADD}"
SQLITE_ADD_MONTHS = (
    f"INSERT INTO cohort_month_totals ({', '.join(MONTH_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) {_ADD_MONTH}"
)
SQLITE_ADD_MEMBERS = (
    f"INSERT INTO cohort_member_totals ({', '.join(MEMBER_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"{_ADD_MEMBER}"
)
SQLITE_SETS = "INSERT OR IGNORE INTO cohort_agent_sets (agent_key, agents) VALUES (?, ?)"
RECENT_COLUMNS = ("activity_iri", "batch", "agents", "day", "mode", "verb_iri", "statements", "seconds", "timed")
#: SQLite: a batch's rows, appended to ``cohort_recent_totals`` (its ``batch``: the largest statement seq then, so
#: they go at the end of each cohort's run; a transaction that stores no statement may share a batch with the
#: one before, and its rows then add to that one's).
SQLITE_ADD_RECENT = (
    f"INSERT INTO cohort_recent_totals ({', '.join(RECENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (activity_iri, batch, agents, day, mode, verb_iri) DO UPDATE SET "
    + _SUMS.format(t="cohort_recent_totals")
)
#: SQLite: ``cohort_recent_totals`` is folded into the three tables once it holds this many rows (a batch of 100
#: statements naming a cohort and a programme adds ~200). In-process, a batch of 100 then wrote 1,722 pages to the
#: WAL, the folds included (2,000 rows: 2,065; 40,000: 1,636), against 2,579 upserting each batch's rows into the
#: three tables and 1,440 with no cohort known. A summary reads its cohort's waiting rows too, and the batch that
#: folds takes ~0.5 s longer: fewer keep both down (docs/performance.md, twentieth round).
FOLD_ROWS = 10_000
#: SQLite: the write path counts the rows waiting (up to :data:`FOLD_ROWS`) only in a batch whose statements pass a
#: multiple of this many (by seq): one batch of 100 in ten. Counting in every batch read up to 10,000 rows with
#: the page cache stale from the other workers' writes, ~5% of the time the write lock was held (served, py-spy).
FOLD_CHECK_STATEMENTS = 1_000

#: SQLite, :func:`fold`: the waiting rows added up per key (a, agents g, day d, mode m, verb v: statements n,
#: seconds s, timed t), those adding nothing left out, into a temporary table the three tables take them from.
_FOLD_TABLE = "temp.cohort_fold_rows"
FOLD_FILL = (
    f"INSERT INTO {_FOLD_TABLE} SELECT activity_iri, agents, day, mode, verb_iri, sum(statements), sum(seconds), "
    "sum(timed) FROM cohort_recent_totals GROUP BY activity_iri, agents, day, mode, verb_iri "
    "HAVING sum(statements) <> 0 OR sum(seconds) <> 0 OR sum(timed) <> 0"
)
_IS_SET = f"substr(g, 1, {len(SET_PREFIX)}) = '{SET_PREFIX}'"
#: The days of sets and of no direct agent (one agent's days are their own, in ``cohort_member_totals``).
FOLD_DAYS = (
    f"INSERT INTO cohort_totals ({', '.join(COLUMNS)}) SELECT a, g, d, m, v, n, s, t, substr(d, 1, 7) "
    f"FROM {_FOLD_TABLE} WHERE g = '' OR {_IS_SET} ORDER BY a, g, m, v, d {_ADD}"
)
#: Every key's months and whole record.
FOLD_MONTHS = (
    f"INSERT INTO cohort_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT a, g, p, m, v, sum(n), sum(s), sum(t) "
    f"FROM (SELECT a, g, substr(d, 1, 7) AS p, m, v, n, s, t FROM {_FOLD_TABLE} "
    f"UNION ALL SELECT a, g, '{ALL_TIME}' AS p, m, v, n, s, t FROM {_FOLD_TABLE}) "
    f"GROUP BY a, g, p, m, v ORDER BY a, g, p, m, v {_ADD_MONTH}"
)
#: As :func:`member_keys` puts them: one agent's own days, and a set's rows under each of its members by day,
#: month and whole record (the members from the set's key).
FOLD_MEMBERS = (
    f"INSERT INTO cohort_member_totals ({', '.join(MEMBER_COLUMNS)}) "
    f"SELECT a, g, '{DAY}', d, m, v, '', n, s, t FROM {_FOLD_TABLE} WHERE g <> '' AND NOT {_IS_SET} "
    f"UNION ALL SELECT a, j.value, x.k, CASE x.k WHEN '{DAY}' THEN d WHEN '{MONTH}' THEN substr(d, 1, 7) "
    f"ELSE '{ALL_TIME}' END, m, v, g, sum(n), sum(s), sum(t) "
    f"FROM {_FOLD_TABLE}, json_each(substr(g, {len(SET_PREFIX) + 1})) AS j, "
    f"(SELECT '{DAY}' AS k UNION ALL SELECT '{MONTH}' UNION ALL SELECT '{WHOLE}') AS x WHERE {_IS_SET} "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7 " + _ADD_MEMBER
)
#: The keys a fold may have left with no statement (:func:`_delete_emptied` takes them).
FOLD_EMPTIED = f"SELECT a, g, m, v, substr(d, 1, 7), d FROM {_FOLD_TABLE} WHERE n <= 0 ORDER BY 1, 2, 3, 4, 5, 6"


def agents_key(keys: Iterable[str]) -> str:
    """The ``agents`` key of a statement with these direct agents."""
    keys = sorted(set(keys))
    if not keys:
        return ""
    if len(keys) == 1:
        return keys[0]
    return SET_PREFIX + json.dumps(keys, separators=(",", ":"), ensure_ascii=False)


def members(agents: str) -> list[str]:
    """The agent keys an ``agents`` key stands for."""
    if agents.startswith(SET_PREFIX):
        return list(json.loads(agents[len(SET_PREFIX) :]))
    return [agents] if agents else []


def member_keys(activity: str, agents: str, day: str, mode: str, verb: str) -> list[tuple[str, ...]]:
    """The keys of ``cohort_member_totals`` a row of ``cohort_totals`` adds to: a set's row under each of its
    members, by its day, its month and the whole record; one agent's row by its day only (its months and whole
    record are read from ``cohort_month_totals``); no agent's, none."""
    if not agents.startswith(SET_PREFIX):
        return [(activity, agents, DAY, day, mode, verb, "")] if agents else []
    return [
        (activity, member, grain, period, mode, verb, agents)
        for member in members(agents)
        for grain, period in ((DAY, day), (MONTH, day[:7]), (WHOLE, ALL_TIME))
    ]


class _Acc:
    """Statements added up per (agents, day, mode, verb, activities), and the sets' member rows."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Any, ...], list[Any]] = {}
        self.sets: set[tuple[str, str]] = set()
        #: How many new statements these rows are from (:func:`batch_rows`; 0 for rows taken out or put back).
        self.stored = 0
        #: SQLite (:meth:`by_activity`): the rows under each activity they touch, (activity, agents, day, mode,
        #: verb) -> [statements, seconds, timed], and the activities as :data:`SQLITE_KNOWN` takes them.
        self.per_activity: dict[tuple[str, str, str, str, str], list[Any]] | None = None
        self.activities_json = "[]"

    def add(self, iris: tuple[str, ...], agents: list[str], day: str, mode: str | None, verb: str,
            seconds: float | None) -> None:
        key = agents[0] if len(agents) == 1 else agents_key(agents)
        if len(agents) > 1:
            self.sets.update((agent, key) for agent in agents)
        mode = mode or ""
        found = self.rows.get((key, day, mode, "" if mode else verb, iris))
        if found is None:
            self.rows[(key, day, mode, "" if mode else verb, iris)] = [1, seconds or 0.0, 0 if seconds is None else 1]
        else:
            found[0] += 1
            if seconds is not None:
                found[1] += seconds
                found[2] += 1

    def by_activity(self) -> _Acc:
        """SQLite: :attr:`per_activity` and :attr:`activities_json` made, for a batch before its write transaction
        (:func:`batch_rows`): under the write lock only the look-up of the known cohorts among them is left."""
        per: dict[tuple[str, str, str, str, str], list[Any]] = {}
        for key, (n, seconds, timed) in self.rows.items():
            for iri in key[4]:
                found = per.get((iri, *key[:4]))
                if found is None:
                    per[(iri, *key[:4])] = [n, seconds, timed]
                else:
                    found[0] += n
                    found[1] += seconds
                    found[2] += timed
        self.per_activity = per
        self.activities_json = json.dumps(sorted({key[0] for key in per}))
        return self

    def negated(self) -> _Acc:
        out = _Acc()
        out.rows = {key: [-n, -seconds, -timed] for key, (n, seconds, timed) in self.rows.items()}
        # The sets' members too: PostgreSQL's upsert of the members' rows takes a set's members from them.
        out.sets = set(self.sets)
        return out

    def keys(self) -> list[tuple[str, str, str, str, str]]:
        """The keys of cohort_totals these rows touch, in the key's order (activity, agents, mode, verb, month, day)."""
        return sorted({(iri, key[0], key[2], key[3], key[1][:7], key[1]) for key in self.rows for iri in key[4]})

    def encoded(self) -> tuple[str | None, str | None]:
        """(rows, sets) as PostgreSQL's SQL takes them (see PG_ADD_SELECT), None when empty."""
        compact = {"separators": (",", ":")}
        rows = json.dumps([[*k[:4], *v, k[4]] for k, v in self.rows.items()], **compact) if self.rows else None
        sets = json.dumps(sorted(self.sets), **compact) if self.sets else None
        return rows, sets

    def add_sqlite(self, conn: Connection, *, months: bool = True, recent: bool = True) -> None:
        """SQLite: the rows of the known cohorts among them appended to ``cohort_recent_totals`` (folded into
        the days, months, whole records and members' rows once it holds :data:`FOLD_ROWS`, which the write path
        looks at when its statements pass a multiple of :data:`FOLD_CHECK_STATEMENTS`); ``recent=False``:
        upserted into those at once; ``months=False``: into the days only (:func:`count`). And their sets'
        members."""
        batch: int | None = None
        look = False
        if months and recent:
            (batch,) = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM statements").one()
            look = bool(self.stored) and (batch - self.stored) // FOLD_CHECK_STATEMENTS != batch // FOLD_CHECK_STATEMENTS
        self._add_known_sqlite(conn, batch, months=months)
        if look:
            fold_if_full(conn)

    def _add_known_sqlite(self, conn: Connection, batch: int | None, *, months: bool) -> None:
        """SQLite: :meth:`add_sqlite` without the fold: appended to ``cohort_recent_totals`` under ``batch``, or
        (None) upserted at once."""
        if self.per_activity is None:
            self.by_activity()
        if not self.per_activity:
            return
        known = {iri for (iri,) in conn.exec_driver_sql(SQLITE_KNOWN, (self.activities_json,))}
        if not known:
            return
        out = {k: v for k, v in self.per_activity.items() if k[0] in known}
        if batch is not None:
            conn.exec_driver_sql(SQLITE_ADD_RECENT, [(k[0], batch, *k[1:], *v) for k, v in out.items()])
        elif months:
            self._add_sqlite_now(conn, out)
        else:
            conn.exec_driver_sql(SQLITE_ADD, [(*k, *v, k[2][:7]) for k, v in out.items()])
        kept = {k[1] for k in out}
        sets = [pair for pair in self.sets if pair[1] in kept]
        if sets:
            conn.exec_driver_sql(SQLITE_SETS, sorted(sets))

    @staticmethod
    def _add_sqlite_now(conn: Connection, out: dict[tuple[str, str, str, str, str], list[Any]]) -> None:
        """SQLite: rows (activity, agents, day, mode, verb) -> [statements, seconds, timed] added to the days,
        months, whole records and members' rows at once, in key order."""
        ordered = dict(sorted(out.items()))
        shared = [(*k, *v, k[2][:7]) for k, v in ordered.items() if not k[1] or k[1].startswith(SET_PREFIX)]
        if shared:  # one agent's days go to cohort_member_totals only (_add_members_sqlite)
            conn.exec_driver_sql(SQLITE_ADD, shared)
        _Acc._add_months_sqlite(conn, ordered)
        _Acc._add_members_sqlite(conn, ordered)

    @staticmethod
    def _add_months_sqlite(conn: Connection, out: dict[tuple[str, str, str, str, str], list[Any]]) -> None:
        months: dict[tuple[str, str, str, str, str], list[Any]] = {}
        for (iri, agents, day, mode, verb), (n, seconds, timed) in out.items():
            for month in (day[:7], ALL_TIME):
                found = months.get((iri, agents, month, mode, verb))
                if found is None:
                    months[(iri, agents, month, mode, verb)] = [n, seconds, timed]
                else:
                    found[0] += n
                    found[1] += seconds
                    found[2] += timed
        conn.exec_driver_sql(SQLITE_ADD_MONTHS, [(*k, *v) for k, v in months.items()])

    @staticmethod
    def _add_members_sqlite(conn: Connection, out: dict[tuple[str, str, str, str, str], list[Any]]) -> None:
        rows: dict[tuple[str, ...], list[Any]] = {}
        for (iri, agents, day, mode, verb), (n, seconds, timed) in out.items():
            if not agents:
                continue
            if not agents.startswith(SET_PREFIX):  # nearly every row: the agent's own day
                keys: Iterable[tuple[str, ...]] = ((iri, agents, DAY, day, mode, verb, ""),)
            else:
                keys = member_keys(iri, agents, day, mode, verb)
            for key in keys:
                found = rows.get(key)
                if found is None:
                    rows[key] = [n, seconds, timed]
                else:
                    found[0] += n
                    found[1] += seconds
                    found[2] += timed
        if rows:
            conn.exec_driver_sql(SQLITE_ADD_MEMBERS, [(*k, *v) for k, v in rows.items()])


def batch_rows(prepared: Iterable[Any], *, postgres: bool = True) -> Any:  # noqa: ANN401
    """What new statements (lrs.xapi.statement.PreparedStatement, none voided yet) add to ``cohort_totals`` in the
    known cohorts among the activities they touch, and the member rows of their sets: for PostgreSQL (rows, sets)
    as the JSON its SQL takes (which keeps the known cohorts), for SQLite the rows added up (:func:`add` keeps
    the known cohorts'). A voiding statement adds nothing."""
    acc = _Acc()
    for p in prepared:
        acc.stored += 1
        if p.is_voiding or not p.activities:
            continue
        agents = [key for key, direct in p.agents.items() if direct]
        iso = p.timestamp_iso  # p.timestamp.isoformat(), when prepare made it: its first ten characters are the UTC day
        day = iso[:10] if iso and iso.endswith("+00:00") else p.timestamp.astimezone(UTC).date().isoformat()
        acc.add(tuple(p.activities), agents, day, p.learning_mode, p.verb_iri, p.duration_seconds)
    return acc.encoded() if postgres else acc.by_activity()


def add(conn: Connection, rows: Any, *, months: bool = True, recent: bool = True) -> None:  # noqa: ANN401
    """Add :func:`batch_rows` (or an :class:`_Acc`) to the known cohorts' days and months, and the sets'
    members (``months=False``: the days only, not the months nor the members' rows; see :func:`count`). SQLite:
    by way of ``cohort_recent_totals`` (:meth:`_Acc.add_sqlite`), unless ``recent=False``."""
    if isinstance(rows, _Acc):
        if conn.dialect.name != "postgresql":
            rows.add_sqlite(conn, months=months, recent=recent)
            return
        rows = rows.encoded()
    if rows is None:
        return
    if rows[0] and not months:
        conn.exec_driver_sql(f"WITH ctr AS ({PG_ROWS.format(only='')}) {PG_ADD_DAYS.replace('{shared}', '')}",
                             (rows[0],))
    elif rows[0]:
        conn.exec_driver_sql(f"WITH {pg_ctes()} SELECT 1", (rows[0], rows[1] or "[]"))
        return
    if rows[1]:
        conn.exec_driver_sql(f"WITH csr AS ({PG_SET_ROWS.format(only='')}) {PG_SETS}", (rows[1],))


# --- keeping them true when stored statements change ---------------------------------------------------------

_CHUNK = 500


def _counted(conn: Connection, *, seqs: Sequence[int] = (), ids: Sequence[str] = ()) -> _Acc:
    """What these statements (by seq or id) count in the known cohorts now: those neither voided nor voiding."""
    from lrs.store.models import Statement, StatementActivity, StatementAgent

    s, sa, sact = Statement.__table__, StatementAgent.__table__, StatementActivity.__table__
    acc = _Acc()
    keys: list[Any] = list(seqs) if seqs else list(ids)
    column = s.c.seq if seqs else s.c.id
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        facts = conn.execute(
            select(s.c.seq, s.c.timestamp, s.c.learning_mode, s.c.verb_iri, s.c.duration_seconds).where(
                column.in_(chunk), s.c.voided.is_(False), s.c.is_voiding.is_(False)
            )
        ).all()
        if not facts:
            continue
        found = [f.seq for f in facts]
        iris: dict[int, list[str]] = {}
        for seq, iri in conn.execute(
            select(sact.c.statement_seq, sact.c.activity_iri)
            .select_from(sact.join(KNOWN, KNOWN.c.activity_iri == sact.c.activity_iri))
            .where(sact.c.statement_seq.in_(found))
        ):
            iris.setdefault(seq, []).append(iri)
        if not iris:
            continue
        agents: dict[int, list[str]] = {}
        for seq, agent in conn.execute(
            select(sa.c.statement_seq, sa.c.agent_key).where(sa.c.statement_seq.in_(list(iris)), sa.c.direct.is_(True))
        ):
            agents.setdefault(seq, []).append(agent)
        for f in facts:
            if f.seq in iris:
                acc.add(tuple(sorted(iris[f.seq])), agents.get(f.seq, []), _utc_day(f.timestamp), f.learning_mode,
                        f.verb_iri, f.duration_seconds)
    return acc


def _utc_day(ts: datetime) -> str:
    # SQLite gives the stored (UTC) timestamp back without its zone.
    return (ts if ts.tzinfo is None else ts.astimezone(UTC)).date().isoformat()


def take_out(conn: Connection, *, seqs: Sequence[int] = (), ids: Sequence[str] = ()) -> None:
    """Take what these statements count out of the totals: before they are voided, deleted, reclassified or
    given other agent keys (then :func:`put_back`). Rows left with no statement are deleted."""
    if not seqs and not ids:
        return
    acc = _counted(conn, seqs=seqs, ids=ids)
    if not acc.rows:
        return
    add(conn, acc.negated())
    if conn.dialect.name != "postgresql":
        return  # the negative rows went to cohort_recent_totals: rows left with none are deleted when folded
    _delete_emptied(conn, acc.keys())


def _delete_emptied(conn: Connection, keys: Sequence[tuple[str, ...]]) -> None:
    """Delete the rows left with no statement among these keys of cohort_totals (activity, agents, mode, verb,
    month, day), their months, whole records and members' rows."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    where = " = {0} AND ".join(("activity_iri", "agents", "mode", "verb_iri", "month", "day")).format(mark)
    conn.exec_driver_sql(f"DELETE FROM cohort_totals WHERE {where} = {mark} AND statements <= 0", keys)
    months = sorted({(a, g, p, m, v) for a, g, m, v, month, _ in keys for p in (month, ALL_TIME)})
    where = " = {0} AND ".join(MONTH_COLUMNS[:5]).format(mark)
    conn.exec_driver_sql(f"DELETE FROM cohort_month_totals WHERE {where} = {mark} AND statements <= 0", months)
    of_members = sorted({k for a, g, m, v, _, day in keys for k in member_keys(a, g, day, m, v)})
    if of_members:
        where = " = {0} AND ".join(MEMBER_COLUMNS[:7]).format(mark)
        conn.exec_driver_sql(
            f"DELETE FROM cohort_member_totals WHERE {where} = {mark} AND statements <= 0", of_members
        )


def put_back(conn: Connection, *, seqs: Sequence[int]) -> None:
    """Add what these statements count now (after :func:`take_out` and the change)."""
    if seqs:
        add(conn, _counted(conn, seqs=seqs))


def waiting(conn: Connection) -> int:
    """How many rows wait in ``cohort_recent_totals`` (SQLite; PostgreSQL keeps none there)."""
    return int(conn.exec_driver_sql("SELECT count(*) FROM cohort_recent_totals").scalar() or 0)


def fold_if_full(conn: Connection) -> int:
    """SQLite: :func:`fold` when ``cohort_recent_totals`` holds :data:`FOLD_ROWS` rows or more. Returns the rows
    folded (0: none, or not that many yet)."""
    if conn.dialect.name == "postgresql":
        return 0
    (held,) = conn.exec_driver_sql(f"SELECT count(*) FROM (SELECT 1 FROM cohort_recent_totals LIMIT {FOLD_ROWS})").one()
    return fold(conn) if held >= FOLD_ROWS else 0


def fold(conn: Connection) -> int:
    """SQLite: add the rows of ``cohort_recent_totals`` to the days, months, whole records and members' rows, in
    key order, delete the rows that leaves with no statement, and empty it. Returns the rows folded. Run by the
    write path when it holds :data:`FOLD_ROWS`, by erasure and retention before they commit, and by ``lrs
    serve``'s answer keeper once writes pause (lrs.services.answer_keeper). PostgreSQL keeps nothing there.

    The rows are added up once per key into a temporary table (:data:`FOLD_FILL`), and each table takes its rows
    from there in one ``INSERT ... SELECT`` (:data:`FOLD_DAYS`, :data:`FOLD_MONTHS`, :data:`FOLD_MEMBERS`): adding
    them up in Python and binding each row took a third longer (1.25 against 0.83 s for 59,460 rows)."""
    if conn.dialect.name == "postgresql":
        return 0
    (folded,) = conn.exec_driver_sql("SELECT count(*) FROM cohort_recent_totals").one()
    if not folded:
        return 0
    # Made and dropped in this transaction: a rollback (or a retried write) leaves nothing behind.
    conn.exec_driver_sql(f"CREATE TEMP TABLE {_FOLD_TABLE} (a, g, d, m, v, n, s, t)")
    conn.exec_driver_sql(FOLD_FILL)
    for sql in (FOLD_DAYS, FOLD_MONTHS, FOLD_MEMBERS):
        conn.exec_driver_sql(sql)
    # A row can be left with none only where something was taken out.
    emptied = [tuple(row) for row in conn.exec_driver_sql(FOLD_EMPTIED)]
    if emptied:
        _delete_emptied(conn, emptied)
    conn.exec_driver_sql(f"DROP TABLE {_FOLD_TABLE}")
    conn.exec_driver_sql("DELETE FROM cohort_recent_totals")
    return folded


def forget_agents(conn: Connection, keys: Sequence[str]) -> None:
    """Erasure: the sets with one of ``keys`` in them (their statements were taken out and put back under the
    pseudonym's sets) lose their member rows."""
    if not keys:
        return
    named = select(CS.c.agents).where(CS.c.agent_key.in_(list(keys)))
    conn.execute(CS.delete().where(CS.c.agents.in_(named)))


# --- known cohorts, counting and rebuilding -----------------------------------------------------------------------


def is_known(conn: Connection, activity: str) -> bool:
    return conn.execute(select(KNOWN.c.activity_iri).where(KNOWN.c.activity_iri == activity)).first() is not None


def know(conn: Connection, cohorts: Iterable[str]) -> list[str]:
    """Make these cohorts known (a learner was enrolled in them), counting what is already stored for the new
    ones, in the caller's transaction. Returns the cohorts that were new.

    PostgreSQL: a batch stored concurrently would not see the new row and would not be seen by the count, so the
    table is locked against writers of cohort_totals first (SHARE ROW EXCLUSIVE: a batch in flight finishes,
    the next one waits for this commit); only when a cohort is new, which happens once per cohort."""
    wanted = sorted(set(cohorts))
    if not wanted:
        return []
    known = set(conn.execute(select(KNOWN.c.activity_iri).where(KNOWN.c.activity_iri.in_(wanted))).scalars())
    new = [c for c in wanted if c not in known]
    if not new:
        return []
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE cohort_totals IN SHARE ROW EXCLUSIVE MODE")
        new = [c for c in new if not is_known(conn, c)]
        if not new:
            return []
    conn.execute(insert(KNOWN), [{"activity_iri": c, "known_since": datetime.now(UTC)} for c in new])
    count(conn, new)
    return new


def know_enrolled(conn: Connection) -> list[str]:
    """Every cohort with an enrolment becomes known (after enrolments were written straight into the table)."""
    return know(conn, conn.execute(select(CE.c.cohort).distinct()).scalars())


def _day_sql(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return "to_char(timezone('UTC', s.timestamp), 'YYYY-MM-DD')"
    return "strftime('%Y-%m-%d', s.timestamp)"


def count(conn: Connection, cohorts: Sequence[str] | None = None, *, months: bool = True) -> None:
    """Count, from the statements, the rows of these known cohorts (all of them when None), which must have none
    yet. Set-based: one INSERT ... SELECT for the statements with at most one direct agent (nearly all) and one for
    their months (:func:`add_months`), then the few with two or more, whose set keys are made here from their
    agents (:func:`add`: their days and months). ``months=False``: the days only (migration 0018, before
    ``cohort_month_totals``, which migration 0024 fills from the days, and ``cohort_member_totals``, which 0026
    fills from both)."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    false = "false" if postgres else "0"
    only, params = "", ()
    if cohorts is not None:
        if not cohorts:
            return
        only, params = f" AND k.activity_iri IN ({', '.join([mark] * len(cohorts))})", tuple(cohorts)
    inner = (
        f"SELECT x.activity_iri AS activity_iri, s.seq AS seq, {_day_sql(conn)} AS day, "
        "coalesce(s.learning_mode, '') AS mode, CASE WHEN s.learning_mode IS NULL THEN s.verb_iri ELSE '' END AS verb, "
        "s.duration_seconds AS seconds, s.timestamp AS ts, "
        "(SELECT CASE WHEN count(*) = 0 THEN '' WHEN count(*) = 1 THEN min(a.agent_key) END "
        " FROM statement_agents AS a WHERE a.statement_seq = s.seq AND a.direct) AS agents "
        "FROM known_cohorts AS k JOIN statement_activities AS x ON x.activity_iri = k.activity_iri "
        f"JOIN statements AS s ON s.seq = x.statement_seq WHERE s.voided = {false} AND s.is_voiding = {false}{only}"
    )
    conn.exec_driver_sql(
        f"INSERT INTO cohort_totals ({', '.join(COLUMNS)}) SELECT activity_iri, agents, day, mode, verb, count(*), "
        f"coalesce(sum(seconds), 0.0), count(seconds), substr(day, 1, 7) FROM ({inner}) AS q WHERE agents IS NOT NULL "
        "GROUP BY activity_iri, agents, day, mode, verb",
        params,
    )
    if months:
        add_months(conn, cohorts)
        add_members(conn, cohorts)
        # One agent's days stay in cohort_member_totals only (add_members put them there from these).
        conn.exec_driver_sql(
            f"DELETE FROM cohort_totals WHERE agents <> '' AND substr(agents, 1, {len(SET_PREFIX)}) <> '{SET_PREFIX}'"
            + only.replace("k.activity_iri", "activity_iri"),
            params,
        )
    # Two or more direct agents: their sets' keys. For every cohort, those statements are found once from the
    # agent rows (the inner query again would look up every statement of every cohort a second time).
    if cohorts is not None:
        shared = conn.exec_driver_sql(
            f"SELECT activity_iri, seq, day, mode, verb, seconds FROM ({inner}) AS q WHERE agents IS NULL", params
        ).all()
    else:
        multi = [seq for (seq,) in conn.exec_driver_sql(
            "SELECT statement_seq FROM statement_agents WHERE direct GROUP BY statement_seq HAVING count(*) >= 2"
        )]
        shared = []
        for start in range(0, len(multi), _CHUNK):
            listed = ", ".join(str(int(seq)) for seq in multi[start : start + _CHUNK])
            shared += conn.exec_driver_sql(
                f"SELECT x.activity_iri, s.seq, {_day_sql(conn)}, coalesce(s.learning_mode, ''), "
                "CASE WHEN s.learning_mode IS NULL THEN s.verb_iri ELSE '' END, s.duration_seconds "
                "FROM statements AS s JOIN statement_activities AS x ON x.statement_seq = s.seq "
                "JOIN known_cohorts AS k ON k.activity_iri = x.activity_iri "
                f"WHERE s.seq IN ({listed}) AND s.voided = {false} AND s.is_voiding = {false}"
            ).all()
    if not shared:
        return
    from lrs.store.models import StatementAgent

    sa = StatementAgent.__table__
    agents: dict[int, list[str]] = {}
    seqs = sorted({row[1] for row in shared})
    for start in range(0, len(seqs), _CHUNK):
        for seq, agent in conn.execute(
            select(sa.c.statement_seq, sa.c.agent_key).where(
                sa.c.statement_seq.in_(seqs[start : start + _CHUNK]), sa.c.direct.is_(True)
            )
        ):
            agents.setdefault(seq, []).append(agent)
    acc = _Acc()
    for iri, seq, day, mode, verb, seconds in shared:
        acc.add((iri,), sorted(agents[seq]), day, mode or None, verb, seconds)
    add(conn, acc, months=months, recent=False)


def add_months(conn: Connection, cohorts: Sequence[str] | None = None) -> None:
    """Fill ``cohort_month_totals`` of these cohorts (all when None), which must have no month rows yet, from
    their rows in ``cohort_totals``: one INSERT ... SELECT, the months and the whole records in key order."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    where, params = "", ()
    if cohorts is not None:
        if not cohorts:
            return
        where, params = f" WHERE activity_iri IN ({', '.join([mark] * len(cohorts))})", tuple(cohorts)
    sums = "sum(statements), sum(seconds), sum(timed)"
    conn.exec_driver_sql(
        f"INSERT INTO cohort_month_totals ({', '.join(MONTH_COLUMNS)}) SELECT * FROM ("
        f"SELECT activity_iri, agents, month, mode, verb_iri, {sums} FROM cohort_totals{where} "
        "GROUP BY activity_iri, agents, month, mode, verb_iri UNION ALL "
        f"SELECT activity_iri, agents, '{ALL_TIME}', mode, verb_iri, {sums} FROM cohort_totals{where} "
        "GROUP BY activity_iri, agents, mode, verb_iri) AS q ORDER BY 1, 2, 3, 4, 5",
        params * 2,
    )


def add_members(conn: Connection, cohorts: Sequence[str] | None = None) -> None:
    """Fill ``cohort_member_totals`` of these cohorts (all when None), which must have no member rows yet, from
    their rows in ``cohort_totals`` (days) and ``cohort_month_totals`` (months and whole records): one INSERT ...
    SELECT in key order, each set's rows under each of its members (taken from its key) and each agent's own
    days (:func:`member_keys`)."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    where, params = "", ()
    if cohorts is not None:
        if not cohorts:
            return
        where, params = f" AND activity_iri IN ({', '.join([mark] * len(cohorts))})", tuple(cohorts)
    sets = f"substr(agents, 1, {len(SET_PREFIX)}) = '{SET_PREFIX}'"
    if postgres:
        each = ("jsonb_array_elements_text(CASE WHEN left(agents, 4) = 'set:' THEN substr(agents, 5)::jsonb "
                "ELSE jsonb_build_array(agents) END) AS w(member)")
        # The CASE as well as the WHERE: the members are never taken from another key, whatever the plan's order.
        of_sets = f"jsonb_array_elements_text(CASE WHEN {sets} THEN substr(agents, 5)::jsonb END) AS w(member)"
    else:
        each = ("json_each(CASE WHEN substr(agents, 1, 4) = 'set:' THEN substr(agents, 5) "
                "ELSE json_array(agents) END) AS w")
        of_sets = f"json_each(CASE WHEN {sets} THEN substr(agents, 5) ELSE '[]' END) AS w"
    member = "w.member" if postgres else "w.value"
    tag = f"CASE WHEN {sets} THEN agents ELSE '' END"
    sums = "statements, seconds, timed"
    conn.exec_driver_sql(
        f"INSERT INTO cohort_member_totals ({', '.join(MEMBER_COLUMNS)}) SELECT * FROM ("
        f"SELECT activity_iri, {member}, '{DAY}', day, mode, verb_iri, {tag}, {sums} FROM cohort_totals, {each} "
        f"WHERE agents <> ''{where} UNION ALL "
        f"SELECT activity_iri, {member}, CASE WHEN month = '{ALL_TIME}' THEN '{WHOLE}' ELSE '{MONTH}' END, month, "
        f"mode, verb_iri, agents, {sums} FROM cohort_month_totals, {of_sets} WHERE {sets}{where}"
        ") AS q ORDER BY 1, 2, 3, 4, 5, 6, 7",
        params * 2,
    )


def rebuild(conn: Connection) -> int:
    """Remake the cohort totals from the stored statements: every cohort with an enrolment is known, and every
    known cohort counted again. Returns the number of rows."""
    conn.execute(CT.delete())
    conn.execute(CM.delete())
    conn.execute(CMT.delete())
    conn.execute(RECENT.delete())
    conn.execute(CS.delete())
    known = set(conn.execute(select(KNOWN.c.activity_iri)).scalars())
    enrolled = set(conn.execute(select(CE.c.cohort).distinct()).scalars())
    if enrolled - known:
        now = datetime.now(UTC)
        conn.execute(insert(KNOWN), [{"activity_iri": c, "known_since": now} for c in sorted(enrolled - known)])
    count(conn)
    return int(conn.execute(select(func.count()).select_from(CT)).scalar() or 0)


# --- reading: a cohort summary ---------------------------------------------------------------------------------


def _learners(cohort: str) -> Any:  # noqa: ANN401
    return and_(CE.c.cohort == cohort, CE.c.role == LEARNER)


def _month(day: date) -> str:
    return day.isoformat()[:7]


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def reading_plan(
    first: date | None, last: date | None
) -> tuple[tuple[str | None, str | None] | None, list[tuple[date, date]]]:
    """How a range of days is read: (the whole months, as the first and last month, None for no bound, or None
    for no whole month), and the edge days (first and last day, within one month each) that are not whole
    months. ``first`` and ``last`` both None is the whole record (month ""), read by the caller."""
    edges: list[tuple[date, date]] = []
    low: str | None = None
    high: str | None = None
    if first is not None:
        if first.day == 1:
            low = _month(first)
        else:
            end = _month_end(first)
            edges.append((first, end if last is None else min(last, end)))
            low = _month(end + timedelta(days=1))
    if last is not None:
        if last == _month_end(last):
            high = _month(last)
        else:
            start = last.replace(day=1)
            high = _month(start - timedelta(days=1))
            if not edges or _month(edges[0][0]) != _month(last):
                edges.append((start, last))
    if low is not None and high is not None and low > high:
        return None, edges
    return (low, high), edges


def _grouped(
    conn: Connection, cohort: str, *, first: date | None, last: date | None, enrolled_only: bool, by_month: bool
) -> list[tuple[Any, ...]]:
    """The cohort's rows per agents key, mode, verb (and ``by_month``: month), the sums last. All time
    reads each key's whole record (month "" of ``cohort_month_totals``); a range reads its whole months there and
    its edge days from ``cohort_totals`` (the edge month's rows of a key, then its days of those in the range:
    seeks on both primary keys). ``enrolled_only``: only the keys with a learner enrolled in the cohort (the
    learners' own and the sets they are in), each sought through the primary key (never the cohort's every row:
    a programme's are every statement naming it)."""
    postgres = conn.dialect.name == "postgresql"
    params: dict[str, Any] = {"cohort": cohort, "learner": LEARNER, "all": ALL_TIME}
    with_keys, keyed = "", ""
    if enrolled_only:
        with_keys = (
            "WITH keys (agent_key) AS MATERIALIZED (SELECT agent_key FROM cohort_enrolments WHERE cohort = :cohort "
            "AND role = :learner UNION SELECT s.agents FROM cohort_enrolments AS e JOIN cohort_agent_sets AS s ON "
            "s.agent_key = e.agent_key WHERE e.cohort = :cohort AND e.role = :learner) "
        )
        # PostgreSQL seeks each key of the array in one index scan; from a join's estimates its planner preferred
        # a hash join against a scan of all of a programme's rows.
        keyed = (" AND m.agents = ANY(ARRAY(SELECT agent_key FROM keys))" if postgres
                 else " AND m.agents IN (SELECT agent_key FROM keys)")
    if postgres:
        # The estimates pass jit_above_cost, and compiling cost more than the query: not for this read.
        conn.exec_driver_sql("SET LOCAL jit = off")
    measures = "m.statements, m.seconds, m.timed"
    # SQLite: the cohort's rows not folded yet, in the range, as rows of their own (the caller adds them up): one
    # seek of the cohort's run.
    recent = "" if postgres else (
        f"SELECT r.agents, r.mode, r.verb_iri, {'substr(r.day, 1, 7)' if by_month else 'NULL'}, r.statements, "
        f"r.seconds, r.timed FROM cohort_recent_totals AS r WHERE r.activity_iri = :cohort"
        f"{_day_bounds(params, first, last)}{keyed.replace('m.agents', 'r.agents')}"
    )
    if first is None and last is None and not by_month:
        rows = conn.execute(text(
            f"{with_keys}SELECT m.agents, m.mode, m.verb_iri, NULL, {measures} FROM cohort_month_totals AS m "
            f"WHERE m.activity_iri = :cohort AND m.month = :all{keyed}" + (f" UNION ALL {recent}" if recent else "")
        ), params)
        return rows.cursor.fetchall()
    months, edges = reading_plan(first, last)
    # The months from the first day's to the last day's, each key's in one seek (its whole months and its edge
    # months side by side); the edge months' rows then lead to their days in the range, through the whole
    # primary key of cohort_totals.
    span = " AND m.month > :all"
    if first is not None:
        span = " AND m.month >= :first_month"
        params["first_month"] = _month(first)
    if last is not None:
        span += " AND m.month <= :last_month"
        params["last_month"] = _month(last)
    with_keys = (with_keys + ", " if with_keys else "WITH ") + (
        f"spanned AS {'MATERIALIZED ' if edges else ''}(SELECT m.agents, m.mode, m.verb_iri, m.month, {measures} "
        f"FROM cohort_month_totals AS m WHERE m.activity_iri = :cohort{span}{keyed}) "
    )
    parts = []
    if months is not None:
        bounds = []
        if months[0] is not None:
            bounds.append("month >= :low")
            params["low"] = months[0]
        if months[1] is not None:
            bounds.append("month <= :high")
            params["high"] = months[1]
        # The month rows as they are (one per key, mode, verb and month: grouping them cost SQLite a sort of
        # every row, more than the caller's adding up).
        parts.append(
            f"SELECT agents, mode, verb_iri, {'month' if by_month else 'NULL'}, statements, seconds, timed "
            f"FROM spanned{' WHERE ' + ' AND '.join(bounds) if bounds else ''}"
        )
    # cohort_totals holds the days of sets and of no agent only: one agent's month rows seek nothing there.
    shared_key = f"(e.agents = '' OR substr(e.agents, 1, {len(SET_PREFIX)}) = '{SET_PREFIX}')"
    for k, (start, end) in enumerate(edges):
        params[f"edge{k}"], params[f"from{k}"], params[f"to{k}"] = _month(start), start.isoformat(), end.isoformat()
        # CROSS JOIN: SQLite keeps the month rows outside (from its estimates it preferred every day row of a key).
        parts.append(
            f"SELECT d.agents, d.mode, d.verb_iri, {'d.month' if by_month else 'NULL'}, sum(d.statements), "
            "sum(d.seconds), sum(d.timed) FROM spanned AS e CROSS JOIN cohort_totals AS d "
            f"WHERE e.month = :edge{k} AND {shared_key} AND d.activity_iri = :cohort AND d.agents = e.agents "
            "AND d.mode = e.mode "
            f"AND d.verb_iri = e.verb_iri AND d.month = e.month AND d.day >= :from{k} AND d.day <= :to{k} "
            "GROUP BY d.agents, d.mode, d.verb_iri, d.month"
        )
        # One agent's days are in cohort_member_totals (its own, agents ""): a seek per agent with a row in the
        # edge month.
        params["own_day"] = DAY
        parts.append(
            f"SELECT d.agent_key, d.mode, d.verb_iri, {f'CAST(:edge{k} AS VARCHAR)' if by_month else 'NULL'}, "
            "sum(d.statements), sum(d.seconds), sum(d.timed) FROM (SELECT DISTINCT agents FROM spanned "
            f"WHERE month = :edge{k} AND agents <> '' AND substr(agents, 1, {len(SET_PREFIX)}) <> '{SET_PREFIX}') AS e "
            "CROSS JOIN cohort_member_totals AS d WHERE d.activity_iri = :cohort AND d.agent_key = e.agents "
            f"AND d.grain = :own_day AND d.period >= :from{k} AND d.period <= :to{k} AND d.agents = '' "
            "GROUP BY d.agent_key, d.mode, d.verb_iri"
        )
    if recent:
        parts.append(recent)
    if not parts:
        return []
    rows = conn.execute(text(with_keys + " UNION ALL ".join(parts)), params)
    # The driver's rows as they come (thousands for a programme: SQLAlchemy's Row objects cost more than the SQL).
    return rows.cursor.fetchall()


def _day_bounds(params: dict[str, Any], first: date | None, last: date | None) -> str:
    """The conditions on ``r.day`` of a range of days (its parameters put in ``params``)."""
    bounds = ""
    if first is not None:
        bounds += " AND r.day >= :first_day"
        params["first_day"] = first.isoformat()
    if last is not None:
        bounds += " AND r.day <= :last_day"
        params["last_day"] = last.isoformat()
    return bounds


def totals_by_agents(
    conn: Connection, cohort: str, *, first: date | None, last: date | None, enrolled_only: bool, by_month: bool = False
) -> list[tuple[str, str, str, str | None, int, float, int]]:
    """The cohort's rows per ``agents`` key, mode, verb of the unclassified (and ``by_month``, month): (agents,
    mode, verb, month or None, statements, seconds, timed), in no particular order and not added up (a key,
    mode and verb has a row per month, and an edge month's days are a row of their own): the caller adds them
    up, giving each member of a key its rows (:func:`members`); the rows of all keys together count each
    statement once. ``enrolled_only``: the keys with a learner enrolled in the cohort (each statement with one
    among its direct agents, once). One query for every block of a summary."""
    # Both drivers give the sums as int and float already (statements and timed are integers, seconds a float).
    return _grouped(conn, cohort, first=first, last=last, enrolled_only=enrolled_only, by_month=by_month)


def totals_by_members(
    conn: Connection, cohort: str, *, first: date | None, last: date | None, by_month: bool = False
) -> list[tuple[str, str, str, str, str | None, int, float, int]]:
    """The rows of the cohort's enrolled learners: (learner, "" for the learner's own rows or the set's key for
    a set's, mode, verb of the unclassified, month (``by_month``) or None, statements, seconds, timed), in no
    particular order and not added up. All time reads each learner's whole record; a range its whole months and
    its edge days (:func:`reading_plan`), so every range is exact to the day. One query, a seek per learner
    and part: their own whole record or months from ``cohort_month_totals`` (under their key), their sets'
    from ``cohort_member_totals``, and from there the edge days, their own and their sets'. A set's rows come
    under each of its enrolled members: the caller counts them once in the cohort's totals (under one member)
    and under each member in their blocks."""
    postgres = conn.dialect.name == "postgresql"
    params: dict[str, Any] = {"cohort": cohort, "learner": LEARNER}
    enrolled = "SELECT agent_key FROM cohort_enrolments WHERE cohort = :cohort AND role = :learner"

    def keyed(column: str) -> str:
        # PostgreSQL seeks each learner of the array in one index scan (from a join's estimates its planner
        # preferred a scan of all of a programme's rows); SQLite seeks each value of the IN list.
        return f"{column} = ANY(ARRAY({enrolled}))" if postgres else f"{column} IN ({enrolled})"

    if postgres:
        # The estimates pass jit_above_cost, and compiling cost more than the query: not for this read.
        conn.exec_driver_sql("SET LOCAL jit = off")
    own = "SELECT o.agents, '', o.mode, o.verb_iri, {month}, o.statements, o.seconds, o.timed " \
          "FROM cohort_month_totals AS o WHERE o.activity_iri = :cohort AND " + keyed("o.agents")
    of_members = "SELECT m.agent_key, m.agents, m.mode, m.verb_iri, {month}, m.statements, m.seconds, m.timed " \
                 "FROM cohort_member_totals AS m WHERE m.activity_iri = :cohort AND " + keyed("m.agent_key") + \
                 " AND m.grain = {grain}"
    parts = []
    if not postgres:
        # The cohort's rows not folded yet, in one seek of its run each: a learner's own, and their sets' under
        # them. "+" keeps SQLite from seeking every set's members once per enrolled learner (~40 ms with ~5,000
        # rows waiting for a programme of 500): a set's few members are sought, then matched against the list.
        measures = f"r.mode, r.verb_iri, {'substr(r.day, 1, 7)' if by_month else 'NULL'}, r.statements, r.seconds, r.timed"
        bounds = _day_bounds(params, first, last)
        parts.append(
            f"SELECT r.agents, '', {measures} FROM cohort_recent_totals AS r "
            f"WHERE r.activity_iri = :cohort{bounds} AND {keyed('r.agents')}"
        )
        parts.append(
            f"SELECT s.agent_key, r.agents, {measures} FROM cohort_recent_totals AS r JOIN cohort_agent_sets AS s "
            f"ON s.agents = r.agents WHERE r.activity_iri = :cohort{bounds} AND substr(r.agents, 1, 4) = '{SET_PREFIX}' "
            f"AND {keyed('+s.agent_key')}"
        )
    if first is None and last is None and not by_month:
        params["whole"], params["all"] = WHOLE, ALL_TIME
        parts.append(own.format(month="NULL") + " AND o.month = :all")
        parts.append(of_members.format(month="NULL", grain=":whole"))
    else:
        months, edges = reading_plan(first, last)
        if months is not None:
            params["month"], params["all"] = MONTH, ALL_TIME
            own_part = own.format(month="o.month" if by_month else "NULL")
            part = of_members.format(month="m.period" if by_month else "NULL", grain=":month")
            if months[0] is not None:
                # Only this bound: with "> :all" beside it SQLite sought from the first month of each learner.
                own_part += " AND o.month >= :low"
                part += " AND m.period >= :low"
                params["low"] = months[0]
            else:
                own_part += " AND o.month > :all"
            if months[1] is not None:
                own_part += " AND o.month <= :high"
                part += " AND m.period <= :high"
                params["high"] = months[1]
            parts += [own_part, part]
        for k, (start, end) in enumerate(edges):
            params["day"], params[f"from{k}"], params[f"to{k}"] = DAY, start.isoformat(), end.isoformat()
            parts.append(
                of_members.format(month="substr(m.period, 1, 7)" if by_month else "NULL", grain=":day")
                + f" AND m.period >= :from{k} AND m.period <= :to{k}"
            )
    if not parts:
        return []
    rows = conn.execute(text(" UNION ALL ".join(parts)), params)
    # The driver's rows as they come (thousands for a programme: SQLAlchemy's Row objects cost more than the SQL).
    return rows.cursor.fetchall()


def enrolled_learners(conn: Connection, cohort: str) -> set[str]:
    return set(conn.execute(select(CE.c.agent_key).where(_learners(cohort))).scalars())


def in_database_order(conn: Connection, strings: Sequence[str]) -> list[str]:
    """``strings`` in the order the database's ORDER BY gives text (its collation), for ties that must come out
    as a query ordering them would give them."""
    if len(strings) < 2:
        return list(strings)
    if conn.dialect.name == "postgresql":
        sql = "SELECT x FROM jsonb_array_elements_text(%s::jsonb) AS x ORDER BY x"
    else:
        sql = "SELECT value FROM json_each(?) ORDER BY value"
    return [row[0] for row in conn.exec_driver_sql(sql, (json.dumps(list(strings)),))]
