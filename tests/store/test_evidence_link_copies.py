"""Evidence links carry their statement's stored, seq and voided (and its evidence type), which the assessor's
queue reads instead of the statements (migration 0016_evidence_links_order). They stay true whatever changes the
statement: voiding, erasure (deleting or pseudonymising), retention, and a rebuild of the links. Both databases,
and the migration fills them on a store that has links already."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from review.conftest import JO, NORTH, U1, Caller, centre  # noqa: F401 - centre is a fixture
from sqlalchemy import bindparam, create_engine, text

from lrs.competency import evidence as competency
from lrs.services import erasure, retention
from lrs.services.statements import LRS
from lrs.store.migrate import upgrade

EVIDENCE_TYPE = "https://w3id.org/xapi/social-work-leadership/extensions/evidence-type"


def links(lrs: LRS) -> list[dict[str, Any]]:
    """Every link with its copies and its statement's columns (None when the statement is not stored)."""
    with lrs.db.read() as conn:
        rows = conn.execute(text(
            "SELECT e.statement_id, e.agent_key, e.item_uri, e.stored, e.seq, e.voided, e.evidence_type, "
            "s.stored AS s_stored, s.seq AS s_seq, s.voided AS s_voided, s.payload AS payload "
            "FROM evidence_links e LEFT JOIN statements s ON s.id = e.statement_id ORDER BY e.seq, e.item_uri"
        )).mappings().all()
    return [dict(r) for r in rows]


def assert_true_copies(lrs: LRS) -> list[dict[str, Any]]:
    """Each link's copies are its statement's columns, and every link has a stored statement."""
    found = links(lrs)
    for link in found:
        assert link["s_seq"] is not None, f"a link of a statement not stored: {link['statement_id']}"
        assert (link["seq"], link["stored"], bool(link["voided"])) == (
            link["s_seq"], link["s_stored"], bool(link["s_voided"])
        ), link["statement_id"]
        payload = link["payload"] if isinstance(link["payload"], dict) else json.loads(link["payload"])
        assert link["evidence_type"] == ((payload.get("context") or {}).get("extensions") or {}).get(EVIDENCE_TYPE)
    return found


def void(lrs: LRS, statement_id: str) -> None:
    lrs.store_statements({
        "actor": {"mbox": JO}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }, lrs.operator_principal(), "1.0.3")


def test_a_link_carries_its_statement_and_voiding_reaches_it(centre: dict[str, Caller], lrs_instance: LRS) -> None:  # noqa: F811
    jo, ann = centre["jo"], centre["ann"]
    kept = jo.journal(standards=U1[:2], evidence_type="reflective-account")
    withdrawn = jo.journal(what="A second entry", standards=U1[2:3])
    found = assert_true_copies(lrs_instance)
    assert [(link["statement_id"], bool(link["voided"]), link["evidence_type"]) for link in found] == [
        (kept, False, "reflective-account"), (kept, False, "reflective-account"), (withdrawn, False, None)
    ]
    assert ann.queue().get_json()["total"] == 3

    void(lrs_instance, withdrawn)
    found = assert_true_copies(lrs_instance)
    assert [(link["statement_id"], bool(link["voided"])) for link in found] == [
        (kept, False), (kept, False), (withdrawn, True)
    ]
    # The voided evidence has left the queue and its count.
    listed = ann.queue().get_json()
    assert (listed["total"], {i["evidence"]["id"] for i in listed["items"]}) == (2, {kept})

    # A rebuild of the links makes the same copies, the voided one included.
    competency.rebuild(lrs_instance)
    assert [(r["statement_id"], r["seq"], bool(r["voided"])) for r in assert_true_copies(lrs_instance)] == [
        (r["statement_id"], r["seq"], bool(r["voided"])) for r in found
    ]


def test_a_link_voided_in_the_batch_that_stores_it(centre: dict[str, Caller], lrs_instance: LRS) -> None:  # noqa: F811
    """The statement and its voiding in one batch: the link is written after both, and copies voided."""
    evidence = str(uuid.uuid4())
    lrs_instance.store_statements([
        {"id": evidence, "actor": {"mbox": JO}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
         "object": {"id": "https://lms.example/courses/1"},
         "context": {"contextActivities": {"category": [{"id": U1[0]}]}}},
        {"actor": {"mbox": JO}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
         "object": {"objectType": "StatementRef", "id": evidence}},
    ], lrs_instance.operator_principal(), "1.0.3")
    found = assert_true_copies(lrs_instance)
    assert [(r["statement_id"], bool(r["voided"])) for r in found] == [(evidence, True)]
    assert centre["ann"].queue().get_json()["total"] == 0


