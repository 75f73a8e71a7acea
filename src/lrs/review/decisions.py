"""Assessor and IQA decisions as xAPI statements, and how a trail of them adds up (pure: no SQL, no HTTP).

An assessor's decision: the assessor as actor, verb ``accepted`` or ``referred``, a StatementRef to the evidence
statement as object, the criterion as a context activity (``other``) of type assessment-criterion, the rationale
in the ``rationale`` result extension, feedback to the learner in ``result.response``, and ``mapped-in-decision``
when the assessor mapped the evidence to the criterion in this decision. An IQA's decision: verb ``confirmed`` or
``action-raised`` (a stored ``overturned`` is read as an action), a StatementRef to the assessor's decision as
object and ``context.statement`` referring to the evidence; an action returns the decision to the assessor, who
reassesses. docs/review.md describes the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lrs.learning import vocabulary as v
from lrs.review.types import CriterionReview, ReviewDecision

#: Decision statements use only 1.0.3 structures, so every client can read them back.
VERSION = "1.0.3"
LANGUAGE = "en-GB"
MAX_FEEDBACK = 10_000

ASSESSOR_VERBS = {"accepted": v.VERB_ACCEPTED, "referred": v.VERB_REFERRED}
IQA_VERBS = {"confirmed": v.VERB_CONFIRMED, "action-raised": v.VERB_ACTION_RAISED}
#: A stored ``overturned`` (before IQA actions) is read as an action: the decision goes back to the assessor.
OUTCOME_OF_VERB = {
    **{iri: outcome for outcome, iri in {**ASSESSOR_VERBS, **IQA_VERBS}.items()},
    v.VERB_OVERTURNED: "action-raised",
}
ROLE_OF_OUTCOME = {"accepted": "assessor", "referred": "assessor", "confirmed": "iqa", "action-raised": "iqa"}
#: The current outcome of an assessor decision an IQA raised an action on: back with the assessor.
RETURNED = "returned"
SAMPLE_REASONS = ("plan", "additional")
MAX_RATIONALE = 10_000

#: Where a learner stands on a criterion, best first.
STATUSES = ("accepted", "awaiting-decision", "referred", "without-evidence")


@dataclass(frozen=True)
class Criterion:
    """The criterion a decision is about, as the statement names it."""

    uri: str
    code: str
    title: str


@dataclass(frozen=True)
class ParsedDecision:
    """What a stored statement says as a decision, before the LRS checks who made it."""

    statement_id: str
    outcome: str
    role: str
    #: The StatementRef object: the evidence (assessor) or the assessor's decision (IQA).
    target_id: str
    #: Context activities of the statement (``other``), among which the criterion.
    criteria: tuple[str, ...]
    feedback: str
    decided: datetime
    rationale: str = ""
    #: An assessor decision that mapped the evidence to the criterion itself.
    mapped: bool = False
    #: An IQA decision: "plan" or "additional".
    sample_reason: str = ""


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _criterion_activity(criterion: Criterion) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": criterion.uri,
        "definition": {
            "type": v.TYPE_ASSESSMENT_CRITERION,
            "name": {LANGUAGE: f"{criterion.code} {criterion.title}".strip()},
        },
    }


def assessor_statement(
    reviewer: dict[str, Any],
    evidence_id: str,
    criterion: Criterion,
    outcome: str,
    feedback: str,
    *,
    rationale: str,
    mapped: bool = False,
    cohorts: Iterable[str] = (),
    when: datetime | None = None,
) -> dict[str, Any]:
    """The statement of an assessor's decision on one piece of evidence for one criterion."""
    context_activities: dict[str, Any] = {
        "category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}],
        "other": [_criterion_activity(criterion)],
    }
    grouping = [{"objectType": "Activity", "id": iri} for iri in cohorts]
    if grouping:
        context_activities["grouping"] = grouping
    result: dict[str, Any] = {"success": outcome == "accepted", "extensions": {v.EXT_RATIONALE: rationale}}
    if feedback:
        result["response"] = feedback
    context: dict[str, Any] = {"contextActivities": context_activities, "language": LANGUAGE}
    if mapped:
        context["extensions"] = {v.EXT_MAPPED_IN_DECISION: True}
    return {
        "id": str(uuid.uuid4()),
        "actor": reviewer,
        "verb": {"id": ASSESSOR_VERBS[outcome], "display": {LANGUAGE: outcome}},
        "object": {"objectType": "StatementRef", "id": evidence_id},
        "result": result,
        "context": context,
        "timestamp": _timestamp(when or _now()),
    }


