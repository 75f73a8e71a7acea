"""Issue 20: assessment an external quality assurer would accept. Conflict-of-interest rules, a rationale on
every decision, mapped criteria, IQA sampling plans and actions, unit submissions and the centre's claim."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import make_credential

from lrs.learning import vocabulary as v
from lrs.review import sampling
from lrs.review import service as review_service

from .conftest import JO, NORTH, SOUTH, U1, Caller, enrol


def problem(response: Any) -> tuple[int, str, str]:
    error = response.get_json()["error"]
    return response.status_code, error["rule"], error.get("path", "")


def criterion_status(caller: Caller, uri: str) -> str:
    progress = caller.progress().get_json()
    return next(c["status"] for u in progress["units"] for c in u["criteria"] if c["uri"] == uri)


def unit_of(caller: Caller, code: str = "Template L5 U1") -> dict:
    return next(u for u in caller.progress().get_json()["units"] if u["code"] == code)


@pytest.fixture
def more(centre, lrs_instance, app) -> dict[str, Caller]:
    """Jo also holds an assessor credential (her own agent) for her cohort; Lee is a learner of the north cohort
    who also assesses it; Ann holds an IQA credential too (the same person)."""
    flask = app.test_client()
    made = {
        "jo_assessor": make_credential(lrs_instance, [], name="Jo as assessor", role="assessor",
                                       agent_key=f"mbox:{JO}", cohorts=[NORTH]),
        "lee": make_credential(lrs_instance, [], name="Lee Learner", role="participant",
                               agent_key="mbox:mailto:lee@la.example"),
        "lee_assessor": make_credential(lrs_instance, [], name="Lee as assessor", role="assessor",
                                        agent_key="mbox:mailto:lee@la.example", cohorts=[NORTH]),
        "ann_iqa": make_credential(lrs_instance, [], name="Ann as IQA", role="iqa",
                                   agent_key="mbox:mailto:ann@centre.example", cohorts=[NORTH]),
    }
    # Lee was enrolled as a learner before she was given an assessor credential for the same cohort.
    enrol(lrs_instance, NORTH, "mbox:mailto:lee@la.example")
    return {**centre, **{name: Caller(flask, cred, name) for name, cred in made.items()}}


# --- 1. conflicts of interest ----------------------------------------------------------------------------------


def test_nobody_decides_on_their_own_evidence(more):
    evidence = more["jo"].journal(standards=[U1[0]])
    refused = more["jo_assessor"].decide(evidence=evidence, criterion=U1[0], outcome="accepted")
    assert problem(refused) == (403, "own-evidence", "evidence")
    assert "own evidence" in refused.get_json()["error"]["message"]
    assert criterion_status(more["admin"], U1[0]) == "awaiting-decision"


def test_a_learner_of_the_cohort_does_not_review_it(more):
    more["lee"].journal(what="Lee's own evidence", standards=[U1[0]])
    evidence = more["jo"].journal(standards=[U1[0]])
    refused = more["lee_assessor"].decide(evidence=evidence, criterion=U1[0], outcome="accepted")
    assert problem(refused) == (403, "learner-and-reviewer", "outcome")
    # Ann, who is not a learner, may.
    assert more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted").status_code == 201


def test_an_iqa_does_not_sample_their_own_assessor_decision(more):
    evidence = more["jo"].journal(standards=[U1[0]])
    decision = more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    refused = more["ann_iqa"].decide(decision=decision["id"], outcome="confirmed")
    assert problem(refused) == (403, "own-decision", "decision")
    assert more["ian"].decide(decision=decision["id"], outcome="confirmed").status_code == 201


def test_a_conflicted_decision_stored_through_xapi_does_not_count(more, lrs_instance):
    """The same rules hold for a decision statement stored directly: it is kept, and ignored."""
    evidence = more["jo"].journal(standards=[U1[0]])
    statement = {
        "actor": {"objectType": "Agent", "mbox": JO},
        "verb": {"id": v.VERB_ACCEPTED, "display": {"en": "accepted"}},
        "object": {"objectType": "StatementRef", "id": evidence},
        "result": {"extensions": {v.EXT_RATIONALE: "I met it."}},
        "context": {"contextActivities": {"other": [{"id": U1[0]}]}},
    }
    lrs_instance.store_statements(statement, lrs_instance.principal_for(more["jo_assessor"].key), "1.0.3")
    assert criterion_status(more["admin"], U1[0]) == "awaiting-decision"
    # Lee, a learner of the cohort, storing the same through her assessor credential: kept, not counted either.
    more["lee"].journal(what="Lee's own evidence", standards=[U1[0]])
    statement["actor"] = {"objectType": "Agent", "mbox": "mailto:lee@la.example"}
    lrs_instance.store_statements(statement, lrs_instance.principal_for(more["lee_assessor"].key), "1.0.3")
    assert criterion_status(more["admin"], U1[0]) == "awaiting-decision"
    assert review_service.rebuild(lrs_instance)["decisions"] == 0
    # Ann, as IQA, confirming her own assessor decision through /xapi: kept, not counted as a sample.
    decision = more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    sample = {
        "actor": {"objectType": "Agent", "mbox": "mailto:ann@centre.example"},
        "verb": {"id": v.VERB_CONFIRMED, "display": {"en": "confirmed"}},
        "object": {"objectType": "StatementRef", "id": decision["id"]},
        "result": {"extensions": {v.EXT_RATIONALE: "My own decision is sound."}},
        "context": {"contextActivities": {"other": [{"id": U1[0]}]},
                    "statement": {"objectType": "StatementRef", "id": evidence}},
    }
    lrs_instance.store_statements(sample, lrs_instance.principal_for(more["ann_iqa"].key), "1.0.3")
    assert [i["decision"]["id"] for i in more["ian"].queue().get_json()["items"]] == [decision["id"]]
    assert review_service.rebuild(lrs_instance)["decisions"] == 1  # Ann's assessor decision only


# --- 2. rationale and mapping ----------------------------------------------------------------------------------


def test_every_decision_needs_a_rationale(more):
    evidence = more["jo"].journal(standards=[U1[0]])
    for rationale in (None, "", "   "):
        assert problem(more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted", rationale=rationale)) == (
            400, "rationale-required", "rationale")
    made = more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted",
                              rationale="The account shows the team consulted before the decision.")
    assert made.status_code == 201 and made.get_json()["rationale"].startswith("The account shows")
    assert problem(more["ian"].decide(decision=made.get_json()["id"], outcome="confirmed", rationale=None)) == (
        400, "rationale-required", "rationale")


def test_a_criterion_must_be_mapped_or_mapped_in_the_decision(more):
    evidence = more["jo"].journal(standards=[U1[0]])
    refused = more["ann"].decide(evidence=evidence, criterion=U1[3], outcome="accepted")
    assert problem(refused) == (400, "criterion-not-mapped", "criterion")
    assert problem(more["ann"].decide(evidence=evidence, criterion=U1[3], outcome="accepted", map="yes")) == (
        400, "invalid-review", "map")
    mapped = more["ann"].decide(evidence=evidence, criterion=U1[3], outcome="accepted", map=True)
    assert mapped.status_code == 201 and mapped.get_json()["mapped"] is True
    stored = more["admin"].get(f"/xapi/statements?statementId={mapped.get_json()['id']}").get_json()
    assert stored["context"]["extensions"] == {v.EXT_MAPPED_IN_DECISION: True}
    # Mapping a criterion the learner did link is not recorded as the assessor's mapping.
    linked = more["ann"].decide(evidence=evidence, criterion=U1[0], outcome="accepted", map=True).get_json()
    assert linked["mapped"] is False


# --- 3. sampling plans and IQA actions -------------------------------------------------------------------------


def test_only_an_admin_adopts_a_sampling_plan_and_it_is_validated(more):
    admin = more["admin"]
    assert admin.get("/api/reviews/sampling-plan").get_json()["plan"] == sampling.DEFAULT_PLAN
    assert problem(more["ian"].post("/api/reviews/sampling-plan", {"default_rate": 1})) == (403, "admin-only", "")
    assert problem(admin.post("/api/reviews/sampling-plan", {"default_rate": 2})) == (400, "invalid-plan", "default_rate")
    assert problem(admin.post("/api/reviews/sampling-plan", {"units": {"x": "half"}})) == (400, "invalid-plan", "units.x")
    assert problem(admin.post("/api/reviews/sampling-plan", {"rate": 1})) == (400, "unknown-field", "rate")
    made = admin.post("/api/reviews/sampling-plan", {"default_rate": 0.2, "evidence_types": {"witness-testimony": 1}})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["plan"]["evidence_types"] == {"witness-testimony": 1.0}
    assert more["ann"].get("/api/reviews/sampling-plan").get_json()["plan"]["default_rate"] == 0.2


def test_the_plan_selects_new_assessors_units_and_evidence_types():
    plan = sampling.validate_plan({"default_rate": 0, "new_assessor_decisions": 2, "new_assessor_rate": 1,
                                   "units": {"U2": 0.5}, "evidence_types": {"witness-testimony": 1},
                                   "assessors": {"b": 0.25}})
    # An assessor under development is sampled at their own rate; the highest rate that applies wins.
    assert sampling.rate_for(plan, assessor="b", assessor_rank=3, unit="U1", evidence_type=None) == 0.25
    assert sampling.rate_for(plan, assessor="b", assessor_rank=3, unit="U2", evidence_type=None) == 0.5
    assert sampling.rate_for(plan, assessor="a", assessor_rank=1, unit="U1", evidence_type=None) == 1
    assert sampling.rate_for(plan, assessor="a", assessor_rank=3, unit="U1", evidence_type=None) == 0
    assert sampling.rate_for(plan, assessor="a", assessor_rank=3, unit="U2", evidence_type=None) == 0.5
    assert sampling.rate_for(plan, assessor="a", assessor_rank=3, unit="U1", evidence_type="witness-testimony") == 1
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(400)]
    half = sum(sampling.selected(i, 0.5) for i in ids)
    assert 150 < half < 250 and all(sampling.selected(i, 1) for i in ids) and not any(sampling.selected(i, 0) for i in ids)
    assert [sampling.selected(i, 0.5) for i in ids] == [sampling.selected(i.upper(), 0.5) for i in ids]


def test_an_iqa_action_returns_the_decision_and_the_assessor_reassesses(more):
    jo, ann, ian = more["jo"], more["ann"], more["ian"]
    evidence = jo.journal(standards=[U1[0]])
    accepted = ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    action = ian.decide(decision=accepted["id"], outcome="action-raised", rationale="Not the learner's decision.",
                        feedback="Check who made the decision described.")
    assert action.status_code == 201, action.get_json()
    assert action.get_json()["sample_reason"] == "plan"  # Ann's first decisions: the default plan samples them all
    assert criterion_status(jo, U1[0]) == "awaiting-decision"  # returned, never flipped to referred
    assert [i["evidence"]["id"] for i in ann.queue().get_json()["items"]] == [evidence]
    again = ann.decide(evidence=evidence, criterion=U1[0], outcome="referred", feedback="Say what you decided.",
                       rationale="On checking, the decision was the manager's.")
    assert again.status_code == 201
    assert criterion_status(jo, U1[0]) == "referred"
    queued = ian.queue().get_json()["items"]
    assert [i["decision"]["id"] for i in queued] == [again.get_json()["id"]]
    assert queued[0]["selected_by_plan"] is True  # still among Ann's first five decisions


# --- 5. unit submissions, sampling, the centre's claim ----------------------------------------------------------


def _assess_unit_one(more: dict[str, Caller]) -> list[str]:
    evidence = more["jo"].journal(standards=U1, evidence_type="reflective-account")
    ids = []
    for uri in U1:
        made = more["ann"].decide(evidence=evidence, criterion=uri, outcome="accepted")
        assert made.status_code == 201, made.get_json()
        ids.append(made.get_json()["id"])
    return ids


def test_a_unit_is_complete_only_after_acceptance_sampling_submission_and_claim(more):
    jo, admin, ian = more["jo"], more["admin"], more["ian"]
    claim = {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"}
    # A plan that samples a new assessor's first five decisions and nothing else.
    assert admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 5}).status_code == 201
    decisions = _assess_unit_one(more)
    unit = unit_of(jo)
    assert unit["assessed"] is True and unit["complete"] is False
    assert unit["certification"]["sampling"]["outstanding"] == decisions[:5]
    refused = admin.post("/api/units/claims", claim)
    assert problem(refused) == (409, "unit-not-ready", "unit")
    assert "IQA sampling of 5" in refused.get_json()["error"]["message"]
    assert "declaration of authenticity" in refused.get_json()["error"]["message"]

    assert problem(jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1"})) == (
        400, "declaration-required", "declaration")
    assert problem(more["ann"].post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1",
                                                                "declaration": True}))[0] == 403
    first = jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True})
    assert first.status_code == 201, first.get_json()
    second = jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True})
    attempts = second.get_json()["submissions"]
    assert [s["attempt"] for s in attempts] == [1, 2] and attempts[0]["declaration"] == sampling.DECLARATION
    assert attempts[0]["submitted"] <= attempts[1]["submitted"]

    for decision in decisions[:4]:
        assert ian.decide(decision=decision, outcome="confirmed").status_code == 201
    assert problem(admin.post("/api/units/claims", claim))[1] == "unit-not-ready"
    assert ian.decide(decision=decisions[4], outcome="confirmed").status_code == 201
    assert problem(more["ann"].post("/api/units/claims", claim)) == (403, "admin-only", "")
    claimed = admin.post("/api/units/claims", claim)
    assert claimed.status_code == 201, claimed.get_json()
    assert claimed.get_json()["complete"] is True and claimed.get_json()["claim"]["id"]
    assert unit_of(jo)["complete"] is True
    assert problem(admin.post("/api/units/claims", claim)) == (409, "unit-claimed", "unit")
    units = jo.get("/api/learners/" + JO.replace("@", "%40") + "/units?framework=ilm-l5-leadership").get_json()
    assert [u["complete"] for u in units["units"]] == [True, False, False]


def test_a_claim_stored_directly_before_the_unit_is_ready_does_not_count(more, lrs_instance):
    more["admin"].post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0})
    more["jo"].journal(standards=U1[:1])
    submitted = more["jo"].post("/api/units/submissions",
                                {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True}).get_json()
    admin = lrs_instance.principal_for(more["admin"].key)
    premature = sampling.claim_statement(admin.authority, submitted["submissions"][0]["id"], f"{U1[0].rsplit('/', 1)[0]}/U1")
    lrs_instance.store_statements(premature, admin, "1.0.3")
    _assess_unit_one(more)
    unit = unit_of(more["jo"])
    assert unit["assessed"] is True and unit["certification"]["claim"] is None and unit["complete"] is False


def test_claims_and_submissions_survive_a_rebuild(more, lrs_instance):
    admin = more["admin"]
    admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0})
    _assess_unit_one(more)
    more["jo"].post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True})
    made = admin.post("/api/units/claims", {"learner": JO, "framework": "ilm-l5-leadership", "unit": "Template L5 U1"})
    assert made.status_code == 201, made.get_json()
    before = more["jo"].progress().get_json()
    review_service.rebuild(lrs_instance)
    assert more["jo"].progress().get_json() == before
    assert unit_of(more["jo"])["complete"] is True


def test_the_cli_adopts_a_plan_and_claims(more, lrs_instance, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from lrs.cli import cli
    from lrs.services.exports import learner_record

    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"default_rate": 0, "new_assessor_decisions": 0}))
    runner = CliRunner()
    adopted = runner.invoke(cli, ["review", "sampling-plan", "--set", str(plan)])
    assert adopted.exit_code == 0, adopted.output
    assert json.loads(adopted.output)["plan"]["default_rate"] == 0
    _assess_unit_one(more)
    early = runner.invoke(cli, ["review", "claim", "--agent", JO, "--framework", "ilm-l5-leadership", "--unit", "Template L5 U1"])
    assert early.exit_code != 0 and "unit-not-ready" in early.output
    more["jo"].post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1", "declaration": True})
    claimed = runner.invoke(cli, ["review", "claim", "--agent", JO, "--framework", "ilm-l5-leadership", "--unit", "Template L5 U1"])
    assert claimed.exit_code == 0, claimed.output
    assert unit_of(more["jo"])["complete"] is True
    enrolled = runner.invoke(cli, ["cohorts", "enrol", NORTH, "--agent", "mailto:new@la.example",
                                   "--registration-number", "ILM-000001"])
    assert enrolled.exit_code == 0 and "registration number ILM-000001" in enrolled.output, enrolled.output
    assert learner_record(lrs_instance, "mbox:mailto:new@la.example").registration_number == "ILM-000001"
    registered = runner.invoke(cli, ["review", "registration", "--agent", JO, "--number", "ILM-123456"])
    assert registered.exit_code == 0, registered.output

    record = learner_record(lrs_instance, f"mbox:{JO}")
    assert record.registration_number == "ILM-123456"
    assert record.learner_name == "Jo Bloggs"  # her credential's name, not a statement's
    assert record.units[f"{U1[0].rsplit('/', 1)[0]}/U1"].complete is True


def test_the_registration_number_is_recorded_at_enrolment(more, lrs_instance):
    """An admin (or the cohort's lead) enrolling a learner over HTTP may give the awarding-body registration number:
    it is recorded for the portfolio cover and the EQA pack; a bad one is refused naming the field."""
    from urllib.parse import quote

    from lrs.services.exports import learner_record

    path = f"/api/cohorts/{quote(NORTH, safe='')}/learners"
    admin = more["admin"]
    refused = admin.post(path, {"agent": "mailto:new@la.example", "registration_number": "  "})
    assert problem(refused) == (400, "invalid-registration", "registration_number")
    assert problem(admin.post(path, {"agent": "mailto:new@la.example", "registration_number": 42}))[1] == "invalid-registration"
    made = admin.post(path, {"agent": "mailto:new@la.example", "registration_number": " ILM-2026-0077 "})
    assert made.status_code == 201 and made.get_json() == {"cohort": NORTH, "enrolled": True,
                                                          "registration_number": "ILM-2026-0077"}
    assert learner_record(lrs_instance, "mbox:mailto:new@la.example").registration_number == "ILM-2026-0077"
    # Already enrolled: the number is still recorded (a correction).
    again = admin.post(path, {"agent": "mailto:new@la.example", "registration_number": "ILM-2026-0078"})
    assert again.status_code == 200 and again.get_json()["enrolled"] is False
    assert learner_record(lrs_instance, "mbox:mailto:new@la.example").registration_number == "ILM-2026-0078"
    assert more["ann"].post(path, {"agent": "mailto:other@la.example", "registration_number": "X"}).status_code == 403
    assert learner_record(lrs_instance, "mbox:mailto:other@la.example").registration_number == ""


def test_centre_details_come_from_settings():
    from lrs.config import Settings

    settings = Settings.from_env({"LRS_CENTRE_NAME": " Northshire Leadership Centre ", "LRS_CENTRE_NUMBER": "C-04711"})
    assert (settings.centre_name, settings.centre_number) == ("Northshire Leadership Centre", "C-04711")
    assert (Settings.from_env({}).centre_name, Settings.from_env({}).centre_number) == ("", "")



# --- 3. the EQA pack -------------------------------------------------------------------------------------------


def test_an_iqa_gets_the_eqa_pack_of_their_own_cohorts_only(centre):
    """Iris (IQA, south) gets the south cohort's pack, not the north's; an admin narrows it to one cohort."""
    import io
    import zipfile

    jo, kim, ann, bob, ian, iris, admin = (centre[n] for n in ("jo", "kim", "ann", "bob", "ian", "iris", "admin"))
    north = ann.decide(evidence=jo.journal(standards=[U1[0]]), criterion=U1[0], outcome="accepted").get_json()
    south_evidence = kim.journal(standards=[U1[0]], programme=SOUTH)
    south = bob.decide(evidence=south_evidence, criterion=U1[0], outcome="accepted").get_json()
    assert ian.decide(decision=north["id"], outcome="confirmed").status_code == 201
    assert iris.decide(decision=south["id"], outcome="confirmed").status_code == 201

    def samples(caller: Caller, query: str = "") -> list[str]:
        response = caller.get("/api/reviews/eqa-pack" + query)
        assert response.status_code == 200, response.get_json()
        data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("eqa-pack.json"))
        return [s["assessor_decision"] for s in data["samples"]]

    assert samples(iris) == [south["id"]] and samples(ian) == [north["id"]]
    refused = iris.get("/api/reviews/eqa-pack?cohort=" + NORTH.replace(":", "%3A").replace("/", "%2F"))
    assert problem(refused) == (403, "cohort-scope", "cohort")
    assert sorted(samples(admin)) == sorted([north["id"], south["id"]])
    assert samples(admin, "?cohort=" + SOUTH.replace(":", "%3A").replace("/", "%2F")) == [south["id"]]
    assert kim.get("/api/reviews/eqa-pack").status_code == 403


def test_the_eqa_pack_holds_the_plan_samples_actions_and_a_summary_per_assessor(more, lrs_instance, monkeypatch, tmp_path):
    """The pack checked file by file, as an EQA opens it."""
    import csv
    import io
    import zipfile

    jo, ann, ian, admin = more["jo"], more["ann"], more["ian"], more["admin"]
    admin.post("/api/reviews/sampling-plan", {"default_rate": 0.5})  # an earlier plan, kept in the history
    admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 2})
    evidence = jo.journal(standards=U1[:3], evidence_type="reflective-account")
    first, second, third = (ann.decide(evidence=evidence, criterion=uri, outcome="accepted").get_json() for uri in U1[:3])
    assert ian.decide(decision=first["id"], outcome="confirmed", rationale="Sound.").status_code == 201
    assert ian.decide(decision=second["id"], outcome="action-raised", rationale="Wrong criterion.",
                      feedback="Recheck against 1.2.").status_code == 201
    reassessed = ann.decide(evidence=evidence, criterion=U1[1], outcome="referred", feedback="Show 1.2.").get_json()
    from lrs.review import units as certification

    certification.set_registration_number(lrs_instance, f"mbox:{JO}", "ILM-2026-0042")

    assert more["jo"].get("/api/reviews/eqa-pack").status_code == 403
    assert more["ann"].get("/api/reviews/eqa-pack").status_code == 403
    assert more["ian"].get("/api/reviews/eqa-pack").status_code == 200
    response = admin.get("/api/reviews/eqa-pack")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {"index.html", "eqa-pack.json", "sampling-plan.json", "samples.csv",
                                       "actions.csv", "assessors.csv"}

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode())))

    # eqa-pack.json: everything, the plan in force first.
    data = json.loads(archive.read("eqa-pack.json"))
    assert data["sampling_plan"]["plan"]["new_assessor_decisions"] == 2
    assert [(s["outcome"], s["assessor_decision"], s["sample_reason"]) for s in data["samples"]] == [
        ("confirmed", first["id"], "plan"), ("action-raised", second["id"], "plan")]
    (action,) = data["actions"]
    assert (action["status"], action["reassessed_by"], action["action"]) == ("reassessed", reassessed["id"], "Recheck against 1.2.")

    # sampling-plan.json: the plan in force and every plan adopted, oldest first.
    plans = json.loads(archive.read("sampling-plan.json"))
    assert plans["current"]["plan"] == data["sampling_plan"]["plan"]
    assert [p["plan"]["default_rate"] for p in plans["history"]] == [0.5, 0]
    assert plans["history"][-1]["statement_id"] == plans["current"]["statement_id"]

    # samples.csv: one row per IQA sample, with the unit and the kind of evidence the plan samples across.
    samples = rows("samples.csv")
    assert [(s["id"], s["assessor_decision"]) for s in samples] == [(s["id"], s["assessor_decision"]) for s in data["samples"]]
    for sample, criterion in zip(samples, ("Template L5 U1 AC1.1", "Template L5 U1 AC1.2"), strict=True):
        assert (sample["unit_code"], sample["criterion_code"], sample["evidence_type"]) == (
            "Template L5 U1", criterion, "reflective-account")
        assert (sample["reviewer"], sample["assessor"], sample["assessor_outcome"], sample["sample_reason"]) == (
            "Ian Quality", "Ann Assessor", "accepted", "plan")
        assert sample["learner"] == f"mbox:{JO}" and sample["decided"]
        # The learner as the centre knows her, with her awarding-body registration number.
        assert (sample["learner_name"], sample["registration_number"]) == ("Jo Bloggs", "ILM-2026-0042")
    assert [(s["outcome"], s["rationale"], s["feedback"]) for s in samples] == [
        ("confirmed", "Sound.", ""), ("action-raised", "Wrong criterion.", "Recheck against 1.2.")]
    assert third["id"] not in archive.read("samples.csv").decode()  # selected by nothing, never sampled

    # actions.csv: the action, and the assessor's reassessment that answered it.
    (row,) = rows("actions.csv")
    assert (row["action"], row["status"], row["reassessed_by"], row["criterion_code"], row["assessor"]) == (
        "Recheck against 1.2.", "reassessed", reassessed["id"], "Template L5 U1 AC1.2", "Ann Assessor")

    # assessors.csv: the per-assessor summary.
    (summary,) = rows("assessors.csv")
    assert {k: summary[k] for k in ("assessor", "learners", "decisions", "accepted", "referred", "selected_by_plan",
                                    "sampled", "sample_rate", "sampled_by_plan_outstanding", "confirmed", "actions")} == {
        "assessor": "Ann Assessor", "learners": "1", "decisions": "4", "accepted": "3", "referred": "1",
        "selected_by_plan": "2", "sampled": "2", "sample_rate": "0.5", "sampled_by_plan_outstanding": "0",
        "confirmed": "1", "actions": "1"}

    # index.html: the same four parts, readable.
    page = archive.read("index.html").decode()
    for heading in ("Sampling plan in force", "Earlier sampling plans", "Per-assessor summary", "Samples", "Actions"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<h3>Adopted ") == 1 and "&quot;default_rate&quot;: 0.5" in page  # the earlier plan, once
    assert "Ann Assessor" in page and "Recheck against 1.2." in page and "reflective-account" in page

    from click.testing import CliRunner

    from lrs.cli import cli

    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    target = tmp_path / "eqa.zip"
    written = CliRunner().invoke(cli, ["review", "eqa-pack", "-o", str(target)])
    assert written.exit_code == 0, written.output
    assert "2 samples, 1 actions, 1 assessors" in written.output
    assert zipfile.ZipFile(target).read("actions.csv") == archive.read("actions.csv")
