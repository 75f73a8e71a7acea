"""Wording shared by the HTML and PDF portfolio, so both say exactly the same."""

from __future__ import annotations

from datetime import datetime

from lrs.hookspecs import ReviewDecision
from lrs_ilm_portfolio.build import Evidence, agent_label

DECLARATION = (
    "I declare that the evidence in this portfolio is my own work, that the reflective accounts are my own, and "
    "that any witness testimony is a true account given by the person named."
)
SIGNATURE_LINE = "Learner's signature: ______________________________    Date: ______________"
ASSESSOR_SIGNATURE_LINE = "Assessor's signature: _____________________________    Date: ______________"

ROLE_LABELS = {"assessor": "Assessor", "iqa": "IQA"}
OUTCOME_LABELS = {
    "accepted": "accepted",
    "referred": "referred",
    "confirmed": "confirmed the assessor's decision",
    "overturned": "overturned the assessor's decision",
}
USE_OUTCOME_LABELS = {"accepted": "Accepted", "referred": "Referred", None: "Awaiting a decision"}


def when(timestamp: str) -> str:
    """"2026-04-01T09:30:00+00:00" -> "2026-04-01 09:30" (the manifest keeps the full timestamp)."""
    if not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    return moment.strftime("%Y-%m-%d %H:%M")


def decision_line(decision: ReviewDecision, by_id: dict[str, ReviewDecision]) -> str:
    """One decision as a sentence: who, what, when, and for an IQA decision which assessor decision."""
    role = ROLE_LABELS.get(decision.role, decision.role)
    outcome = OUTCOME_LABELS.get(decision.outcome, decision.outcome)
    who = agent_label(decision.reviewer) or "unnamed reviewer"
    line = f"{role} {who} {outcome} on {when(decision.decided)}"
    target = by_id.get(decision.target_id or "")
    if target is not None:
        line += f" (the {target.outcome} decision of {when(target.decided)})"
    if decision.superseded:
        line += " [superseded by a later decision]"
    return line + "."


def evidence_facts(evidence: Evidence, outcome_label: str) -> list[tuple[str, str]]:
    return [
        ("Date", evidence.date or "unknown"),
        ("70/20/10 mode", evidence.mode_label),
        ("Evidence type", evidence.evidence_type_label),
        ("Outcome for this criterion", outcome_label),
        ("Statement id", evidence.statement_id),
    ]
