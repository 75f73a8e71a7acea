"""A cohort's unit progress (the lead's dashboard) read in grouped queries gives what the per-learner progress
gives (lrs.review.service.progress): criteria accepted, units complete, in progress and not started. Every
status a criterion can have is in the cohort, including a decision an IQA returned with an action, evidence
judged against a criterion the learner did not name, a superseded decision, a voided piece of evidence and a
claimed unit. Both databases."""

from __future__ import annotations

from conftest import make_credential

from lrs.review import service
from lrs.review.cohort import UnitProgress, cohort_unit_progress

from .conftest import ILM5, JO, KIM, NORTH, U1, Caller, ac, enrol

CLAIM = {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"}


def expected(lrs, agent: str) -> UnitProgress:  # noqa: ANN001
    progress = service.progress(lrs, agent, "ilm-l5-leadership")
    complete = sum(1 for u in progress["units"] if u["complete"])
    not_started = sum(1 for u in progress["units"] if u["counts"]["without-evidence"] == len(u["criteria"]))
    return UnitProgress(
        complete=complete,
        in_progress=len(progress["units"]) - complete - not_started,
        not_started=not_started,
        criteria_accepted=progress["counts"]["accepted"],
        criteria=sum(progress["counts"].values()),
    )


def test_the_cohort_reading_matches_each_learners_progress(centre, lrs_instance, app):  # noqa: ANN001
    jo, ann, ian, admin = centre["jo"], centre["ann"], centre["ian"], centre["admin"]
    # Sam: a second learner of the cohort; Kim is in another cohort and is not read.
    sam = Caller(
        app.test_client(),
        make_credential(
            lrs_instance, [], name="Sam", role="participant", agent_key="mbox:mailto:sam@la.example"
        ),
        "sam",
    )
    enrol(lrs_instance, NORTH, "mbox:mailto:sam@la.example")
    assert (
        admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0}).status_code
        == 201
    )

    # Jo: unit 1 accepted throughout, submitted and claimed: complete.
    whole = jo.journal(standards=U1, evidence_type="reflective-account")
    for uri in U1:
        assert ann.decide(evidence=whole, criterion=uri, outcome="accepted").status_code == 201
    assert jo.post("/api/units/submissions", {**CLAIM, "declaration": True}).status_code == 201
    assert admin.post("/api/units/claims", CLAIM).status_code == 201
    # Jo, unit 2: one accepted, one referred, one returned by an IQA action, one waiting, one judged against a
    # criterion Jo did not name, and a referral superseded by an acceptance.
    u2 = [ac(c) for c in ("U2.AC1.1", "U2.AC1.2", "U2.AC2.1", "U2.AC2.2", "U2.AC2.3")]
    first = jo.journal(standards=u2[:4])
    assert (
        ann.decide(evidence=first, criterion=u2[0], outcome="referred", feedback="More.").status_code == 201
    )
    assert ann.decide(evidence=first, criterion=u2[0], outcome="accepted").status_code == 201
    assert (
        ann.decide(evidence=first, criterion=u2[1], outcome="referred", feedback="More.").status_code == 201
    )
    returned = ann.decide(evidence=first, criterion=u2[2], outcome="accepted").get_json()["id"]
    assert ian.decide(decision=returned, outcome="action-raised", feedback="Look again.").status_code == 201
    assert ann.decide(evidence=first, criterion=u2[4], outcome="accepted", map=True).status_code == 201
    # Jo, unit 3: evidence that is then voided: not started again.
    voided = jo.journal(standards=[ac("U3.AC1.1")])
    void = {
        "actor": {"mbox": JO},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": voided},
    }
    assert jo.post("/xapi/statements", void).status_code == 200
    # Sam: one piece of evidence waiting; Kim (another cohort) has evidence too.
    sam.journal(standards=[ac("U1.AC1.1")])
    centre["kim"].journal(
        standards=[ac("U1.AC1.1")], programme="https://centre.example/cohorts/ilm5-2026-south"
    )

    found = cohort_unit_progress(lrs_instance, NORTH)
    assert [q["uri"] for q in found["qualifications"]] == [ILM5]
    assert set(found["learners"]) == {f"mbox:{JO}", "mbox:mailto:sam@la.example"}
    for agent in found["learners"]:
        assert found["learners"][agent][ILM5] == expected(lrs_instance, agent), agent
    jo_progress = found["learners"][f"mbox:{JO}"][ILM5]
    assert (jo_progress.complete, jo_progress.in_progress, jo_progress.not_started) == (1, 1, 1)
    assert jo_progress.criteria_accepted == len(U1) + 2
    assert f"mbox:{KIM}" not in found["learners"]
    assert found["nothing_yet"][ILM5] == UnitProgress(not_started=3, criteria=jo_progress.criteria)


def test_a_cohort_without_evidence_for_a_qualification_has_no_unit_progress(centre, lrs_instance):  # noqa: ANN001
    centre["jo"].journal()  # learning, but evidence for no criterion
    found = cohort_unit_progress(lrs_instance, NORTH)
    assert found == {"qualifications": [], "learners": {}, "nothing_yet": {}}
