"""Statement validation (lrs.xapi.validate): the case tables, batches, data types, robustness and speed.

No database: these tests exercise the pure module only.
"""

from __future__ import annotations

import contextlib
import copy
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from malformed_statements import (
    MALFORMED,
    MALFORMED_1_0_3_ONLY,
    MALFORMED_2_0_ONLY,
    VALID,
    VALID_2_0_ONLY,
    malformed_for,
    statement,
    valid_for,
)

from lrs.xapi.datatypes import is_iri, is_language_tag, is_mailto, is_uuid
from lrs.xapi.errors import StatementInvalid, XAPIError
from lrs.xapi.validate import (
    SUPPORTED_VERSIONS,
    duration_seconds,
    parse_timestamp,
    rules_version,
    schema_for,
    statement_problems,
    validate_batch,
    validate_statement,
)

VERSIONS = ("1.0.3", "2.0.0")


def _params(cases_by_version: dict[str, list[tuple]]) -> list[Any]:
    return [
        pytest.param(version, *case, id=f"{version}:{case[0]}")
        for version, cases in cases_by_version.items()
        for case in cases
    ]


def first_problem(payload: Any, version: str, **kwargs: Any) -> Any:
    with pytest.raises(StatementInvalid) as caught:
        validate_statement(payload, version, **kwargs)
    return caught.value.problems[0]


# --- the tables ---------------------------------------------------------------------------------------


def test_the_tables_are_big_enough_and_their_ids_unique():
    malformed = [*MALFORMED, *MALFORMED_1_0_3_ONLY, *MALFORMED_2_0_ONLY]
    valid = [*VALID, *VALID_2_0_ONLY]
    assert len(malformed) >= 80
    assert len(valid) >= 25
    assert len({case[0] for case in malformed}) == len(malformed)
    assert len({case[0] for case in valid}) == len(valid)


@pytest.mark.parametrize(
    ("version", "case_id", "stmt", "rule", "path"), _params({v: malformed_for(v) for v in VERSIONS})
)
def test_malformed_statement_is_refused_with_its_rule_and_path(version, case_id, stmt, rule, path):
    problems = statement_problems(stmt, version)
    assert problems, f"{case_id} was accepted"
    assert (problems[0].rule, problems[0].path) == (rule, path) or (
        problems[0].rule == rule and problems[0].path.startswith(path)
    ), problems
    # Each case is wrong in exactly one way, so exactly one problem is reported.
    assert len(problems) == 1, problems
    assert problems[0].message


@pytest.mark.parametrize(("version", "case_id", "stmt"), _params({v: valid_for(v) for v in VERSIONS}))
def test_valid_statement_is_accepted(version, case_id, stmt):
    before = copy.deepcopy(stmt)
    assert statement_problems(stmt, version) == []
    assert validate_statement(stmt, version) is None
    assert stmt == before  # validation never changes the statement


@pytest.mark.parametrize(
    ("version", "case_id", "stmt", "rule", "path"), _params({"1.0.3": MALFORMED_2_0_ONLY})
)
def test_2_0_only_cases_are_refused_under_1_0_3_as_unknown_properties(version, case_id, stmt, rule, path):
    problem = first_problem(stmt, version)
    assert problem.rule == "unknown-property"
    assert problem.path.split(".")[-1] in ("contextAgents", "contextGroups")


@pytest.mark.parametrize(("version", "case_id", "stmt"), _params({"1.0.3": VALID_2_0_ONLY}))
def test_2_0_only_valid_statements_are_refused_under_1_0_3(version, case_id, stmt):
    assert statement_problems(stmt, version)


@pytest.mark.parametrize(
    ("version", "case_id", "stmt", "rule", "path"), _params({v: malformed_for(v) for v in VERSIONS})
)
def test_marshmallow_running_the_schema_refuses_the_same_statements(version, case_id, stmt, rule, path):
    errors = schema_for(version)().validate(stmt)
    assert errors, f"marshmallow accepted {case_id}"
    assert rule in repr(errors) or rule in ("required", "unknown-property", "type")


