"""One participant walked through a unit: evidence recorded, referred with feedback, more evidence, accepted,
IQA overturned and confirmed, the unit complete. Over HTTP, as the assessor's and IQA's tools would. Both
databases."""

from __future__ import annotations

import json
from urllib.parse import quote

from click.testing import CliRunner

from lrs.cli import cli
from lrs.learning import vocabulary as v
from lrs.review import service

from .conftest import ILM5, JO, NORTH, U1, ac


def problem(response) -> tuple[int, str, str]:
    error = response.get_json()["error"]
    return response.status_code, error["rule"], error.get("path", "")


def criterion(progress: dict, uri: str) -> dict:
    return next(c for unit in progress["units"] for c in unit["criteria"] if c["uri"] == uri)


def unit(progress: dict, code: str) -> dict:
    return next(u for u in progress["units"] if u["code"] == code)


def test_a_unit_from_first_evidence_to_complete(centre):
    jo, ann, ian = centre["jo"], centre["ann"], centre["ian"]

    # Evidence: a reflective account for two criteria of unit 1.
    first = jo.journal(standards=[ac("U1.AC1.1"), ac("U1.AC1.2")], evidence_type="reflective-account")
    progress = jo.progress().get_json()
    assert criterion(progress, ac("U1.AC1.1"))["status"] == "awaiting-decision"
    assert criterion(progress, ac("U1.AC1.3"))["status"] == "without-evidence"
    assert unit(progress, "Template L5 U1")["counts"] == {
        "accepted": 0, "awaiting-decision": 2, "referred": 0, "without-evidence": 4
    }

    # The assessor's queue has both criteria of that evidence, oldest first.
    queue = ann.queue().get_json()
    assert queue["role"] == "assessor"
    assert [(i["evidence"]["id"], i["criterion"]["code"]) for i in queue["items"]] == [
        (first, "Template L5 U1 AC1.1"), (first, "Template L5 U1 AC1.2")
    ]
    assert queue["items"][0]["learner"] == f"mbox:{JO}"

    # Referred with feedback.
    referred = ann.decide(evidence=first, criterion=ac("U1.AC1.1"), outcome="referred",
                          feedback="Say how you involved the team in the decision.")
    assert referred.status_code == 201, referred.get_json()
    referral = referred.get_json()
    assert (referral["role"], referral["outcome"], referral["superseded"]) == ("assessor", "referred", False)
    assert criterion(jo.progress().get_json(), ac("U1.AC1.1"))["status"] == "referred"
    assert [i["criterion"]["code"] for i in ann.queue().get_json()["items"]] == ["Template L5 U1 AC1.2"]

    # The decision is an xAPI statement: the assessor as actor, a StatementRef to the evidence, the criterion
    # in context, the feedback in the result.
    statement = centre["admin"].get(f"/xapi/statements?statementId={referral['id']}").get_json()
    assert statement["actor"]["mbox"] == "mailto:ann@centre.example"
    assert statement["actor"]["name"] == "Ann Assessor"
    assert statement["verb"]["id"] == v.VERB_REFERRED
    assert statement["object"] == {"objectType": "StatementRef", "id": first}
    other = statement["context"]["contextActivities"]["other"]
    assert other[0]["id"] == ac("U1.AC1.1")
    assert other[0]["definition"]["type"] == v.TYPE_ASSESSMENT_CRITERION
    assert statement["context"]["contextActivities"]["grouping"] == [{"objectType": "Activity", "id": NORTH}]
    assert statement["result"] == {
        "success": False,
        "response": "Say how you involved the team in the decision.",
        "extensions": {v.EXT_RATIONALE: "ann: judged against the criterion's wording"},
    }
    # ... and it travels with the learner's record: a query for the learner's statements returns it too.
    agent = quote(json.dumps({"mbox": JO}))
    mine = centre["admin"].get(f"/xapi/statements?agent={agent}").get_json()
    assert referral["id"] in {s["id"] for s in mine["statements"]}

    # More evidence for the referred criterion; then everything in unit 1 is evidenced and decided.
    second = jo.journal(what="Consulted the team on the rota", standards=[ac("U1.AC1.1")])
    assert criterion(jo.progress().get_json(), ac("U1.AC1.1"))["status"] == "awaiting-decision"
    rest = jo.journal(what="Project report on the rota change", standards=U1[2:], evidence_type="product",
                      reflection=None)
    decisions = {}
    for evidence, uri in [(second, U1[0]), (first, U1[1])] + [(rest, u) for u in U1[2:]]:
        made = ann.decide(evidence=evidence, criterion=uri, outcome="accepted", feedback="Meets the criterion.")
        assert made.status_code == 201, made.get_json()
        decisions[uri] = made.get_json()["id"]
    progress = jo.progress().get_json()
    # Every criterion accepted: assessed, but not complete before sampling, submission and the centre's claim.
    assert unit(progress, "Template L5 U1")["assessed"] is True
    assert unit(progress, "Template L5 U1")["complete"] is False
    assert progress["units_assessed"] == 1 and progress["complete"] is False  # units 2 and 3 to go
    ac11 = criterion(progress, U1[0])
    assert [(e["id"], e["outcome"]) for e in ac11["evidence"]] == [(first, "referred"), (second, "accepted")]
    assert ac11["evidence"][0]["decisions"][0]["feedback"] == "Say how you involved the team in the decision."
    assert ann.queue().get_json()["items"] == []

    # The IQA samples: the queue holds the assessor's current decisions, oldest first.
    iqa_queue = ian.queue().get_json()
    assert iqa_queue["role"] == "iqa"
    assert [i["decision"]["id"] for i in iqa_queue["items"]] == [referral["id"]] + list(decisions.values())

    # An action raised: the decision goes back to the assessor (it is not flipped); the criterion awaits a
    # decision again, the evidence is back in the assessor's queue, and the unit is no longer assessed.
    overturned = ian.decide(decision=decisions[U1[1]], outcome="action-raised",
                            feedback="The account describes the meeting, not the decision-making.")
    assert overturned.status_code == 201, overturned.get_json()
    assert overturned.get_json()["target"] == decisions[U1[1]]
    progress = jo.progress().get_json()
    assert criterion(progress, U1[1])["status"] == "awaiting-decision"
    assert [(e["id"], e["outcome"]) for e in criterion(progress, U1[1])["evidence"]] == [(first, "returned")]
    assert unit(progress, "Template L5 U1")["assessed"] is False
    assert [(i["evidence"]["id"], i["criterion"]["uri"]) for i in ann.queue().get_json()["items"]] == [(first, U1[1])]
    iqa_statement = centre["admin"].get(f"/xapi/statements?statementId={overturned.get_json()['id']}").get_json()
    assert iqa_statement["verb"]["id"] == v.VERB_ACTION_RAISED
    assert iqa_statement["object"] == {"objectType": "StatementRef", "id": decisions[U1[1]]}
    assert iqa_statement["context"]["statement"] == {"objectType": "StatementRef", "id": first}

    # The assessor reassesses (refers the returned evidence), new evidence is accepted and confirmed by the IQA:
    # the unit is assessed again.
    reassessed = ann.decide(evidence=first, criterion=U1[1], outcome="referred", feedback="Show the decision.")
    assert reassessed.status_code == 201, reassessed.get_json()
    third = jo.journal(what="Minutes of the decision meeting", standards=[U1[1]], evidence_type="product",
                       reflection=None)
    accepted = ann.decide(evidence=third, criterion=U1[1], outcome="accepted").get_json()
    confirmed = ian.decide(decision=accepted["id"], outcome="confirmed")
    assert confirmed.status_code == 201, confirmed.get_json()
    progress = jo.progress().get_json()
    assert unit(progress, "Template L5 U1")["assessed"] is True
    ac12 = criterion(progress, U1[1])
    assert [(e["id"], e["outcome"]) for e in ac12["evidence"]] == [(first, "referred"), (third, "accepted")]
    assert [d["outcome"] for d in ac12["evidence"][1]["decisions"]] == ["accepted", "confirmed"]


