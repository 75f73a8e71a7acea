"""Open Badges 3.0 credentials for completed units, optionally signed as VC-JWTs.

Each completed unit becomes an ``OpenBadgeCredential`` in the W3C VC 2.0 envelope (OB 3.0 §8 data model): the
achievement is the unit's CFItem, aligned to it and to its criteria (``targetType`` "CFItem"), the evidence is
each accepted evidence statement. The learner is identified by a salted SHA-256 hash of their e-mail address
(an OB 3.0 ``IdentityObject``), or by their account, never by a plain e-mail address.

Signing follows OB 3.0's JSON Web Token Proof Format: JOSE header ``alg``, ``kid``, ``typ`` "JWT" and nothing
else; the payload is the credential itself plus ``iss`` (issuer.id), ``jti`` (id), ``nbf`` (validFrom) and
``sub`` (credentialSubject.id).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwk, jwt

from lrs.hookspecs import ExportOptionError
from lrs_ilm_portfolio.build import ACCEPTED, Portfolio, UnitEntry
from lrs_ilm_portfolio.qualification import Qualification

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

#: Environment variables (exact names; the README lists them).
ENV_SIGNING_KEY = "LRS_ILM_SIGNING_KEY"
ENV_ISSUER_ID = "LRS_ILM_ISSUER_ID"
ENV_ISSUER_NAME = "LRS_ILM_ISSUER_NAME"
ENV_CENTRE = "LRS_ILM_CENTRE"

DEFAULT_ISSUER_NAME = "Assessment centre"


@dataclass(frozen=True)
class SigningKey:
    key: Any
    alg: str
    kid: str


@dataclass(frozen=True)
class Issuer:
    id: str
    name: str
    centre: str
    signing_key: SigningKey | None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_signing_key(path_text: str, kid: str) -> SigningKey:
    """Read a PEM private key (RSA of 2048 bits or more, EC P-256/P-384, or Ed25519) for signing.

    Every problem is an ExportOptionError naming the variable, so the caller answers 400 and says which setting
    to fix; the message names the file but never echoes its content."""
    path = Path(path_text).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportOptionError(ENV_SIGNING_KEY, f"{ENV_SIGNING_KEY}: cannot read {path}: {exc.strerror}") from exc
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ExportOptionError(
            ENV_SIGNING_KEY, f"{ENV_SIGNING_KEY}: {path} is not an unencrypted PEM private key"
        ) from exc
    if isinstance(private, rsa.RSAPrivateKey):
        if private.key_size < 2048:
            raise ExportOptionError(ENV_SIGNING_KEY, f"{ENV_SIGNING_KEY}: the RSA key in {path} is shorter than 2048 bits")
        alg, key_type = "RS256", "RSA"
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": "ES256", "secp384r1": "ES384"}
        if private.curve.name not in algs:
            raise ExportOptionError(
                ENV_SIGNING_KEY, f"{ENV_SIGNING_KEY}: the EC key in {path} is on {private.curve.name}; use P-256"
            )
        alg, key_type = algs[private.curve.name], "EC"
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        # "EdDSA" rather than RFC 9864's newer "Ed25519": it is the name OB 3.0 era verifiers know.
        alg, key_type = "EdDSA", "OKP"
    else:
        raise ExportOptionError(
            ENV_SIGNING_KEY, f"{ENV_SIGNING_KEY}: {path} holds a key type OB 3.0 signing does not use; "
            "use RSA (2048 bits or more), EC P-256 or Ed25519"
        )
    return SigningKey(jwk.import_key(data, key_type), alg, kid)


def issuer_from_environment(qualification: Qualification, environ: Mapping[str, str] | None = None) -> Issuer:
    """The issuing centre as configured by LRS_ILM_ISSUER_ID, LRS_ILM_ISSUER_NAME / LRS_ILM_CENTRE and
    LRS_ILM_SIGNING_KEY. Read at each export, so a changed setting needs no restart of the exporter."""
    env = os.environ if environ is None else environ
    issuer_id = (env.get(ENV_ISSUER_ID) or "").strip()
    if not issuer_id:
        # Stable across exports, so credentials for the same qualification share one issuer.
        issuer_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, qualification.uri + '#centre')}"
    elif ":" not in issuer_id or any(ch.isspace() for ch in issuer_id):
        raise ExportOptionError(ENV_ISSUER_ID, f"{ENV_ISSUER_ID} must be a URL or DID, got {issuer_id!r}")
    centre = (env.get(ENV_CENTRE) or env.get(ENV_ISSUER_NAME) or "").strip()
    name = (env.get(ENV_ISSUER_NAME) or env.get(ENV_CENTRE) or "").strip() or DEFAULT_ISSUER_NAME
    key_path = (env.get(ENV_SIGNING_KEY) or "").strip()
    signing_key = load_signing_key(key_path, issuer_id + "#key-1") if key_path else None
    return Issuer(issuer_id, name, centre, signing_key)


def identity_objects(agent: Mapping[str, Any], salt: str) -> list[dict[str, Any]]:
    """OB 3.0 IdentityObjects for an xAPI Agent: a salted SHA-256 of the e-mail address (``sha256$<hex>`` of
    address + salt), else the account name, OpenID or mbox_sha1sum as given."""
    if agent.get("mbox"):
        email = str(agent["mbox"]).removeprefix("mailto:")
        digest = hashlib.sha256((email + salt).encode()).hexdigest()
        return [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": f"sha256${digest}", "salt": salt}]
    account = agent.get("account")
    if isinstance(account, Mapping) and account.get("name"):
        return [{"type": "IdentityObject", "identityType": "accountId", "hashed": False,
                 "identityHash": str(account["name"])}]
    if agent.get("openid"):
        return [{"type": "IdentityObject", "identityType": "identifier", "hashed": False,
                 "identityHash": str(agent["openid"])}]
    if agent.get("mbox_sha1sum"):
        # OB 3.0 hashes are MD5 or SHA-256 only, so xAPI's SHA-1 goes as a plain value of an extension type.
        return [{"type": "IdentityObject", "identityType": "ext:xapi_mbox_sha1sum", "hashed": False,
                 "identityHash": str(agent["mbox_sha1sum"])}]
    return []


def subject_id(issuer: Issuer, agent_key: str) -> str:
    """A pseudonymous, stable id for the learner at this issuer: the JWT ``sub`` needs one, and an e-mail
    address would put the learner's address in every credential."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer.id}#learner/{agent_key}')}"


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _awarded(unit: UnitEntry) -> str | None:
    """When the unit was achieved: the latest decision that made one of its criteria accepted (an assessor's
    acceptance; an IQA confirmation only samples, it awards nothing)."""
    dates = []
    for criterion in unit.criteria:
        for use in criterion.uses:
            if use.outcome == ACCEPTED:
                dates += [d.decided for d in use.decisions
                          if not d.superseded and d.decided and d.outcome != "confirmed"]
    parsed = []
    for text in dates:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return _utc(max(parsed)) if parsed else None


