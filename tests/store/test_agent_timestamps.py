"""statement_agents.timestamp, the statement's timestamp copied into its agent rows (migration 0023): every writer
fills it with the statement's own (both insert paths and PostgreSQL's one-statement path, pseudonymisation), the
migration's set-based fill gives the rows the write path makes, and a learner's statements of a period read
through it (lrs.store.records.learners_statements, learner_statements) are exactly what the reading from the
statements' own timestamps gives: across voiding, any-time verbs, the period's edges (timestamps with zone
offsets, stored in UTC), pseudonymisation and retention deletes. Both databases."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

from alembic import command
from conftest import statement
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import and_, inspect, or_, select

from lrs.config import Settings
from lrs.services import erasure, retention
from lrs.services.statements import LRS
from lrs.store import records
from lrs.store.db import Database
from lrs.store.migrate import alembic_config, upgrade
from lrs.store.models import Statement, StatementAgent
from lrs.store.records import learner_statements, learners_statements

S = Statement.__table__
SA = StatementAgent.__table__

JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"
KIM = "mailto:kim@la.example"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
SELECTED = "https://lrs.example/verbs/selected-for-cpd"
REFLECTED = "https://lrs.example/verbs/reflected"

#: The registration year of the tests: 1 December 2025 to 30 November 2026 (UTC).
SINCE = datetime(2025, 12, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)


def _agent(mbox: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": mbox}


def _st(mbox: str, when: str, verb: str = ATTENDED, **more: Any) -> dict[str, Any]:
    return statement(id=str(uuid.uuid4()), actor=_agent(mbox), timestamp=when, verb={"id": verb}, **more)


def _statements() -> list[list[dict[str, Any]]]:
    """Batches: each learner's statements around the year's edges, several with zone offsets (the instant in
    UTC decides), an any-time verb outside the year, statements about two learners, a group."""
    edges = [
        "2025-11-30T23:59:59.999Z",  # just before
        "2025-12-01T00:00:00Z",  # the first instant
        "2025-12-01T01:30:00+02:00",  # 2025-11-30T23:30Z: before
        "2025-11-30T23:30:00-01:00",  # 2025-12-01T00:30Z: in
        "2026-06-15T12:00:00+05:30",
        "2026-11-30T23:59:59.999Z",  # the last millisecond
        "2026-11-30T23:59:59.999-01:00",  # 2026-12-01T00:59:59.999Z: after
        "2026-12-01T00:00:00+01:00",  # 2026-11-30T23:00Z: in
        "2026-12-01T00:00:00Z",  # just after
    ]
    jo = [_st(JO, when) for when in edges]
    sam = [_st(SAM, when) for when in edges[::2]]
    any_time = [_st(JO, "2024-03-01T10:00:00Z", SELECTED), _st(SAM, "2027-01-01T00:00:00+09:00", SELECTED),
                _st(JO, "2026-02-01T10:00:00Z", SELECTED)]
    # Jo as actor, Sam as the object: about both. The same instant as another of Jo's: the seq decides the order.
    both = [_st(JO, "2026-06-15T06:30:00Z", REFLECTED, object=_agent(SAM))]
    group = [statement(id=str(uuid.uuid4()), timestamp="2026-03-03T03:03:03.333+03:00",
                       actor={"objectType": "Group", "name": "cohort", "member": [_agent(JO), _agent(KIM)]})]
    kim = [_st(KIM, "2026-01-01T00:00:00Z")]
    return [jo, sam, any_time, both, group, kim]


def _voids(ids: list[str]) -> list[dict[str, Any]]:
    return [statement(id=str(uuid.uuid4()), actor=_agent(JO), verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                      object={"objectType": "StatementRef", "id": i}) for i in ids]


def _store(lrs: LRS) -> list[list[dict[str, Any]]]:
    op = lrs.operator_principal()
    batches = _statements()
    for batch in batches:
        lrs.store_statements(batch, op, "1.0.3")
    singles = _statements()[0][3:5]  # 2025-12-01T00:30Z and June 2026, one at a time
    for one in singles:  # (PostgreSQL: the one-statement path)
        lrs.store_statements([one], op, "1.0.3")
    # Void one in the year and the any-time one in the year (through insert_statements).
    lrs.store_statements(_voids([batches[0][4]["id"], batches[2][2]["id"]]), op, "1.0.3")
    return [*batches, singles]


def _keys(lrs: LRS) -> list[str]:
    with lrs.db.read() as conn:
        return sorted(conn.execute(select(SA.c.agent_key).distinct()).scalars())


def _from_statements(conn: Any, keys: list[str], since: datetime | None, until: datetime | None,  # noqa: ANN401
                     any_time_verbs: list[str] | None, limit: int = 20000) -> dict[str, list[Any]]:
    """The reading from the statements' own timestamps (the read before 0023), as the reference."""
    conds = [SA.c.agent_key.in_(keys), SA.c.direct.is_(True), S.c.voided.is_(False), S.c.is_voiding.is_(False)]
    window = ([S.c.timestamp >= since] if since else []) + ([S.c.timestamp <= until] if until else [])
    if window and any_time_verbs:
        conds.append(or_(and_(*window), S.c.verb_iri.in_(any_time_verbs)))
    else:
        conds += window
    found: dict[str, list[Any]] = {key: [] for key in keys}
    for row in conn.execute(select(SA.c.agent_key, S.c.payload, S.c.learning_mode)
                            .join(SA, SA.c.statement_seq == S.c.seq).where(*conds).order_by(S.c.timestamp, S.c.seq)):
        if len(found[row.agent_key]) < limit:
            found[row.agent_key].append((row.payload, row.learning_mode))
    return found


