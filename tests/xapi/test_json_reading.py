"""Request bodies read by orjson where it reads what json reads (lrs.xapi.datatypes.parse_json): the same values,
and for every text orjson does not read (or may read differently: integers beyond 64 bits) json's answer,
errors included."""

from __future__ import annotations

import json
import random
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from lrs.xapi.datatypes import parse_json
from lrs.xapi.jsonlimits import TooDeep, check_parsed

from .mutations import PIECES, answer, mutated


def _reject(name: str) -> Any:  # noqa: ANN401
    raise ValueError(f"{name} is not JSON")


def _as_before(content: bytes) -> Any:  # noqa: ANN401
    """parse_json as it was before orjson: json's reader, then the same checks."""
    try:
        value = json.loads(content, parse_constant=_reject)
    except RecursionError:
        raise TooDeep() from None
    check_parsed(content, value)
    return value


def _by_json(content: bytes) -> tuple[str, str]:
    return answer(_as_before, content)


def _now(content: bytes) -> tuple[str, str]:
    return answer(parse_json, content)


def _statements() -> list[dict[str, Any]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from workload import Workload

    return list(Workload(seed=4, total=1_000_000).statements(0, 200))


EDGE_CASES = [
    b"123456789012345678901234567890",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b'{"n": 9223372036854775807, "m": -9223372036854775808}',
    b'{"id": "1234567890123456789012"}',
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"-0",
    b"-0.0",
    b"0.1",
    b"1.7976931348623157e308",
    b"5e-324",
    b"NaN",
    b"[Infinity]",
    b"-Infinity",
    b'{"a": 1, "a": 2, "b": 3}',
    b'"\\ud800"',
    b'"\\ud83d\\ude00"',
    b'"\\u0000"',
    b'"\xed\xa0\x80"',
    b'"\xff"',
    b"\xef\xbb\xbf{}",
    '{"a": "é"}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-32-le"),
    b'"a\tb"',
    b"[1,]",
    b"{}",
    b"[]",
    b"",
    b" ",
    b"[1] x",
    b"\x0c[1]",
    b"[\xc2\xa01]",
    b"[" * 1100 + b"]" * 1100,
    b"[" * 200 + b"]" * 200,
    b'{"a":' * 50 + b"1" + b"}" * 50,
    b"true",
    b"null",
    b'"x"',
    b"1E5",
    b"1e+5",
    b"01",
    b"1.",
    b".5",
]


@pytest.mark.parametrize("content", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_read_as_json_reads_them(content: bytes) -> None:
    assert _now(content) == _by_json(content)


def test_integers_beyond_64_bits_are_read_by_json() -> None:
    for digits in range(15, 30):
        for sign in ("", "-"):
            text = f'{{"v": {sign}{"9" * digits}, "s": "x"}}'.encode()
            value = parse_json(text)
            assert value["v"] == int(f"{sign}{'9' * digits}")
            assert type(value["v"]) is int


def test_floats_read_to_the_same_value() -> None:
    rng = random.Random(3)
    texts = []
    for _ in range(20_000):
        kind = rng.random()
        if kind < 0.4:
            number = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if number != number or number in (float("inf"), float("-inf")):
                continue
            texts.append(repr(number))
        elif kind < 0.8:
            mantissa = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18))).lstrip("0") or "0"
            texts.append(f"{mantissa[:1]}.{mantissa[1:] or '0'}e{rng.randint(-330, 310)}")
        else:
            texts.append(f"{rng.randint(-10**6, 10**6)}.{rng.randint(0, 10**rng.randint(1, 17))}")
    content = ("[" + ",".join(texts) + "]").encode()
    assert _now(content) == _by_json(content)


def test_statements_and_their_mutations_read_as_json_reads_them() -> None:
    statements = _statements()
    bodies = [json.dumps(statements).encode(), json.dumps(statements, ensure_ascii=False).encode()]
    bodies += [json.dumps(s, ensure_ascii=k % 2 == 0).encode() for k, s in enumerate(statements)]
    for body in bodies[:2]:
        assert _now(body) == _by_json(body)
    rng = random.Random(5)
    for _ in range(4_000):
        text = mutated(rng, rng.choice(bodies[2:]), PIECES)
        assert _now(text) == _by_json(text), text