@pytest.mark.parametrize(("version", "case_id", "stmt"), _params({v: valid_for(v) for v in VERSIONS}))
def test_marshmallow_running_the_schema_accepts_the_same_statements(version, case_id, stmt):
    assert schema_for(version)().validate(stmt) == {}


# --- problems and paths ---------------------------------------------------------------------------------


def test_every_problem_is_listed_with_its_path():
    stmt = statement(
        id="nope",
        actor={"mbox": "jo@la.example"},
        verb={"id": "not an iri", "display": {"en-US": 1}},
        result={"score": {"scaled": "high"}},
    )
    with pytest.raises(StatementInvalid) as caught:
        validate_statement(stmt, "1.0.3")
    found = [(p.rule, p.path) for p in caught.value.problems]
    # In the statement's own order: actor, verb and object come first in the table's statements.
    assert found == [
        ("mbox-format", "actor.mbox"),
        ("iri", "verb.id"),
        ("type", "verb.display.en-US"),
        ("uuid", "id"),
        ("type", "result.score.scaled"),
    ]
    error = caught.value
    assert isinstance(error, XAPIError)
    assert error.status == 400
    assert (error.rule, error.path) == ("mbox-format", "actor.mbox")
    assert error.as_dict()["error"]["problems"][1] == {
        "rule": "iri",
        "path": "verb.id",
        "message": caught.value.problems[1].message,
    }


def test_path_prefix_is_prepended():
    problem = first_problem(statement(actor={"mbox": "x"}), "2.0.0", path="[3]")
    assert (problem.rule, problem.path) == ("mbox-format", "[3].actor.mbox")


def test_deep_paths_name_indexes_and_language_tags():
    stmt = statement(
        context={
            "contextActivities": {
                "parent": [
                    {"id": "http://example.com/a"},
                    {
                        "id": "http://example.com/b",
                        "definition": {"name": {"en-US": "ok", "xx-bad-tag": "no"}},
                    },
                ]
            }
        }
    )
    problem = first_problem(stmt, "1.0.3")
    assert (problem.rule, problem.path) == (
        "language-map",
        "context.contextActivities.parent[1].definition.name.xx-bad-tag",
    )


def test_null_is_refused_everywhere_but_in_extension_values():
    assert first_problem(statement(context={"registration": None}), "1.0.3").rule == "type"
    assert (
        first_problem(statement(actor={"mbox": "mailto:a@b.example", "name": None}), "1.0.3").path
        == "actor.name"
    )
    assert statement_problems(statement(result={"extensions": {"http://example.com/x": None}}), "1.0.3") == []


def test_json_that_python_accepts_but_xapi_does_not():
    # json.loads lets NaN and Infinity through; they are not JSON numbers.
    assert first_problem(statement(result={"score": {"raw": float("nan")}}), "1.0.3").rule == "type"
    assert first_problem(statement(result={"score": {"max": float("inf")}}), "1.0.3").rule == "type"
    assert first_problem(statement(result={"success": 1}), "1.0.3").rule == "type"


def test_an_unknown_rule_set_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_statement(statement(), "0.95")
    assert statement_problems(statement(), "1.0.1") == []  # header values are understood too


# --- batches -----------------------------------------------------------------------------------------------


