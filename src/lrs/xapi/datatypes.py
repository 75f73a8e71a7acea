"""xAPI's special data types as plain predicates and parsers: IRIs, mailto addresses, UUIDs, language tags,
timestamps, durations, media types, hashes.

No Flask, no marshmallow: the schema layer (``lrs.xapi.schema``) and the validator call these. Everything a
statement repeats (IRIs, language tags) is cached, so a batch of similar statements pays for each value once.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import isodate
import langcodes
import orjson

# --- JSON (RFC 8259) ---------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:  # noqa: ANN401 - never returns
    raise ValueError(f"{name} is not JSON")


def parse_json(content: bytes | str) -> Any:  # noqa: ANN401 - any JSON value
    """Strict JSON; raises ValueError (UnicodeDecodeError for bytes that are not UTF-8).

    Python's json reads NaN, Infinity and -Infinity, which JSON does not have: a statement carrying one would be
    stored as text no JSON parser reads back (PostgreSQL refused it with a 500), so a body is read with this.
    It also refuses nesting past lrs.xapi.jsonlimits.MAX_DEPTH (ValueError) and NUL or a lone surrogate in any
    string (an XAPIError naming the field path).
    """
    from lrs.xapi.jsonlimits import TooDeep, check_parsed

    value = _read_fast(content) if isinstance(content, bytes) else _UNREAD
    if value is _UNREAD:
        try:
            value = json.loads(content, parse_constant=_reject_constant)
        except RecursionError:
            raise TooDeep() from None
    check_parsed(content, value)  # depth, NUL and lone surrogates: lrs.xapi.jsonlimits
    return value


_UNREAD = object()
#: Every digit as "0", so that a run of 19 digits is one search (see _read_fast).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _read_fast(content: bytes) -> Any:  # noqa: ANN401 - any JSON value
    """``content`` read by orjson (about half the instructions of json's reader for a batch of statements), or
    _UNREAD when only json may read it. orjson reads every JSON text json reads, to the same values, but for
    an integer beyond 64 bits, which it reads as a float: a text with a run of 19 digits or more anywhere
    (a number of that size, or a string holding one) goes to json. Whatever orjson refuses goes to json too
    (NaN and Infinity, a byte-order mark, UTF-16 or UTF-32, a lone surrogate, a number beyond a float's range,
    nesting past 1,024, any error), so a refused body gets json's message as before, and json's values
    (tests/xapi/test_json_reading.py compares the two)."""
    if b"0000000000000000000" in content.translate(_DIGITS_AS_ZERO):
        return _UNREAD
    try:
        return orjson.loads(content)
    except ValueError:  # orjson.JSONDecodeError
        return _UNREAD


# --- IRIs (RFC 3987) -----------------------------------------------------------------------------------

#: The verb of a voiding statement (xAPI 2.3.2): the one copy of this IRI in the code.
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*", re.ASCII)
# ASCII characters an IRI may carry literally: unreserved, gen-delims, sub-delims and "%" (checked apart).
# "[" and "]" are only legal around an IP literal host, so they are handled with the authority.
_IRI_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&'()*+,;=%")
_HEX = frozenset("0123456789abcdefABCDEF")
_PORT = re.compile(r"[0-9]*", re.ASCII)
# Schemes whose IRIs are locators with a host: "http:///x" is generic-syntax valid but names nothing.
_HOST_REQUIRED = frozenset({"http", "https", "ftp", "ws", "wss"})


def _ucschar(code: int) -> bool:
    """RFC 3987 ucschar: the non-ASCII characters an IRI may hold literally (no controls, no surrogates,
    no private use, no noncharacters)."""
    if code < 0xA0:
        return False
    if code <= 0xD7FF:
        return True
    if 0xF900 <= code <= 0xFDCF or 0xFDF0 <= code <= 0xFFEF:
        return True
    if code >= 0x10000 and (code & 0xFFFF) <= 0xFFFD:
        # Planes 1-13 and 14 (E1000-EFFFD); planes 15-16 are private use, allowed only in queries.
        return code <= 0xDFFFD or 0xE1000 <= code <= 0xEFFFD
    return False


def _iprivate(code: int) -> bool:
    return 0xE000 <= code <= 0xF8FF or 0xF0000 <= code <= 0xFFFFD or 0x100000 <= code <= 0x10FFFD


def _chars_ok(text: str, *, private: bool = False) -> bool:
    """Every character is legal in an IRI component and every "%" starts a %XX escape."""
    if "%" not in text and _IRI_ASCII.issuperset(text):
        return True  # the usual case, in one C loop: ASCII IRI characters and no escape to look at
    length = len(text)
    for index, char in enumerate(text):
        if char in _IRI_ASCII:
            if char == "%" and (
                index + 2 >= length or text[index + 1] not in _HEX or text[index + 2] not in _HEX
            ):
                return False
            continue
        code = ord(char)
        if not (_ucschar(code) or (private and _iprivate(code))):
            return False
    return True


def _authority_ok(authority: str, scheme: str) -> bool:
    userinfo, at, hostport = authority.rpartition("@")
    if at and ("[" in userinfo or "]" in userinfo or not _chars_ok(userinfo)):
        return False
    if hostport.startswith("["):
        # IP-literal: "[" IPv6 or IPvFuture "]" then an optional port.
        close = hostport.find("]")
        if close < 0:
            return False
        literal, rest = hostport[1:close], hostport[close + 1 :]
        if not literal or not all(c in _HEX or c in ":.vV" or c in "-_~!$&'()*+,;=" for c in literal):
            return False
        return not rest or (rest.startswith(":") and _PORT.fullmatch(rest[1:]) is not None)
    host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if colon and not _PORT.fullmatch(port):
        return False
    if "[" in host or "]" in host or ":" in host or not _chars_ok(host):
        return False
    return bool(host) or scheme.lower() not in _HOST_REQUIRED


def is_iri(value: object) -> bool:
    """An absolute IRI (RFC 3987): a scheme, a colon and a well-formed rest, unicode allowed, no spaces.

    A relative reference ("example.com/x", "not an iri") is refused: xAPI identifiers must name a scheme.
    Anything but a string is not an IRI.
    """
    return isinstance(value, str) and is_iri_str(value)


# The usual IRI in one regular expression: ASCII, no "%" escape, no IP literal, a host where there is an
# authority. Every string it matches passes the full test below (it is that test's path through
# _authority_ok and _chars_ok written out for these characters: tests/xapi/test_validation.py compares the
# two on many strings); what it does not match is judged by the full test, so it only saves time. Its
# classes: _IRI_ASCII less "%" (C), C less "/?#" (userinfo), C less ":/?#@" (host), C less "?#" (path),
# C less "#" (query, fragment).
_USUAL_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?=[A-Za-z0-9\-._~:/?#@!$&'()*+,;=])"
    r"(?://(?:[A-Za-z0-9\-._~!$&'()*+,;=]+(?::[0-9]*)?"
    r"|[A-Za-z0-9\-._~:@!$&'()*+,;=]*@[A-Za-z0-9\-._~!$&'()*+,;=]+(?::[0-9]*)?)"
    r"(?:/[A-Za-z0-9\-._~:/@!$&'()*+,;=]*)?"
    r"|(?!//)[A-Za-z0-9\-._~:/@!$&'()*+,;=]*)"
    r"(?:\?[A-Za-z0-9\-._~:/?@!$&'()*+,;=]*)?"
    r"(?:\#[A-Za-z0-9\-._~:/?@!$&'()*+,;=]*)?",
    re.ASCII,
)


@lru_cache(maxsize=65536)
def is_iri_str(value: str) -> bool:
    """:func:`is_iri` for a value already known to be a string (cached)."""
    if _USUAL_IRI.fullmatch(value) is not None:
        return True  # the usual IRI, in one C call (see _USUAL_IRI)
    return _is_iri_full(value)


def _is_iri_full(value: str) -> bool:
    """The full test of :func:`is_iri_str`."""
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or not _SCHEME.fullmatch(scheme):
        return False
    rest, hash_mark, fragment = rest.partition("#")
    if hash_mark and (not _chars_ok(fragment) or "#" in fragment or "[" in fragment or "]" in fragment):
        return False
    hier, question, query = rest.partition("?")
    if question and ("[" in query or "]" in query or not _chars_ok(query, private=True)):
        return False
    if hier.startswith("//"):
        slash = hier.find("/", 2)
        authority, path = (hier[2:], "") if slash < 0 else (hier[2:slash], hier[slash:])
        if not _authority_ok(authority, scheme):
            return False
    else:
        path = hier
    return "[" not in path and "]" not in path and _chars_ok(path)


# --- mbox ----------------------------------------------------------------------------------------------

# RFC 5322 atext, less the characters an IRI cannot carry literally ("{", "|", "}", "`", "^").
_ATEXT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?_~")
_ATEXT_OR_DOT = _ATEXT | {"."}


def _label_ok(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and label.replace("-", "").isalnum()  # isalnum admits internationalised labels
    )


def is_mailto(value: object) -> bool:
    """``mailto:`` followed by one e-mail address (RFC 5322 dot-atom local part, RFC 6531 unicode allowed),
    and nothing else: no second address, no ``?subject=`` headers."""
    return isinstance(value, str) and is_mailto_str(value)


# The usual mailto IRI in one regular expression: an ASCII dot-atom local part of at most 64 characters
# without "#", "%", "/" or "?", one "@", and a domain of letter-digit-hyphen labels. Every string it matches
# passes the full test below (and is an IRI by _USUAL_IRI's path); the rest goes to the full test.
_USUAL_MAILTO = re.compile(
    r"mailto:(?=[^@]{1,64}@)[A-Za-z0-9!$&'*+\-=_~]+(?:\.[A-Za-z0-9!$&'*+\-=_~]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)


@lru_cache(maxsize=65536)
def is_mailto_str(value: str) -> bool:
    """:func:`is_mailto` for a value already known to be a string (cached)."""
    if _USUAL_MAILTO.fullmatch(value) is not None:
        return True  # the usual address, in one C call (see _USUAL_MAILTO)
    return _is_mailto_full(value)


def _is_mailto_full(value: str) -> bool:
    """The full test of :func:`is_mailto_str`."""
    if not value.startswith("mailto:") or not is_iri_str(value):
        return False
    local, at, domain = value[7:].rpartition("@")
    if not at or not local or not domain or len(local) > 64 or "?" in domain or "?" in local:
        return False
    if local[0] == "." or local[-1] == "." or ".." in local:
        return False
    if not _ATEXT_OR_DOT.issuperset(local) and not all(c in _ATEXT_OR_DOT or ord(c) > 127 for c in local):
        return False
    for label in domain.split("."):  # noqa: SIM110 - a loop: no generator on this path
        if not _label_ok(label):
            return False
    return True


# --- UUIDs, hashes ---------------------------------------------------------------------------------------

# The standard string form only (8-4-4-4-12 hex digits), any variant and version, either case.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)
_SHA1 = re.compile(r"[0-9a-fA-F]{40}", re.ASCII)
_HEXSTRING = re.compile(r"[0-9a-fA-F]+", re.ASCII)
#: Hex lengths of SHA-224, SHA-256, SHA-384 and SHA-512 digests (SHA-512/t share 56 and 64).
SHA2_HEX_LENGTHS = frozenset({56, 64, 96, 128})


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def is_sha1_hex(value: object) -> bool:
    return isinstance(value, str) and _SHA1.fullmatch(value) is not None


#: :func:`is_uuid` and :func:`is_sha1_hex` for a value already known to be a string: a match (true) or None.
match_uuid = _UUID.fullmatch
match_sha1_hex = _SHA1.fullmatch


#: Every hexadecimal digit's byte as "0", every other byte as itself (see is_uuid_str).
_HEX_AS_ZERO = bytes(ord("0") if chr(byte) in "0123456789abcdefABCDEF" else byte for byte in range(256))
_UUID_FORM = b"00000000-0000-0000-0000-000000000000"


def is_uuid_str(value: str) -> bool:
    """:func:`is_uuid` for a value already known to be a string, without a regular expression (which costs
    half as much again): its ASCII bytes with every hex digit as "0" must read as the 8-4-4-4-12 form. Any
    other character is "?" there ("replace"), and stays "?"."""
    return value.encode("ascii", "replace").translate(_HEX_AS_ZERO) == _UUID_FORM


def is_sha2_hex(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) in SHA2_HEX_LENGTHS and _HEXSTRING.fullmatch(value) is not None
    )


# --- language tags (BCP 47 / RFC 5646) -------------------------------------------------------------------

_TAG_CHARS = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", re.ASCII)


def is_language_tag(value: object) -> bool:
    """A well-formed and valid BCP 47 tag (subtags registered), as langcodes judges it.

    langcodes forgives underscores ("en_US") and surrounding junk; a language map key must be the tag itself.
    """
    return isinstance(value, str) and is_language_tag_str(value)


@lru_cache(maxsize=4096)
def is_language_tag_str(value: str) -> bool:
    """:func:`is_language_tag` for a value already known to be a string (cached)."""
    return _TAG_CHARS.fullmatch(value) is not None and langcodes.tag_is_valid(value)


# --- media types (RFC 2045 / RFC 6838) -------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\\r\n]|\\.)*\"))*[ \t]*;?[ \t]*",
    re.ASCII,
)


def is_media_type(value: object) -> bool:
    """``type/subtype`` with optional ``; name=value`` parameters, e.g. ``text/plain; charset=ascii``."""
    return isinstance(value, str) and _MEDIA_TYPE.fullmatch(value) is not None


# --- timestamps ------------------------------------------------------------------------------------------

# ISO 8601 complete date and time of day, extended or basic format (not mixed), minutes at least; an
# optional fraction of a second and an optional UTC designator or offset. Upper case "T" and "Z" only, no
# space separator: ISO 8601 has neither lower case nor a space, and the store re-reads timestamps with
# datetime.fromisoformat, which refuses lower case.
_EXTENDED = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?", re.ASCII
)
_BASIC = re.compile(r"\d{8}T\d{4}(?:\d{2}(?:[.,]\d+)?)?(?P<offset>Z|[+-]\d{2}(?:\d{2})?)?", re.ASCII)
_NEGATIVE_ZERO = frozenset({"-00", "-0000", "-00:00"})


def parse_timestamp(value: str, version: str = "2.0.0") -> datetime:
    """An xAPI Timestamp as an aware datetime in UTC; ValueError when it is not one.

    Both rule sets refuse the negative zero offsets (``-00``, ``-0000``, ``-00:00``): RFC 3339 uses them for
    "local time unknown", which is not an instant, and the conformance suites of both 1.0.3 and 2.0 reject
    them. A timestamp without an offset is read as UTC. ``version`` is kept so a future rule set can differ.
    """
    del version  # the 1.0.3 and 2.0.0 rules agree on timestamps
    if not isinstance(value, str):
        raise ValueError("a timestamp is a string")
    match = _EXTENDED.fullmatch(value) or _BASIC.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time (e.g. 2024-05-04T12:00:00.000Z)")
    offset = match.group("offset")
    if offset in _NEGATIVE_ZERO:
        raise ValueError(f"{value!r} has a negative zero offset, which xAPI forbids; use Z or +00:00")
    if offset and offset != "Z" and len(offset) > 3 and int(offset[-2:]) > 59:
        raise ValueError(f"{value!r} has an offset with more than 59 minutes")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:  # out-of-range fields: month 13, 25 o'clock, February 30, leap second ...
        raise ValueError(f"{value!r} is not a real date and time: {exc}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC, 9999-12-31T23:59-01:00 in 10000
        raise ValueError(f"{value!r} is not a real date and time: in UTC it falls outside years 1 to 9999") from None


# The usual timestamp: extended format with seconds, an optional "." fraction, an optional "Z" or offset with
# minutes (not the negative zero, minutes under 60), in a year other than 1 and 9999 (the only years where the
# conversion to UTC can fail). For a string it matches, every test of parse_timestamp but one has passed: it
# is a timestamp exactly when datetime.fromisoformat reads it.
_USUAL_TIMESTAMP = re.compile(
    r"(?!0001|9999)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|\+\d{2}:[0-5]\d|-(?!00:00)\d{2}:[0-5]\d)?",
    re.ASCII,
)


def is_timestamp_str(value: str) -> bool:
    """True when :func:`parse_timestamp` reads ``value`` (a string), without making its datetime."""
    if _USUAL_TIMESTAMP.fullmatch(value) is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return True


# --- durations -------------------------------------------------------------------------------------------

_NUMBER = r"\d+(?:[.,]\d+)?"
# ISO 8601:2004 4.4.3.2 (format with designators): PnW alone, or PnYnMnDTnHnMnS with at least one
# component and at least one after a T. The alternative format (P0003-01-29T04:35:59) is not matched, and
# weeks cannot be combined with anything else ("P4W1D" is invalid).
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)",
    re.ASCII,
)
_FRACTION = re.compile(r"[.,]\d+[A-Z]", re.ASCII)
#: Nominal lengths for reporting: the mean Gregorian year and month.
_YEAR_SECONDS = 365.2425 * 86400
_MONTH_SECONDS = _YEAR_SECONDS / 12


def parse_duration(value: str) -> timedelta | isodate.Duration:
    """An xAPI Duration (ISO 8601 format with designators) parsed by isodate; ValueError when invalid.

    More than 0.01 s precision is accepted (both rule sets say an LRS should not reject it).
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT1H30M or P3DT4H5.25S")
    return _parse_duration(value)


@lru_cache(maxsize=4096)
def _parse_duration(value: str) -> timedelta | isodate.Duration:
    # Cached: statements repeat a handful of durations, and isodate is the slowest check of a statement.
    if _DURATION.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT1H30M or P3DT4H5.25S")
    fraction = _FRACTION.search(value)
    if fraction is not None and fraction.end() != len(value):
        # Only the smallest component given may carry a decimal fraction (ISO 8601 4.4.3.2).
        raise ValueError(f"{value!r}: only its last component may have a decimal fraction")
    try:
        return isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError, ArithmeticError) as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 duration: {exc}") from None


def duration_seconds(value: str) -> float:
    """An ISO 8601 duration in seconds, for reporting. Years and months count at their mean Gregorian
    length (365.2425 days, a twelfth of that), since the statement's own instant is not at hand here."""
    parsed = parse_duration(value)
    if isinstance(parsed, isodate.Duration):
        nominal = Decimal(parsed.years) * Decimal(_YEAR_SECONDS) + Decimal(parsed.months) * Decimal(
            _MONTH_SECONDS
        )
        return float(nominal) + parsed.tdelta.total_seconds()
    return parsed.total_seconds()
