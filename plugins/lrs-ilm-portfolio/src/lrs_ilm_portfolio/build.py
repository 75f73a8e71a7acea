"""From a learner's ExportRecord to their portfolio of evidence for one qualification.

Evidence for a criterion is every statement linked to it (``record.links``), plus any the LRS's review of the
criterion or a decision names. Where a criterion stands is ``record.criteria[criterion].status``, computed by the
LRS; when the LRS gives none for a criterion (an older core that does not fill ``criteria`` yet), it is worked out
here from ``record.decisions`` by the same rules (docs on ``CriterionReview`` in lrs.hookspecs).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lrs.hookspecs import ExportRecord
from lrs.plugin_api import ReviewDecision, UnitRecord
from lrs.plugin_api import language_text as text_of
from lrs.plugin_api import vocabulary as v
from lrs_ilm_portfolio.qualification import CriterionNode, Qualification, UnitNode

ACCEPTED, AWAITING, REFERRED, WITHOUT = "accepted", "awaiting-decision", "referred", "without-evidence"
#: An evidence use whose assessor decision an IQA raised an action on: back with the assessor.
RETURNED = "returned"
STATUSES = (ACCEPTED, AWAITING, REFERRED, WITHOUT)
STATUS_LABELS = {
    ACCEPTED: "Accepted",
    AWAITING: "Awaiting decision",
    REFERRED: "Referred",
    WITHOUT: "Without evidence",
}
MODE_LABELS = {"on-the-job": "On the job (70)", "social": "Social (20)", "formal": "Formal (10)"}
EVIDENCE_TYPE_LABELS = {
    "observation": "Observation",
    "product": "Product of work",
    "questioning": "Questioning",
    "professional-discussion": "Professional discussion",
    "reflective-account": "Reflective account",
    "witness-testimony": "Witness testimony",
    "recognition-of-prior-learning": "Recognition of prior learning",
}
#: Decision statements are about evidence, never evidence themselves.
DECISION_VERBS = {v.VERB_ACCEPTED, v.VERB_REFERRED, v.VERB_CONFIRMED, v.VERB_OVERTURNED, v.VERB_ACTION_RAISED,
                  v.VERB_SUBMITTED_UNIT, v.VERB_CLAIMED_CERTIFICATION, v.VERB_ADOPTED_SAMPLING_PLAN, v.ADL_VOIDED}
#: Extensions for the media types evidence usually comes in; mimetypes covers the rest.
EXTENSIONS = {
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "text/markdown": ".md",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/octet-stream": ".bin",
}
#: Letters NFKD does not split into an ASCII base letter plus accents.
_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Đ": "D", "đ": "d", "Æ": "AE",
                       "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h"})
#: A witness testimony kept as a text attachment is shown in the portfolio up to this many characters.
TESTIMONY_LIMIT = 6000



def ascii_fold(text: str) -> str:
    """"Łucja Nowak-Żółć" -> "Lucja Nowak-Zolc": for file names and for PDFs without a Unicode font."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def agent_id(agent: Any) -> str:
    """The identifier part of an xAPI Agent, readable: an e-mail address, an account, an OpenID."""
    if not isinstance(agent, dict):
        return ""
    if agent.get("mbox"):
        return str(agent["mbox"]).removeprefix("mailto:")
    account = agent.get("account")
    if isinstance(account, dict):
        return f"{account.get('name', '')} ({account.get('homePage', '')})"
    return str(agent.get("openid") or agent.get("mbox_sha1sum") or "")


def agent_label(agent: Any) -> str:
    if isinstance(agent, str):
        return agent
    if not isinstance(agent, dict):
        return ""
    name, ifi = agent.get("name") or "", agent_id(agent)
    return f"{name} ({ifi})" if name and ifi else name or ifi


def canonical_sha256(statement: dict[str, Any]) -> str:
    """The SHA-256 of the statement's canonical JSON, so a reader can check the evidence was not altered."""
    canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class Attachment:
    """One attachment of an evidence statement. ``path`` is where it is in the ZIP, None when the LRS does not
    hold its content (a ``fileUrl`` only, or content never sent)."""

    sha2: str
    content_type: str
    display: str
    #: The attachment's description (xAPI ``attachments[].description``), "" when it has none.
    description: str
    usage_type: str
    file_url: str | None
    length: int | None
    path: str | None
    content: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Witness:
    name: str
    role: str
    relationship: str
    date: str
    agent: str
    testimony: str
    #: The date the witness confirmed the testimony through their link ("" while unconfirmed), and whether
    #: they corrected it (then ``testimony`` is their wording, and ``recorded`` the learner's).
    confirmed: str = ""
    corrected: bool = False
    recorded: str = ""


