"""Wording shared by the HTML and PDF portfolio, so both say exactly the same."""

from __future__ import annotations

from datetime import datetime

from lrs.plugin_api import ReviewDecision
from lrs.plugin_api import vocabulary as v
from lrs_ilm_portfolio.build import Evidence, Portfolio, UnitEntry, Witness, agent_label

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
    "action-raised": "raised an action on the assessor's decision (returned for reassessment)",
    "overturned": "raised an action on the assessor's decision (returned for reassessment)",
}
USE_OUTCOME_LABELS = {"accepted": "Accepted", "referred": "Referred", "returned": "Returned to the assessor by the IQA",
                      None: "Awaiting a decision"}
SAMPLE_REASON_LABELS = {"plan": "selected by the sampling plan", "additional": "additional sample", "": "sampled"}


def cover_facts(portfolio: Portfolio) -> list[tuple[str, str]]:
    q = portfolio.qualification
    return [
        ("Learner", portfolio.learner_name),
        ("Learner identifier", portfolio.learner_id),
        ("Learner registration number", portfolio.registration_number or "not recorded"),
        ("Qualification", q.title),
        ("Qualification code", q.code),
        ("Centre", portfolio.centre),
        ("Centre number", portfolio.centre_number or "not recorded"),
        ("Generated", portfolio.generated.strftime("%Y-%m-%d %H:%M UTC")),
    ]


def witness_facts(witness: Witness) -> list[tuple[str, str]]:
    """A witness as recorded. The date is the one the learner entered: nothing was signed, and the testimony is
    not shown as confirmed unless the witness confirmed it themselves."""
    rows = [("Name", witness.name), ("Role", witness.role), ("Relationship to the learner", witness.relationship)]
    if witness.confirmed:
        state = "corrected and confirmed" if witness.corrected else "confirmed"
        rows.append(("Confirmation", f"{state} by the witness on {witness.confirmed}"))
    else:
        rows.append(("Confirmation", "not confirmed by the witness"))
    rows += [("Date of the testimony (as entered by the learner)", witness.date), ("Identified as", witness.agent)]
    return rows


def unit_state(unit: UnitEntry) -> str:
    if unit.complete:
        return "complete: certification claimed by the centre"
    accepted = f"{unit.count('accepted')} of {len(unit.criteria)} criteria accepted"
    if not unit.assessed:
        return accepted
    record = unit.record
    waiting = []
    if record is None or record.sampling_outstanding:
        waiting.append("IQA sampling")
    if record is None or not record.submissions:
        waiting.append("the learner's submission")
    if record is None or not record.claim_id:
        waiting.append("the centre's claim")
    return f"all criteria accepted; awaiting {', '.join(waiting)}"


def unit_record_lines(unit: UnitEntry) -> list[str]:
    """Submissions (attempts, dated declarations) and the centre's claim, one line each."""
    record = unit.record
    if record is None:
        return []
    lines = [f"Attempt {s.attempt} submitted {when(s.submitted)} with the declaration: {s.declaration}"
             for s in record.submissions]
    if record.sampling_required:
        lines.append(f"IQA sampling required by the plan: {len(record.sampling_required)} decision(s), "
                     f"{len(record.sampling_required) - len(record.sampling_outstanding)} done.")
    if record.claim_id:
        lines.append(f"Certification claimed by {agent_label(record.claimed_by) or 'the centre'} on {when(record.claimed or '')}.")
    return lines


def sample_lines(portfolio: Portfolio) -> list[str]:
    """The IQA sampling log: one line per sample record."""
    by_id = {d.statement_id: d for unit in portfolio.units for c in unit.criteria for u in c.uses for d in u.decisions}
    codes = {c.criterion.node.uri: c.criterion.node.code for unit in portfolio.units for c in unit.criteria}
    lines = []
    for sample in portfolio.samples:
        target = by_id.get(sample.target_id or "")
        assessor = agent_label(target.reviewer) if target else "an assessor"
        line = (f"{when(sample.decided)}: {agent_label(sample.reviewer) or 'IQA'} sampled the {target.outcome if target else ''} "
                f"decision of {assessor} on {codes.get(sample.criterion, sample.criterion)} "
                f"({SAMPLE_REASON_LABELS.get(sample.sample_reason, sample.sample_reason)}) and "
                f"{OUTCOME_LABELS.get(sample.outcome, sample.outcome)}.")
        if sample.rationale:
            line += f" Rationale: {sample.rationale}"
        if sample.feedback:
            line += f" Action: {sample.feedback}"
        lines.append(line)
    return lines


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
    if decision.role == "assessor" and decision.mapped:
        line += " (mapped to this criterion by the assessor)"
    if decision.superseded:
        line += " [superseded by a later decision]"
    line += "."
    if decision.rationale:
        line += f" Rationale: {decision.rationale}"
    return line


def evidence_facts(evidence: Evidence, outcome_label: str) -> list[tuple[str, str]]:
    statement = evidence.statement or {}
    recorded_by = []
    if (statement.get("verb") or {}).get("id") == v.VERB_RECORDED_ASSESSMENT:
        recorded_by = [("Recorded by", f"the assessor, {agent_label(statement.get('actor'))}")]
    return recorded_by + [
        ("Date", evidence.date or "unknown"),
        ("70/20/10 mode", evidence.mode_label),
        ("Evidence type", evidence.evidence_type_label),
        ("Outcome for this criterion", outcome_label),
        ("Statement id", evidence.statement_id),
    ]
