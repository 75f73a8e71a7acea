"""Witness testimony confirmed by the witness: a one-time link (the token stored hashed, expiring) opening a
page where the witness confirms the testimony the learner recorded, or corrects it in their own words. Either
answer is the witness's own statement (verb confirmed-testimony, a StatementRef to the evidence); until then
the portfolio shows the testimony as the learner's record of it, never as signed. No HTTP here: the page is
lrs.web.witness.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lrs.learning import vocabulary as v
from lrs.review import decisions as rules
from lrs.services import access
from lrs.services.principal import Principal
from lrs.store import assessment as unit_store
from lrs.store import reviews as review_store
from lrs.xapi.errors import Forbidden, NotFound, XAPIError
from lrs.xapi.formats import language_text
from lrs.xapi.ifi import agent_key

if TYPE_CHECKING:
    from lrs.services.statements import LRS

VALID_FOR = timedelta(days=14)
MAX_CORRECTION = 10_000
#: The authority account of statements a witness makes through their link (they have no credential).
WITNESS_AUTHORITY_NAME = "witness-link"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def testimony_of(lrs: LRS, statement: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The witness extension of an evidence statement and the testimony text (from the extension, or a plain
    text attachment of usage type witness-testimony)."""
    witness = ((statement.get("context") or {}).get("extensions") or {}).get(v.EXT_WITNESS)
    if not isinstance(witness, dict):
        return {}, ""
    text = witness.get("testimony") if isinstance(witness.get("testimony"), str) else ""
    if not text:
        for attachment in statement.get("attachments") or []:
            if (isinstance(attachment, dict) and attachment.get("usageType") == v.USAGE_WITNESS_TESTIMONY
                    and str(attachment.get("contentType", "")).startswith("text/plain")):
                found = lrs.attachments({attachment.get("sha2", "")}).get(attachment.get("sha2", ""))
                if found:
                    text = found[1].decode("utf-8", "replace")
                    break
    return witness, text