@pytest.mark.parametrize("mode", erasure.MODES)
def test_erasure_leaves_no_link_that_is_not_true(centre: dict[str, Caller], lrs_instance: LRS, mode: str) -> None:  # noqa: F811
    jo, kim, ann = centre["jo"], centre["kim"], centre["ann"]
    mine = jo.journal(standards=U1[:2])
    voided = jo.journal(what="Withdrawn", standards=U1[2:3])
    void(lrs_instance, voided)
    theirs = kim.journal(standards=U1[3:4])
    assert ann.decide(evidence=mine, criterion=U1[0], outcome="accepted").status_code == 201
    before = {r["statement_id"]: (r["seq"], r["stored"]) for r in assert_true_copies(lrs_instance)}

    erasure.erase(lrs_instance, erasure.Person.of([JO]), mode=mode, operator="test")

    after = assert_true_copies(lrs_instance)
    if mode == "delete":  # Jo's statements went, and their links with them
        assert [r["statement_id"] for r in after] == [theirs]
    else:  # kept under a pseudonym: the same statements, in the same place, voided as they were
        assert {r["statement_id"] for r in after} == {mine, voided, theirs}
        assert all(not r["agent_key"].endswith(JO) for r in after)
        assert [bool(r["voided"]) for r in after if r["statement_id"] == voided] == [True]
    assert all((r["seq"], r["stored"]) == before[r["statement_id"]] for r in after)


def test_retention_deletes_the_links_with_their_statements(centre: dict[str, Caller], lrs_instance: LRS) -> None:  # noqa: F811
    jo = centre["jo"]
    old = [jo.journal(standards=U1[:1]), jo.journal(what="Old too", standards=U1[1:2])]
    recent = jo.journal(what="Recent", standards=U1[2:3])
    when = datetime.now(UTC) - timedelta(days=365 * 3)

    def age(conn: Any) -> None:  # stored three years ago: the statements and, as the write path has it, their links
        for table, column in (("statements", "id"), ("evidence_links", "statement_id")):
            conn.execute(text(f"UPDATE {table} SET stored = :w WHERE {column} IN :ids").bindparams(
                bindparam("ids", expanding=True)), {"w": when, "ids": old})

    lrs_instance.db.write(age)
    assert_true_copies(lrs_instance)
    done = retention.apply(lrs_instance, dry_run=False, operator="test", policy="all=2")
    assert done["statements"] >= 2
    assert [r["statement_id"] for r in assert_true_copies(lrs_instance)] == [recent]


# --- the migration fills them on a store that has links -----------------------------------------------------------


def _store_with_links(url: str) -> list[tuple[str, int]]:
    """A store at 0015 with three statements (one voided, one naming an evidence type) and a link each, and a link
    of a statement that is not stored. Returns (id, seq) of the stored ones."""
    engine = create_engine(url)
    upgrade(engine, "0015_review_decision_order")
    made = []
    payload_value = "CAST(:payload AS json)" if engine.dialect.name == "postgresql" else ":payload"
    with engine.begin() as conn:
        for n, (voided, kind) in enumerate(((False, "product"), (True, None), (False, None)), start=1):
            statement_id = str(uuid.uuid4())
            payload = {"id": statement_id, "context": {"extensions": {EVIDENCE_TYPE: kind} if kind else {}}}
            conn.execute(text(
                "INSERT INTO statements (seq, id, stored, timestamp, verb_iri, is_voiding, voided, authority_key, "
                "fingerprint, version, payload) VALUES (:seq, :id, :stored, :stored, 'http://v', :false, :voided, "
                "'a', 'f', '1.0.3', " + payload_value + ")"
            ), {"seq": n * 10, "id": statement_id, "stored": datetime(2026, 1, n, tzinfo=UTC), "false": False,
                "voided": voided, "payload": json.dumps(payload)})
            made.append((statement_id, n * 10))
        for statement_id in [s for s, _ in made] + [str(uuid.uuid4())]:
            conn.execute(text(
                "INSERT INTO evidence_links (statement_id, agent_key, framework_uri, item_uri) "
                "VALUES (:id, 'mbox:mailto:jo@la.example', 'f', 'i')"
            ), {"id": statement_id})
    engine.dispose()
    return made


def test_the_migration_fills_the_copies_set_based(database_url: str, tmp_path: Any) -> None:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        scratch = None
    else:
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        scratch = f"lrs_test_0016_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = database_url.rsplit("/", 1)[0] + "/" + scratch
    try:
        made = _store_with_links(url)
        engine = create_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT statement_id, seq, stored, voided, evidence_type FROM evidence_links ORDER BY seq"
            )).all()
        engine.dispose()
        assert [(r[0], r[1], bool(r[3]), r[4]) for r in rows] == [
            (made[0][0], 10, False, "product"), (made[1][0], 20, True, None), (made[2][0], 30, False, None)
        ]
        days = [r[2] if isinstance(r[2], datetime) else datetime.fromisoformat(str(r[2])) for r in rows]
        assert [d.day for d in days] == [1, 2, 3]
    finally:
        if scratch is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()