def iqa_statement(
    reviewer: dict[str, Any],
    decision_id: str,
    evidence_id: str,
    criterion: Criterion,
    outcome: str,
    feedback: str,
    *,
    rationale: str,
    sample_reason: str,
    when: datetime | None = None,
) -> dict[str, Any]:
    """The statement of an IQA's decision on an assessor's decision (the IQA's sample record)."""
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": reviewer,
        "verb": {"id": IQA_VERBS[outcome], "display": {LANGUAGE: outcome}},
        "object": {"objectType": "StatementRef", "id": decision_id},
        "context": {
            "contextActivities": {
                "category": [{"objectType": "Activity", "id": v.PROFILE_VERSION}],
                "other": [_criterion_activity(criterion)],
            },
            "statement": {"objectType": "StatementRef", "id": evidence_id},
            "extensions": {v.EXT_SAMPLE_REASON: sample_reason},
            "language": LANGUAGE,
        },
        "result": {"extensions": {v.EXT_RATIONALE: rationale}},
        "timestamp": _timestamp(when or _now()),
    }
    if feedback:
        statement["result"]["response"] = feedback
    return statement


def parse(statement: dict[str, Any]) -> ParsedDecision | None:
    """The decision a stored statement expresses, or None when it is not one."""
    outcome = OUTCOME_OF_VERB.get((statement.get("verb") or {}).get("id", ""))
    obj = statement.get("object") or {}
    if outcome is None or obj.get("objectType") != "StatementRef" or not isinstance(obj.get("id"), str):
        return None
    context = statement.get("context") or {}
    other = (context.get("contextActivities") or {}).get("other") or []
    if isinstance(other, dict):
        other = [other]
    criteria = tuple(a["id"] for a in other if isinstance(a, dict) and isinstance(a.get("id"), str))
    feedback = (statement.get("result") or {}).get("response") or ""
    rationale = ((statement.get("result") or {}).get("extensions") or {}).get(v.EXT_RATIONALE)
    context_extensions = context.get("extensions") or {}
    sample_reason = context_extensions.get(v.EXT_SAMPLE_REASON)
    stamp = statement.get("timestamp") or statement.get("stored")
    try:
        decided = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if decided.tzinfo is None:
        decided = decided.replace(tzinfo=UTC)
    return ParsedDecision(
        statement_id=statement["id"],
        outcome=outcome,
        role=ROLE_OF_OUTCOME[outcome],
        target_id=obj["id"].lower(),
        criteria=criteria,
        feedback=feedback if isinstance(feedback, str) else "",
        decided=decided,
        rationale=rationale if isinstance(rationale, str) else "",
        mapped=context_extensions.get(v.EXT_MAPPED_IN_DECISION) is True,
        sample_reason=sample_reason if sample_reason in SAMPLE_REASONS else "",
    )


# --- adding a trail up -------------------------------------------------------------------------------------


def mark_superseded(decisions: list[ReviewDecision]) -> list[ReviewDecision]:
    """The same decisions (in store order) with ``superseded`` set: an assessor decision is superseded by a
    later assessor decision on the same evidence and criterion; an IQA decision by a later IQA decision on the
    same assessor decision."""
    from dataclasses import replace

    latest: dict[tuple[str, ...], str] = {}
    for d in decisions:
        latest[_trail_key(d)] = d.statement_id
    return [replace(d, superseded=latest[_trail_key(d)] != d.statement_id) for d in decisions]


def _trail_key(d: ReviewDecision) -> tuple[str, ...]:
    if d.role == "iqa":
        return ("iqa", d.target_id or "")
    return ("assessor", d.evidence_id, d.criterion)


def current_outcomes(decisions: list[ReviewDecision]) -> dict[tuple[str, str], str]:
    """(evidence id, criterion) -> "accepted", "referred" or "returned": the latest assessor decision, or
    "returned" when the latest IQA decision on it raised an action (the assessor has yet to reassess)."""
    assessor: dict[tuple[str, str], ReviewDecision] = {}
    iqa: dict[str, ReviewDecision] = {}
    for d in decisions:
        if d.role == "assessor":
            assessor[(d.evidence_id, d.criterion)] = d
        elif d.target_id:
            iqa[d.target_id] = d
    outcomes: dict[tuple[str, str], str] = {}
    for key, d in assessor.items():
        outcome = d.outcome
        check = iqa.get(d.statement_id)
        if check is not None and check.outcome == "action-raised":
            outcome = RETURNED
        outcomes[key] = outcome
    return outcomes


def criterion_review(
    framework: str, criterion: str, evidence_ids: Iterable[str], outcomes: dict[tuple[str, str], str]
) -> CriterionReview:
    """Where a learner stands on a criterion, from the evidence for it and the current outcomes."""
    evidence = {e: outcomes.get((e, criterion)) for e in dict.fromkeys(evidence_ids)}
    found = set(evidence.values())
    if "accepted" in found:
        status = "accepted"
    elif None in found or RETURNED in found:
        status = "awaiting-decision"
    elif "referred" in found:
        status = "referred"
    else:
        status = "without-evidence"
    return CriterionReview(framework=framework, criterion=criterion, status=status, evidence=evidence)
