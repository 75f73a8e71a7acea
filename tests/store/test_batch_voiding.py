"""A batch that voids keeps every table derived from the statements true, in its own transaction, on both
databases (SQLite runs the voiding's upkeep as plain SQL on the driver: lrs.store.statements._void_targets_sqlite);
and a batch whose write fails part-way leaves nothing of itself behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from review.conftest import JO, NORTH, U1, Caller, centre, enrol  # noqa: F401 - centre is a fixture
from sqlalchemy import text

import lrs.services.statements as statements_service
import lrs.store.statements as statement_store
from lrs.competency import evidence as competency
from lrs.services.statements import LRS
from lrs.store import cohort_totals, learner_criteria
from lrs.store import learning as learning_store

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"

#: Every table a stored or voided statement changes, and the columns that say what it holds.
TABLES = {
    "statements": "seq, id, voided, is_voiding, ref_verb_iri",
    "statement_agents": "statement_seq, agent_key, direct",
    "statement_activities": "statement_seq, activity_iri, direct",
    "statement_ref_agents": "statement_seq, agent_key, direct",
    "statement_ref_activities": "statement_seq, activity_iri, direct",
    "statement_refs_pending": "statement_seq, target_id",
    "activities": "iri",
    "evidence_links": "statement_id, item_uri, agent_key, voided, seq",
    "learner_criteria": "agent_key, framework_uri, item_uri, met",
    "learning_totals": "agent_key, day, mode, verb_iri, statements, seconds, timed",
    "cohort_totals": "activity_iri, agents, mode, verb_iri, month, day, statements, seconds, timed",
    "cohort_month_totals": "activity_iri, agents, month, mode, verb_iri, statements, seconds, timed",
    "cohort_member_totals": "activity_iri, agent_key, grain, period, mode, verb_iri, agents, statements, seconds, timed",
    "cohort_enrolments": "cohort, agent_key, source_statement_id",
}
DERIVED = ("evidence_links", "learner_criteria", "learning_totals", "cohort_totals", "cohort_month_totals",
           "cohort_member_totals")


def snapshot(lrs: LRS, tables: Any = TABLES) -> dict[str, list[tuple[Any, ...]]]:
    # SQLite: the cohort rows the batches added wait in cohort_recent_totals until folded (the summaries read
    # them there too); folded first, so that the cohort tables hold every row.
    lrs.db.write(cohort_totals.fold)
    with lrs.db.read() as conn:
        return {
            table: sorted(
                tuple(round(v, 6) if isinstance(v, float) else (bool(v) if isinstance(v, bool) else v) for v in row)
                for row in conn.execute(text(f"SELECT {TABLES[table]} FROM {table}"))
            )
            for table in tables
        }


def rebuild_everything(lrs: LRS) -> None:
    competency.rebuild(lrs)
    lrs.db.write(learner_criteria.rebuild)
    lrs.db.write(learning_store.rebuild_totals)
    lrs.db.write(cohort_totals.rebuild)


def completed(course: int, *, evidence: bool = True) -> dict[str, Any]:
    """A statement in the cohort; ``evidence``: of a criterion too (its link is made after the transaction)."""
    context: dict[str, Any] = {"grouping": [{"id": NORTH}]}
    if evidence:
        context["category"] = [{"id": U1[3]}]
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": JO},
        "verb": {"id": COMPLETED},
        "object": {"id": f"https://lms.example/courses/{course}"},
        "result": {"duration": "PT1H30M"},
        "context": {"contextActivities": context},
    }


def voiding(target: str) -> dict[str, Any]:
    return {"actor": {"mbox": JO}, "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": target}}


@pytest.mark.parametrize("hooks", [True, False], ids=["with-hooks", "transaction-alone"])
def test_a_batch_that_voids_keeps_every_derived_table_true(
    centre: dict[str, Caller], lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch, hooks: bool  # noqa: F811
) -> None:
    """``transaction-alone``: the lrs_statements_stored hooks (the review's derivation among them, which counts
    learners' criteria again after the transaction) do not run for the batch, so what is checked is what the
    write transaction itself keeps."""
    jo, ann = centre["jo"], centre["ann"]
    judged = jo.journal(standards=U1[:2])
    withdrawn = jo.journal(what="A second entry", standards=U1[2:3])
    assert ann.decide(evidence=judged, criterion=U1[0], outcome="accepted").status_code == 201
    earlier = completed(1)
    lrs_instance.store_statements(earlier, lrs_instance.operator_principal(), "1.0.3")
    before = snapshot(lrs_instance)
    # Jo's days are her own days in cohort_member_totals (cohort_totals keeps the sets' days).
    assert before["cohort_member_totals"] and before["learner_criteria"] and before["evidence_links"]

    # One batch: a new statement, four voidings (evidence waiting, evidence judged, an ordinary statement, a
    # statement of the same batch) and a statement that refers to the ordinary one.
    new, in_batch = completed(2, evidence=False), completed(3, evidence=False)
    refers = {"actor": {"mbox": JO}, "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
              "object": {"objectType": "StatementRef", "id": earlier["id"]}}
    batch = [new, voiding(withdrawn), voiding(judged), voiding(earlier["id"]), in_batch, voiding(in_batch["id"]),
             refers]
    if not hooks:
        real_call_each = statements_service.call_each
        monkeypatch.setattr(statements_service, "call_each", lambda pm, hook, **kw: (
            [] if hook == "lrs_statements_stored" else real_call_each(pm, hook, **kw)))
    lrs_instance.store_statements(batch, lrs_instance.operator_principal(), "1.0.3")
    monkeypatch.undo()

    after = snapshot(lrs_instance)
    voided = {row[1] for row in after["statements"] if row[2]}
    assert voided == {withdrawn, judged, earlier["id"], in_batch["id"]}
    assert [bool(row[3]) for row in after["evidence_links"] if row[0] == withdrawn] == [True]
    assert after["learner_criteria"] != before["learner_criteria"]  # the judged evidence no longer counts
    assert after["learning_totals"] != before["learning_totals"]
    assert after["cohort_member_totals"] != before["cohort_member_totals"]
    assert after["cohort_month_totals"] != before["cohort_month_totals"]
    # The statement referring to a voided target copied its index rows (xAPI: filters match through it).
    assert any(row[1] == f"mbox:{JO}" for row in after["statement_ref_agents"])
    # Every derived table holds what its rebuild from the statements gives.
    rebuild_everything(lrs_instance)
    assert snapshot(lrs_instance, DERIVED) == {table: after[table] for table in DERIVED}


def test_voiding_before_any_cohort_is_known_counts_as_the_statements_say(lrs_instance: LRS) -> None:
    """No known cohort: the voiding skips cohort_totals (there is nothing in it); a cohort made known later
    counts the statements, voided ones left out."""
    principal = lrs_instance.operator_principal()
    kept, gone = completed(1), completed(2)
    lrs_instance.store_statements([kept, gone], principal, "1.0.3")
    lrs_instance.store_statements([completed(3), voiding(gone["id"])], principal, "1.0.3")
    assert snapshot(lrs_instance, ["cohort_totals"])["cohort_totals"] == []
    enrol(lrs_instance, NORTH, f"mbox:{JO}")
    kept_tables = ["cohort_totals", "cohort_month_totals", "cohort_member_totals", "learning_totals"]
    counted = snapshot(lrs_instance, kept_tables)
    # Jo's own days: kept and the third, not the voided one.
    assert sum(row[7] for row in counted["cohort_member_totals"]) == 2
    rebuild_everything(lrs_instance)
    assert snapshot(lrs_instance, kept_tables) == counted


@pytest.mark.parametrize("failing", ["refresh_totals", "recount"])
def test_a_batch_that_fails_after_its_inserts_leaves_nothing(
    centre: dict[str, Caller], lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch, failing: str  # noqa: F811
) -> None:
    """All or nothing: the statements, their index rows and every derived table are as before the batch when
    its write fails after the rows went in and the voided flags were set."""
    jo, ann = centre["jo"], centre["ann"]
    judged = jo.journal(standards=U1[:2])
    withdrawn = jo.journal(what="A second entry", standards=U1[2:3])
    assert ann.decide(evidence=withdrawn, criterion=U1[2], outcome="accepted").status_code == 201
    before = snapshot(lrs_instance)

    def fails_after(real: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            real(*args, **kwargs)
            raise RuntimeError("the disk filled up")
        return run

    if failing == "refresh_totals":
        # PostgreSQL's voiding counts the days again through refresh_totals, SQLite's through refresh_days_sqlite.
        for name in ("refresh_totals", "refresh_days_sqlite"):
            monkeypatch.setattr(statement_store, name, fails_after(getattr(statement_store, name)))
    else:
        monkeypatch.setattr(learner_criteria, "recount", fails_after(learner_criteria.recount))
    batch = [completed(5), voiding(withdrawn), voiding(judged), completed(6)]
    with pytest.raises(RuntimeError, match="disk"):
        lrs_instance.store_statements(batch, lrs_instance.operator_principal(), "1.0.3")
    assert snapshot(lrs_instance) == before
    monkeypatch.undo()
    # The same batch again goes in whole.
    lrs_instance.store_statements(batch, lrs_instance.operator_principal(), "1.0.3")
    assert {row[1] for row in snapshot(lrs_instance, ["statements"])["statements"] if row[2]} == {withdrawn, judged}
