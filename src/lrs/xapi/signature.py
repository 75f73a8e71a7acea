"""Signed statements: checking the JWS carried by a signature attachment. Pure: no Flask, no SQL.

The specification (Data 2.6; 2.0.0 section 4.2.7) asks the LRS to reject a malformed signature: one that is
not a JWS, uses another algorithm than RS256/RS384/RS512, whose payload is not the statement as it was before
signing, or, when the JWS header carries an X.509 chain (``x5c``), that does not verify against the first
certificate's public key. The check catches mistakes; it is not an authentication of the signer (certificate
validity and trust are out of the specification's scope, and so out of ours).
"""

from __future__ import annotations

import base64
import binascii
import warnings
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import RSAKey

from lrs.xapi.attachments import (
    SIGNATURE_CONTENT_TYPE,
    attachment_refs,
    is_signature,
    media_type,
)
from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import Problem, StatementInvalid
from lrs.xapi.statement import fingerprint

ALGORITHMS = ("RS256", "RS384", "RS512")


class _Registry(jws.JWSRegistry):
    # joserfc's defaults suit tokens; a signed statement is bigger: an x5c chain of a few certificates
    # exceeds the 512-byte header limit. The request size limit bounds the payload before this does.
    max_header_length = 64 * 1024
    max_payload_length = 64 * 1024 * 1024
    max_signature_length = 4096


# Unknown header parameters are allowed (the specification names only alg and x5c); "crit" is still honoured.
_REGISTRY = _Registry(algorithms=ALGORITHMS, strict_check_header=False)


def verify_signatures(
    payload: Any,
    contents: dict[str, tuple[str, bytes]],
    *,
    statement_id: str | None = None,
) -> None:
    """Check every signature attachment of a POST/PUT body against its JWS in ``contents`` (by lower-case
    sha2, as :func:`lrs.xapi.attachments.match_parts` returns them). Raises a 400 listing every problem.

    ``statement_id`` is the PUT's statementId, which is the statement's id when its body has none.
    A signature without a part is reported by ``match_parts``, not here.
    """
    problems: list[Problem] = []
    for ref in attachment_refs(payload):
        if not is_signature(ref.attachment):
            continue
        declared = ref.attachment.get("contentType")
        if not isinstance(declared, str) or media_type(declared) != SIGNATURE_CONTENT_TYPE:
            problems.append(
                Problem(
                    "signature-content-type",
                    f"{ref.path}.contentType",
                    f"a signature attachment's contentType must be {SIGNATURE_CONTENT_TYPE}, not {declared}",
                )
            )
            continue
        found = contents.get(ref.sha2) if ref.sha2 else None
        if found is None:
            continue
        received = ref.statement
        if statement_id and received.get("id") is None:
            received = {**received, "id": statement_id}
        problem = check_jws(found[1], received)
        if problem is not None:
            rule, message = problem
            problems.append(Problem(rule, ref.path, message))
    if problems:
        raise StatementInvalid(problems)


def check_jws(token: bytes, received: dict[str, Any]) -> tuple[str, str] | None:
    """None when ``token`` is a well-formed signature of ``received``; else (rule, message)."""
    try:
        obj = jws.extract_compact(token.strip(), registry=_REGISTRY)
        header = obj.headers()
    except (JoseError, ValueError, TypeError) as exc:
        return "signature-malformed", f"the signature is not a JWS in compact serialisation ({exc})"
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        return (
            "signature-algorithm",
            f"the JWS uses algorithm {alg!r}; only {', '.join(ALGORITHMS)} are allowed",
        )
    try:
        signed = parse_json(obj.payload)
    except (ValueError, UnicodeDecodeError):
        return "signature-payload", "the JWS payload is not a JSON serialisation of a statement"
    if not isinstance(signed, dict):
        return "signature-payload", "the JWS payload is not a statement (a JSON object)"
    if not same_statement(signed, received):
        return "signature-mismatch", "the JWS payload is not the statement received (without its signature)"
    if "x5c" in header:
        key = _certificate_key(header["x5c"])
        if isinstance(key, str):
            return "signature-certificate", key
        try:
            valid = jws.validate_compact(obj, key, algorithms=[alg], registry=_REGISTRY)
        except (JoseError, ValueError) as exc:
            return "signature-invalid", f"the signature does not verify against the x5c certificate ({exc})"
        if not valid:
            return "signature-invalid", "the signature does not verify against the first certificate in x5c"
    return None


def same_statement(signed: dict[str, Any], received: dict[str, Any]) -> bool:
    """The specification's statement comparison: the signed statement is the received one before its
    signature attachment was added. Differences the immutability exceptions allow are ignored: what the
    LRS sets (stored, authority, version; id and timestamp when the signer left them out), id case, the
    form of a timestamp for the same instant, the order of group members (see ``fingerprint``)."""
    return fingerprint(_comparable(signed, signed)) == fingerprint(_comparable(received, signed))


def _comparable(statement: dict[str, Any], signed: dict[str, Any]) -> dict[str, Any]:
    body = dict(statement)
    attachments = body.get("attachments")
    if isinstance(attachments, list):
        kept = [a for a in attachments if not (isinstance(a, dict) and is_signature(a))]
        if kept:
            body["attachments"] = kept
        else:
            body.pop("attachments")
    for assigned in ("id", "timestamp"):
        if signed.get(assigned) is None:
            body.pop(assigned, None)
    return body


def _certificate_key(x5c: Any) -> RSAKey | str:
    """The RSA public key of the first certificate of an x5c chain, or why there is none."""
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        return "the JWS header's x5c must be a non-empty array of base64 DER certificates"
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        public_key = certificate.public_key()
    except (binascii.Error, ValueError) as exc:
        return f"the first certificate in x5c cannot be read ({exc})"
    if not isinstance(public_key, rsa.RSAPublicKey):
        return "the first certificate in x5c does not hold an RSA public key"
    with warnings.catch_warnings():
        # The specification's own example signs with a 1024-bit key; a short key is the signer's concern.
        warnings.simplefilter("ignore", SecurityWarning)
        return RSAKey.import_key(public_key)