@dataclass(frozen=True)
class Evidence:
    """One evidence statement as the portfolio shows it. ``statement`` is None when a decision names evidence
    that is not among the learner's exported statements (voided since, say)."""

    statement_id: str
    statement: dict[str, Any] | None
    sha256: str | None
    timestamp: str
    date: str
    mode: str | None
    title: str
    description: str
    evidence_type: str
    response: str
    impact: str
    witness: Witness | None
    attachments: tuple[Attachment, ...]

    @property
    def evidence_type_label(self) -> str:
        return EVIDENCE_TYPE_LABELS.get(self.evidence_type, self.evidence_type or "Not stated")

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode or "", self.mode or "Unclassified")


@dataclass(frozen=True)
class EvidenceUse:
    """A piece of evidence against one criterion: its current outcome there (None while awaiting a decision)
    and every decision on it for that criterion, oldest first (superseded ones included, as history)."""

    evidence: Evidence
    outcome: str | None
    decisions: tuple[ReviewDecision, ...]


@dataclass(frozen=True)
class CriterionEntry:
    criterion: CriterionNode
    status: str
    uses: tuple[EvidenceUse, ...]

    @property
    def uri(self) -> str:
        return self.criterion.node.uri


@dataclass(frozen=True)
class UnitEntry:
    unit: UnitNode
    criteria: tuple[CriterionEntry, ...]
    #: Submissions, sampling and the centre's claim, as the LRS records them (None from an older core).
    record: UnitRecord | None = None

    def count(self, status: str) -> int:
        return sum(1 for c in self.criteria if c.status == status)

    @property
    def assessed(self) -> bool:
        """Every criterion accepted by the assessor."""
        return bool(self.criteria) and all(c.status == ACCEPTED for c in self.criteria)

    @property
    def complete(self) -> bool:
        """Assessed, sampled where the plan asks, submitted and claimed by the centre: only then is a credential
        issued. Without the LRS's unit record nothing is complete."""
        return self.assessed and self.record is not None and self.record.complete


@dataclass(frozen=True)
class Portfolio:
    learner_name: str
    learner_id: str
    agent: dict[str, Any]
    agent_key: str
    qualification: Qualification
    units: tuple[UnitEntry, ...]
    evidence: tuple[Evidence, ...]
    centre: str
    generated: datetime
    centre_number: str = ""
    registration_number: str = ""
    #: IQA decisions (sample records) on this learner's evidence in store order, and the plan in force.
    samples: tuple[ReviewDecision, ...] = ()
    sampling_plan: dict[str, Any] = field(default_factory=dict)


# --- decisions and status ------------------------------------------------------------------------------------


def current_outcome(decisions: Sequence[ReviewDecision]) -> str | None:
    """The outcome of one piece of evidence for one criterion: the assessor's latest decision, or "returned"
    when the IQA's latest decision on it raised an action; None when no assessor has decided yet."""
    assessor = [d for d in decisions if d.role == "assessor"]
    live = [d for d in assessor if not d.superseded] or assessor
    if not live:
        return None
    decision = live[-1]
    outcome = decision.outcome
    iqa = [d for d in decisions if d.role == "iqa" and d.target_id == decision.statement_id]
    iqa_live = [d for d in iqa if not d.superseded] or iqa
    if iqa_live and iqa_live[-1].outcome in ("action-raised", "overturned"):
        outcome = RETURNED
    return outcome


def status_from(outcomes: Iterable[str | None]) -> str:
    """Some evidence accepted -> accepted; else some undecided -> awaiting; else some referred -> referred."""
    found = list(outcomes)
    if ACCEPTED in found:
        return ACCEPTED
    if None in found or RETURNED in found:
        return AWAITING
    if REFERRED in found:
        return REFERRED
    return WITHOUT


