"""Migration 0022_pseudonym_keys on a store pseudonymised before it: the decisions about (and by) a pseudonym under
its bare name get its whole agent key, its criteria are counted again, and nothing else changes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from lrs.store.migrate import upgrade

NAME = "5b0c9f7e-1111-4c3a-9d55-0a1b2c3d4e5f"
PSEUDONYM = f"account:urn:lrs:erased|{NAME}"


def test_the_migration_gives_pseudonymised_decisions_the_whole_key(tmp_path):  # noqa: ANN001
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    upgrade(engine, "0017_learner_criteria")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for seq, sid in ((1, "evidence"), (2, "decision"), (3, "by-them"), (4, "other")):
            conn.execute(text(
                "INSERT INTO statements (seq, id, stored, timestamp, verb_iri, is_voiding, voided, authority_key, "
                "fingerprint, version, payload) VALUES (:seq, :id, :now, :now, 'http://v', 0, 0, 'a', 'f', '1.0.3', '{}')"
            ), {"seq": seq, "id": sid, "now": now})
        conn.execute(text("INSERT INTO evidence_links (statement_id, agent_key, framework_uri, item_uri) "
                          "VALUES ('evidence', :key, 'f', 'i')"), {"key": PSEUDONYM})
        for sid, agent, reviewer, seq in (("decision", NAME, "ann", 2), ("by-them", "mbox:mailto:kim@la.example", NAME, 3)):
            conn.execute(text(
                "INSERT INTO review_decisions (statement_id, agent_key, evidence_id, framework_uri, item_uri, role, "
                "outcome, reviewer_key, decided, seq) VALUES (:id, :agent, :evidence, 'f', 'i', 'assessor', 'accepted', "
                ":reviewer, :now, :seq)"
            ), {"id": sid, "agent": agent, "evidence": "evidence" if sid == "decision" else "other",
                "reviewer": reviewer, "now": now, "seq": seq})
        conn.execute(text("INSERT INTO learner_criteria (agent_key, framework_uri, item_uri, met) VALUES "
                          "(:name, 'f', 'i', 1), (:key, 'f', 'i', 0)"), {"name": NAME, "key": PSEUDONYM})
        conn.execute(text("INSERT INTO data_audit (at, action, operator, mode, subject, counts) VALUES "
                          "(:now, 'erasure', 'test', 'pseudonymise', :key, '{}')"), {"now": now, "key": PSEUDONYM})
    upgrade(engine)
    with engine.connect() as conn:
        decisions = conn.execute(text("SELECT statement_id, agent_key, reviewer_key FROM review_decisions "
                                      "ORDER BY seq")).all()
        criteria = conn.execute(text("SELECT agent_key, met FROM learner_criteria ORDER BY agent_key")).all()
    engine.dispose()
    assert [tuple(d) for d in decisions] == [("decision", PSEUDONYM, "ann"),
                                             ("by-them", "mbox:mailto:kim@la.example", PSEUDONYM)]
    # Kim's criteria were not counted (nothing of Kim changed); the pseudonym's criterion is met, under one key.
    assert [(a, bool(m)) for a, m in criteria] == [(PSEUDONYM, True)]
