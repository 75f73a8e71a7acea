"""Statement attachments and the multipart parts that carry their content.

Pure rules, no Flask and no SQL: which attachments need a part, how a part is matched to its attachment
(by SHA-2 only, as the specification requires), and what must agree between a part's headers and the
attachment's metadata. The HTTP layer parses the body into :class:`Part` objects and the store keeps the
content this module returns, once per hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lrs.xapi.errors import Problem, StatementInvalid

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"

# SHA-2 digests by hex length. SHA-512/224 and /256 share their lengths with SHA-224 and SHA-256, so a hash
# of either length is checked against both.
_SHA2_BY_HEX_LENGTH = {
    56: ("sha224", "sha512_224"),
    64: ("sha256", "sha512_256"),
    96: ("sha384",),
    128: ("sha512",),
}


@dataclass(frozen=True)
class Part:
    """One attachment part of a multipart/mixed request: the parts after the statements part.

    Header values are as received (None when the header is absent); ``number`` is the part's position in
    the body, counting the statements part as 0, so error paths read ``multipart[2]``.
    """

    number: int
    content: bytes
    hash_header: str | None = None
    content_type: str | None = None
    content_length: str | None = None
    transfer_encoding: str | None = None

    @property
    def path(self) -> str:
        return f"multipart[{self.number}]"


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment object of a received statement, with its JSON path and the statement it belongs to."""

    path: str
    statement: dict[str, Any]
    attachment: dict[str, Any]

    @property
    def sha2(self) -> str | None:
        value = self.attachment.get("sha2")
        return normalise_hash(value) if isinstance(value, str) and value else None


def normalise_hash(value: str) -> str:
    """Hex digests compare case-insensitively."""
    return value.strip().lower()


def media_type(value: str) -> str:
    """The ``type/subtype`` of a media type, lower case, without parameters: ``text/plain; charset=ascii``
    and ``text/plain`` name the same type of content (the specification's own example pairs them)."""
    return value.split(";", 1)[0].strip().lower()


def attachment_refs(payload: Any) -> Iterator[AttachmentRef]:
    """Every well-formed attachment object of a body, with the path validation errors use.

    The paths of an array's statements start with ``[i].``, as validation's do; malformed attachment lists
    are left to validation.
    """
    items = payload if isinstance(payload, list) else [payload]
    prefix_needed = isinstance(payload, list)
    for index, statement in enumerate(items):
        if not isinstance(statement, dict) or not isinstance(statement.get("attachments"), list):
            continue
        prefix = f"[{index}]." if prefix_needed else ""
        for position, attachment in enumerate(statement["attachments"]):
            if isinstance(attachment, dict):
                yield AttachmentRef(f"{prefix}attachments[{position}]", statement, attachment)


def is_signature(attachment: dict[str, Any]) -> bool:
    return attachment.get("usageType") == SIGNATURE_USAGE


def needs_part(attachment: dict[str, Any]) -> bool:
    """An attachment without a fileUrl has its content only in the request; a signature is always checked,
    so it needs its JWS in a part even when it also names a fileUrl."""
    return not attachment.get("fileUrl") or is_signature(attachment)


def has_attachments(payload: Any) -> bool:
    return any(True for _ in attachment_refs(payload))


def hash_matches(sha2: str, content: bytes) -> bool:
    """True when ``sha2`` (hex) is a SHA-2 digest of ``content``."""
    algorithms = _SHA2_BY_HEX_LENGTH.get(len(sha2), ())
    for name in algorithms:
        if name in hashlib.algorithms_available and hashlib.new(name, content).hexdigest() == sha2:
            return True
    return False


def match_parts(payload: Any, parts: list[Part]) -> dict[str, tuple[str, bytes]]:
    """Match the parts of a request to the attachments of its statements; every problem is a 400.

    Three steps: each part is checked on its own (encoding, hash header, a declared hash, content that has it);
    then each attachment is checked against the part with its hash (present when needed, headers agreeing);
    then the content to store is collected. Returns ``{sha2 (lower case): (content type, bytes)}``: one entry
    per hash, since the same content is stored once however many attachments (or statements) share it.
    """
    refs = list(attachment_refs(payload))
    declared = {ref.sha2 for ref in refs if ref.sha2}
    problems: list[Problem] = []
    received: dict[str, Part] = {}
    for part in parts:
        problem = _part_problem(part, declared)
        if problem is not None:
            problems.append(problem)
        else:
            # A repeated part is harmless: its hash proves it is the same content.
            received.setdefault(normalise_hash(part.hash_header or ""), part)
    for ref in refs:
        problems.extend(_attachment_problems(ref, received))
    if problems:
        raise StatementInvalid(problems)
    return _contents(refs, received)


