"""A learner's record: the statements an export or an evidence view reads."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Text, bindparam, literal, not_, or_, select, union, union_all

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
    """:func:`learner_statements` for many learners in one query: agent key -> (statement, learning mode), in the
    same order (oldest timestamp first), at most ``limit`` each. A statement about two of them is under both.
    ``any_time_verbs``: statements with these verbs are included whatever their timestamp. ``skip_idle``: only
    the learners with a statement of the period come back (the others' any-time statements are not read), for
    a reader to whom a learner with nothing in the period is one with nothing at all (a CPD year's readiness)."""
    if not agent_keys:
        return {}
    keys = sorted(set(agent_keys))
    learners = [SA.c.agent_key.in_(keys), SA.c.direct.is_(True)]
    window = _window(since, until)
    kept = [S.c.voided.is_(False), S.c.is_voiding.is_(False)]
    # The payload as its stored text, decoded here (_decoded: the same values as the JSON type's json.loads).
    payload = S.c.payload.cast(Text).label("payload")
    if window and any_time_verbs and skip_idle:
        return _active_learners_statements(conn, agent_keys, window, sorted(set(any_time_verbs)), limit, payload)
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


#: On SQLite, up to this many statements with the any-time verbs in the whole store are read from the verbs'
#: index (a probe of the agent rows' key per statement); with more, each active learner's agent rows are
#: looked up in the set of them instead (see _active_learners_statements).
FEW_ANY_TIME = 1000


def _active_learners_statements(
    conn: Connection, agent_keys: list[str], window: list[Any], verbs: list[str], limit: int,
    payload: Any,  # noqa: ANN401
) -> dict[str, list[tuple[dict[str, Any], str | None]]]:
    """:func:`learners_statements` with ``skip_idle``: the period's statements of the learners (a range of the
    time index each: a learner with nothing in it costs one empty range), then, for only the learners found in
    it, their statements with ``verbs`` from outside the period (so the two parts never give one twice). One
    statement; the period's part is worked out once (a CTE used twice is materialised on both databases)."""
    # The keys as one expanding parameter (not 500 literals, each coerced). Not a PostgreSQL array (= ANY): psycopg
    # prepares a statement run five times, and PostgreSQL's generic plan for an array of unknown size tripled the
    # read's time (28 -> 80 ms p50, quiet machine).
    keys = bindparam("agent_keys", sorted(set(agent_keys)), expanding=True)
    period = select(SA.c.agent_key, SA.c.statement_seq).where(
        SA.c.agent_key.in_(keys), SA.c.direct.is_(True), *window).cte("period")
    outside = or_(*(not_(bound) for bound in window))
    kept = [S.c.voided.is_(False), S.c.is_voiding.is_(False)]
    with_verbs = select(S.c.seq).where(S.c.verb_iri.in_(verbs))
    active = SA.c.agent_key.in_(select(period.c.agent_key))
    if conn.dialect.name == "sqlite":
        # SQLite plans without statistics. When the store has few statements with these verbs (CPD selections:
        # tens), they are read from the verbs' index and each one's agent rows by their key (statement_seq
        # first), the learner checked in the set of active ones ("|| ''" keeps SQLite from probing the agents'
        # index per active learner instead). With many, each active learner's agent rows are looked up in the
        # set of those statements ("+ 0": not the agents' index probed once per learner and statement).
        seqs = conn.execute(with_verbs.limit(FEW_ANY_TIME + 1)).scalars().all()
        if len(seqs) <= FEW_ANY_TIME:
            picked = [SA.c.statement_seq.in_(seqs), SA.c.agent_key.concat("").in_(select(period.c.agent_key))]
        else:
            picked = [active, (SA.c.statement_seq + 0).in_(with_verbs)]
    else:  # PostgreSQL picks by its statistics (few such statements: from the verbs' index to their agent rows)
        picked = [active, SA.c.statement_seq.in_(with_verbs)]
    in_period = (
        select(period.c.agent_key, literal(True).label("in_period"), payload, S.c.learning_mode, S.c.timestamp, S.c.seq)
        .join(S, S.c.seq == period.c.statement_seq)
        .where(*kept)
    )
    any_time = (
        select(SA.c.agent_key, literal(False).label("in_period"), payload, S.c.learning_mode, S.c.timestamp, S.c.seq)
        .join(S, S.c.seq == SA.c.statement_seq)
        .where(*picked, SA.c.direct.is_(True), outside, *kept)
    )
    both = union_all(in_period, any_time).subquery("both")
    rows = conn.execute(
        select(both.c.agent_key, both.c.in_period, both.c.payload, both.c.learning_mode)
        .order_by(both.c.timestamp, both.c.seq)
    ).all()
    found_in_period = {row.agent_key for row in rows if row.in_period}
    found: dict[str, list[tuple[dict[str, Any], str | None]]] = {
        key: [] for key in agent_keys if key in found_in_period}
    for agent_key, _, text, mode in rows:
        mine = found.get(agent_key)
        if mine is not None and len(mine) < limit:
            mine.append((_decoded(text), mode))
    return found


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
