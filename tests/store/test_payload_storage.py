"""PostgreSQL keeps a statement's payload as JSON text (json, lz4 where the server has it): a page of statements
passes that text on, so what was stored is what a client reads, and migration 0007 keeps every stored payload."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import POSTGRES_URL
from sqlalchemy import create_engine, text

from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.db import Database, normalise_url
from lrs.store.migrate import upgrade
from lrs.store.models import (
    CohortAgentSet,
    CohortMemberTotal,
    CohortMonthTotal,
    CohortTotal,
    KnownCohort,
    LearnerVersion,
    LearningMonthTotal,
    LearningTotal,
)


def statement(n: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:learner{n}@la.example", "name": "Ada Learner"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented", "display": {"en-GB": "commented"}},
        "object": {"id": f"https://lrs.example/activities/reflection-{n}"},
        # Long enough for PostgreSQL to compress it (values over ~2 kB are).
        "result": {"response": "I noticed how the supervision changed my practice. " * 80},
    }


def test_the_payload_is_json_text_compressed_with_lz4_where_available(client, lrs_instance, db_dialect):
    if db_dialect != "postgresql":
        pytest.skip("SQLite stores JSON as text already")
    sent = statement(1)
    assert client.post_statements(sent).status_code == 200
    with lrs_instance.db.engine.connect() as conn:
        column_type = conn.execute(text(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'statements'::regclass AND attname = 'payload'"
        )).scalar()
        stored, compression = conn.execute(
            text("SELECT payload::text, pg_column_compression(payload) FROM statements WHERE id = :id"),
            {"id": sent["id"]},
        ).one()
        lz4 = "lz4" in (conn.execute(text(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
        )).scalar() or [])
    assert column_type == "json"
    assert compression == ("lz4" if lz4 else "pglz")
    # The text stored is the LRS's own compact encoding, and a query hands on exactly that text.
    assert ", " not in stored[:200] and json.loads(stored)["id"] == sent["id"]
    page = client.get("/xapi/statements", query_string={"verb": sent["verb"]["id"]})
    assert stored in page.get_data(as_text=True)


@pytest.fixture
def scratch_postgres() -> str:
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"lrs_test_migrate_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server: the PostgreSQL suite reports that elsewhere
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_0007_keeps_every_stored_payload(scratch_postgres):
    db = Database(scratch_postgres)
    try:
        upgrade(db.engine, "0006")
        # Today's write path keeps learning_totals (0014) and its months (0025): they are there while the statements go in, and goes again
        # before the upgrade, which makes it and fills it from the statements.
        # So does cohort_totals (0018), with the known cohorts it joins against and the sets' members, and its
        # months (0024) and its members' rows (0026). And the agent rows' copy of their statement's timestamp (0023),
        # and the learners' record versions (0027).
        with db.engine.begin() as conn:
            for table in (LearningTotal, LearningMonthTotal, KnownCohort, CohortTotal, CohortMonthTotal,
                          CohortMemberTotal, CohortAgentSet, LearnerVersion):
                table.__table__.create(conn)
            conn.execute(text("ALTER TABLE statement_agents ADD COLUMN timestamp timestamptz"))
        lrs = LRS(Settings(database_url=scratch_postgres, credential_cache_seconds=0), db=db)
        # The operator's principal, not a credential: today's credentials table (0008) is not there yet.
        principal = lrs.operator_principal()
        sent = [statement(n) for n in range(5)]
        lrs.store_statements(sent, principal, "1.0.3")
        with db.engine.connect() as conn:
            before = dict(conn.execute(text("SELECT id, payload FROM statements")).all())
            assert conn.execute(text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'statements'::regclass AND attname = 'payload'"
            )).scalar() == "jsonb"
            for table in ("learning_totals", "learning_month_totals", "known_cohorts", "cohort_totals",
                          "cohort_month_totals", "cohort_member_totals", "cohort_agent_sets", "learner_versions"):
                conn.execute(text(f"DROP TABLE {table}"))
            conn.execute(text("ALTER TABLE statement_agents DROP COLUMN timestamp"))
            conn.commit()

        upgrade(db.engine)

        with db.engine.connect() as conn:
            after = dict(conn.execute(text("SELECT id, payload FROM statements")).all())
        assert after == before and len(after) == 5
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT sum(statements) FROM learning_totals")).scalar() == 5
        # And the LRS reads them back as they were sent.
        for s in sent:
            got = lrs.get_statement(s["id"], voided=False, principal=principal)
            assert got is not None and got["result"] == s["result"] and got["actor"] == s["actor"]
    finally:
        db.dispose()
