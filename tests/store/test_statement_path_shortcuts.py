"""The statement path's shortcuts before the store (docs/performance.md, "SQLite batch ingest, sixth pass"): each
gives what the general code gives, compared on generated values and the edge cases.

- a timestamp's ``parse_instant(...).isoformat()`` cut from its text (lrs.xapi.statement._utc_isoformat);
- whole-unit durations added up as integers (lrs.xapi.statement.duration_seconds) against timedelta and isodate;
- prepare's fingerprint (the timestamp read once) against :func:`fingerprint`;
- canonical JSON's float guard, which passes over "e-5".."e-9" inside UUIDs (lrs.xapi.jsontext);
- the SQLite text of a timestamp cut from its ISO text, a batch's rows against one statement's encoding, and a
  learning_totals row's ``latest`` (lrs.store.statements).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import isodate
import pytest
from sqlalchemy.dialects import postgresql, sqlite

from lrs.store.learning import totals_rows
from lrs.store.statements import StatementBatch, _Sql, _sqlite_datetime, _sqlite_datetime_of_iso
from lrs.xapi import statement as st
from lrs.xapi.jsontext import _small_exponent_number, canonical, canonical_bytes
from lrs.xapi.validate import validate_batch

AUTHORITY = {"objectType": "Agent", "name": "x", "account": {"homePage": "https://lrs.example", "name": "k"}}


def _timestamps(rng: random.Random, count: int) -> list[str]:
    out = [
        "2025-03-04T10:11:12Z", "2025-03-04T10:11:12.5Z", "2025-03-04T10:11:12.000Z", "2025-03-04T10:11:12.0Z",
        "2025-03-04T10:11:12.123456Z", "2025-03-04T10:11:12.000001Z", "2025-03-04T10:11:12.1234567Z",
        "2025-03-04T10:11:12.123+00:00", "2025-03-04T12:11:12.120+02:00", "2025-03-04T10:11:12-05:00",
        "2025-03-04T10:11:12,5Z", "2025-03-04T10:11Z", "20250304T101112Z", "2025-03-04T10:11:12",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2024-02-29T23:59:59.9Z",
    ]
    for _ in range(count):
        moment = datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(315_537_897_599),
                                                           microseconds=rng.randrange(1_000_000))
        digits = rng.choice([0, 1, 2, 3, 6])
        fraction = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
        zone = rng.choice(["Z", "Z", "+00:00", "+01:00", "-09:30"])
        out.append(moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0") + fraction + zone)
    return out


def test_the_timestamps_iso_text_is_what_datetime_writes():
    rng = random.Random(1)
    for text in _timestamps(rng, 20_000):
        try:
            instant = st.parse_instant(text)
        except ValueError:
            continue
        assert st._utc_isoformat(text, instant) == instant.isoformat(), text


def _duration_before(value: object, start: datetime) -> float | None:
    """duration_seconds as it was: the time-only pattern to timedelta with floats, isodate for the rest."""
    if not isinstance(value, str):
        return None
    match = st._TIME_DURATION.fullmatch(value)
    if match is not None and len(value) > 2:
        hours, minutes, seconds = (float(g.replace(",", ".")) if g else 0.0 for g in match.groups())
        return timedelta(days=0.0, hours=hours, minutes=minutes, seconds=seconds, weeks=0.0).total_seconds()
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        return None
    if isinstance(parsed, isodate.Duration):
        parsed = parsed.totimedelta(start=start)
    return parsed.total_seconds()


def _outcome(function, value, start):  # noqa: ANN001, ANN202
    try:
        return repr(function(value, start))
    except Exception as exc:  # noqa: BLE001 - the same error either way
        return type(exc).__name__


def test_durations_add_up_to_the_same_seconds():
    rng = random.Random(2)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    values = ["P1Y", "P1M2D", "P2W", "PT", "P", "P1DT2H", "PT1.5H", "PT0S", "P0D", "P00D", "PT007M", "P1000000000D",
              "P999999999D", "PT999999999H", "PT1000000000H", "PT99999999999H", "PT1,5M", "PT20M59S", None, 5]
    for _ in range(30_000):
        if rng.random() < 0.7:
            value = "PT"
            for unit in "HMS":
                if rng.random() < 0.6:
                    number = str(rng.choice([rng.randint(0, 99), rng.randint(0, 10 ** rng.randint(1, 12))]))
                    if rng.random() < 0.1:
                        number += rng.choice(".,") + str(rng.randint(0, 999))
                    value += number + unit
        else:
            value = f"P{rng.choice([rng.randint(0, 9), rng.randint(0, 10 ** rng.randint(1, 12))])}D"
        values.append(value)
    for value in values:
        assert _outcome(st.duration_seconds, value, start) == _outcome(_duration_before, value, start), value


def _statements(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    stamps = _timestamps(rng, count)
    out = []
    for k in range(count):
        statement = {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "actor": {"mbox": f"mailto:p{k % 7}@example.org", "name": "P"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en": "attended"}},
            "object": {"id": f"https://example.org/a/{k % 5}", "definition": {"name": {"en": "A"}}},
            "result": {"duration": rng.choice(["PT1H", "PT20M5S", "P1D", "PT1.25H", "PT0.011S"])},
        }
        if rng.random() < 0.85:
            statement["timestamp"] = stamps[k]
        out.append(statement)
    return [s for s in out if not _refused(s)]


def _refused(statement: dict) -> bool:
    try:
        validate_batch([statement], "2.0.0")
    except Exception:  # noqa: BLE001
        return True
    return False


def test_prepared_statements_keep_the_fingerprint_and_iso_text():
    statements = _statements(600, 3)
    stored = datetime(2026, 12, 6, 4, 0, 7, 123000, tzinfo=UTC)
    prepared = st.prepare_batch(statements, stored=stored, authority=AUTHORITY, version="2.0.0")
    for statement, p in zip(statements, prepared, strict=True):
        assert p.fingerprint == st.fingerprint(statement)
        assert p.timestamp_iso == p.timestamp.isoformat()
        if "timestamp" not in statement:
            assert p.timestamp is stored


@pytest.mark.parametrize("text", [
    b'{"id":"181e-5abc"}', b'["x1e-7"]', b'{"a":"e-5"}', b'[1e-5]', b"1e-7", b'{"a":-1.5e-9}', b'{"a":[2,3e-6]}',
    b'{"a":"' + b"1" * 60 + b'e-5"}', b'[' + b"1" * 60 + b"e-5]",
])
def test_the_float_guard_finds_every_small_exponent(text):  # noqa: ANN001
    value = json.loads(text)
    assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"))
    assert canonical_bytes(value) == canonical(value).encode()
    if not text.startswith(b'{"id"') and b'"x1e' not in text and text != b'{"a":"e-5"}':
        assert _small_exponent_number(text)


def test_canonical_is_jsons_text_beside_uuids_and_floats():
    rng = random.Random(4)
    for _ in range(20_000):
        number = rng.random() * 10 ** rng.randint(-12, 12) * rng.choice([1, -1])
        value = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "n": [number, {"x": number}],
                 "s": f"{number}", "k": rng.randint(-5, 5)}
        assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"))


def test_sqlite_text_of_a_timestamp_cut_from_its_iso_text():
    rng = random.Random(5)
    for _ in range(20_000):
        moment = datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(315_537_897_599),
                                                           microseconds=rng.choice([0, rng.randrange(1_000_000)]))
        assert _sqlite_datetime_of_iso(moment.isoformat()) == _sqlite_datetime(moment)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_a_batchs_rows_are_each_statements_encoding(dialect):  # noqa: ANN001
    statements = _statements(300, 6)
    stored = datetime(2026, 12, 6, 4, 0, 7, tzinfo=UTC)
    prepared = st.prepare_batch(statements, stored=stored, authority=AUTHORITY, version="2.0.0")
    sql = _Sql.of(dialect)
    batch = StatementBatch(prepared, dialect)
    assert batch.encoded == [sql.encode(p) for p in prepared]
    assert batch.totals == sql.encode_totals(totals_rows(prepared))
    flags = [d for *_, d in batch.activity_links] + [row[2] for row in batch.agent_links]
    if dialect.name == "sqlite":
        assert {type(d) for d in flags} == {int}
        assert [d for *_, d in batch.activity_links] == [
            int(direct) for p in prepared for direct in p.activities.values()]
    else:
        assert {type(d) for d in flags} == {bool}


def test_what_a_voiding_batch_finds_indexed_in_one_query(lrs_instance):  # noqa: ANN001
    """The review hook's one query (reviews.voided_derivations) answers what decided() and assessment.derived()
    answer, on both databases."""
    from sqlalchemy import insert

    from lrs.store import assessment, reviews

    when = datetime(2026, 12, 6, tzinfo=UTC)
    ids = [str(uuid.UUID(int=k)) for k in range(1, 9)]

    def fill(conn):  # noqa: ANN001, ANN202
        conn.execute(insert(reviews.R), [
            {"statement_id": ids[0], "agent_key": "a", "evidence_id": ids[7], "framework_uri": "f", "item_uri": "i",
             "role": "assessor", "outcome": "accepted", "reviewer_key": "r", "decided": when},
        ])
        conn.execute(insert(assessment.SUB), [{"statement_id": ids[1], "agent_key": "a", "framework_uri": "f",
                                               "unit_uri": "u", "submitted": when}])
        conn.execute(insert(assessment.CLAIM), [{"statement_id": ids[2], "submission_id": ids[1], "agent_key": "a",
                                                 "framework_uri": "f", "unit_uri": "u", "claimed_by": "c",
                                                 "claimed": when}])
        conn.execute(insert(assessment.PLAN), [{"statement_id": ids[3], "plan": {}, "adopted_by": "c",
                                                "adopted": when}])

    lrs_instance.db.write(fill)
    with lrs_instance.db.read() as conn:
        for asked in (ids, ids[:1], ids[1:4], ids[4:], [], [ids[0], ids[0], ids[3]]):
            assert reviews.voided_derivations(conn, asked) == (
                reviews.decided(conn, asked), assessment.derived(conn, asked))
        assert reviews.voided_derivations(conn, ids) == ({ids[0]}, {ids[1], ids[2], ids[3]})