def test_batch_of_one_object_or_an_array():
    one = statement()
    assert validate_batch(one, "1.0.3") == [one]
    many = [statement(), statement(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0")]
    assert validate_batch(many, "2.0.0") is many


def test_empty_batch_is_refused():
    with pytest.raises(StatementInvalid) as caught:
        validate_batch([], "1.0.3")
    assert caught.value.rule == "batch-empty"


def test_batch_paths_start_with_the_index_and_list_every_statement():
    batch = [statement(), statement(actor={"mbox": "x"}), statement(verb={"id": "nope"})]
    with pytest.raises(StatementInvalid) as caught:
        validate_batch(batch, "1.0.3")
    assert [(p.rule, p.path) for p in caught.value.problems] == [
        ("mbox-format", "[1].actor.mbox"),
        ("iri", "[2].verb.id"),
    ]
    # An array of one is still an array: its paths carry [0], as attachment problems' paths do.
    with pytest.raises(StatementInvalid) as caught:
        validate_batch([statement(actor={"mbox": "x"})], "1.0.3")
    assert caught.value.path == "[0].actor.mbox"


def test_batch_refuses_an_id_used_twice_whatever_its_case():
    statement_id = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
    batch = [statement(id=statement_id), statement(), statement(id=statement_id.upper())]
    with pytest.raises(StatementInvalid) as caught:
        validate_batch(batch, "2.0.0")
    assert [(p.rule, p.path) for p in caught.value.problems] == [("batch-duplicate-id", "[2].id")]


@pytest.mark.parametrize("payload", [None, "statement", 42, 4.2, True, b"{}"])
def test_batch_body_of_the_wrong_type(payload):
    with pytest.raises(StatementInvalid) as caught:
        validate_batch(payload, "1.0.3")
    assert (caught.value.rule, caught.value.path) == ("type", "")


def test_batch_element_of_the_wrong_type():
    with pytest.raises(StatementInvalid) as caught:
        validate_batch([statement(), "not a statement", None], "1.0.3")
    assert [(p.rule, p.path) for p in caught.value.problems] == [("type", "[1]"), ("type", "[2]")]


# --- versions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "rules"),
    [
        ("1.0.0", "1.0.3"),
        ("1.0.1", "1.0.3"),
        ("1.0.2", "1.0.3"),
        ("1.0.3", "1.0.3"),
        ("1.0", "1.0.3"),
        (" 1.0.3 ", "1.0.3"),
        ("1.0.9", "1.0.3"),  # Communication 3.3: every 1.0.x header is accepted
        ("2.0.0", "2.0.0"),
        ("2.0", "2.0.0"),
        ("0.95", None),
        ("1.1.0", None),
        ("1", None),
        ("2", None),
        ("3.0.0", None),
        ("1.0.3a", None),
        ("", None),
        (None, None),
    ],
)
def test_rules_version(header, rules):
    assert rules_version(header) == rules


def test_supported_versions():
    assert SUPPORTED_VERSIONS == ("1.0.3", "2.0.0")


# --- timestamps -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-05-18T05:32:34.804Z", datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=UTC)),
        ("2023-05-04T12:00:00-05:00", datetime(2023, 5, 4, 17, 0, tzinfo=UTC)),
        ("2023-05-04T12:00:00+0530", datetime(2023, 5, 4, 6, 30, tzinfo=UTC)),
        ("2023-05-04T12:00+01", datetime(2023, 5, 4, 11, 0, tzinfo=UTC)),
        ("2008-09-15T15:53:00.601+00:00", datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC)),
        ("20130518T053234Z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
        ("2013-05-18T05:32:34.123456789Z", datetime(2013, 5, 18, 5, 32, 34, 123456, tzinfo=UTC)),
        ("2013-05-18T05:32:34", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(version, value, expected):
    parsed = parse_timestamp(value, version)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    # The store re-reads accepted timestamps with datetime.fromisoformat: it must agree.
    assert (
        datetime.fromisoformat(value).replace(tzinfo=datetime.fromisoformat(value).tzinfo or UTC) == expected
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "value",
    [
        "2008-09-15T15:53:00.601-00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00:00",
        "should fail",
        "01/011/2015",
        "2013-05-18",
        "2013-05-18 05:32:34Z",
        "2013-05-18t05:32:34z",
        "2013-05-18T05Z",
        "2013-05-18T053234Z",
        "2013-02-30T00:00:00Z",
        "2013-05-18T24:00:00Z",
        "2013-05-18T05:32:60Z",
        "2013-05-18T05:32:34+01:60",
        "2013-05-18T05:32:34+24:00",
        "０２０１３-05-18T05:32:34Z",
        "2013-05-18T05:32:34.Z",
        "",
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC: datetime cannot hold it (was an OverflowError, a 500)
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    ],
)
def test_parse_timestamp_refuses(version, value):
    with pytest.raises(ValueError):
        parse_timestamp(value, version)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_timestamp_outside_datetimes_range_in_utc_is_a_problem_not_a_crash(version):
    problems = statement_problems(statement(timestamp="0001-01-01T00:00:00+01:00"), version)
    assert [(p.rule, p.path) for p in problems] == [("timestamp", "timestamp")]
    assert "outside years 1 to 9999" in problems[0].message


def test_parse_timestamp_refuses_non_strings():
    with pytest.raises(ValueError):
        parse_timestamp(1368855154, "1.0.3")  # type: ignore[arg-type]


# --- durations -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT1H0M0S", 3600.0),
        ("PT1H0M0.1S", 3600.1),
        ("PT4H35M59.14S", 16559.14),
        ("PT16559.14S", 16559.14),
        ("P1DT12H36M0.12567S", 131760.12567),
        ("P4W", 28 * 86400.0),
        ("P1D", 86400.0),
        ("PT0S", 0.0),
        ("P0D", 0.0),
        ("PT1,5S", 1.5),
        ("P1Y", 365.2425 * 86400),
        ("P1M", 365.2425 * 86400 / 12),
        ("P3Y1M29DT4H35M59.14S", 3 * 365.2425 * 86400 + 365.2425 * 86400 / 12 + 29 * 86400 + 16559.14),
    ],
)
def test_duration_seconds(value, seconds):
    assert duration_seconds(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [
        "PA1H0M0S",
        "P4W1D",
        "P",
        "PT",
        "P1DT",
        "P0003-01-29T04:35:59",
        "P00030129T043559",
        "-P1D",
        "PT-1S",
        "pt1h",
        "PT1.5H30M",
        "1H",
        "P1D ",
        "",
    ],
)
def test_duration_seconds_refuses(value):
    with pytest.raises(ValueError):
        duration_seconds(value)
    assert first_problem(statement(result={"duration": value}), "2.0.0").rule == "duration"


