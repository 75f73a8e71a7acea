"""The assessment domain's types that cross the plugin contract (docs/review.md): plain data, importing nothing
of lrs, so the hook specifications (lrs.hookspecs) and the public plugin module (lrs.plugin_api) can re-export
them without the core depending on review behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReviewDecision:
    """One assessor or IQA decision on a piece of evidence for one criterion. Each is itself an xAPI statement
    (the reviewer as actor, a StatementRef object), so the trail is immutable and travels with the record."""

    #: The decision statement's id.
    statement_id: str
    #: "accepted" or "referred" (an assessor on evidence); "confirmed" or "action-raised" (an IQA on an assessor's
    #: decision: an action returns the decision to the assessor, who reassesses; it never flips the result).
    outcome: str
    #: "assessor" or "iqa".
    role: str
    #: The evidence statement judged.
    evidence_id: str
    #: ``CFDocument.uri`` of the framework, and ``CFItem.uri`` of the criterion judged.
    framework: str
    criterion: str
    #: The reviewer as an xAPI Agent (with a name when known).
    reviewer: dict[str, Any]
    #: Written feedback to the learner ("" when none).
    feedback: str
    #: When the decision was made (ISO 8601 timestamp).
    decided: str
    #: For an IQA decision: the assessor decision it confirms or overturns.
    target_id: str | None = None
    #: True when a later decision of the same role on the same evidence and criterion replaced this one.
    superseded: bool = False
    #: Why the reviewer decided so (every decision recorded through the LRS has one).
    rationale: str = ""
    #: An assessor decision: True when the assessor mapped the evidence to the criterion in this decision.
    mapped: bool = False
    #: An IQA decision (a sample record): "plan" when the sampling plan selected it, "additional" otherwise.
    sample_reason: str = ""


@dataclass(frozen=True)
class CriterionReview:
    """Where a learner stands on one criterion (a leaf item of a framework)."""

    framework: str
    criterion: str
    #: "accepted" (some evidence is accepted), "awaiting-decision" (evidence no assessor has decided on yet),
    #: "referred" (all decided evidence was referred) or "without-evidence".
    status: str
    #: Evidence statement id -> its current outcome for this criterion: "accepted", "referred", "returned" (an
    #: IQA raised an action; the assessor has yet to reassess), or None while awaiting a decision. Oldest first.
    evidence: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitSubmission:
    """One attempt at a unit: the learner submitted it with a dated declaration of authenticity."""

    statement_id: str
    #: 1 for the first submission, 2 for the first resubmission, ...
    attempt: int
    #: When it was submitted (ISO 8601 timestamp).
    submitted: str
    #: The declaration of authenticity the learner made, as worded when they made it.
    declaration: str


@dataclass(frozen=True)
class UnitRecord:
    """Where a learner stands on one unit of a qualification, as the centre certifies it."""

    framework: str
    unit: str
    #: Every criterion of the unit is accepted (no IQA action outstanding).
    assessed: bool
    #: Assessor decisions (statement ids) behind the accepted criteria that the sampling plan selects for IQA
    #: sampling, and those of them no IQA has confirmed yet.
    sampling_required: tuple[str, ...] = ()
    sampling_outstanding: tuple[str, ...] = ()
    submissions: tuple[UnitSubmission, ...] = ()
    #: The centre's claim for certification: its statement id, when (ISO 8601) and by whom (an xAPI Agent).
    claim_id: str | None = None
    claimed: str | None = None
    claimed_by: dict[str, Any] = field(default_factory=dict)
    #: Assessed, sampled where the plan asks, submitted and claimed: only then may a credential be issued.
    complete: bool = False