PERIODS = [
    (SINCE, UNTIL),
    (None, None),
    (SINCE, None),
    (None, UNTIL),
    (datetime(2026, 6, 15, 6, 30, tzinfo=UTC), datetime(2026, 6, 15, 6, 30, tzinfo=UTC)),  # one instant
    (datetime(2025, 12, 1, 0, 30, tzinfo=UTC), datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),  # edges on statements
]


def _assert_reads_agree(lrs: LRS) -> None:
    keys = _keys(lrs)
    with lrs.db.read() as conn:
        for since, until in PERIODS:
            for verbs in (None, [SELECTED], [SELECTED, ATTENDED]):
                expected = _from_statements(conn, keys, since, until, verbs)
                assert learners_statements(conn, keys, since=since, until=until, any_time_verbs=verbs) == expected, (
                    since, until, verbs)
                for limit in (2, 20000):
                    assert learners_statements(conn, keys, since=since, until=until, any_time_verbs=verbs,
                                               limit=limit) == _from_statements(conn, keys, since, until, verbs, limit)
                # skip_idle: only the learners with a statement of the period, each with all of theirs (the
                # any-time ones too); through both plans of the any-time part (few selections, many).
                active = {key for key, rows in _from_statements(conn, keys, since, until, None).items() if rows}
                for few in (records.FEW_ANY_TIME, 0):
                    with patch.object(records, "FEW_ANY_TIME", few):
                        for limit in (2, 20000):
                            assert learners_statements(
                                conn, keys, since=since, until=until, any_time_verbs=verbs, limit=limit, skip_idle=True
                            ) == {key: rows for key, rows in _from_statements(conn, keys, since, until, verbs,
                                                                              limit).items() if key in active}, (
                                since, until, verbs, few)
            for key in keys:
                for limit in (3, 20000):
                    assert learner_statements(conn, key, since=since, until=until, limit=limit) == _from_statements(
                        conn, [key], since, until, None, limit)[key], (key, since, until)


def _assert_rows_carry_their_statements_timestamp(lrs: LRS) -> None:
    with lrs.db.read() as conn:
        rows = conn.execute(select(SA.c.timestamp, S.c.timestamp.label("own"))
                            .join(S, S.c.seq == SA.c.statement_seq)).all()
        assert conn.execute(select(SA.c.statement_seq).where(SA.c.statement_seq.not_in(select(S.c.seq)))).all() == []
    assert rows and all(r.timestamp == r.own for r in rows)


def test_every_agent_row_carries_its_statements_timestamp_and_the_read_agrees(lrs_instance: LRS) -> None:
    batches = _store(lrs_instance)
    _assert_rows_carry_their_statements_timestamp(lrs_instance)
    keys = _keys(lrs_instance)
    assert f"mbox:{JO}" in keys and f"mbox:{SAM}" in keys
    with lrs_instance.db.read() as conn:
        year = learners_statements(conn, [f"mbox:{JO}"], since=SINCE, until=UNTIL, any_time_verbs=[SELECTED])
    ids = [s["id"] for s, _ in year[f"mbox:{JO}"]]
    jo, any_time = batches[0], batches[2]
    # The year by the instant in UTC, the voided one out, the any-time selection of 2024 in, the group's
    # statement (Jo a member of the actor) and the statement with Sam as object in.
    expected_in = {jo[1]["id"], jo[3]["id"], jo[5]["id"], jo[7]["id"], any_time[0]["id"], batches[3][0]["id"],
                   batches[4][0]["id"]}
    singles = {s["id"] for s in batches[-1]}
    assert set(ids) == expected_in | singles, [(s["id"], s["timestamp"], s["verb"]["id"]) for s, _ in year[f"mbox:{JO}"]]
    _assert_reads_agree(lrs_instance)