# --- data types ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com",
        "https://example.com/path/../slug?q=1#top",
        "http://例え.jp/パス?q=ü#frag",
        "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "tag:example.com,2024:x",
        "mailto:jo@la.example",
        "http://[::1]:8080/x",
        "file:///etc/hosts",
        "http://example.com/%2F",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_iris_accepted(value):
    assert is_iri(value)


@pytest.mark.parametrize(
    "value",
    [
        "not an iri",
        "ab=c://should.fail.com",
        "adlnet.gov/expapi/verbs/attended",
        "http://example.com/a b",
        "http://example.com/%zz",
        "http://example.com/<x>",
        "http://[::1/x",
        "http:///no-host",
        "http://example.com:80a/",
        "https://example.com/#a#b",
        "x:",
        ":no-scheme",
        "1http://example.com",
        "http://example.com/\x7f",
        "",
        None,
        42,
    ],
)
def test_iris_refused(value):
    assert not is_iri(value)


def test_mailto_uuid_and_language_tags():
    assert is_mailto("mailto:jo+lrs@bücher.example")
    assert not is_mailto("mailto:a@b.example?subject=hi")
    assert not is_mailto("MAILTO:a@b.example")
    assert is_uuid("FD41C918-B88B-4B20-A0A5-A4C32391AAA0")
    assert not is_uuid("fd41c918b88b4b20a0a5a4c32391aaa0")
    for tag in ("en-US", "de", "zh-Hant", "sr-Latn-RS", "cmn", "es-419", "x-private", "en-GB-oed"):
        assert is_language_tag(tag), tag
    for tag in ("something", "en_US", "en-", "a12345", "zh-z-aaa-z-bbb-c-ccc", " en", "", None):
        assert not is_language_tag(tag), tag


