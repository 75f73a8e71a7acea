"""What a batch makes before SQLite's write lock (lrs.store.statements.StatementBatch, _sqlite_batch_rows): its
statement rows without their seqs and its link rows for the seqs it expects. The rows written never depend on
that: link rows made for other seqs (another writer stored a batch in between) are made again under the lock,
and a StatementRef's row taking its target's keys leaves the batch's own rows as they were (a write retried
from the start takes them again). On both databases: PostgreSQL makes none of them and must store the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from conftest import statement
from sqlalchemy import select

from lrs.services.statements import LRS
from lrs.store import statements as statement_store
from lrs.store.models import Statement, StatementActivity, StatementAgent, StatementRefAgent
from lrs.xapi.statement import prepare_batch
from lrs.xapi.validate import validate_batch


def batch_of(lrs: LRS, statements: list[dict[str, Any]]) -> statement_store.StatementBatch:
    principal = lrs.operator_principal()
    prepared = prepare_batch(validate_batch(statements, "1.0.3"), stored=datetime.now(UTC),
                             authority=principal.authority, version="1.0.3")
    lrs._classify_prepared(prepared)
    return statement_store.StatementBatch(prepared, lrs.db.engine.dialect)


def made(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        statement(id=str(uuid.uuid4()), actor={"mbox": f"mailto:{tag}-{k}@la.example"},
                  object={"id": f"https://lrs.example/activities/{tag}-{k}"})
        for k in range(n)
    ]


def links(lrs: LRS) -> tuple[dict[str, int], set[tuple[int, str]], set[tuple[int, str]]]:
    s, sa, sact = Statement.__table__, StatementAgent.__table__, StatementActivity.__table__
    with lrs.db.read() as conn:
        seqs = {r.id: r.seq for r in conn.execute(select(s.c.id, s.c.seq))}
        agents = {(r.statement_seq, r.agent_key) for r in conn.execute(select(sa.c.statement_seq, sa.c.agent_key))}
        activities = {(r.statement_seq, r.activity_iri)
                      for r in conn.execute(select(sact.c.statement_seq, sact.c.activity_iri))}
    return seqs, agents, activities


def test_link_rows_made_for_other_seqs_are_made_again_under_the_lock(lrs_instance):
    lrs = lrs_instance
    lrs.store_statements(made(3, "first"), lrs.operator_principal(), "1.0.3")
    batch = batch_of(lrs, made(4, "late"))
    batch.link_rows_from(1)  # seqs 1.. are taken: the batch's guess is stale
    lrs.store_statements(made(2, "between"), lrs.operator_principal(), "1.0.3")
    lrs.db.write(lambda conn: statement_store.insert_statements(conn, batch, can_define=True))
    seqs, agents, activities = links(lrs)
    for p in batch.prepared:
        seq = seqs[p.id]
        assert {(seq, key) for key in p.agents} <= agents
        assert {(seq, iri) for iri in p.activities} <= activities
    # every statement has its link rows, and every link row a statement
    assert {seq for seq, _ in agents} == set(seqs.values())


def test_a_statement_refs_row_leaves_the_batchs_rows_as_they_were(lrs_instance):
    lrs = lrs_instance
    target = made(1, "target")
    lrs.store_statements(target, lrs.operator_principal(), "1.0.3")
    ref = statement(id=str(uuid.uuid4()), actor={"mbox": "mailto:ref@la.example"},
                    object={"objectType": "StatementRef", "id": target[0]["id"]})
    batch = batch_of(lrs, [*made(2, "around"), ref])
    before = None if batch.statement_rows is None else list(batch.statement_rows)
    statement_store.store_batch(lrs.db, batch, can_define=True)
    assert (None if batch.statement_rows is None else list(batch.statement_rows)) == before
    if before is not None:
        assert before[2][:2] == (None, None)
    s, rsa = Statement.__table__, StatementRefAgent.__table__
    with lrs.db.read() as conn:
        row = conn.execute(select(s.c.seq, s.c.ref_verb_iri).where(s.c.id == ref["id"])).one()
        copied = {r.agent_key for r in conn.execute(select(rsa.c.agent_key).where(rsa.c.statement_seq == row.seq))}
    assert row.ref_verb_iri == target[0]["verb"]["id"]
    assert copied  # the target's agent, copied to the referrer