def _part_problem(part: Part, declared: set[str]) -> Problem | None:
    """What is wrong with one part on its own: not binary, no hash header, a hash no attachment declares, or
    content without that hash. None when it is the content of a declared attachment."""
    encoding = (part.transfer_encoding or "binary").strip().lower()
    if encoding != "binary":
        return Problem(
            "attachment-transfer-encoding",
            f"{part.path}.Content-Transfer-Encoding",
            f"attachment parts are sent as Content-Transfer-Encoding: binary, not {part.transfer_encoding}",
        )
    if not part.hash_header or not part.hash_header.strip():
        return Problem(
            "attachment-hash-header",
            f"{part.path}.X-Experience-API-Hash",
            "every part after the statements needs an X-Experience-API-Hash header (the attachment's sha2)",
        )
    sha2 = normalise_hash(part.hash_header)
    if sha2 not in declared:
        return Problem(
            "attachment-extra-part",
            part.path,
            f"no attachment of the statements has sha2 {part.hash_header.strip()}; "
            "every part must be the content of one of them",
        )
    if not hash_matches(sha2, part.content):
        why = (
            f"the part's content does not have the SHA-2 hash {part.hash_header.strip()} "
            f"({len(part.content)} octets received)"
            if len(sha2) in _SHA2_BY_HEX_LENGTH
            else f"{part.hash_header.strip()} is not a SHA-2 digest in hex (56, 64, 96 or 128 characters)"
        )
        return Problem("attachment-hash-mismatch", part.path, why)
    return None


def _attachment_problems(ref: AttachmentRef, received: dict[str, Part]) -> list[Problem]:
    """What is wrong with one attachment given the good parts: its part is missing though it needs one, or
    the part's headers disagree with its metadata."""
    part = received.get(ref.sha2) if ref.sha2 else None
    if part is not None:
        return _header_problems(ref, part)
    if ref.sha2 is None or not needs_part(ref.attachment):
        return []
    what = "the JWS of a signature" if is_signature(ref.attachment) else "attachment content"
    return [
        Problem(
            "attachment-missing-part",
            ref.path,
            f"no part carries {what} with sha2 {ref.attachment['sha2']}; send it in a multipart/mixed request"
            + ("" if is_signature(ref.attachment) else " or give a fileUrl"),
        )
    ]


def _contents(refs: list[AttachmentRef], received: dict[str, Part]) -> dict[str, tuple[str, bytes]]:
    """The content to store by hash, its type from the part's header or else the attachment's contentType."""
    contents: dict[str, tuple[str, bytes]] = {}
    for ref in refs:
        part = received.get(ref.sha2) if ref.sha2 else None
        if part is not None and ref.sha2 not in contents:
            declared_type = ref.attachment.get("contentType")
            content_type = part.content_type or (declared_type if isinstance(declared_type, str) else None)
            contents[ref.sha2] = (content_type or "application/octet-stream", part.content)
    return contents


def _header_problems(ref: AttachmentRef, part: Part) -> list[Problem]:
    """The specification: where a part's header has a corresponding attachment property (Content-Type for
    contentType, Content-Length for length) and both are given, they must match."""
    problems = []
    declared_type = ref.attachment.get("contentType")
    if (
        part.content_type
        and isinstance(declared_type, str)
        and media_type(part.content_type) != media_type(declared_type)
    ):
        problems.append(
            Problem(
                "attachment-content-type",
                f"{ref.path}.contentType",
                f"the attachment declares contentType {declared_type} but its part ({part.path}) is "
                f"Content-Type {part.content_type}",
            )
        )
    length = ref.attachment.get("length")
    if (
        part.content_length is not None
        and isinstance(length, int)
        and not isinstance(length, bool)
        and part.content_length.strip() != str(length)
    ):
        problems.append(
            Problem(
                "attachment-length",
                f"{ref.path}.length",
                f"the attachment declares length {length} but its part ({part.path}) has "
                f"Content-Length {part.content_length.strip()}",
            )
        )
    return problems


def attachment_hashes(statements: list[dict[str, Any]]) -> dict[str, str]:
    """The sha2 of every attachment of stored statements, in order, once each: lower case -> as written."""
    hashes: dict[str, str] = {}
    for ref in attachment_refs(statements):
        if ref.sha2 and ref.sha2 not in hashes:
            hashes[ref.sha2] = ref.attachment["sha2"].strip()
    return hashes
