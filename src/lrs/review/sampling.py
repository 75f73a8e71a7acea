"""IQA sampling plans and unit submissions as statements (pure: no SQL, no HTTP).

A sampling plan says which assessor decisions an internal quality assurer must sample: a default rate, higher
rates for some assessors, units and evidence types, and for a new assessor's first decisions. Which decisions
a rate selects is worked out from the decision's statement id (a hash), so anyone recomputes the same sample
and an IQA cannot steer it. docs/review.md describes the plan's fields.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from lrs.learning import vocabulary as v
from lrs.review.decisions import LANGUAGE, _now, _timestamp
from lrs.xapi.errors import XAPIError

#: In force until a centre adopts its own: one decision in ten, and every one of a new assessor's first five.
DEFAULT_PLAN: dict[str, Any] = {
    "default_rate": 0.1,
    "new_assessor_decisions": 5,
    "new_assessor_rate": 1.0,
    "assessors": {},
    "units": {},
    "evidence_types": {},
}
PLAN_FIELDS = tuple(DEFAULT_PLAN)
DECLARATION = (
    "I declare that the evidence submitted for this unit is my own work, that where others contributed "
    "(witnesses, colleagues) this is stated, and that I have not submitted it for another qualification."
)


def _rate(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise XAPIError("a sampling rate is a number from 0 (never) to 1 (every decision)", rule="invalid-plan", path=path)
    return float(value)


def validate_plan(body: Any) -> dict[str, Any]:
    """A complete plan from a request body (fields left out take the default plan's values)."""
    if not isinstance(body, dict):
        raise XAPIError("a sampling plan is a JSON object", rule="invalid-plan", path="")
    unknown = sorted(set(body) - set(PLAN_FIELDS))
    if unknown:
        raise XAPIError(
            f"{unknown[0]!r} is not a sampling plan field ({', '.join(PLAN_FIELDS)})", rule="unknown-field", path=unknown[0]
        )
    plan = {**DEFAULT_PLAN, **body}
    plan["default_rate"] = _rate(plan["default_rate"], "default_rate")
    plan["new_assessor_rate"] = _rate(plan["new_assessor_rate"], "new_assessor_rate")
    count = plan["new_assessor_decisions"]
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
        raise XAPIError("new_assessor_decisions is a whole number (0 to 10000)", rule="invalid-plan", path="new_assessor_decisions")
    for group in ("assessors", "units", "evidence_types"):
        rates = plan[group]
        if not isinstance(rates, dict):
            raise XAPIError(f"{group} maps names to rates", rule="invalid-plan", path=group)
        plan[group] = {str(k): _rate(r, f"{group}.{k}") for k, r in rates.items()}
    return plan


def rate_for(
    plan: dict[str, Any], *, assessor: str, assessor_rank: int, unit: str, evidence_type: str | None
) -> float:
    """The highest rate that applies to one assessor decision (``assessor_rank``: 1 for their first)."""
    rates = [plan["default_rate"], plan["assessors"].get(assessor, 0.0), plan["units"].get(unit, 0.0)]
    if evidence_type:
        rates.append(plan["evidence_types"].get(evidence_type, 0.0))
    if 0 < assessor_rank <= plan["new_assessor_decisions"]:
        rates.append(plan["new_assessor_rate"])
    return max(rates)


def selected(decision_id: str, rate: float) -> bool:
    """Whether a rate selects this decision: its id hashed to a fraction in [0, 1) below the rate."""
    if rate >= 1:
        return True
    fraction = int(hashlib.sha256(decision_id.lower().encode()).hexdigest()[:8], 16) / 2**32
    return fraction < rate


def plan_statement(actor: dict[str, Any], plan_iri: str, plan: dict[str, Any], when: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": v.VERB_ADOPTED_SAMPLING_PLAN, "display": {LANGUAGE: "adopted sampling plan"}},
        "object": {
            "objectType": "Activity",
            "id": plan_iri,
            "definition": {"type": v.TYPE_SAMPLING_PLAN, "name": {LANGUAGE: "IQA sampling plan"}},
        },
        "result": {"extensions": {v.EXT_SAMPLING_PLAN: plan}},
        "context": {"contextActivities": {"category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}]}},
        "timestamp": _timestamp(when or _now()),
    }


def submission_statement(
    learner: dict[str, Any], framework: str, unit_uri: str, unit_name: str, when: datetime | None = None
) -> dict[str, Any]:
    stamp = _timestamp(when or _now())
    return {
        "id": str(uuid.uuid4()),
        "actor": learner,
        "verb": {"id": v.VERB_SUBMITTED_UNIT, "display": {LANGUAGE: "submitted unit"}},
        "object": {
            "objectType": "Activity",
            "id": unit_uri,
            "definition": {"type": v.TYPE_QUALIFICATION_UNIT, "name": {LANGUAGE: unit_name}},
        },
        "result": {"extensions": {v.EXT_DECLARATION: {"text": DECLARATION, "declared": stamp}}},
        "context": {
            "contextActivities": {
                "category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}],
                "parent": [{"objectType": "Activity", "id": framework}],
            }
        },
        "timestamp": stamp,
    }


def claim_statement(actor: dict[str, Any], submission_id: str, unit_uri: str, when: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": v.VERB_CLAIMED_CERTIFICATION, "display": {LANGUAGE: "claimed certification"}},
        "object": {"objectType": "StatementRef", "id": submission_id},
        "context": {
            "contextActivities": {
                "category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}],
                "other": [{"objectType": "Activity", "id": unit_uri}],
            }
        },
        "timestamp": _timestamp(when or _now()),
    }


def stamp_of(statement: dict[str, Any]) -> datetime | None:
    raw = statement.get("timestamp") or statement.get("stored")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