def unit_credential(portfolio: Portfolio, unit: UnitEntry, issuer: Issuer, salt: str | None = None) -> dict[str, Any]:
    """The OpenBadgeCredential for one completed (claimed) unit (unsigned)."""
    if unit.record is None or not unit.record.complete or not unit.record.claim_id:
        raise ValueError(f"unit {unit.unit.node.code} is not certified: no credential before the centre's claim")
    claim_id = unit.record.claim_id
    valid_from = _utc(_parse(unit.record.claimed or "") or portfolio.generated)
    q = portfolio.qualification
    node = unit.unit.node
    criteria = [c.criterion.node for c in unit.criteria]
    alignment = [
        {"type": ["Alignment"], "targetType": "CFItem", "targetUrl": item.uri, "targetName": item.title,
         "targetCode": item.code or item.uri, "targetFramework": q.title}
        for item in [node, *criteria]
    ]
    result_description = f"{node.uri}#unit-status"
    evidence: dict[str, dict[str, Any]] = {}
    for entry in unit.criteria:
        for use in entry.uses:
            if use.outcome != ACCEPTED:
                continue
            item = evidence.setdefault(use.evidence.statement_id, {
                "id": f"urn:uuid:{use.evidence.statement_id}",
                "type": ["Evidence"],
                "name": use.evidence.title,
                "genre": use.evidence.evidence_type_label,
                "codes": [],
                "date": use.evidence.date,
            })
            item["codes"].append(entry.criterion.node.code or entry.uri)
    evidence_list = []
    for item in evidence.values():
        codes, day = item.pop("codes"), item.pop("date")
        item["narrative"] = f"{item['genre']}{f' of {day}' if day else ''}, accepted by the assessor for {', '.join(codes)}."
        evidence_list.append(item)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        # Derived from the learner, the unit and the centre's claim: every export of the same award carries the
        # same id and validFrom (the claim's date), and a new claim (after a withdrawal) a new one.
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer.id}#credential/{portfolio.agent_key}/{node.uri}/{claim_id}')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
        "validFrom": valid_from,
        "name": f"{node.code} {node.title}".strip(),
        "credentialSubject": {
            "id": subject_id(issuer, portfolio.agent_key),
            "type": ["AchievementSubject"],
            "identifier": identity_objects(portfolio.agent, salt or secrets.token_hex(8)),
            "achievement": {
                "id": node.uri,
                "type": ["Achievement"],
                "name": node.title,
                "humanCode": node.code,
                "description": f"Unit {node.code or node.title} of {q.title}" + (f" ({q.code})" if q.code else "") + ".",
                "criteria": {
                    "narrative": "Every assessment criterion of the unit met, with evidence accepted by the "
                    "centre's assessor, internally quality assured to the centre's sampling plan and claimed for "
                    "certification by the centre: " + "; ".join(f"{c.code} {c.title}".strip() for c in criteria) + "."
                },
                "alignment": alignment,
                "resultDescription": [{"id": result_description, "type": ["ResultDescription"],
                                       "name": "Unit outcome", "resultType": "Status"}],
            },
            "result": [{"type": ["Result"], "resultDescription": result_description, "status": "Completed"}],
        },
        "evidence": evidence_list,
    }
    awarded = _awarded(unit)
    if awarded:
        credential["awardedDate"] = awarded
    return credential


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT payload OB 3.0 specifies: the credential, plus iss, jti, nbf and sub taken from it."""
    valid_from = datetime.fromisoformat(str(credential["validFrom"]).replace("Z", "+00:00"))
    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(valid_from.timestamp()),
        "sub": credential["credentialSubject"]["id"],
    }


def sign_credential(credential: Mapping[str, Any], key: SigningKey) -> str:
    """The credential as a compact JWS (VC-JWT)."""
    # Only these three headers: OB 3.0 allows no others. (joserfc warns once that "EdDSA" is superseded by
    # RFC 9864; it is kept as the name verifiers know, see load_signing_key.)
    header = {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, jwt_claims(credential), key.key, algorithms=[key.alg])