def test_a_later_decision_supersedes_an_earlier_one(centre):
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0]])
    first = ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    second = ann.decide(evidence=evidence, criterion=U1[0], outcome="referred", feedback="On reflection, not yet.")
    assert second.status_code == 201
    found = criterion(jo.progress().get_json(), U1[0])
    assert found["status"] == "referred"
    trail = found["evidence"][0]["decisions"]
    assert [(d["id"], d["superseded"]) for d in trail] == [(first["id"], True), (second.get_json()["id"], False)]
    # An IQA may not judge a superseded decision.
    late = centre["ian"].decide(decision=first["id"], outcome="confirmed")
    assert problem(late) == (409, "decision-superseded", "decision")


def test_an_assessor_may_judge_evidence_against_a_criterion_the_learner_did_not_name(centre):
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0]])
    made = ann.decide(evidence=evidence, criterion="Template L5 U1 AC2.1", framework="ilm-l5-leadership",
                      outcome="accepted", map=True)
    assert made.status_code == 201, made.get_json()
    assert criterion(jo.progress().get_json(), U1[3])["status"] == "accepted"


def test_voiding_a_decision_withdraws_it_and_a_rebuild_gives_the_same_state(centre, lrs_instance):
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0], U1[1]])
    ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted")
    wrong = ann.decide(evidence=evidence, criterion=U1[1], outcome="accepted").get_json()
    before = jo.progress().get_json()
    assert service.rebuild(lrs_instance) == {"statements": 3, "decisions": 2}  # the entry and two decisions
    assert jo.progress().get_json() == before

    voiding = {
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@centre.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": wrong["id"]},
    }
    # Only the decision's author or an admin may withdraw it (issue 15): the admin does.
    assert centre["admin"].post("/xapi/statements", voiding).status_code == 200
    progress = jo.progress().get_json()
    assert criterion(progress, U1[0])["status"] == "accepted"
    assert criterion(progress, U1[1])["status"] == "awaiting-decision"


