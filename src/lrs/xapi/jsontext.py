"""JSON text the LRS writes: statements as stored, and the canonical form their fingerprints hash.

Encoding was the largest single cost of storing statements (a fifth of a batch's instructions with Python's
``json``: docs/performance.md, "The statement path, third pass"), so it is done with orjson, a C/Rust encoder
about fifteen times faster, wherever its text means exactly what ``json`` would have written:

- :func:`compact`: the stored statement and other JSON the store keeps or sends (a value as JSON text). orjson
  writes the same values: strings as UTF-8 rather than ``\\u`` escapes, floats in their shortest round-trip form
  (as Python's ``repr``). It cannot encode an integer beyond 64 bits, which JSON (and xAPI extensions) allow and
  the LRS keeps exactly: such a value is written by ``json`` instead. NaN and Infinity never get this far (a
  body holding them is refused when it is read: lrs.xapi.datatypes.parse_json).
- :func:`canonical`: sorted keys, no spaces, ASCII only, byte for byte what
  ``json.dumps(value, sort_keys=True, separators=(",", ":"))`` gives, because stored fingerprints were made from
  that text and a re-sent statement must hash the same as when it was first stored (a 204, not a 409). orjson's
  text, with DEL and every non-ASCII character then escaped as ``json`` escapes them (``\u00e9``, a surrogate
  pair beyond the BMP), is used unless it holds an exponent ``e-5`` to ``e-9`` or four zeros after a decimal
  point (the only floats orjson writes differently: ``1e-07`` is ``1e-7`` there, ``1e-05`` is ``0.00001``) or an
  integer beyond 64 bits; then ``json`` writes it.
  tests/xapi/test_jsontext.py checks both against ``json`` on the workload's statements and on the edge cases.

Reading stays with Python's ``json`` (lrs.xapi.datatypes.parse_json): orjson reads an integer beyond 64 bits as
a float, which would change a statement, and guarding against that cost more than the faster parse saved.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_SORT = orjson.OPT_SORT_KEYS
# Where orjson's float text may differ from json's (see the module docstring): an exponent e-5 to e-9, or
# ".0000". A match inside a string only means the slower, always right, path. The pattern starts with a literal,
# which the regular expression engine looks for quickly; "[0-9]e-..." cost 100 instructions a byte.
_SMALL_EXPONENT = re.compile(rb"e-[5-9](?![0-9])")
# What json's ASCII output escapes and orjson writes as it is: DEL and every character beyond ASCII (both occur
# only inside strings; orjson escapes quotes, backslashes and control characters exactly as json does).
_NOT_ASCII = re.compile("[\x7f-\U0010ffff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def compact(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """``value`` as compact JSON text (UTF-8 characters unescaped)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits (or a type JSON has not, which json refuses too)
        return json.dumps(value, separators=(",", ":"))


def _small_exponent_number(text: bytes) -> bool:
    """Whether ``text`` (orjson's) may hold a float with an exponent e-5 to e-9: a match of _SMALL_EXPONENT
    whose mantissa is a number where JSON has values (after ``:``, ``,`` or ``[``, with an optional minus
    sign). Every such float is found; a match inside a string is passed over unless its own text looks like
    one. UUIDs hold "e-5".."e-9" often (a hex digit before the dash), and each sent the whole statement
    through ``json``: 8 statements in a batch of 100 of the bench's workload."""
    for match in _SMALL_EXPONENT.finditer(text):
        head = text[max(0, match.start() - 40) : match.start()]
        mantissa = head.rstrip(b"0123456789.")
        if len(mantissa) == len(head):  # no digit or point before the "e"
            continue
        if mantissa.endswith(b"-"):
            mantissa = mantissa[:-1]
        # Nothing left: the digits start the text or fill the window, which cannot be told apart: json writes it.
        if not mantissa or mantissa[-1:] in (b":", b",", b"["):
            return True
    return False


def canonical(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, faster when orjson writes the same."""
    return canonical_bytes(value).decode("ascii")


def canonical_bytes(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """:func:`canonical` as (ASCII) bytes, what a hash takes: orjson's bytes as they are, when they are the text."""
    try:
        text = orjson.dumps(value, option=_SORT)
    except TypeError:
        text = None
    if text is None or b".0000" in text or _small_exponent_number(text):
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")
    if text.isascii() and b"\x7f" not in text:
        return text
    return _NOT_ASCII.sub(_escaped, text.decode()).encode("ascii")