# --- evidence ------------------------------------------------------------------------------------------------


def _extension(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"


def _safe_stem(display: str, extension: str) -> str:
    stem = display[: -len(extension)] if extension and display.lower().endswith(extension) else display
    return re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_fold(stem)).strip("-_")[:60].strip("-_")


def _attachments(record: ExportRecord, statement: dict[str, Any]) -> tuple[Attachment, ...]:
    folder = "evidence/" + re.sub(r"[^A-Za-z0-9-]+", "-", str(statement["id"]))
    used: set[str] = set()
    found = []
    for raw in statement.get("attachments") or []:
        if not isinstance(raw, dict):
            continue
        sha2 = str(raw.get("sha2") or "")
        declared_type = str(raw.get("contentType") or "application/octet-stream")
        display = text_of(raw.get("display"))
        loaded = record.load_attachment(sha2) if sha2 else None
        path = content = None
        content_type = declared_type
        if loaded is not None:
            content_type, content = loaded[0] or declared_type, loaded[1]
            extension = _extension(content_type)
            stem = _safe_stem(display, extension) or sha2[:12] or "attachment"
            name, n = stem + extension, 1
            while name in used:
                n += 1
                name = f"{stem}-{n}{extension}"
            used.add(name)
            path = f"{folder}/{name}"
        length = len(content) if content is not None else raw.get("length")
        found.append(Attachment(
            sha2=sha2,
            content_type=content_type,
            display=display or sha2[:12],
            description=text_of(raw.get("description")),
            usage_type=str(raw.get("usageType") or ""),
            file_url=raw.get("fileUrl"),
            length=length if isinstance(length, int) else None,
            path=path,
            content=content,
        ))
    return tuple(found)


def _witness(statement: dict[str, Any], attachments: Sequence[Attachment],
             confirmation: dict[str, Any] | None = None) -> Witness | None:
    raw = ((statement.get("context") or {}).get("extensions") or {}).get(v.EXT_WITNESS)
    if not isinstance(raw, dict):
        return None
    testimony = raw.get("testimony") if isinstance(raw.get("testimony"), str) else ""
    if not testimony:
        # The profile keeps the testimony itself out of the extension: it is an attachment of usage type
        # witness-testimony. A plain-text one is shown in the portfolio; others are linked like any attachment.
        for attachment in attachments:
            if (attachment.usage_type == v.USAGE_WITNESS_TESTIMONY and attachment.content is not None
                    and attachment.content_type.startswith("text/plain")):
                testimony = attachment.content.decode("utf-8", "replace")[:TESTIMONY_LIMIT]
                break
    confirmation = confirmation or {}
    corrected = confirmation.get("corrected") is True and bool(confirmation.get("testimony"))
    return Witness(
        confirmed=str(confirmation.get("date") or ""),
        corrected=corrected,
        recorded=testimony if corrected else "",
        name=str(raw.get("name") or ""),
        role=str(raw.get("role") or ""),
        relationship=str(raw.get("relationship") or ""),
        date=str(raw.get("date") or ""),
        agent=agent_label(raw.get("agent")) if raw.get("agent") else "",
        testimony=str(confirmation["testimony"]) if corrected else testimony,
    )


def _title(statement: dict[str, Any]) -> str:
    target = statement.get("object") or {}
    name = text_of((target.get("definition") or {}).get("name"))
    if name:
        return name
    if target.get("objectType") == "Agent":  # an assessor's record: the occasion is a context activity
        other = ((statement.get("context") or {}).get("contextActivities") or {}).get("other") or []
        for activity in other if isinstance(other, list) else [other]:
            name = text_of(((activity or {}).get("definition") or {}).get("name"))
            if name:
                return name
    verb = text_of((statement.get("verb") or {}).get("display")) or str((statement.get("verb") or {}).get("id", ""))
    return f"{verb} {target.get('id', '')}".strip()


def _timestamp(statement: dict[str, Any]) -> str:
    return str(statement.get("timestamp") or statement.get("stored") or "")


def _date(timestamp: str) -> str:
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return timestamp[:10]


