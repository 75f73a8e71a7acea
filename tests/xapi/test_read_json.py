"""lrs.xapi.jsonlimits.read_json, the reading of request bodies, against lrs.xapi.datatypes.parse_json: the same
value or the same error for every body, valid or not, large (the wrapped reading) or small."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from lrs.xapi import jsonlimits
from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import XAPIError
from lrs.xapi.jsonlimits import MAX_DEPTH, ORJSON_MAX_NESTING, WRAP_FROM, TooDeep
from lrs.xapi.jsonlimits import read_json as _read_json

from .mutations import PIECES, answer, mutated


def read_json(content: bytes | str) -> Any:  # noqa: ANN401
    return _read_json(content, parse_json)


def _same(content: bytes) -> None:
    assert answer(read_json, content) == answer(parse_json, content), content[:300]


def _batch(seed: int = 4, count: int = 100) -> list[dict[str, Any]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from workload import Workload

    return list(Workload(seed=seed, total=1_000_000).statements(0, count))


#: Long enough that read_json takes the wrapped reading for a body that holds it.
_PADDING = json.dumps(["x" * 100] * (WRAP_FROM // 100))


def test_orjson_reads_exactly_its_nesting_limit() -> None:
    """read_json's wrapping relies on it: orjson reads ORJSON_MAX_NESTING arrays and objects nested, not one more."""
    for opening, inner, closing in ((b"[", b"", b"]"), (b"[", b"1", b"]"), (b'{"a":', b"1", b"}")):
        orjson.loads(opening * ORJSON_MAX_NESTING + inner + closing * ORJSON_MAX_NESTING)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(opening * (ORJSON_MAX_NESTING + 1) + inner + closing * (ORJSON_MAX_NESTING + 1))


@pytest.mark.parametrize("depth", [1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 40, 1000, 1100])
@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
def test_a_large_body_is_refused_exactly_past_the_limit(depth: int, kind: str) -> None:
    opening = {"array": ["["], "object": ['{"k":'], "mixed": ["[", '{"k":']}[kind]
    closing = {"[": "]", '{"k":': "}"}
    levels = [opening[n % len(opening)] for n in range(depth - 1)]
    nested = "".join(levels) + "1" + "".join(closing[o] for o in reversed(levels))
    text = f"[{_PADDING}, {nested}]".encode()
    assert len(text) >= WRAP_FROM
    _same(text)
    if depth > MAX_DEPTH:
        with pytest.raises(TooDeep):
            read_json(text)
    else:
        assert read_json(text) == json.loads(text)


BODIES = [
    "{P}",
    " {P} ",
    "\n\t{P}\r\n",
    "{P}]",
    "[{P}",
    "{P},{P}",
    "{P} {P}",
    "{P}],[{P}",
    "1],[{P}",
    "{P}]]],[[[1",
    "[{P}]]",
    "{P} x",
    "{P},",
    "\ufeff{P}",
    '{{"a": {P}, "a": 2}}',
    '{{"a": {P}, "n": 123456789012345678901234567890}}',
    '{{"a": {P}, "n": 18446744073709551616}}',
    '{{"a": {P}, "n": -9223372036854775809}}',
    '{{"a": {P}, "n": 9223372036854775807}}',
    '{{"a": {P}, "s": "1234567890123456789012"}}',
    '{{"a": {P}, "f": 0.1234567890123456789012345}}',
    '{{"a": {P}, "f": 1e400}}',
    '{{"a": {P}, "f": NaN}}',
    '{{"a": {P}, "f": -Infinity}}',
    '{{"a": {P}, "s": "\\u0000"}}',
    '{{"a": {P}, "s": ["ok", {{"k\\u0000": 1}}]}}',
    '{{"a": {P}, "s": "\\ud800"}}',
    '{{"a": {P}, "s": "\\udc00x"}}',
    '{{"a": {P}, "s": "\\ud83d\\ude00"}}',
    '{{"a": {P}, "s": "\\\\u0000"}}',
    '{{"a": {P}, "s": "\\"]]],[[["}}',
    '{{"a": {P}, "s": "a\tb"}}',
    '{{"a": {P}, "s": []}}',
    "[{P}, [], {{}}, [[]], null, true, false, -0, -0.0, 1E5, 1e+5]",
    "[{P}, 01]",
    "[{P}, 1.]",
    "[{P}, .5]",
    "[{P},]",
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_large_bodies_valid_or_not_read_as_parse_json_reads_them(body: str) -> None:
    text = body.replace("{P}", _PADDING).encode()
    assert len(text) >= WRAP_FROM
    _same(text)
    _same(text.replace(b'"x', b'"\xc3\xa9'))  # non-ASCII
    _same(body.replace("{P}", _PADDING).encode("utf-16"))
    _same(body.replace("{P}", "[1]").encode())  # small: parse_json itself


def test_large_bodies_with_bytes_that_are_not_utf8_read_as_parse_json_reads_them() -> None:
    for bad in (b"\xff", b"\xed\xa0\x80", b"\xc3", b"\x00", b"\x1f"):
        _same(f'["{_PADDING[:-1]}'.encode() + bad + b'"]]')
        _same(bad + _PADDING.encode())


def test_a_batch_and_its_mutations_read_as_parse_json_reads_them() -> None:
    statements = _batch()
    bodies = [json.dumps(statements).encode(), json.dumps(statements, ensure_ascii=False).encode(),
              json.dumps(statements, indent=2).encode()]
    assert all(len(b) >= WRAP_FROM for b in bodies)
    for body in bodies:
        assert read_json(body) == statements
        _same(body)
    rng = random.Random(7)
    # The wrapping's own edges too: array ends and starts, a number past 64 bits, nesting past the limits.
    pieces = [*PIECES, b"],[", b"}]", b"[{", b"]]", b"[[", b"18446744073709551616", b"[" * 120, b"]" * 120]
    for _ in range(300):
        _same(mutated(rng, rng.choice(bodies), pieces))


def test_str_and_small_bodies_are_parse_jsons() -> None:
    for content in ("[1]", '{"a": "\\u0000"}', "[" * 101 + "]" * 101, b"[1]", b"  ", b""):
        assert answer(read_json, content) == answer(parse_json, content)  # type: ignore[arg-type]
    assert jsonlimits.WRAP_FROM > jsonlimits.WALK_WITHOUT_COUNTING


def test_a_large_valid_body_is_read_without_parse_json() -> None:
    """The wrapped reading answers it alone (else the tests above compared parse_json with itself)."""
    statements = _batch(count=100)
    body = json.dumps(statements).encode()
    with_nul = json.dumps([*statements, {"s": ["\u0000"]}]).encode()
    def refuse(content: bytes | str) -> None:
        pytest.fail("parse_json was called")

    assert _read_json(body, refuse) == statements
    with pytest.raises(XAPIError) as refused:
        _read_json(with_nul, refuse)
    assert (refused.value.rule, refused.value.path) == ("nul-character", "[100].s[0]")