# --- robustness: any JSON value is a StatementInvalid or nothing ----------------------------------------------


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = (
        ["null", "bool", "int", "float", "string", "iri", "list", "object"]
        if depth < 4
        else ["null", "int", "string"]
    )
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 1, 27, 10**30, -(10**30)])
    if kind == "float":
        return rng.choice([0.5, -1.01, 1e308, float("nan"), float("inf"), -0.0])
    if kind == "string":
        return rng.choice(
            [
                "",
                "x",
                "en-US",
                "PT1H",
                "mailto:a@b.example",
                "Agent",
                "Group",
                "SubStatement",
                "\x00",
                "é" * 3,
            ]
        )
    if kind == "iri":
        return rng.choice(["http://example.com/x", "urn:x:y", "not an iri"])
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [
        "id",
        "objectType",
        "actor",
        "verb",
        "object",
        "mbox",
        "member",
        "definition",
        "context",
        "result",
        "score",
        "display",
        "en-US",
        "extensions",
        "interactionType",
        "choices",
        "contextActivities",
        "parent",
    ]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _mutate(rng: random.Random, value: Any) -> Any:
    """``value`` with one randomly chosen node replaced by random JSON."""
    value = copy.deepcopy(value)
    node, key = None, None
    current = value
    for _ in range(rng.randint(1, 6)):
        if isinstance(current, dict) and current:
            node, key = current, rng.choice(list(current))
        elif isinstance(current, list) and current:
            node, key = current, rng.randrange(len(current))
        else:
            break
        current = node[key]
    if node is None:
        return _random_json(rng)
    node[key] = _random_json(rng)
    return value


@pytest.mark.parametrize("version", VERSIONS)
def test_fuzz_validation_only_ever_raises_statement_invalid(version):
    rng = random.Random(20240504)
    seeds = [stmt for _, stmt in VALID] + [stmt for _, stmt, _, _ in MALFORMED]
    for round_ in range(3000):
        candidate = _random_json(rng) if round_ % 5 == 0 else _mutate(rng, rng.choice(seeds))
        for call in (validate_statement, validate_batch):
            try:
                call(candidate, version)
            except StatementInvalid as exc:
                assert exc.problems and all(p.rule and p.message for p in exc.problems)
        batch = [candidate, _mutate(rng, rng.choice(seeds))]
        with contextlib.suppress(StatementInvalid):
            validate_batch(batch, version)


def test_the_fast_walk_says_valid_exactly_when_the_reporting_walk_finds_nothing():
    """validate.py walks a statement first without paths (ok) and reports with check only when ok says no:
    ok must never pass what check refuses (and should not refuse what it passes, or it costs a second walk)."""
    from lrs.xapi.validate import _STATEMENT_SHAPES

    rng = random.Random(20261205)
    seeds = [stmt for _, stmt in VALID + VALID_2_0_ONLY] + [
        stmt for _, stmt, _, _ in MALFORMED + MALFORMED_1_0_3_ONLY + MALFORMED_2_0_ONLY
    ]
    candidates = seeds + [_mutate(rng, rng.choice(seeds)) for _ in range(4000)]
    candidates += [_random_json(rng) for _ in range(500)]
    refused = 0
    for version, shape in _STATEMENT_SHAPES.items():
        for candidate in candidates:
            problems: list = []
            shape.check(candidate, "", problems)
            assert shape.ok(candidate) == (not problems), (version, candidate, problems)
            refused += bool(problems)
    assert refused > len(candidates) // 2  # the mutations do break statements, in many ways


