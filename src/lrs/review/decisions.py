"""Assessor and IQA decisions as xAPI statements, and how a trail of them adds up (pure: no SQL, no HTTP).

An assessor's decision: the assessor as actor, verb ``accepted`` or ``referred``, a StatementRef to the evidence
statement as object, the criterion as a context activity (``other``) of type assessment-criterion, feedback in
``result.response``. An IQA's decision: verb ``confirmed`` or ``overturned``, a StatementRef to the assessor's
decision as object and ``context.statement`` referring to the evidence. docs/review.md describes the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lrs.hookspecs import CriterionReview, ReviewDecision
from lrs.learning import vocabulary as v

#: Decision statements use only 1.0.3 structures, so every client can read them back.
VERSION = "1.0.3"
LANGUAGE = "en-GB"
MAX_FEEDBACK = 10_000

ASSESSOR_VERBS = {"accepted": v.VERB_ACCEPTED, "referred": v.VERB_REFERRED}
IQA_VERBS = {"confirmed": v.VERB_CONFIRMED, "overturned": v.VERB_OVERTURNED}
OUTCOME_OF_VERB = {iri: outcome for outcome, iri in {**ASSESSOR_VERBS, **IQA_VERBS}.items()}
ROLE_OF_OUTCOME = {"accepted": "assessor", "referred": "assessor", "confirmed": "iqa", "overturned": "iqa"}

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
    result: dict[str, Any] = {"success": outcome == "accepted"}
    if feedback:
        result["response"] = feedback
    return {
        "id": str(uuid.uuid4()),
        "actor": reviewer,
        "verb": {"id": ASSESSOR_VERBS[outcome], "display": {LANGUAGE: outcome}},
        "object": {"objectType": "StatementRef", "id": evidence_id},
        "result": result,
        "context": {"contextActivities": context_activities, "language": LANGUAGE},
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
    when: datetime | None = None,
) -> dict[str, Any]:
    """The statement of an IQA's decision on an assessor's decision."""
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
            "language": LANGUAGE,
        },
        "timestamp": _timestamp(when or _now()),
    }
    if feedback:
        statement["result"] = {"response": feedback}
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
    """(evidence id, criterion) -> "accepted" or "referred": the latest assessor decision, reversed when the
    latest IQA decision on it overturned it."""
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
        if check is not None and check.outcome == "overturned":
            outcome = "referred" if outcome == "accepted" else "accepted"
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
    elif None in found:
        status = "awaiting-decision"
    elif "referred" in found:
        status = "referred"
    else:
        status = "without-evidence"
    return CriterionReview(framework=framework, criterion=criterion, status=status, evidence=evidence)
