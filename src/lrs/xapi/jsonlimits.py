"""What a JSON body may hold beyond being JSON: a bounded depth, and strings both databases store as sent.

- Depth: Python's json parses about a thousand levels before it raises RecursionError (a 500), and every
  recursive walk after it (validation, canonical forms) would fail the same way a little shallower. No xAPI
  structure comes near MAX_DEPTH; an extension value deeper than that is refused.
- A lone surrogate ("\\ud800") is not a Unicode character: it cannot be encoded as UTF-8, so the first attempt
  to store or answer with it failed. Refused.
- NUL (U+0000): PostgreSQL's text and jsonb cannot hold it, SQLite can. Rather than store it on one database
  and fail on the other, it is refused on both (docs/api.md, "Characters").

The checks cost almost nothing on ordinary bodies: the walk runs only when a cheap scan of the text says it
might find something (more brackets than MAX_DEPTH; a ``\\u`` escape that could be NUL or a surrogate).

A request body is read by read_json: lrs.xapi.datatypes.parse_json's answer, with a large body's depth bounded
by orjson itself rather than by a pass over its text (read_json says how).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate
from operator import getitem
from typing import Any

import orjson

from lrs.xapi.errors import XAPIError

MAX_DEPTH = 100
#: Characters of JSON text above which the depth is walked without a bracket count first (see check_parsed).
WALK_WITHOUT_COUNTING = 16_384

# An escape that decodes to NUL or to half of a surrogate pair (a whole pair is fine; the walk tells them apart).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_SUSPECT_ESCAPE_BYTES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH (a ValueError: callers answer it as invalid JSON)."""

    def __init__(self) -> None:
        super().__init__(f"it is nested more than {MAX_DEPTH} levels deep")


def check_parsed(text: bytes | str, value: Any) -> None:  # noqa: ANN401 - any JSON value
    """Raise TooDeep, or an XAPIError naming the field path, for a parsed body the LRS must not accept."""
    # The bracket count only spares a small body the walk. A large one (a batch of statements) always has more
    # than MAX_DEPTH brackets: its depth is bounded from its brackets outside strings (_shallow_by_text), and
    # walked only when that cannot tell.
    deep_enough_to_check = len(text) > WALK_WITHOUT_COUNTING or _count_openings(text) > MAX_DEPTH
    if deep_enough_to_check and not (isinstance(text, bytes) and _shallow_by_text(text)):
        _check_depth(value)
    if isinstance(text, bytes):
        # A backslash first: one memchr, where "\\u" is a search of its own (a batch rarely has any escape).
        if b"\\" in text and _SUSPECT_ESCAPE_BYTES.search(text):
            _check_strings(value)
    elif "\\u" in text and _SUSPECT_ESCAPE.search(text):
        _check_strings(value)


