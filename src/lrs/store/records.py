"""A learner's record: the statements an export or an evidence view reads."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, String, Text, select, union

from lrs.store.models import Statement, StatementActivity, StatementAgent

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__


def learner_statements(
    conn: Connection,
    agent_key: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20000,
) -> list[tuple[dict[str, Any], str | None]]:
    """(statement, learning mode) for every statement the agent is the actor or object of, not voided and not
    voiding, oldest timestamp first. ``since``/``until`` bound the statement's timestamp (inclusive)."""
    # Driven from the agent rows' (agent, direct, timestamp, seq) index: the period is one range of it, in the
    # order wanted; only the statements in it are read (an EXISTS here made SQLite walk the whole statements
    # table in timestamp order). statement_agents.timestamp is the statement's own.
    rows = conn.execute(
        select(S.c.payload, S.c.learning_mode)
        .join(SA, SA.c.statement_seq == S.c.seq)
        .where(SA.c.agent_key == agent_key, SA.c.direct.is_(True), *_window(since, until),
               S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .order_by(SA.c.timestamp, SA.c.statement_seq)
        .limit(limit)
    ).all()
    return [(r.payload, r.learning_mode) for r in rows]


def learners_statements(
    conn: Connection,
    agent_keys: list[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    any_time_verbs: list[str] | None = None,
    limit: int = 20000,
    skip_idle: bool = False,
) -> dict[str, list[tuple[dict[str, Any], str | None]]]:
    """:func:`learner_statements` for many learners at once: agent key -> (statement, learning mode), in the same
    order (oldest timestamp first), at most ``limit`` each. A statement about two of them is under both.
    ``any_time_verbs``: statements with these verbs are included whatever their timestamp. ``skip_idle``: only
    the learners with a statement of the period come back (the others' any-time statements are not read), for
    a reader to whom a learner with nothing in the period is one with nothing at all (a CPD year's readiness)."""
    if not agent_keys:
        return {}
    if (since is not None or until is not None) and any_time_verbs and skip_idle:
        return _active_learners_statements(conn, agent_keys, since, until, sorted(set(any_time_verbs)), limit)
    keys = sorted(set(agent_keys))
    learners = [SA.c.agent_key.in_(keys), SA.c.direct.is_(True)]
    window = _window(since, until)
    kept = [S.c.voided.is_(False), S.c.is_voiding.is_(False)]
    # The payload as its stored text, decoded here (_decoded: the same values as the JSON type's json.loads).
    payload = S.c.payload.cast(Text).label("payload")
    if window and any_time_verbs:
        # The learners' rows of the period (a range of the time index each), and of their rows those of the
        # statements with these verbs (the seqs of the verbs from the verb index), once each; then only those
        # statements are read. SQLite, which plans without statistics, would probe the agents' index once per
        # learner and seq of the verbs (as many as the store has): "+ 0" makes it look each of the learners'
        # index rows up in the set of seqs instead. PostgreSQL picks by its statistics (few such statements: from
        # the verbs' seqs to their agent rows).
        seq = SA.c.statement_seq + 0 if conn.dialect.name == "sqlite" else SA.c.statement_seq
        with_verbs = select(S.c.seq).where(S.c.verb_iri.in_(sorted(set(any_time_verbs))))
        picked = union(
            select(SA.c.agent_key, SA.c.statement_seq).where(*learners, *window),
            select(SA.c.agent_key, SA.c.statement_seq).where(*learners, seq.in_(with_verbs)),
        ).subquery("picked")
        query = (
            select(picked.c.agent_key, payload, S.c.learning_mode)
            .join(S, S.c.seq == picked.c.statement_seq)
            .where(*kept)
            .order_by(S.c.timestamp, S.c.seq)
        )
    else:
        query = (
            select(SA.c.agent_key, payload, S.c.learning_mode)
            .join(SA, SA.c.statement_seq == S.c.seq)
            .where(*learners, *window, *kept)
            .order_by(SA.c.timestamp, SA.c.statement_seq)
        )
    found: dict[str, list[tuple[dict[str, Any], str | None]]] = {key: [] for key in agent_keys}
    for agent_key, text, mode in conn.execute(query):
        mine = found[agent_key]
        if len(mine) < limit:
            mine.append((_decoded(text), mode))
    return {key: rows for key, rows in found.items() if rows} if skip_idle else found


#: Up to this many statements with the any-time verbs in the whole store are read from the verbs' index (their
#: agent rows by key, the learners picked out in Python); with more, each active learner's agent rows are
#: looked up in the set of them instead (see _active_learners_statements).
FEW_ANY_TIME = 1000

# The SQL of _active_learners_statements, read through the driver (SQLAlchemy's compiling and its rendering of
# a parameter per key cost more of the client's time than the rest of the read). {keys}: a set of values given
# as one JSON array parameter (_in_json); {kept}: the statements neither voided nor voiding; {pg_text}: the
# payload as its stored text (decoded by _decoded).
_PERIOD_SQL = (
    "SELECT a.agent_key, s.payload{pg_text}, s.learning_mode FROM statement_agents AS a "
    "JOIN statements AS s ON s.seq = a.statement_seq "
    "WHERE a.agent_key {keys} AND a.direct = {true}{window} AND {kept} "
    "ORDER BY a.timestamp, a.statement_seq"
)
# The any-time statements' agent rows outside the period, from the verbs' index (few of them): a statement's
# agent rows by its key, at most FEW_ANY_TIME + 1 statements' worth; the learners are picked out in Python.
_ANY_TIME_ROWS_SQL = (
    "SELECT a.agent_key, a.statement_seq FROM statement_agents AS a "
    "WHERE a.statement_seq {seqs} AND a.direct = {true} AND ({outside})"
)
_VERB_SEQS_SQL = "SELECT seq FROM statements WHERE verb_iri {verbs} LIMIT {limit}"
# Many: each active learner's agent rows outside the period, looked up in the set of the verbs' statements. On
# SQLite "+ 0" (otherwise it probes the agents' index once per learner and statement); PostgreSQL plans it by its
# statistics, the verbs written into the SQL as literals so that even a generic plan knows how many there are.
_ANY_TIME_MANY_SQL = (
    "SELECT a.agent_key, a.statement_seq FROM statement_agents AS a "
    "WHERE a.agent_key {keys} AND a.direct = {true} AND ({outside}) "
    "AND a.statement_seq{plus_0} IN (SELECT seq FROM statements WHERE verb_iri {many_verbs})"
)
# The payloads of those that are the active learners', and whether each is before the period (else after it).
_BY_SEQ_SQL = (
    "SELECT s.seq, s.payload{pg_text}, s.learning_mode, {early} FROM statements AS s "
    "WHERE s.seq {seqs} AND {kept} ORDER BY s.timestamp, s.seq"
)


def _in_json(postgres: bool, pg_type: str = "text") -> str:
    """``IN`` a set given as one JSON array parameter: PostgreSQL's array of it is an init plan (its size is not
    planned for, so a generic plan is as good as a custom one, and no per-value estimate is made), SQLite's a
    table of json_each."""
    if postgres:
        return f"= ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)::{pg_type}))"
    return "IN (SELECT value FROM json_each(?))"


def _active_learners_statements(
    conn: Connection, agent_keys: list[str], since: datetime | None, until: datetime | None, verbs: list[str],
    limit: int,
) -> dict[str, list[tuple[dict[str, Any], str | None]]]:
    """:func:`learners_statements` with ``skip_idle``: the period's statements of the learners (a range of the
    time index each: a learner with nothing in it costs one empty range), then, for only the learners found in
    it, their statements with ``verbs`` from outside the period (so the two parts never give one twice): the
    verbs' statements' agent rows (few: from the verbs' index; many: each active learner's rows looked up in
    their set), then the payloads of those that are the active learners'. Two to three statements, each planned
    the same way on both databases; read through the driver."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    stamp = SA.c.timestamp.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) or (lambda v: v)
    window, outside, bounds = [], [], []
    if since is not None:
        window.append(f" AND a.timestamp >= {mark}")
        outside.append(f"a.timestamp < {mark}")
        bounds.append(stamp(since))
    if until is not None:
        window.append(f" AND a.timestamp <= {mark}")
        outside.append(f"a.timestamp > {mark}")
        bounds.append(stamp(until))
    parts = {
        "pg_text": "::text" if postgres else "",
        "true": "true" if postgres else "1",
        "kept": "s.voided = false AND s.is_voiding = false" if postgres else "s.voided = 0 AND s.is_voiding = 0",
        "window": "".join(window),
        "outside": " OR ".join(outside),
        "keys": _in_json(postgres),
        "seqs": _in_json(postgres, "bigint"),
        "verbs": _in_json(postgres),
    }
    run = conn.exec_driver_sql
    period = run(_PERIOD_SQL.format(**parts), (_json_list(sorted(set(agent_keys))), *bounds)).fetchall()
    found: dict[str, list[tuple[dict[str, Any], str | None]]] = {}
    for agent_key, _, _ in period:
        found.setdefault(agent_key, [])
    if not found:
        return {}
    # The active learners' statements with the verbs, from outside the period: before it, or after it.
    seqs = [seq for (seq,) in run(_VERB_SEQS_SQL.format(**parts, limit=FEW_ANY_TIME + 1), (_json_list(verbs),))]
    if not seqs:
        rows: list[Any] = []
    elif len(seqs) <= FEW_ANY_TIME:
        rows = run(_ANY_TIME_ROWS_SQL.format(**parts), (_json_list(seqs), *bounds)).fetchall()
    elif postgres:
        literal = String().literal_processor(conn.dialect)
        many = _ANY_TIME_MANY_SQL.format(**parts, plus_0="", many_verbs=f"IN ({', '.join(map(literal, verbs))})")
        rows = run(many, (_json_list(sorted(found)), *bounds)).fetchall()
    else:
        many = _ANY_TIME_MANY_SQL.format(**parts, plus_0=" + 0", many_verbs=parts["verbs"])
        rows = run(many, (_json_list(sorted(found)), *bounds, _json_list(verbs))).fetchall()
    learners_of: dict[int, list[str]] = {}
    for agent_key, seq in rows:
        if agent_key in found:
            learners_of.setdefault(seq, []).append(agent_key)
    late: list[tuple[str, dict[str, Any], str | None]] = []
    if learners_of:
        early = (f"s.timestamp < {mark}", [stamp(since)]) if since is not None else ("0 = 1", [])
        query = _BY_SEQ_SQL.format(**parts, early=early[0])
        for seq, text, mode, before in run(query, (*early[1], _json_list(sorted(learners_of)))):
            for agent_key in learners_of[seq]:
                if before:
                    found[agent_key].append((_decoded(text), mode))
                else:
                    late.append((agent_key, _decoded(text), mode))
    for agent_key, text, mode in period:
        found[agent_key].append((_decoded(text), mode))
    for agent_key, statement, mode in late:
        found[agent_key].append((statement, mode))
    if any(len(mine) > limit for mine in found.values()):
        found = {key: mine[:limit] for key, mine in found.items()}
    return found


def _json_list(values: list[Any]) -> str:
    return orjson.dumps(values).decode()


# Every digit "0", everything else a space: a run of 19 digits is then "0" * 19 (an integer orjson may read
# otherwise than json: one beyond 64 bits as a float).
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19


def _decoded(text: str) -> dict[str, Any]:
    """A stored payload's JSON text as ``json.loads`` gives it, read with orjson (about three times faster: a
    cohort's readiness decodes hundreds) where orjson gives the same value: not for an integer of 19 digits or
    more (orjson reads one beyond 64 bits as a float), nor for what orjson refuses (a lone surrogate, NaN)."""
    try:
        raw = text.encode()
        if _LONG_NUMBER not in raw.translate(_DIGITS_ONLY):
            return orjson.loads(raw)
    except (UnicodeEncodeError, orjson.JSONDecodeError):  # a lone surrogate in the text; what orjson refuses
        pass
    return json.loads(text)


def copy_agent_timestamps(conn: Connection) -> int:
    """Give every statement_agents row its statement's timestamp again where it differs (the write path copies it
    with the row, and a statement's timestamp never changes: this is the rebuild of the copy, for a store written
    to by other means). Set-based; returns the rows corrected."""
    own = select(S.c.timestamp).where(S.c.seq == SA.c.statement_seq).scalar_subquery()
    return conn.execute(SA.update().where(SA.c.timestamp != own).values(timestamp=own)).rowcount or 0


def _window(since: datetime | None, until: datetime | None) -> list[Any]:
    """The bounds of a period (inclusive) on the agent rows' copy of their statement's timestamp."""
    window = []
    if since is not None:
        window.append(SA.c.timestamp >= since)
    if until is not None:
        window.append(SA.c.timestamp <= until)
    return window


def agents_with_statements(
    conn: Connection,
    agent_keys: list[str],
    *,
    first_day: str | None = None,
    last_day: str | None = None,
    any_time_verbs: list[str] | None = None,
) -> set[str]:
    """The agents of ``agent_keys`` that :func:`learners_statements` would give any statement for the UTC days
    ``first_day`` to ``last_day`` ("YYYY-MM-DD", inclusive; None: open) and ``any_time_verbs``, without reading
    the statements: their days in ``learning_totals`` (the same statements: not voided, not voiding, per direct
    agent and UTC day of the timestamp), and the few statements with those verbs through the verb index."""
    from lrs.store.learning import T

    keys = sorted(set(agent_keys))
    if not keys:
        return set()
    days = [T.c.agent_key.in_(keys)]
    if first_day is not None:
        days.append(T.c.day >= first_day)
    if last_day is not None:
        days.append(T.c.day <= last_day)
    found = set(conn.execute(select(T.c.agent_key).where(*days).distinct()).scalars())
    rest = set(keys) - found
    if rest and any_time_verbs:
        # Driven from the verb index (these verbs are rare: a CPD selection, say), not from the learners' every
        # statement: the learners are picked out of the few rows here.
        found |= rest & set(conn.execute(
            select(SA.c.agent_key)
            .select_from(S.join(SA, SA.c.statement_seq == S.c.seq))
            .where(S.c.verb_iri.in_(sorted(set(any_time_verbs))), S.c.voided.is_(False), S.c.is_voiding.is_(False),
                   SA.c.direct.is_(True))
            .distinct()
        ).scalars())
    return found


def statements_with_agents(
    conn: Connection, ids: list[str]
) -> dict[str, tuple[dict[str, Any], set[str], str | None]]:
    """For each id that names a stored statement (not voided, not voiding): the statement, the keys of the
    agents it is directly about (actor or object) and its learning mode."""
    if not ids:
        return {}
    rows = conn.execute(
        select(S.c.id, S.c.payload, S.c.learning_mode, SA.c.agent_key)
        .join(SA, SA.c.statement_seq == S.c.seq)
        .where(S.c.id.in_(ids), SA.c.direct.is_(True), S.c.voided.is_(False), S.c.is_voiding.is_(False))
    ).all()
    found: dict[str, tuple[dict[str, Any], set[str], str | None]] = {}
    for row in rows:
        found.setdefault(row.id, (row.payload, set(), row.learning_mode))[1].add(row.agent_key)
    return found


def learner_timeline(
    conn: Connection,
    agent_key: str,
    *,
    journal_verb: str,
    mode: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    journal: bool | None = None,
    offset: int = 0,
    limit: int = 20,
) -> list[tuple[dict[str, Any], str | None]]:
    """One page of the learner's statements (actor or object; not voided, not voiding), newest first.
    ``mode``: a learning mode, or "unclassified" for none; ``journal``: True for the learner's own entries
    (``journal_verb``), False for everything else; ``since``/``until`` bound the timestamp (until exclusive)."""
    conds = [
        SA.c.agent_key == agent_key,
        SA.c.direct.is_(True),
        S.c.voided.is_(False),
        S.c.is_voiding.is_(False),
    ]
    if mode == "unclassified":
        conds.append(S.c.learning_mode.is_(None))
    elif mode:
        conds.append(S.c.learning_mode == mode)
    if since is not None:
        conds.append(S.c.timestamp >= since)
    if until is not None:
        conds.append(S.c.timestamp < until)
    if journal is True:
        conds.append(S.c.verb_iri == journal_verb)
    elif journal is False:
        conds.append(S.c.verb_iri != journal_verb)
    rows = conn.execute(
        select(S.c.payload, S.c.learning_mode)
        .join(SA, SA.c.statement_seq == S.c.seq)
        .where(*conds)
        .order_by(S.c.timestamp.desc(), S.c.seq.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(r.payload, r.learning_mode) for r in rows]


def journal_entries_about(
    conn: Connection, agent_key: str, activity_iris: list[str], *, journal_verb: str
) -> list[dict[str, Any]]:
    """The learner's own journal statements (``journal_verb``) whose object is one of ``activity_iris``: the
    reflections a timeline shows under the events they reflect on. One indexed query for a whole page."""
    if not activity_iris:
        return []
    rows = conn.execute(
        select(S.c.payload)
        .join(SACT, SACT.c.statement_seq == S.c.seq)
        .join(SA, SA.c.statement_seq == S.c.seq)
        .where(
            SA.c.agent_key == agent_key,
            SA.c.direct.is_(True),
            SACT.c.activity_iri.in_(activity_iris),
            SACT.c.direct.is_(True),
            S.c.verb_iri == journal_verb,
            S.c.voided.is_(False),
        )
        .order_by(S.c.timestamp, S.c.seq)
    ).all()
    return [r.payload for r in rows]