def _workload_statements(start: int, count: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from workload import Workload

    return list(Workload(seed=1, total=1_000_000).statements(start, count))


def _paths(value: Any, prefix: tuple = ()) -> Any:
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        yield from _paths(item, (*prefix, key))


_DELETE = object()
_REPLACEMENTS = [
    None, True, 0, 1.5, 10**30, "", "x", "en-US", "not an iri", "http://example.com/x", "urn:x:y",
    "mailto:a@b.example", "mailto:a@-b.example", "Agent", "Group", "Activity", "StatementRef", "SubStatement",
    "2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "PT1H", "P1X",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", [], [None], [{}], {}, {"en-US": "x"}, {"en_US": "x"},
    {"http://e.com/x": None}, {"not an iri": 1}, "http://[::1]/x", "http://ex.com/%zz", "https://例え.jp/パス",
]


def _field_by_field(stmt: dict[str, Any], rng: random.Random) -> Any:
    """``stmt`` with each of its nodes in turn replaced by a few values or deleted, and an unknown property
    added to each of its objects."""
    for path in _paths(stmt):
        if not path:
            continue
        for new in [*rng.sample(_REPLACEMENTS, 4), _DELETE, "unknown"]:
            changed = copy.deepcopy(stmt)
            node = changed
            for step in path[:-1]:
                node = node[step]
            if new is _DELETE:
                node.pop(path[-1])
            elif new == "unknown":
                if not isinstance(node[path[-1]], dict):
                    continue
                node[path[-1]]["unknownProperty"] = 1
            else:
                node[path[-1]] = new
            yield changed


def test_the_fast_walk_agrees_on_workload_statements_changed_field_by_field():
    """As above, on the statements the benchmarks send (all valid), each changed field by field."""
    from lrs.xapi.validate import _STATEMENT_SHAPES

    rng = random.Random(20261206)
    statements = _workload_statements(3000, 200)
    candidates = statements + [changed for stmt in statements[:12] for changed in _field_by_field(stmt, rng)]
    for version, shape in _STATEMENT_SHAPES.items():
        for index, candidate in enumerate(candidates):
            problems: list = []
            shape.check(candidate, "", problems)
            assert shape.ok(candidate) == (not problems), (version, candidate, problems)
            if index < len(statements):
                assert not problems, (version, candidate, problems)


def _strings(rng: random.Random, pieces: list[str], count: int) -> list[str]:
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(count)]


def test_the_usual_forms_shortcuts_pass_only_what_the_full_tests_pass():
    """datatypes judges the usual IRI, mailto address and timestamp by one regular expression each, and the
    rest by the full test: whatever the expression matches, the full test must pass."""
    from lrs.xapi import datatypes

    rng = random.Random(20261206)
    iri_pieces = [
        "http://", "https://", "mailto:", "urn:", "a:", "1a:", "HTTP://", "x+y.z-:", "//", "/", "?", "#", "@", ":",
        "example.com", "a.b", "-a", "user:pw@", ":8080", ":x", "/p/q", "?q=1", "#f", "%20", "%zz", "[::1]", "[", "]",
        "é", " ", "\x00", "{", "|", "local.part", ".", "..", "x" * 64, "y" * 63, "!$&'()*+,;=", "~_-",
    ]
    iris = _strings(rng, iri_pieces, 20000)
    plain = ["a", "B", "0", "q"] * 8
    local_pieces = [*plain, ".", ".", "..", "!#$%&'*+-/=?^_`{|}~", "%41", "é", " ", "@", "x" * 30]
    domain_pieces = [*plain, "-", ".", ".", "..", "xn--", "é", "_", "?", "#", "y" * 30, "z" * 63]
    mailtos = [
        f"mailto:{local}{rng.choice(['@', '@', '', '@@'])}{domain}"
        for local, domain in zip(
            _strings(rng, local_pieces, 20000), _strings(rng, domain_pieces, 20000), strict=True
        )
    ]
    stamp_pieces = ["2024", "0001", "9999", "-", "01", "12", "13", "31", "T", "t", " ", ":", "00", "59", "60", "24",
                    ".", ".123", ",5", "Z", "+", "-00:00", "+01:00", "+0530", "-05:60", "1"]
    stamps = _strings(rng, stamp_pieces, 20000) + [
        f"{year}-{month}-{day}T{hour}:30:{second}{fraction}{offset}"
        for year, month, day, hour, second, fraction, offset in (
            (rng.choice(["2024", "0001", "9999", "1999"]), rng.choice(["01", "02", "12", "13"]),
             rng.choice(["01", "29", "30", "31"]), rng.choice(["00", "23", "24"]), rng.choice(["00", "59", "60"]),
             rng.choice(["", ".5", ".123456789"]), rng.choice(["", "Z", "+00:00", "-00:00", "+23:59", "-01:00"]))
            for _ in range(5000)
        )
    ]
    accepted = {"iri": 0, "mailto": 0, "timestamp": 0}
    for text in iris + mailtos:
        if datatypes._USUAL_IRI.fullmatch(text):
            assert datatypes._is_iri_full(text), text
        if datatypes._USUAL_MAILTO.fullmatch(text):
            assert datatypes._is_mailto_full(text), text
        assert datatypes.is_iri_str(text) == datatypes._is_iri_full(text), text
        assert datatypes.is_mailto_str(text) == datatypes._is_mailto_full(text), text
        accepted["iri"] += bool(datatypes._USUAL_IRI.fullmatch(text))
        accepted["mailto"] += bool(datatypes._USUAL_MAILTO.fullmatch(text))
    for text in stamps:
        try:
            parse_timestamp(text)
            expected = True
        except ValueError:
            expected = False
        assert datatypes.is_timestamp_str(text) == expected, text
        accepted["timestamp"] += expected and bool(datatypes._USUAL_TIMESTAMP.fullmatch(text))
    assert min(accepted.values()) > 500, accepted  # the shortcuts were taken, often