#: How many arrays and objects orjson reads nested in one another: it refuses a text nested one level deeper
#: (tests/xapi/test_jsonlimits.py holds it to that).
ORJSON_MAX_NESTING = 1024
#: The arrays read_json puts around a body: with them, orjson refuses exactly the bodies nested past MAX_DEPTH.
_WRAPPERS = ORJSON_MAX_NESTING - MAX_DEPTH
_OPEN, _CLOSE = b"[" * _WRAPPERS, b"]" * _WRAPPERS
_DOWN = (0,) * (_WRAPPERS - 1)
#: Bytes from which read_json wraps a body: the wrapping costs ~1.2 M instructions whatever the body (orjson
#: reads 924 more arrays, which are then checked one by one), check_parsed's bracket reading ~15 a byte; they
#: cost the same at ~80 KB (a batch of 40 workload statements; callgrind, docs/performance.md).
WRAP_FROM = 81_920
#: Every digit as "0", so that a run of 19 digits is one search (as lrs.xapi.datatypes reads them).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def read_json(content: bytes | str, parse_json: Callable[[bytes | str], Any]) -> Any:  # noqa: ANN401 - any JSON value
    """``parse_json(content)``, ``parse_json`` being lrs.xapi.datatypes.parse_json (passed in: that module imports
    this one): the same value, or the same error; for a large body (a batch of
    statements) without check_parsed's passes over the text for its depth (a third of the instructions of the
    reading of a batch of 100 before).

    The body goes to orjson inside _WRAPPERS arrays: orjson refuses it if the body is nested deeper than
    MAX_DEPTH. When orjson reads the wrapped text and each wrapper holds exactly one value, the body is one JSON
    value, read as orjson reads it alone (the wrapped text's characters are its own, and orjson reads the body
    alone whenever it reads it wrapped), nested at most MAX_DEPTH deep: the value parse_json answers, whose
    depth check passes. (A wrapper holding more than one value means the body was no single value: ``1],[2``.)
    Everything else goes to parse_json, whose answer is then the answer: a body orjson may read differently
    from json (a run of 19 digits, as parse_json decides), one orjson refuses wrapped (too deep, not JSON,
    not UTF-8, a byte-order mark), a small body (parse_json's checks cost less there). NUL and lone
    surrogates are checked here as check_parsed checks them."""
    if (
        type(content) is not bytes
        or len(content) < WRAP_FROM
        or b"0000000000000000000" in content.translate(_DIGITS_AS_ZERO)
    ):
        return parse_json(content)
    try:
        wrapped = orjson.loads(b"".join((_OPEN, content, _CLOSE)))
    except orjson.JSONDecodeError:
        return parse_json(content)
    # The wrappers from the outside in: each one is the first value of the one around it.
    wrappers = list(accumulate(_DOWN, getitem, initial=wrapped))
    if max(map(len, wrappers)) != 1 or not wrappers[-1]:
        return parse_json(content)
    value = wrappers[-1][0]
    if b"\\" in content and _SUSPECT_ESCAPE_BYTES.search(content):
        _check_strings(value)
    return value



def _count_openings(text: bytes | str) -> int:
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")


_CONTAINERS = (dict, list)
#: Every byte but the brackets and the quotes, deleted by _shallow_by_text.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


def _shallow_by_text(text: bytes) -> bool:
    """True when the brackets of ``text`` (valid JSON, already parsed) show it nested at most MAX_DEPTH deep;
    False when they cannot tell (then the parsed value is walked). A fifth of the walk's time for a batch.

    The escaped backslashes and then the escaped quotes are taken out (a backslash only starts an escape or is
    the second character of ``\\\\``, so pairs of them, read from the left, are exactly the escaped ones),
    then every byte but brackets and quotes. A string whose text held no bracket or quote is now ``""``: those
    pairs go (left to right, the quotes alternate opening and closing), and a quote left over means some
    string held a bracket, which would be miscounted: the walk decides. Otherwise what is left is the
    structure's brackets alone, and each pass taking out the empty pairs (``[]`` then ``{}``) lowers the
    depth by one or two: a text emptied in at most MAX_DEPTH / 2 passes is at most MAX_DEPTH deep. UTF-8 only
    (json also reads UTF-16 and UTF-32, whose characters may hold a bracket's byte): in UTF-8 these bytes are
    never part of another character."""
    if json.detect_encoding(text) not in ("utf-8", "utf-8-sig"):
        return False
    if b"\\" in text:  # most bodies have no escape at all
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = text.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:
        return False
    for _ in range(MAX_DEPTH // 2):
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"").replace(b"{}", b"")
    return not brackets


def _check_depth(value: Any) -> None:  # noqa: ANN401
    # Level by level, each level one comprehension: no (node, depth) tuple per node, no list per node, and a
    # tuple of types rather than a union made per child (this runs for every batch of statements).
    level = [value] if isinstance(value, _CONTAINERS) else []  # a lone string may hold any brackets
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise TooDeep()
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if isinstance(child, _CONTAINERS)
        ]


def _check_strings(value: Any) -> None:  # noqa: ANN401
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            _check_string(node, path)
        elif isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else key
                _check_string(key, child_path)
                stack.append((child, child_path))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(node))


def _check_string(text: str, path: str) -> None:
    if "\x00" in text:
        raise XAPIError(
            "NUL (\\u0000) is not accepted in any string: one of the LRS's databases cannot store it",
            rule="nul-character",
            path=path,
        )
    if _SURROGATE.search(text):
        raise XAPIError(
            "a lone UTF-16 surrogate (\\ud800-\\udfff without its pair) is not a Unicode character",
            rule="lone-surrogate",
            path=path,
        )
