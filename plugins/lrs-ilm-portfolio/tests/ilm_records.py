"""Test data: a learner's realistic record against the shipped ILM Level 5 template, built directly as an ExportRecord.

Łucja has six pieces of evidence across units 1 and 2. Unit 2 is fully accepted (one criterion after a referral
and a resubmission, one confirmed by the IQA); unit 1 is not (an IQA overturn, a referral, evidence awaiting a
decision, criteria without evidence).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from lrs.competency.frameworks import builtin_frameworks_dir
from lrs.hookspecs import (
    CompetencyLink,
    CriterionReview,
    ExportFile,
    ExportRecord,
    ReviewDecision,
    UnitRecord,
    UnitSubmission,
)
from lrs.plugin_api import vocabulary as v

BASE = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
L7 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l7-leadership"
SWE = "https://w3id.org/xapi/social-work-leadership/frameworks/swe-professional-standards"
ENV = ("LRS_ILM_SIGNING_KEY", "LRS_ILM_ISSUER_ID", "LRS_ILM_ISSUER_NAME", "LRS_ILM_CENTRE")

LEARNER = {"objectType": "Agent", "name": "Łucja Nowak-Żółć", "mbox": "mailto:lucja@la.example"}
ASSESSOR = {"objectType": "Agent", "name": "Ann Assessor", "mbox": "mailto:ann@centre.example"}
IQA = {"objectType": "Agent", "name": "Ian Quality", "mbox": "mailto:ian@centre.example"}


def sid(n: int) -> str:
    return f"5e1d0000-0000-4000-8000-{n:012d}"


def ac(unit: int, code: str) -> str:
    return f"{BASE}/U{unit}.AC{code}"


E_LAUNCHED, E1, E2, E3, E4, E5, E6, E_SWE = (sid(n) for n in (0, 1, 2, 3, 4, 5, 6, 8))

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n\x00\xff\x10binary\n%%EOF\n"
NOTES_BYTES = "Supervision notes, 3 March 2026\nŁucja named her development needs against PQ standard 2.\n".encode()
TESTIMONY_BYTES = (
    "I observed Łucja chair the team meeting of 9 March. She named two leadership models and chose a coaching "
    "style for the discussion of a stuck case.\n"
).encode()
NOT_HELD_BYTES = b"a video the LRS never received"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _attachment(content: bytes, content_type: str, display: str, usage: str, **extra: Any) -> dict[str, Any]:
    return {"usageType": usage, "display": {"en-GB": display}, "contentType": content_type,
            "length": len(content), "sha2": sha(content), **extra}


def _statement(
    n: int, day: str, title: str, *, evidence_type: str | None, verb: str = v.VERB_REFLECTED,
    response: str = "", impact: str = "", witness: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    context_ext: dict[str, Any] = {}
    if evidence_type:
        context_ext[v.EXT_EVIDENCE_TYPE] = evidence_type
    if witness:
        context_ext[v.EXT_WITNESS] = witness
    statement: dict[str, Any] = {
        "id": sid(n),
        "actor": LEARNER,
        "verb": {"id": verb, "display": {"en-GB": "reflected"}},
        "object": {"objectType": "Activity", "id": f"https://la.example/evidence/{n}",
                   "definition": {"name": {"en-GB": title}, "type": v.TYPE_EVIDENCE}},
        "timestamp": f"2026-{day}T09:30:00+00:00",
        "stored": f"2026-{day}T09:30:01.250+00:00",
        "authority": {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "journal"}},
        "version": "1.0.3",
        "context": {"extensions": context_ext, "language": "en-GB"},
    }
    result: dict[str, Any] = {}
    if response:
        result["response"] = response
    if impact:
        result["extensions"] = {v.EXT_IMPACT: impact}
    if result:
        statement["result"] = result
    if attachments:
        statement["attachments"] = attachments
    return statement


def statements() -> list[dict[str, Any]]:
    return [
        _statement(0, "02-20", "Launched e-learning: safeguarding refresher", evidence_type=None,
                   verb="http://adlnet.gov/expapi/verbs/launched"),
        _statement(
            1, "03-03", "Reflective account: my development needs", evidence_type="reflective-account",
            response="Supervision showed I avoid conflict when a plan stalls.",
            impact="I now name the stuck point in every review meeting.",
            attachments=[
                _attachment(PDF_BYTES, "application/pdf", "Development needs analysis.pdf", v.USAGE_WORK_PRODUCT),
                _attachment(NOTES_BYTES, "text/plain", "Supervision notes", v.USAGE_WORK_PRODUCT,
                            description={"en-GB": "Notes of the March supervision, agreed with my supervisor"}),
            ],
        ),
        _statement(2, "03-05", "Personal development plan 2026", evidence_type="product",
                   response="The plan sets three goals tied to the team's audit results."),
        _statement(
            3, "03-08", "Journal: what the plan changed", evidence_type="reflective-account",
            response="Keeping a weekly log made my learning visible to my manager.",
            impact="Two managers have started their own logs.",
            attachments=[_attachment(NOT_HELD_BYTES, "video/mp4", "Team briefing recording", v.USAGE_WORK_PRODUCT,
                                     fileUrl="https://files.la.example/briefing.mp4")],
        ),
        _statement(
            4, "03-10", "Witness testimony: chairing the team meeting", evidence_type="witness-testimony",
            witness={"name": "Sam Okafor", "role": "Head of Service", "relationship": "Line manager",
                     "date": "2026-03-10", "agent": {"objectType": "Agent", "name": "Sam Okafor",
                                                     "mbox": "mailto:sam@la.example"}},
            attachments=[_attachment(TESTIMONY_BYTES, "text/plain", "Testimony – Sam Okafor",
                                     v.USAGE_WITNESS_TESTIMONY)],
        ),
        _statement(5, "03-12", "<script>alert('x')</script> Team development plan", evidence_type="product",
                   response="A plan for the team's <b>development</b> needs & priorities."),
        _statement(6, "03-15", "Observed practice: adapting my style", evidence_type="observation",
                   response="I moved from directive to coaching when the team pushed back."),
        _statement(8, "03-16", "Peer reflection on standard 4.6", evidence_type=None),
    ]


def links() -> dict[str, list[CompetencyLink]]:
    def to(*items: str) -> list[CompetencyLink]:
        return [CompetencyLink(BASE, item) for item in items]

    return {
        E1: to(ac(2, "1.1"), ac(2, "1.2")),
        E2: to(ac(2, "2.1"), ac(2, "2.2")),
        E3: to(ac(2, "2.3")),
        E4: to(ac(1, "1.1"), ac(1, "1.2")),
        E5: to(ac(1, "2.1")),
        E6: to(ac(1, "1.3")),
        E_SWE: [CompetencyLink(SWE, f"{SWE}/4.6")],
    }


def _decision(n: int, outcome: str, evidence: str, criterion: str, decided: str, *, role: str = "assessor",
              feedback: str = "", target: str | None = None, superseded: bool = False) -> ReviewDecision:
    return ReviewDecision(
        statement_id=f"dec10000-0000-4000-8000-{n:012d}",
        outcome=outcome,
        role=role,
        evidence_id=evidence,
        framework=BASE,
        criterion=criterion,
        reviewer=IQA if role == "iqa" else ASSESSOR,
        feedback=feedback,
        decided=f"2026-{decided}T14:00:00+00:00",
        target_id=target,
        superseded=superseded,
    )


def decision_id(n: int) -> str:
    return f"dec10000-0000-4000-8000-{n:012d}"


REFERRAL_FEEDBACK = "Link your needs to the PQ standards, not only to supervision."
OVERTURN_FEEDBACK = "The testimony does not show Łucja comparing leadership models."


def decisions() -> list[ReviewDecision]:
    return [
        _decision(1, "referred", E1, ac(2, "1.1"), "03-20", feedback=REFERRAL_FEEDBACK, superseded=True),
        _decision(2, "accepted", E1, ac(2, "1.2"), "03-20", feedback="Clear and specific."),
        _decision(3, "accepted", E2, ac(2, "2.1"), "03-21"),
        _decision(4, "accepted", E2, ac(2, "2.2"), "03-21"),
        _decision(5, "accepted", E4, ac(1, "1.1"), "03-25", feedback="Good testimony."),
        _decision(6, "accepted", E4, ac(1, "1.2"), "03-25"),
        _decision(7, "referred", E6, ac(1, "1.3"), "03-26", feedback="Needs a worked example from practice."),
        _decision(8, "accepted", E1, ac(2, "1.1"), "04-02", feedback="Now linked to the standards."),
        _decision(9, "accepted", E3, ac(2, "2.3"), "04-03"),
        _decision(10, "confirmed", E1, ac(2, "1.2"), "04-10", role="iqa", target=decision_id(2),
                  feedback="Sampled: the decision stands."),
        _decision(11, "action-raised", E4, ac(1, "1.1"), "04-12", role="iqa", target=decision_id(5),
                  feedback=OVERTURN_FEEDBACK),
    ]


#: Where each criterion stands, as the LRS's review computes it (criterion -> (status, evidence outcomes)).
EXPECTED: dict[str, tuple[str, dict[str, str | None]]] = {
    ac(1, "1.1"): ("awaiting-decision", {E4: "returned"}),
    ac(1, "1.2"): ("accepted", {E4: "accepted"}),
    ac(1, "1.3"): ("referred", {E6: "referred"}),
    ac(1, "2.1"): ("awaiting-decision", {E5: None}),
    ac(1, "2.2"): ("without-evidence", {}),
    ac(1, "2.3"): ("without-evidence", {}),
    ac(2, "1.1"): ("accepted", {E1: "accepted"}),
    ac(2, "1.2"): ("accepted", {E1: "accepted"}),
    ac(2, "2.1"): ("accepted", {E2: "accepted"}),
    ac(2, "2.2"): ("accepted", {E2: "accepted"}),
    ac(2, "2.3"): ("accepted", {E3: "accepted"}),
    **{f"{BASE}/U3.AC{c}": ("without-evidence", {}) for c in ("1.1", "1.2", "2.1", "2.2", "2.3")},
}


#: Where the LRS says each unit stands: unit 2 assessed, sampled, submitted and claimed; units 1 and 3 not.
CLAIM_ID = "c1a10000-0000-4000-8000-000000000001"
CLAIMED = "2026-04-20T10:00:00.000Z"
UNITS: dict[str, UnitRecord] = {
    f"{BASE}/U1": UnitRecord(BASE, f"{BASE}/U1", assessed=False),
    f"{BASE}/U2": UnitRecord(
        BASE, f"{BASE}/U2", assessed=True, sampling_required=(decision_id(2),), sampling_outstanding=(),
        submissions=(UnitSubmission("50b10000-0000-4000-8000-000000000001", 1, "2026-04-15T09:00:00.000Z",
                                    "I declare that the evidence submitted for this unit is my own work."),),
        claim_id=CLAIM_ID, claimed=CLAIMED, claimed_by={"objectType": "Agent", "name": "Centre admin",
                                                       "mbox": "mailto:admin@centre.example"},
        complete=True,
    ),
    f"{BASE}/U3": UnitRecord(BASE, f"{BASE}/U3", assessed=False),
}


def load_framework(slug: str) -> dict[str, Any]:
    return json.loads((builtin_frameworks_dir() / f"{slug}.json").read_text(encoding="utf-8"))


def make_record(**changes: Any) -> ExportRecord:
    store = {sha(b): (t, b) for t, b in [("application/pdf", PDF_BYTES), ("text/plain", NOTES_BYTES),
                                         ("text/plain", TESTIMONY_BYTES)]}
    frameworks = {p["CFDocument"]["uri"]: p for p in map(load_framework, ("ilm-l5-leadership", "ilm-l7-leadership",
                                                                           "swe-professional-standards"))}
    found = statements()
    fields: dict[str, Any] = {
        "agent": LEARNER,
        "agent_key": "mbox:mailto:lucja@la.example",
        "statements": found,
        "modes": {s["id"]: m for s, m in zip(found, [None, "on-the-job", "on-the-job", "social", "on-the-job",
                                                    "formal", "on-the-job", "social"], strict=True)},
        "links": links(),
        "frameworks": frameworks,
        "decisions": decisions(),
        "criteria": {uri: CriterionReview(BASE, uri, status, dict(evidence))
                     for uri, (status, evidence) in EXPECTED.items()},
        "load_attachment": store.get,
        "units": UNITS,
        "learner_name": LEARNER["name"],
    }
    fields.update(changes)
    return ExportRecord(**fields)


def run(record: ExportRecord, **options: str) -> tuple[ExportFile, zipfile.ZipFile]:
    from lrs_ilm_portfolio.plugin import export_ilm_portfolio

    files = export_ilm_portfolio(record, {"format": "zip", **options})
    assert len(files) == 1
    return files[0], zipfile.ZipFile(io.BytesIO(files[0].content))


def manifest_of(archive: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(archive.read("manifest.json"))


def criteria_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["uri"]: c for unit in manifest["units"] for c in unit["criteria"]}