def test_the_uuid_test_without_a_regular_expression_agrees_with_it():
    from lrs.xapi import datatypes

    rng = random.Random(20261206)
    characters = list("0123456789abcdefABCDEFgG-xé \ud800\x00")
    agreed = 0
    for _ in range(20000):
        text = str(uuid.UUID(int=rng.getrandbits(128)))
        text = text.upper() if rng.random() < 0.5 else text
        change = rng.random()
        if change < 0.6:
            at = rng.randrange(36)
            text = text[:at] + rng.choice(characters) + text[at + 1 :]
        elif change < 0.7:
            text = text[: rng.randrange(36)]
        elif change < 0.8:
            text += rng.choice(characters)
        assert datatypes.is_uuid_str(text) == (datatypes.match_uuid(text) is not None), repr(text)
        agreed += datatypes.is_uuid_str(text)
    assert agreed > 5000


def test_each_formatted_fields_string_test_agrees_with_its_predicate():
    from lrs.xapi import schema

    samples = [
        "", "x", "http://example.com/a", "https://例え.jp/パス?q=1#f", "http://example.com/%41", "http://ex.com/%4",
        "urn:x:y", "not an iri", "mailto:jo@la.example", "mailto:a@b.example?subject=hi", "mailto:jo@-la.example",
        "mailto:jö@bücher.example", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0x",
        "a" * 40, "g" * 40, "ab" * 32, "en-US", "en_US", "zh-Hant", "text/plain", "text/plain; charset=ascii",
        "http://[::1]:80/x", "http://a b", "\x00", "é",
    ]
    fields = [cls() for cls in vars(schema).values() if isinstance(cls, type) and issubclass(cls, schema.Formatted)
              and cls is not schema.Formatted]
    assert len(fields) >= 7
    for field in fields:
        for sample in samples:
            assert bool(field.text_test(sample)) == field.predicate(sample), (type(field).__name__, sample)
            assert field.ok(sample) == (not _problems(field, sample))
        for other in (None, 1, True, [], {}):
            assert not field.ok(other) and _problems(field, other)


def _problems(field: Any, value: Any) -> list:
    problems: list = []
    field.check(value, "", problems)
    return problems


# --- speed --------------------------------------------------------------------------------------------------------


def test_an_ordinary_statement_validates_well_under_a_millisecond():
    stmt = statement(
        id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        result={
            "score": {"scaled": 0.9, "raw": 90, "min": 0, "max": 100},
            "success": True,
            "duration": "PT1H",
        },
        context={
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {"parent": [{"id": "http://example.com/course"}]},
            "language": "en-US",
        },
        timestamp="2024-05-04T12:00:00.000Z",
    )
    validate_statement(stmt, "2.0.0")
    rounds = 2000
    best = timedelta.max
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            validate_statement(stmt, "2.0.0")
        best = min(best, timedelta(seconds=(time.perf_counter() - start) / rounds))
    # Measured around 0.09 ms on the project's 2-core machine; the bound leaves room for a slow CI.
    assert best < timedelta(milliseconds=1), best