def make_evidence(record: ExportRecord, statement_id: str, statement: dict[str, Any] | None) -> Evidence:
    if statement is None:
        return Evidence(statement_id, None, None, "", "", None, f"Statement {statement_id} (not in this export)",
                        "", "", "", "", None, ())
    result = statement.get("result") or {}
    result_extensions = result.get("extensions") or {}
    context_extensions = (statement.get("context") or {}).get("extensions") or {}
    attachments = _attachments(record, statement)
    timestamp = _timestamp(statement)
    response = result.get("response") if isinstance(result.get("response"), str) else ""
    reflection = result_extensions.get(v.EXT_REFLECTION)
    impact = result_extensions.get(v.EXT_IMPACT)
    evidence_type = context_extensions.get(v.EXT_EVIDENCE_TYPE)
    return Evidence(
        statement_id=statement_id,
        statement=statement,
        sha256=canonical_sha256(statement),
        timestamp=timestamp,
        date=_date(timestamp),
        mode=record.modes.get(statement_id),
        title=_title(statement),
        description=text_of(((statement.get("object") or {}).get("definition") or {}).get("description")),
        evidence_type=evidence_type if isinstance(evidence_type, str) else "",
        response=response or (reflection if isinstance(reflection, str) else ""),
        impact=impact if isinstance(impact, str) else "",
        witness=_witness(statement, attachments, record.witness_confirmations.get(statement_id)),
        attachments=attachments,
    )


# --- the portfolio -------------------------------------------------------------------------------------------


def build_portfolio(
    record: ExportRecord, qualification: Qualification, *, centre: str = "", generated: datetime | None = None
) -> Portfolio:
    statements = {s["id"]: s for s in record.statements}
    decision_ids = {d.statement_id for d in record.decisions}
    order = {sid: index for index, sid in enumerate(statements)}
    evidence_cache: dict[str, Evidence] = {}

    def evidence(statement_id: str) -> Evidence:
        if statement_id not in evidence_cache:
            evidence_cache[statement_id] = make_evidence(record, statement_id, statements.get(statement_id))
        return evidence_cache[statement_id]

    linked: dict[str, list[str]] = {}
    for sid, statement in statements.items():
        if statement.get("verb", {}).get("id") in DECISION_VERBS or sid in decision_ids:
            continue
        for link in record.links.get(sid, []):
            if link.framework == qualification.uri:
                linked.setdefault(link.item, []).append(sid)

    units = []
    for unit in qualification.units:
        entries = []
        for criterion in unit.criteria:
            uri = criterion.node.uri
            review = record.criteria.get(uri)
            decisions = [d for d in record.decisions if d.criterion == uri]
            ids = list(dict.fromkeys([*linked.get(uri, []), *(review.evidence if review else {}),
                                      *(d.evidence_id for d in decisions)]))
            # Oldest evidence first, as the LRS orders a criterion's evidence; unknown statements last.
            ids.sort(key=lambda sid: (sid not in order, _timestamp(statements.get(sid) or {}), order.get(sid, 0)))
            uses = []
            for sid in ids:
                mine = tuple(d for d in decisions if d.evidence_id == sid)
                outcome = review.evidence[sid] if review and sid in review.evidence else current_outcome(mine)
                uses.append(EvidenceUse(evidence(sid), outcome, mine))
            status = review.status if review else status_from(u.outcome for u in uses)
            entries.append(CriterionEntry(criterion, status, tuple(uses)))
        units.append(UnitEntry(unit, tuple(entries), record.units.get(unit.node.uri)))

    ordered = sorted(evidence_cache.values(), key=lambda e: (e.statement is None, e.timestamp, e.statement_id))
    criteria = {c.criterion.node.uri for u in units for c in u.criteria}
    return Portfolio(
        # The centre's name for the learner (their account), never whichever statement last named them.
        learner_name=record.learner_name or agent_id(record.agent) or record.agent_key,
        learner_id=agent_id(record.agent) or record.agent_key,
        agent=dict(record.agent),
        agent_key=record.agent_key,
        qualification=qualification,
        units=tuple(units),
        evidence=tuple(ordered),
        centre=record.centre_name or centre,
        generated=generated or datetime.now(UTC).replace(microsecond=0),
        centre_number=record.centre_number,
        registration_number=record.registration_number,
        samples=tuple(d for d in record.decisions if d.role == "iqa" and d.criterion in criteria),
        sampling_plan=dict(record.sampling_plan),
    )
