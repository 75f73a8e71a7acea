"""Migration 0015_review_decision_order on a store with decisions in it: each derived decision gets its
statement's place in the store (seq), and an IQA sample of a decision that was withdrawn before the migration is
forgotten, as `lrs review rebuild` would have it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from lrs.store.migrate import upgrade


def _statement(conn, seq: int, statement_id: str) -> None:
    conn.execute(
        text(
            "INSERT INTO statements (seq, id, stored, timestamp, verb_iri, is_voiding, voided, authority_key, "
            "fingerprint, version, payload) VALUES (:seq, :id, :now, :now, 'http://v', 0, 0, 'a', 'f', '1.0.3', '{}')"
        ),
        {"seq": seq, "id": statement_id, "now": datetime.now(UTC)},
    )


def _decision(conn, statement_id: str, role: str, target: str | None = None) -> None:
    conn.execute(
        text(
            "INSERT INTO review_decisions (statement_id, agent_key, evidence_id, framework_uri, item_uri, role, "
            "outcome, reviewer_key, target_id, decided) VALUES (:id, 'mbox:mailto:jo@la.example', 'e', 'f', 'i', "
            ":role, :outcome, 'r', :target, :now)"
        ),
        {
            "id": statement_id,
            "role": role,
            "outcome": "accepted" if role == "assessor" else "confirmed",
            "target": target,
            "now": datetime.now(UTC),
        },
    )


def test_the_migration_gives_decisions_their_seq_and_forgets_samples_of_withdrawn_decisions(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    upgrade(engine, "0013_read_indexes")
    with engine.begin() as conn:
        _statement(conn, 7, "decision")
        _statement(conn, 9, "sample")
        _statement(conn, 11, "orphan")
        _decision(conn, "decision", "assessor")
        _decision(conn, "sample", "iqa", target="decision")
        # The sample of a decision whose row was forgotten when it was voided, before this migration.
        _decision(conn, "orphan", "iqa", target="withdrawn")
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT statement_id, seq FROM review_decisions ORDER BY seq")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("decision", 7), ("sample", 9)]
