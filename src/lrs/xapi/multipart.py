"""multipart/mixed bodies of the Statement resource: reading a request's parts and writing a response's.

Pure (no Flask): the HTTP API reads requests and writes answers with it, and so do forwarding (which sends
multipart/mixed to another LRS) and `lrs import` (which reads another LRS's multipart/mixed answers).

Reading uses the standard library's ``email`` parser. It implements RFC 2046 multipart for any subtype
(werkzeug's multipart decoder is built for forms and refuses a part without Content-Disposition, which no
xAPI part has), works on bytes, keeps binary content byte for byte, and reports a malformed body as
"defects" (no boundary, no closing delimiter, headers without a blank line) instead of guessing, so each can
be turned into a 400 that says what is wrong. The one thing it does not do is give back a part of type
``multipart/*`` or ``message/*`` unparsed, so such attachments are refused with a clear message.
"""

from __future__ import annotations

import re
import secrets
from email import errors as email_errors
from email import policy
from email.message import Message
from email.parser import BytesParser

from lrs.xapi.attachments import Part, media_type
from lrs.xapi.errors import XAPIError

HASH_HEADER = "X-Experience-API-Hash"

_TRUNCATED = (email_errors.CloseBoundaryNotFoundDefect,)
_NO_BOUNDARY = (email_errors.NoBoundaryInMultipartDefect, email_errors.StartBoundaryNotFoundDefect)
_MALFORMED = (
    email_errors.MultipartInvariantViolationDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
    email_errors.FirstHeaderLineIsContinuationDefect,
    email_errors.MisplacedEnvelopeHeaderDefect,
)


def parse_multipart(content_type: str, body: bytes) -> tuple[bytes, list[Part]]:
    """Split a multipart/mixed request into its first part (the statements, which must be
    application/json) and its attachment parts, or raise a 400 naming what is malformed."""
    boundary = _boundary(content_type)
    if not boundary:
        raise XAPIError(
            "a multipart/mixed request needs a boundary parameter in its Content-Type header",
            rule="multipart-boundary",
            path="Content-Type",
        )
    body = _delimiters_on_their_own_lines(body, boundary)
    # The parser reads a whole MIME entity, so the request's own Content-Type becomes its header.
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    _check_defects(message, f"--{boundary}", "")
    if not message.is_multipart():
        raise XAPIError("the multipart/mixed body has no parts", rule="multipart-malformed", path="")
    entities = message.get_payload()
    if not isinstance(entities, list) or not entities:
        raise XAPIError("the multipart/mixed body has no parts", rule="multipart-malformed", path="")

    parts: list[Part] = []
    for number, entity in enumerate(entities):
        path = f"multipart[{number}]"
        if entity.is_multipart() or entity.get_content_maintype() in ("multipart", "message"):
            raise XAPIError(
                f"part {number} is itself a {entity.get_content_type()} entity; each attachment is sent as one "
                "part of raw octets",
                rule="multipart-nested",
                path=path,
            )
        _check_defects(entity, f"--{boundary}", path)
        parts.append(
            Part(
                number=number,
                content=_raw_content(entity),
                hash_header=_header(entity, HASH_HEADER),
                content_type=_header(entity, "Content-Type"),
                content_length=_header(entity, "Content-Length"),
                transfer_encoding=_header(entity, "Content-Transfer-Encoding"),
            )
        )

    first, attachments = parts[0], parts[1:]
    if first.content_type is None or media_type(first.content_type) != "application/json":
        raise XAPIError(
            "the first part of a multipart/mixed request holds the statements, with Content-Type "
            f"application/json (this one is {first.content_type or 'without a Content-Type'})",
            rule="multipart-first-part",
            path="multipart[0].Content-Type",
        )
    return first.content, attachments


def _boundary(content_type: str) -> str | None:
    """The boundary parameter of a Content-Type value (quoted or not), by the standard library's reading."""
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_boundary()
    return boundary or None


def _delimiters_on_their_own_lines(body: bytes, boundary: str) -> bytes:
    """Put a CRLF before each boundary delimiter that lacks one.

    RFC 2046 makes the CRLF before ``--boundary`` part of the delimiter, but @xapi/xapi and TinCanJS write an
    attachment's bytes and the next part's ``--boundary`` back to back, so with two attachments the second
    would vanish into the first. The boundary cannot occur inside a part (RFC 2046 5.1.1), so a delimiter
    followed by the end of its line or by ``--`` is one wherever it starts; the attachments' SHA-256 hashes
    still check every byte. A well-formed body is returned unchanged."""
    delimiter = re.escape(b"--" + boundary.encode("latin-1"))
    return re.sub(rb"(?<=[^\n])(?=" + delimiter + rb"(?:--|[ \t]*\r?\n))", b"\r\n", body)


def _check_defects(entity: Message, delimiter: str, path: str) -> None:
    for defect in entity.defects:
        if isinstance(defect, _TRUNCATED):
            raise XAPIError(
                f"the multipart body ends before its closing delimiter {delimiter}-- (truncated?)",
                rule="multipart-truncated",
                path=path,
            )
        if isinstance(defect, _NO_BOUNDARY):
            raise XAPIError(
                f"the multipart body does not start with its boundary delimiter {delimiter}",
                rule="multipart-boundary",
                path=path,
            )
        if isinstance(defect, _MALFORMED):
            where = f"part {path}" if path else "the body"
            raise XAPIError(
                f"{where} is not well-formed multipart: {defect.__doc__ or type(defect).__name__}".strip(),
                rule="multipart-malformed",
                path=path,
            )


def _header(entity: Message, name: str) -> str | None:
    value = entity.get(name)
    return None if value is None else str(value)


def _raw_content(entity: Message) -> bytes:
    """The part's octets as sent. With Content-Transfer-Encoding binary (or none) the parser's decoding
    is the identity: it held the bytes as ASCII text with the rest surrogate-escaped and encodes them back
    the same way. Any other encoding is refused for attachment parts, so only the statements part could be
    decoded (from base64, say), which is the right reading of it."""
    content = entity.get_payload(decode=True)
    return content if isinstance(content, bytes) else b""


def build_multipart(statements_json: bytes, attachments: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed response: the statements, then one part per (sha2, content type, content).

    Returns the body and its Content-Type (``multipart/mixed; boundary=...``, unquoted: the boundary is hex).
    """
    boundary = secrets.token_hex(16)
    while (
        any(boundary.encode() in content for _, _, content in attachments)
        or boundary.encode() in statements_json
    ):
        boundary = secrets.token_hex(16)
    delimiter = b"--" + boundary.encode()
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", statements_json]
    for sha2, content_type, content in attachments:
        chunks += [
            b"\r\n",
            delimiter,
            b"\r\nContent-Type: ",
            _header_value(content_type),
            b"\r\nContent-Transfer-Encoding: binary\r\n",
            HASH_HEADER.encode(),
            b": ",
            _header_value(sha2),
            b"\r\n\r\n",
            content,
        ]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"


def _header_value(value: str) -> bytes:
    # Stored values came from clients: never let one break the part's header block.
    return " ".join(value.split()).encode("latin-1", "replace")