def test_pseudonymisation_and_retention_keep_the_copy_true(lrs_instance: LRS) -> None:
    _store(lrs_instance)
    erasure.erase(lrs_instance, erasure.Person.of([SAM]), mode="pseudonymise", operator="test")
    _assert_rows_carry_their_statements_timestamp(lrs_instance)
    _assert_reads_agree(lrs_instance)
    # Retention: the attended statements, aged past a year, go with their agent rows.
    retention.apply(lrs_instance, dry_run=False, operator="test", policy=f"{ATTENDED}=1",
                    now=datetime.now(UTC) + timedelta(days=800))
    with lrs_instance.db.read() as conn:
        assert conn.execute(select(S.c.seq).where(S.c.verb_iri == ATTENDED)).all() == []
    _assert_rows_carry_their_statements_timestamp(lrs_instance)
    _assert_reads_agree(lrs_instance)


def test_a_period_bound_in_another_zone_reads_as_before(lrs_instance: LRS) -> None:
    _store(lrs_instance)
    plus_two = timezone(timedelta(hours=2))
    keys = _keys(lrs_instance)
    with lrs_instance.db.read() as conn:
        since, until = SINCE.astimezone(plus_two), UNTIL.astimezone(plus_two)
        assert learners_statements(conn, keys, since=since, until=until) == _from_statements(conn, keys, since, until,
                                                                                             None)


def _agent_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(
            select(SA.c.statement_seq, SA.c.agent_key, SA.c.direct, SA.c.timestamp)
            .order_by(SA.c.statement_seq, SA.c.agent_key))]


def test_the_migrations_fill_gives_the_rows_the_write_path_makes(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        upgrade(db.engine)
        lrs = LRS(Settings(database_url=empty_database_url), db=db)
        _store(lrs)
        written = _agent_rows(db)
        assert len(written) > 20
        cfg = alembic_config(empty_database_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0022_pseudonym_keys")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("statement_agents")}
        assert columns == {"statement_seq", "agent_key", "direct"}
        upgrade(db.engine)
        assert _agent_rows(db) == written
        _assert_reads_agree(lrs)
    finally:
        db.dispose()


def test_the_rebuild_command_copies_the_timestamps_again(lrs_instance: LRS, settings) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from lrs.cli import cli

    _store(lrs_instance)
    kept = _agent_rows(lrs_instance.db)
    spoilt = lrs_instance.db.write(lambda conn: conn.execute(
        SA.update().where(SA.c.agent_key == f"mbox:{JO}").values(timestamp=datetime(2000, 1, 1, tzinfo=UTC))).rowcount)
    assert spoilt > 10 and _agent_rows(lrs_instance.db) != kept
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    result = CliRunner().invoke(cli, ["learning-totals", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert f"timestamps copied again from the statements: {spoilt} rows corrected" in result.output, result.output
    assert _agent_rows(lrs_instance.db) == kept
    _assert_reads_agree(lrs_instance)


# --- the payloads' decoding (orjson where it gives json's values) ----------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@hypothesis_settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_a_payload_decodes_to_what_json_gives(value: Any, ascii_only: bool) -> None:  # noqa: ANN401
    """Integers beyond 64 bits (orjson would read a float), lone surrogates, NaN and infinities (orjson refuses),
    every float and character: the values and their types are json.loads's, key order included."""
    text = json.dumps({"v": value}, ensure_ascii=ascii_only)
    assert repr(records._decoded(text)) == repr(json.loads(text))


def test_a_stored_payload_decodes_to_what_json_gives() -> None:
    for text in ('{"n":123456789012345678901234567890}', '{"n":-9223372036854775809,"m":18446744073709551616}',
                 '{"s":"\\ud800"}', '{"x":NaN,"y":-Infinity}', '{"a":1,"a":2}', '{"e":"é\u2028😀"}', '{"f":1e400}',
                 '{"z":-0,"w":-0.0,"v":1.0}'):
        assert repr(records._decoded(text)) == repr(json.loads(text)), text
