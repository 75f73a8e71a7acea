"""The depth limit read from a body's brackets (lrs.xapi.jsonlimits._shallow_by_text) against the walk of the
parsed value: it may decline to decide, but never passes a body nested deeper than MAX_DEPTH."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from lrs.xapi import jsonlimits
from lrs.xapi.datatypes import parse_json
from lrs.xapi.jsonlimits import MAX_DEPTH, TooDeep

#: String characters that look like structure in the text: brackets, quotes and backslashes (escaped in JSON),
#: non-ASCII (whose UTF-16 form holds a bracket's byte: U+225B is 5B 22 in UTF-16-LE).
_CHARACTERS = ["[", "]", "{", "}", '"', "\\", "a", "é", "\n", "\u225b", ":", ",", "\\u"]


def _depth(value: Any) -> int:  # noqa: ANN401
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _value(rng: random.Random, depth: int) -> Any:  # noqa: ANN401
    def text() -> str:
        return "".join(rng.choice(_CHARACTERS) for _ in range(rng.randint(0, 4)))

    kind = rng.random()
    if depth <= 0 or kind < 0.3:
        return rng.choice([1, 2.5, None, True, "", "x", text()])
    if kind < 0.65:
        return [_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {text(): _value(rng, depth - 1) for _ in range(rng.randint(0, 3))}


def test_the_brackets_never_pass_a_body_too_deep() -> None:
    rng = random.Random(3)
    decided = 0
    for _ in range(4000):
        value = _value(rng, rng.randint(0, 8))
        for _ in range(rng.choice([0, 0, 40, 60, 95, 98, 99, 100, 101, 120])):
            value = [value] if rng.random() < 0.5 else {"k": value}
        for text in (
            json.dumps(value).encode(),
            json.dumps(value, ensure_ascii=False).encode(),
            json.dumps(value, ensure_ascii=False).encode("utf-16"),
            json.dumps(value, ensure_ascii=False).encode("utf-8-sig"),
        ):
            if jsonlimits._shallow_by_text(text):
                decided += 1
                assert _depth(value) <= MAX_DEPTH, text[:200]
    assert decided > 1000  # it decides for most bodies


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 40])
@pytest.mark.parametrize("inside", ["", '"[[[[["', '"\\\\"', '"\\"]]"', '"\\\\\\"{"'])
def test_a_large_body_is_refused_exactly_past_the_limit(depth: int, inside: str) -> None:
    """Large bodies (past WALK_WITHOUT_COUNTING) take the bracket reading; strings holding brackets, escaped
    quotes and escaped backslashes beside the nesting do not change the answer."""
    padding = json.dumps(["x" * 100] * 200)
    nested = "[" * (depth - 1) + (inside or "1") + "]" * (depth - 1)
    text = f'[{padding}, {nested}, "{{[\\""]'.encode()
    assert len(text) > jsonlimits.WALK_WITHOUT_COUNTING
    if depth > MAX_DEPTH:
        with pytest.raises(TooDeep):
            parse_json(text)
    else:
        assert _depth(parse_json(text)) == depth
