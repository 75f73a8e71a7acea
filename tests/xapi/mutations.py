"""For the tests that compare two readers of a body on the same inputs: random small damage to a JSON text, and
what a reader answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from lrs.xapi.errors import XAPIError

#: Bytes and short runs that make a JSON reader take its rarer paths.
PIECES = [bytes([b]) for b in range(256)] + [
    b"\\u0000", b"\\ud800", b"\\", b'"', b"1e400", b"NaN", b"\xc3\xa9", b"\xed\xa0\x80", b"\xef\xbb\xbf",
    b" ", b"\t", b"\x0c", b"\xc2\xa0", b"-", b"0", b".", b"e", b"E", b"+", b"{", b"}", b"[", b"]", b",", b":",
    b"true", b"null", b"12345678901234567890123", b"9223372036854775808",
]


def mutated(rng: random.Random, text: bytes, pieces: list[bytes]) -> bytes:
    """``text`` with one to three pieces inserted or written over, or a few bytes deleted, at random places."""
    out = bytearray(text)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(out) + 1)
        piece = rng.choice(pieces)
        if rng.random() < 0.5:
            out[at:at] = piece
        elif rng.random() < 0.6:
            out[at : at + len(piece)] = piece
        else:
            del out[at : at + rng.randint(1, 3)]
    return bytes(out)


def answer(read: Callable[[bytes], Any], content: bytes) -> tuple[str, str]:
    """The value read (as its repr, which tells 1 from 1.0 and keeps key order), or the error's type and message
    (and an XAPIError's rule and path)."""
    try:
        value = read(content)
    except XAPIError as exc:
        return ("error", f"XAPIError {exc.rule} {exc.path}: {exc}")
    except (ValueError, UnicodeDecodeError) as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("value", repr(value))
