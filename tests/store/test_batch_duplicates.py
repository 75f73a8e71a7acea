"""A batch with statements already stored: the same statement again is skipped, another one with a stored id
rejects the whole batch (409), and what the new ones store is what they would store alone. On SQLite the
statements' INSERT is what finds a stored id (lrs.store.statements.insert_statements), so these hold the rows it
writes and takes back to the rule, on both databases."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import statement
from sqlalchemy import select

from lrs.services.statements import LRS
from lrs.store.learning import fold_months
from lrs.store.models import (
    Activity,
    LearningMonthTotal,
    LearningTotal,
    PendingStatementRef,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementRefAgent,
)
from lrs.store.statements import canonical_definitions
from lrs.xapi.errors import Conflict

COURSE = "https://lrs.example/activities/duplicates-course"


def store(lrs: LRS, statements: Any) -> list[str]:
    return lrs.store_statements(statements, lrs.operator_principal(), "1.0.3")


def made(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        statement(id=str(uuid.uuid4()), timestamp=f"2026-03-0{1 + k % 3}T10:00:00+00:00",
                  object={"id": f"{COURSE}-{k}", "definition": {"name": {"en-GB": f"Part {k}"}}}, **overrides)
        for k in range(n)
    ]


def rows(lrs: LRS) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the write path keeps for statements, in key order (the statements with their seq)."""
    s = Statement.__table__
    out = {}
    with lrs.db.read() as conn:
        out["statements"] = [tuple(r) for r in conn.execute(select(s.c.seq, s.c.id, s.c.fingerprint).order_by(s.c.seq))]
        for model in (StatementAgent, StatementActivity, StatementRefAgent, PendingStatementRef, LearningTotal,
                      LearningMonthTotal):
            table = model.__table__
            key = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*key))]
    return out


def test_stored_statements_among_new_ones_are_skipped_and_the_new_ones_stored_as_alone(lrs_instance):
    lrs = lrs_instance
    first, second = made(6), made(5)
    store(lrs, first)
    # The batch: three of the first again (the very same statements), then five new ones.
    assert store(lrs, copy.deepcopy(first[:3]) + second) == [s["id"] for s in first[:3] + second]
    lrs.db.write(fold_months)  # SQLite: the months marked as waiting counted
    mixed = rows(lrs)
    seqs = [seq for seq, _, _ in mixed["statements"]]
    assert seqs == list(range(seqs[0], seqs[0] + 11))  # no gap: the new ones take the next seqs
    assert [sid for _, sid, _ in mixed["statements"]] == [s["id"] for s in first + second]
    new_seqs = set(seqs[6:])
    assert {r[0] for r in mixed["statement_agents"] if r[0] in new_seqs} == new_seqs
    assert {r[0] for r in mixed["statement_activities"] if r[0] in new_seqs} == new_seqs
    # Counted once: 11 statements by the one actor over three days.
    assert sum(r[4] for r in mixed["learning_totals"]) == 11
    assert sum(r[4] for r in mixed["learning_month_totals"] if r[1] == "") == 11


def test_a_batch_all_stored_already_changes_nothing(lrs_instance):
    lrs = lrs_instance
    batch = made(4)
    store(lrs, batch)
    before = rows(lrs)
    assert store(lrs, copy.deepcopy(batch)) == [s["id"] for s in batch]
    assert rows(lrs) == before


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_stored_id_with_other_content_rejects_the_batch_and_stores_nothing(lrs_instance, position):
    lrs = lrs_instance
    stored = made(3)
    store(lrs, stored)
    before = rows(lrs)
    batch = made(5)
    changed = copy.deepcopy(stored[1])
    changed["verb"] = {"id": "http://adlnet.gov/expapi/verbs/attempted"}
    batch.insert(position, changed)
    with pytest.raises(Conflict) as caught:
        store(lrs, batch)
    assert caught.value.rule == "statement-id-conflict"
    assert caught.value.path == "id"
    assert str(caught.value) == f"statement {stored[1]['id']} is already stored with different content"
    assert rows(lrs) == before
    # The new ones alone then go in with the next seqs.
    fresh = [s for s in batch if s is not changed]
    store(lrs, fresh)
    after = rows(lrs)["statements"]
    assert [sid for _, sid, _ in after] == [s["id"] for s in stored + fresh]
    seqs = [seq for seq, _, _ in after]
    assert seqs == sorted(seqs)
    if lrs.db.dialect == "sqlite":  # PostgreSQL's sequence leaves the rolled-back batch's seqs unused (a gap)
        assert seqs == list(range(seqs[0], seqs[0] + 8))


def test_a_waiting_referrer_is_resolved_by_its_target_among_duplicates(lrs_instance):
    lrs = lrs_instance
    earlier = made(3)
    store(lrs, earlier)
    target = made(1)[0]
    comment = statement(id=str(uuid.uuid4()), verb={"id": "http://adlnet.gov/expapi/verbs/commented"},
                        object={"objectType": "StatementRef", "id": target["id"]})
    store(lrs, comment)
    assert len(rows(lrs)["statement_refs_pending"]) == 1
    store(lrs, copy.deepcopy(earlier) + [target])
    got = rows(lrs)
    assert got["statement_refs_pending"] == []
    comment_seq = next(seq for seq, sid, _ in got["statements"] if sid == comment["id"])
    assert [r for r in got["statement_ref_agents"] if r[0] == comment_seq]


def test_stored_definitions_are_merged_with_the_batch_s_null_and_unicode_ones_included(lrs_instance):
    """The look-up reads the stored definitions of the batch's activities (on SQLite as one text): one stored
    without a definition gets the batch's, one with another gets the two merged, one the same is left alone."""
    lrs = lrs_instance
    bare, named, same = (f"{COURSE}-stored-{k}" for k in range(3))
    with lrs.db.engine.begin() as conn:
        conn.execute(Activity.__table__.insert(), [
            {"iri": bare, "definition": None, "updated": datetime(2026, 1, 1, tzinfo=UTC)},
            {"iri": named, "definition": {"name": {"cy-GB": "Gweithdy ✓"}}, "updated": datetime(2026, 1, 1, tzinfo=UTC)},
        ])
    store(lrs, statement(id=str(uuid.uuid4()), object={"id": same, "definition": {"name": {"en-GB": "Same ✓"}}}))
    store(lrs, [
        statement(id=str(uuid.uuid4()), object={"id": iri, "definition": {"name": {"en-GB": f"Part {k} ✓"}}})
        for k, iri in enumerate((bare, named))
    ] + [statement(id=str(uuid.uuid4()), object={"id": same, "definition": {"name": {"en-GB": "Same ✓"}}})])
    with lrs.db.read() as conn:
        got = canonical_definitions(conn, [bare, named, same])
    assert got[bare] == {"name": {"en-GB": "Part 0 ✓"}}
    assert got[named] == {"name": {"cy-GB": "Gweithdy ✓", "en-GB": "Part 1 ✓"}}
    assert got[same] == {"name": {"en-GB": "Same ✓"}}