def test_a_withdrawn_decision_takes_its_iqa_sample_with_it_in_progress_the_page_and_the_portfolio(centre, lrs_instance):
    """Voiding an assessor decision withdraws it; the IQA's sample of it is a sample of nothing, so it no longer
    counts anywhere: not under the evidence in /api progress, not on the learner's qualification page, not in
    the portfolio's sampling log, and a rebuild gives the same (it never derives such a sample)."""
    import io
    import zipfile

    from lrs.web import participant

    from .test_portfolio_export import EXPORT

    jo, ann, ian = centre["jo"], centre["ann"], centre["ian"]
    evidence = jo.journal(standards=[U1[0], U1[1]])
    kept = ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    wrong = ann.decide(evidence=evidence, criterion=U1[1], outcome="accepted").get_json()
    sampled = ian.decide(decision=wrong["id"], outcome="confirmed").get_json()
    confirmed = ian.decide(decision=kept["id"], outcome="confirmed").get_json()
    voiding = {
        "actor": {"objectType": "Agent", "mbox": "mailto:ann@centre.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": wrong["id"]},
    }
    # The decision's author withdraws it.
    assert ann.post("/xapi/statements", voiding).status_code == 200

    progress = jo.progress().get_json()
    withdrawn = criterion(progress, U1[1])
    assert withdrawn["status"] == "awaiting-decision"
    assert [(e["id"], e["outcome"], e["decisions"]) for e in withdrawn["evidence"]] == [(evidence, None, [])]
    still = criterion(progress, U1[0])
    assert [d["id"] for d in still["evidence"][0]["decisions"]] == [kept["id"], confirmed["id"]]
    shown = {d["id"] for c in (withdrawn, still) for e in c["evidence"] for d in e["decisions"]}
    assert wrong["id"] not in shown and sampled["id"] not in shown

    # The qualification page is made of the same progress.
    (page,) = participant.qualifications(lrs_instance, f"mbox:{JO}")
    assert criterion(page, U1[1]) == withdrawn

    # The portfolio: neither the decision nor its sample, in the criterion's trail or the sampling log.
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(jo.get(EXPORT).data)).read("manifest.json"))
    trail = {d["statement_id"] for u in manifest["units"] for c in u["criteria"] for d in c["decisions"]}
    assert trail == {kept["id"], confirmed["id"]}
    assert [s["statement_id"] for s in manifest["sampling"]["samples"]] == [confirmed["id"]]

    # A rebuild from the statements gives the same.
    service.rebuild(lrs_instance)
    assert jo.progress().get_json() == progress


