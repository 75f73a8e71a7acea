"""Pseudonymising a person writes one agent key for the pseudonym, ``account:urn:lrs:erased|<name>`` (made by
lrs.xapi.ifi.agent_key), in every table keyed by agent: the learner's review decisions, evidence links, criteria,
learning totals, enrolments and assessment rows still line up, so the pseudonym's progress reads as before.
Every agent-keyed column of the store is one erasure knows about. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from review.conftest import ILM5, JO, KIM, U1, Caller, centre  # noqa: F401 - centre is a fixture
from sqlalchemy import select, text

from lrs.review import units
from lrs.services import erasure
from lrs.store import erasure as erasure_store
from lrs.store import forwarding
from lrs.store.models import Base


def agent_columns() -> set[str]:
    """``table.column`` of every column of the store that names an agent (its name says agent, or it is listed
    in lrs.store.erasure as holding an agent key under another name)."""
    import importlib
    import pkgutil

    import lrs.store

    for module in pkgutil.iter_modules(lrs.store.__path__):  # every module that may declare a table
        if module.name != "migrations":
            importlib.import_module(f"lrs.store.{module.name}")
    return {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns if "agent" in c.name}


def test_every_agent_keyed_column_is_one_erasure_handles() -> None:
    handled = set(erasure_store.AGENT_KEY_COLUMNS)
    assert agent_columns() <= handled, f"erasure does not handle {sorted(agent_columns() - handled)}"
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for name in handled:
        table, column = name.split(".")
        assert column in tables[table].c, name  # no stale entry


def pseudonym_rows(lrs: Any, pseudonym_key: str) -> dict[str, set[str]]:
    """Every value in an agent-keyed column that names the pseudonym in any way, by column."""
    name = pseudonym_key.split("|", 1)[1]
    found: dict[str, set[str]] = {}
    with lrs.db.read() as conn:
        for column_name in erasure_store.AGENT_KEY_COLUMNS:
            table, column = column_name.split(".")
            values = conn.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars()  # noqa: S608
            hits = {v for v in values if isinstance(v, str) and name in v}
            if hits:
                found[column_name] = hits
    return found


def test_pseudonymised_learner_keeps_decisions_links_and_progress_under_one_key(
        centre: dict[str, Caller], lrs_instance: Any) -> None:  # noqa: F811
    jo, ann, admin = centre["jo"], centre["ann"], centre["admin"]
    evidence = jo.journal(standards=U1[:2])
    assert ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").status_code == 201
    assert jo.post("/api/units/submissions", {"framework": "ilm-l5-leadership", "unit": "Template L5 U1",
                                              "declaration": True}).status_code == 201
    units.set_registration_number(lrs_instance, f"mbox:{JO}", "JO-REG-2026")
    # A forwarding target that forwards only Jo's statements.
    lrs_instance.db.write(lambda conn: forwarding.add_target(
        conn, name="jo-only", kind="webhook", url="https://hooks.example/jo", now=datetime.now(UTC),
        secret="s", agent_key=f"mbox:{JO}", active=True))
    before = admin.get(f"/api/learners/{quote(JO, safe='')}/progress?framework=ilm-l5-leadership")
    assert before.status_code == 200, before.get_json()

    report = erasure.erase(lrs_instance, erasure.Person.of([JO]), mode="pseudonymise", operator="test")
    pseudonym = report["pseudonym"]
    assert pseudonym.startswith(f"account:{erasure.PSEUDONYM_HOME_PAGE}|")

    # One key, the whole agent key, wherever the pseudonym is: never its bare name.
    found = pseudonym_rows(lrs_instance, pseudonym)
    assert {v for values in found.values() for v in values} == {pseudonym}, found
    assert {"review_decisions.agent_key", "evidence_links.agent_key", "learner_criteria.agent_key",
            "statement_agents.agent_key", "cohort_enrolments.agent_key", "unit_submissions.agent_key",
            "learning_totals.agent_key", "forward_targets.agent_key"} <= set(found)
    from lrs.store.learner_criteria import LC
    with lrs_instance.db.read() as conn:
        criteria = {(r.item_uri, bool(r.met)) for r in conn.execute(select(LC).where(LC.c.framework_uri == ILM5))}
    assert criteria == {(U1[0], True), (U1[1], False)}

    # The pseudonym's progress reads as Jo's did: the accepted criterion is still met.
    after = admin.get(f"/api/learners/{quote(pseudonym, safe='')}/progress?framework=ilm-l5-leadership")
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["units"] == before.get_json()["units"]


def test_stores_pseudonymised_before_the_fix_are_repaired(centre: dict[str, Caller], lrs_instance: Any) -> None:  # noqa: F811
    """What erasure wrote before migration 0022 (the decisions under the pseudonym's bare name, the criteria split
    between the two) is repaired by the migration's statement: one key again, and the same progress."""
    from lrs.store.learner_criteria import LC, recount

    jo, ann, admin = centre["jo"], centre["ann"], centre["admin"]
    evidence = jo.journal(standards=U1[:2])
    assert ann.decide(evidence=evidence, criterion=U1[0], outcome="accepted").status_code == 201
    other = centre["kim"].journal(standards=[U1[0]])
    pseudonym = erasure.erase(lrs_instance, erasure.Person.of([JO]), mode="pseudonymise", operator="test")["pseudonym"]
    progress = f"/api/learners/{quote(pseudonym, safe='')}/progress?framework=ilm-l5-leadership"
    right = admin.get(progress).get_json()
    name = pseudonym.split("|", 1)[1]

    def as_before(conn: Any) -> None:
        conn.execute(text("UPDATE review_decisions SET agent_key = :name WHERE agent_key = :key"),
                     {"name": name, "key": pseudonym})
        recount(conn, [pseudonym, name])

    lrs_instance.db.write(as_before)
    assert set(pseudonym_rows(lrs_instance, pseudonym)["review_decisions.agent_key"]) == {name}
    assert admin.get(progress).get_json() != right  # the defect: the accepted criterion is not met

    assert lrs_instance.db.write(erasure_store.repair_pseudonym_keys) == 1
    found = pseudonym_rows(lrs_instance, pseudonym)
    assert {v for values in found.values() for v in values} == {pseudonym}, found
    assert admin.get(progress).get_json() == right
    with lrs_instance.db.read() as conn:
        criteria = {(r.agent_key, r.item_uri, bool(r.met)) for r in conn.execute(select(LC))}
    assert criteria == {(pseudonym, U1[0], True), (pseudonym, U1[1], False), (f"mbox:{KIM}", U1[0], False)}
    assert other  # Kim's row is untouched
    assert lrs_instance.db.write(erasure_store.repair_pseudonym_keys) == 0  # idempotent
