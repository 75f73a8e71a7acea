"""``learner_criteria`` (each learner's evidenced criteria and whether each is met, derived in the store) is always
what the links and decisions give when read from scratch with the review's own rule: after evidence linked,
decisions (accepted, referred, superseded, returned by an IQA, mapped), a voided piece of evidence, a withdrawn
decision, the rebuild commands, retention and erasure. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lrs.review import decisions as rules
from lrs.store import cohort_progress
from lrs.store.learner_criteria import LC
from lrs.store.learner_criteria import rebuild as rebuild_criteria

from .conftest import ILM5, JO, KIM, NORTH, SOUTH, U1, ac

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def derived(lrs) -> set[tuple[str, str, bool]]:  # noqa: ANN001
    """The derived rows of both cohorts' learners, as the lead's dashboard reads them."""
    from lrs.store.enrolments import enrolled_agents

    with lrs.db.read() as conn:
        rows = conn.execute(select(LC).where(LC.c.agent_key.in_(enrolled_agents([NORTH, SOUTH]))))
        return {(r.agent_key, r.item_uri, bool(r.met)) for r in rows if r.framework_uri == ILM5}


def from_scratch(lrs) -> set[tuple[str, str, bool]]:  # noqa: ANN001
    """The links and decisions of both cohorts' learners, judged with lrs.review.decisions.current_outcomes."""
    found: set[tuple[str, str, bool]] = set()
    for cohort in (NORTH, SOUTH):
        with lrs.db.read() as conn:
            evidenced = set(cohort_progress.evidenced_criteria(conn, cohort, [ILM5]))
            rows = cohort_progress.decisions(conn, cohort, [ILM5])
        learner_of = {}
        for row in rows:
            if row.role == "assessor":
                evidenced.add((row.agent_key, row.criterion))
                learner_of[row.evidence_id] = row.agent_key
        met = {(learner_of[e], c) for (e, c), outcome in rules.current_outcomes(rows).items() if outcome == "accepted"}
        found |= {(agent, item, (agent, item) in met) for agent, item in evidenced}
    return found


def agrees(lrs) -> set[tuple[str, str, bool]]:  # noqa: ANN001
    now = derived(lrs)
    assert now == from_scratch(lrs)
    return now


def void(caller, statement_id: str) -> None:  # noqa: ANN001
    body = {"actor": {"mbox": JO}, "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": statement_id}}
    assert caller.post("/xapi/statements", body).status_code == 200


def test_the_derived_criteria_follow_every_change(centre, lrs_instance):  # noqa: ANN001
    jo, ann, ian, admin, kim = centre["jo"], centre["ann"], centre["ian"], centre["admin"], centre["kim"]
    assert admin.post("/api/reviews/sampling-plan", {"default_rate": 0, "new_assessor_decisions": 0}).status_code == 201
    assert agrees(lrs_instance) == set()
    whole = jo.journal(standards=U1[:3])
    assert {m for _, _, m in agrees(lrs_instance)} == {False}
    first = ann.decide(evidence=whole, criterion=U1[0], outcome="accepted").get_json()["id"]
    ann.decide(evidence=whole, criterion=U1[1], outcome="referred", feedback="More.")
    assert (f"mbox:{JO}", U1[0], True) in agrees(lrs_instance)
    # Superseded by a referral, then accepted again; an IQA returns the acceptance with an action.
    ann.decide(evidence=whole, criterion=U1[0], outcome="referred", feedback="Look again.")
    assert (f"mbox:{JO}", U1[0], False) in agrees(lrs_instance)
    again = ann.decide(evidence=whole, criterion=U1[0], outcome="accepted").get_json()["id"]
    assert (f"mbox:{JO}", U1[0], True) in agrees(lrs_instance)
    assert ian.decide(decision=again, outcome="action-raised", feedback="Check the wording.").status_code == 201
    assert (f"mbox:{JO}", U1[0], False) in agrees(lrs_instance)
    # A decision that maps evidence to a criterion Jo did not name; a second piece; Kim in the other cohort.
    ann.decide(evidence=whole, criterion=ac("U2.AC1.1"), outcome="accepted", map=True)
    second = jo.journal(standards=[U1[1]])
    ann.decide(evidence=second, criterion=U1[1], outcome="accepted")
    kim.journal(standards=[U1[0]], programme=SOUTH)
    assert (f"mbox:{JO}", U1[1], True) in agrees(lrs_instance)
    # The accepted second piece is voided: U1[1] is referred only again; the first decision, withdrawn.
    void(jo, second)
    assert (f"mbox:{JO}", U1[1], False) in agrees(lrs_instance)
    withdraw = {"actor": {"mbox": "mailto:ann@centre.example"}, "verb": {"id": VOIDED},
                "object": {"objectType": "StatementRef", "id": first}}
    assert ann.post("/xapi/statements", withdraw).status_code == 200
    before = agrees(lrs_instance)
    # The rebuild commands remake the same rows, and so does the migration's set-based statement.
    from lrs.competency.evidence import rebuild as rebuild_links
    from lrs.review.service import rebuild as rebuild_reviews

    rebuild_links(lrs_instance)
    assert agrees(lrs_instance) == before
    rebuild_reviews(lrs_instance)
    assert agrees(lrs_instance) == before
    lrs_instance.db.write(rebuild_criteria)
    assert agrees(lrs_instance) == before
    assert any(agent == f"mbox:{KIM}" for agent, _, _ in before)


def test_erasure_and_retention_take_the_criteria_with_them(centre, lrs_instance):  # noqa: ANN001
    from lrs.services import erasure, retention

    jo, ann = centre["jo"], centre["ann"]
    whole = jo.journal(standards=U1[:2])
    ann.decide(evidence=whole, criterion=U1[0], outcome="accepted")
    centre["kim"].journal(standards=[U1[0]], programme=SOUTH)
    assert {a for a, _, _ in agrees(lrs_instance)} == {f"mbox:{JO}", f"mbox:{KIM}"}
    erasure.erase(lrs_instance, erasure.Person.of([KIM]), mode="delete", operator="test")
    assert {a for a, _, _ in agrees(lrs_instance)} == {f"mbox:{JO}"}
    # Retention: every statement is past a year, seen from ten years on.
    retention.apply(lrs_instance, dry_run=False, operator="test", policy="all=1",
                    now=datetime.now(UTC) + timedelta(days=3650))
    assert agrees(lrs_instance) == set()


def test_pseudonymising_a_learner_moves_their_criteria(centre, lrs_instance):  # noqa: ANN001
    from lrs.services import erasure

    whole = centre["jo"].journal(standards=U1[:2])
    centre["ann"].decide(evidence=whole, criterion=U1[0], outcome="accepted")
    assert {a for a, _, _ in agrees(lrs_instance)} == {f"mbox:{JO}"}
    erasure.erase(lrs_instance, erasure.Person.of([JO]), mode="pseudonymise", operator="test")
    after = agrees(lrs_instance)
    assert after and f"mbox:{JO}" not in {a for a, _, _ in after}