def create_request(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """A one-time link for the witness of a piece of evidence: ``{"evidence": <statement id>}``. The learner
    (their own evidence) or an assessor of their cohort asks for it; the link goes to the witness by e-mail."""
    if not isinstance(body, dict) or not isinstance(body.get("evidence"), str) or not body["evidence"].strip():
        raise XAPIError("name the evidence: its statement id", rule="required", path="evidence")
    evidence_id = body["evidence"].strip().lower()
    with lrs.db.read() as conn:
        found = review_store.statement_summary(conn, evidence_id)
    if found is None or found["voided"] or found["is_voiding"]:
        raise NotFound(f"no evidence statement {evidence_id!r}", rule="evidence", path="evidence")
    learner = agent_key(found["payload"].get("actor") or {}) or ""
    if principal.role == access.PARTICIPANT:
        access.check_read_learner(lrs, principal, learner, what="evidence")
    elif principal.role == access.ASSESSOR:
        access.check_decide(lrs, principal, learner, access.ASSESSOR)
    else:
        raise Forbidden("the learner or their assessor asks the witness to confirm", rule="review-role")
    witness, testimony = testimony_of(lrs, found["payload"])
    if not witness or not testimony:
        raise XAPIError("that evidence records no witness testimony to confirm", rule="no-testimony", path="evidence")
    token = secrets.token_urlsafe(32)
    now = _now()
    row = {"token_hash": _hash(token), "evidence_id": evidence_id, "agent_key": learner, "created": now,
           "expires": now + VALID_FOR, "used": None, "statement_id": None}
    lrs.db.write(lambda conn: unit_store.create_witness_request(conn, row))
    return {
        "url": f"{lrs.settings.pages_url}/witness/{token}",
        "expires": row["expires"].isoformat(),
        "witness": {"name": witness.get("name"), "role": witness.get("role")},
    }


def open_request(lrs: LRS, token: str) -> dict[str, Any] | None:
    """What the witness page shows for a usable token, or None (unknown, used or expired)."""
    with lrs.db.read() as conn:
        row = unit_store.witness_request(conn, _hash(token))
        found = review_store.statement_summary(conn, row["evidence_id"]) if row else None
    if row is None or row["used"] is not None or _aware(row["expires"]) <= _now() or found is None or found["voided"]:
        return None
    statement = found["payload"]
    witness, testimony = testimony_of(lrs, statement)
    definition = (statement.get("object") or {}).get("definition") or {}
    return {
        "learner": (statement.get("actor") or {}).get("name") or "the learner",
        "title": language_text(definition.get("name")) or "",
        "date": str(statement.get("timestamp") or "")[:10],
        "witness": witness,
        "testimony": testimony,
        "evidence_id": row["evidence_id"],
        "expires": _aware(row["expires"]),
    }


def _witness_principal(lrs: LRS) -> Principal:
    authority = {"objectType": "Agent", "name": "witness link",
                 "account": {"homePage": lrs.settings.authority_home_page, "name": WITNESS_AUTHORITY_NAME}}
    return Principal(key="", name="witness link", scopes=frozenset(), authority=authority,
                     authority_key=agent_key(authority) or "")


def respond(lrs: LRS, token: str, *, confirmed: bool, correction: str = "") -> dict[str, Any]:
    """The witness's answer: confirmed as recorded, or corrected (their own wording). Stored as the witness's
    statement; the link is then spent. Raises NotFound for a spent or expired link."""
    shown = open_request(lrs, token)
    if shown is None:
        raise NotFound("this link has been used or has expired", rule="witness-link", path="token")
    correction = correction.strip()
    if not confirmed and not correction:
        raise XAPIError("write the testimony as you would give it", rule="required", path="correction")
    if len(correction) > MAX_CORRECTION:
        raise XAPIError(f"the testimony is longer than {MAX_CORRECTION} characters", rule="too-long", path="correction")
    witness = shown["witness"]
    actor = dict(witness["agent"]) if isinstance(witness.get("agent"), dict) else {
        "objectType": "Agent",
        "account": {"homePage": lrs.settings.authority_home_page.rstrip("/") + "/witnesses",
                    "name": _hash(token)[:16]},
    }
    actor["name"] = str(witness.get("name") or actor.get("name") or "Witness")
    now = _now()
    result: dict[str, Any] = {"extensions": {v.EXT_TESTIMONY_CORRECTED: not confirmed}}
    if not confirmed:
        result["response"] = correction
    statement = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": v.VERB_CONFIRMED_TESTIMONY, "display": {rules.LANGUAGE: "confirmed testimony"}},
        "object": {"objectType": "StatementRef", "id": shown["evidence_id"]},
        "result": result,
        "context": {"contextActivities": {"category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}]},
                    "language": rules.LANGUAGE},
        "timestamp": rules._timestamp(now),
    }
    lrs.store_statements(statement, _witness_principal(lrs), rules.VERSION)
    if not lrs.db.write(lambda conn: unit_store.use_witness_request(conn, _hash(token), statement["id"], now)):
        raise NotFound("this link has been used already", rule="witness-link", path="token")
    return {"confirmed": confirmed, "statement_id": statement["id"], "date": now.date().isoformat()}


def confirmations(lrs: LRS, evidence_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Evidence id -> {"date", "corrected", "testimony" (the witness's wording when corrected), "witness"}."""
    with lrs.db.read() as conn:
        found = unit_store.witness_confirmations(conn, evidence_ids)
    out = {}
    for evidence_id, payload in found.items():
        result = payload.get("result") or {}
        out[evidence_id] = {
            "statement_id": payload["id"],
            "date": str(payload.get("timestamp") or "")[:10],
            "corrected": (result.get("extensions") or {}).get(v.EXT_TESTIMONY_CORRECTED) is True,
            "testimony": result.get("response") or "",
            "witness": (payload.get("actor") or {}).get("name") or "",
        }
    return out