def test_a_decision_voided_in_its_own_batch_does_not_count(centre, lrs_instance):
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0], U1[1]])
    made = ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    again = centre["admin"].get(f"/xapi/statements?statementId={made['id']}").get_json()
    for key in ("stored", "authority", "version"):
        again.pop(key)
    again["id"] = "6f1c9a52-0d7e-4c4b-9a7b-3f0c1e2d4b5a"
    again["context"]["contextActivities"]["other"][0]["id"] = U1[1]
    voiding = {
        "actor": again["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": again["id"]},
    }
    lrs_instance.store_statements([again, voiding], lrs_instance.principal_for(ann.key), "1.0.3")
    assert criterion(jo.progress().get_json(), U1[0])["status"] == "accepted"
    assert criterion(jo.progress().get_json(), U1[1])["status"] == "awaiting-decision"


def test_voiding_an_ordinary_statement_takes_one_write_transaction(centre, lrs_instance, monkeypatch):
    """Deriving decisions looks before it writes: a batch that voids no decision queues for the write lock
    once (on SQLite every writer waits for that lock)."""
    jo = centre["jo"]
    evidence = jo.journal(standards=[U1[0]])
    writes = []
    real_write = lrs_instance.db.write
    monkeypatch.setattr(lrs_instance.db, "write",
                        lambda work, **options: writes.append(work) or real_write(work, **options))
    voiding = {
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@centre.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": evidence},
    }
    # Only the statement's own authority or an admin may void it (issue 15): the admin does.
    assert centre["admin"].post("/xapi/statements", voiding).status_code == 200
    assert len(writes) == 1
    assert centre["admin"].get(f"/xapi/statements?voidedStatementId={evidence}").status_code == 200


def test_decisions_stored_by_anyone_else_do_not_count(centre):
    """A decision statement is valid xAPI, so /xapi stores it; the review counts it only under the authority
    of an assessor (or IQA) credential reviewing the learner's cohort."""
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0]])
    statement = ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").get_json()
    forged = centre["admin"].get(f"/xapi/statements?statementId={statement['id']}").get_json()
    for key in ("id", "stored", "authority", "version"):
        forged.pop(key, None)
    evidence2 = jo.journal(standards=[U1[1]])
    forged["object"]["id"] = evidence2
    forged["context"]["contextActivities"]["other"][0]["id"] = U1[1]
    assert centre["lms"].post("/xapi/statements", forged).status_code == 200
    assert criterion(jo.progress().get_json(), U1[1])["status"] == "awaiting-decision"


