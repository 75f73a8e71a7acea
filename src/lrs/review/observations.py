"""Observations and professional discussions recorded by the assessor: the assessor is the actor, the learner
the object (an Agent), and the statement is the learner's evidence (lrs.competency.evidence.evidence_learner).
An observation typed in by the learner with their assessor as "witness" is the learner's account of it; this is
the assessor's own record. No HTTP here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lrs.learning import vocabulary as v
from lrs.review import decisions as rules
from lrs.review.records import reviewer_agent
from lrs.services import access
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import agent_from_key, parse_agent

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

KINDS = ("observation", "professional-discussion")
MAX_RECORD = 20_000


def _text(body: dict[str, Any], field: str, limit: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise XAPIError(f"{field} is required text", rule="required", path=field)
    if len(value) > limit:
        raise XAPIError(f"{field} is longer than {limit} characters", rule="invalid-observation", path=field)
    return value.strip()


def record(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """An assessor records an observation or professional discussion: ``{"learner", "evidence_type":
    "observation" | "professional-discussion", "what", "date": YYYY-MM-DD, "record": <the assessor's account>,
    "standards": [criterion IRIs]}``. Returns ``{"id"}`` (the evidence statement's id)."""
    if not isinstance(body, dict):
        raise XAPIError("an observation is a JSON object", rule="invalid-observation", path="")
    known = {"learner", "evidence_type", "what", "date", "record", "standards"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise XAPIError(f"{unknown[0]!r} is not an observation field", rule="unknown-field", path=unknown[0])
    if not isinstance(body.get("learner"), str) or not body["learner"].strip():
        raise XAPIError("name the learner: an agent key or an Agent's JSON", rule="required", path="learner")
    learner = parse_agent(body["learner"].strip())
    kind = body.get("evidence_type")
    if kind not in KINDS:
        raise XAPIError("evidence_type is observation or professional-discussion", rule="invalid-observation",
                        path="evidence_type")
    access.check_not_own_evidence(principal, learner)
    access.check_decide(lrs, principal, learner, access.ASSESSOR)
    what = _text(body, "what", 500)
    account = _text(body, "record", MAX_RECORD)
    try:
        day = date.fromisoformat(str(body.get("date")))
    except ValueError:
        raise XAPIError("date is YYYY-MM-DD", rule="invalid-observation", path="date") from None
    if day > datetime.now(UTC).date():
        raise XAPIError("date is in the future", rule="invalid-observation", path="date")
    standards = body.get("standards") or []
    if not isinstance(standards, list) or not all(isinstance(s, str) and s for s in standards):
        raise XAPIError("standards is a list of criterion IRIs", rule="invalid-observation", path="standards")
    statement = {
        "id": str(uuid.uuid4()),
        "actor": reviewer_agent(principal),
        "verb": {"id": v.VERB_RECORDED_ASSESSMENT, "display": {rules.LANGUAGE: "recorded assessment"}},
        "object": agent_from_key(learner),
        "result": {"response": account},
        "context": {
            "contextActivities": {
                "category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}],
                "other": [{"objectType": "Activity",
                           "id": lrs.settings.authority_home_page.rstrip("/") + f"/observations/{uuid.uuid4()}",
                           "definition": {"type": v.TYPE_OBSERVED_PRACTICE, "name": {rules.LANGUAGE: what}}}],
            },
            "extensions": {v.EXT_EVIDENCE_TYPE: kind, v.EXT_STANDARDS: list(dict.fromkeys(standards))},
            "language": rules.LANGUAGE,
        },
        "timestamp": f"{day.isoformat()}T12:00:00.000Z",
    }
    lrs.store_statements(statement, principal, rules.VERSION)
    return {"id": statement["id"]}