def test_bad_decisions_are_refused_naming_the_rule_and_field(centre):
    jo, ann, ian = centre["jo"], centre["ann"], centre["ian"]
    evidence = jo.journal(standards=[U1[0]])
    cases = [
        ({"criterion": U1[0], "outcome": "accepted"}, 400, "required", "evidence"),
        ({"evidence": "not-an-id", "criterion": U1[0], "outcome": "accepted"}, 404, "evidence", "evidence"),
        ({"evidence": evidence, "outcome": "accepted"}, 400, "required", "criterion"),
        ({"evidence": evidence, "criterion": "https://nowhere.example/x", "outcome": "accepted"}, 400, "criterion", "criterion"),
        ({"evidence": evidence, "criterion": f"{ILM5}/U1", "outcome": "accepted"}, 400, "criterion-not-leaf", "criterion"),
        ({"evidence": evidence, "criterion": U1[0], "outcome": "passed"}, 400, "invalid-review", "outcome"),
        ({"evidence": evidence, "criterion": U1[0]}, 400, "required", "outcome"),
        ({"evidence": evidence, "criterion": U1[0], "outcome": "referred"}, 400, "required", "feedback"),
        ({"evidence": evidence, "criterion": U1[0], "outcome": "referred", "feedback": 7}, 400, "invalid-review", "feedback"),
        ({"evidence": evidence, "criterion": U1[0], "outcome": "accepted", "grade": "A"}, 400, "unknown-field", "grade"),
        ({"evidence": evidence, "criterion": "Template L5 U1 AC9.9", "framework": "ilm-l5-leadership", "outcome": "accepted"},
         400, "criterion", "criterion"),
        ({"evidence": evidence, "criterion": "X 1", "framework": "no-such", "outcome": "accepted"}, 404, "framework", "framework"),
        ({"evidence": evidence, "criterion": U1[0], "outcome": "confirmed"}, 400, "invalid-review", "evidence"),
    ]
    for body, status, rule, path in cases:
        response = ann.decide(**body)
        assert problem(response) == (status, rule, path), body
    assert ann.post("/api/reviews", "[]").status_code == 400
    bad_json = ann.flask.post("/api/reviews", data="{", headers={**ann.auth, "Content-Type": "application/json"})
    assert problem(bad_json) == (400, "invalid-json", "")
    made = ann.decide(evidence=evidence, criterion=U1[0], outcome="referred", feedback="More, please.").get_json()
    for body, status, rule, path in [
        ({"decision": made["id"], "outcome": "action-raised"}, 400, "required", "feedback"),
        ({"decision": made["id"], "outcome": "overturned", "feedback": "No."}, 400, "invalid-review", "outcome"),
        ({"decision": evidence, "outcome": "confirmed"}, 404, "decision", "decision"),
        ({"outcome": "confirmed"}, 400, "required", "decision"),
        ({"decision": made["id"], "outcome": "accepted"}, 400, "invalid-review", "decision"),
    ]:
        response = ian.decide(**body)
        assert problem(response) == (status, rule, path), body
    assert criterion(jo.progress().get_json(), U1[0])["evidence"][0]["decisions"] == [
        {**made, "superseded": False}
    ]


def test_the_cli_walks_the_same_workflow(centre, lrs_instance, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    jo, ann = centre["jo"], centre["ann"]
    evidence = jo.journal(standards=[U1[0]])
    runner = CliRunner()
    queued = runner.invoke(cli, ["review", "queue", "--as", ann.key])
    assert queued.exit_code == 0, queued.output
    assert "1 awaiting an assessor" in queued.output and "Template L5 U1 AC1.1" in queued.output
    decided = runner.invoke(cli, ["review", "decide", "--as", ann.key, "--evidence", evidence, "--criterion",
                                  "Template L5 U1 AC1.1", "--framework", "ilm-l5-leadership", "--outcome", "referred",
                                  "--feedback", "Add an example.", "--rationale", "No example of the team's part."])
    assert decided.exit_code == 0, decided.output
    assert decided.output.startswith("referred: ")
    refused = runner.invoke(cli, ["review", "decide", "--as", ann.key, "--evidence", evidence, "--criterion",
                                  U1[0], "--outcome", "referred", "--rationale", "Thin."])
    assert refused.exit_code != 0 and "feedback" in refused.output
    shown = runner.invoke(cli, ["review", "progress", "--agent", JO, "--framework", "ilm-l5-leadership"])
    assert shown.exit_code == 0, shown.output
    assert "Template L5 U1 AC1.1" in shown.output and "referred" in shown.output
    assert "0/3 units complete" in shown.output
    rebuilt = runner.invoke(cli, ["review", "rebuild"])
    assert rebuilt.exit_code == 0 and "1 decisions" in rebuilt.output
