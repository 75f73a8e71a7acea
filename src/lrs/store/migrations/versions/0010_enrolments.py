"""Cohort enrolments, the statements that carried attachment bytes, and credentials trusted to enrol

Cohort membership used to be read from statements: anyone who was the actor or object of a statement naming a
cohort activity was its learner, whoever stored the statement. It is now a row of ``cohort_enrolments``, made by
an admin or lead, or by a statement stored under a credential trusted to enrol (``credentials.may_enrol``).

Backfill: the memberships the old rule derived are kept only where the statement was stored under an admin
credential or a credential without a role (an LMS, the command line): a participant's or assessor's statement
never made a trustworthy membership. Agents bound to a reviewer (assessor, IQA, lead) of the cohort are left
out. No credential is trusted to enrol by the migration: an operator marks the LMS's credential
(``lrs credentials trust KEY --may-enrol``).

``attachment_statements`` is filled from the stored statements whose attachments' bytes the LRS holds.

Revision ID: 0010_enrolments
Revises: 0009_users
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010_enrolments"
down_revision = "0009_users"
branch_labels = None
depends_on = None

REVIEWER_ROLES = ("assessor", "iqa", "lead")


def upgrade() -> None:
    op.add_column(
        "credentials", sa.Column("may_enrol", sa.Boolean(), nullable=False, server_default=sa.text("false"))
    )
    op.create_table(
        "cohort_enrolments",
        sa.Column("cohort", sa.Text(), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.Text(), nullable=False),
        sa.Column("source_statement_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("cohort", "agent_key"),
    )
    op.create_index("ix_cohort_enrolments_agent", "cohort_enrolments", ["agent_key", "cohort"])
    op.create_index("ix_cohort_enrolments_source", "cohort_enrolments", ["source_statement_id"])
    op.create_table(
        "attachment_statements",
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("sha2", "statement_id"),
    )
    bind = op.get_bind()
    _backfill_enrolments(bind)
    _backfill_attachment_statements(bind)


def _json(value: Any) -> Any:  # noqa: ANN401 - JSON
    return json.loads(value) if isinstance(value, str) else value


def _authority_key(authority: dict[str, Any]) -> str:
    account = authority.get("account") or {}
    return f"account:{account.get('homePage')}|{account.get('name')}"


def _backfill_enrolments(bind: sa.Connection) -> None:
    credentials = bind.execute(sa.text("SELECT key, role, agent_key, cohorts, authority FROM credentials")).all()
    users = bind.execute(sa.text("SELECT role, agent_key, cohorts FROM users")).all()
    trusted: set[str] = set()
    cohorts: set[str] = set()
    reviewers: set[tuple[str, str]] = set()
    for row in credentials:
        authority = _json(row.authority) or {}
        if row.role in (None, "admin"):
            trusted.add(_authority_key(authority))
    for row in [*credentials, *users]:
        for cohort in _json(row.cohorts) or []:
            cohorts.add(cohort)
            if row.role in REVIEWER_ROLES and row.agent_key:
                reviewers.add((cohort, row.agent_key))
    if not cohorts:
        return
    # The command line's own authority stored statements as an admin.
    trusted |= {
        a
        for (a,) in bind.execute(sa.text("SELECT DISTINCT authority_key FROM statements WHERE authority_key LIKE :p"), {"p": "%|lrs-cli"})
    }
    found: dict[tuple[str, str], tuple[str, Any]] = {}
    for cohort in sorted(cohorts):
        rows = bind.execute(
            sa.text(
                "SELECT sa.agent_key, s.id, s.stored, s.authority_key FROM statement_activities act "
                "JOIN statement_agents sa ON sa.statement_seq = act.statement_seq AND sa.direct = :yes "
                "JOIN statements s ON s.seq = act.statement_seq "
                "WHERE act.activity_iri = :cohort AND s.voided = :no ORDER BY s.seq"
            ),
            {"cohort": cohort, "yes": True, "no": False},
        ).all()
        for agent, statement_id, stored, authority_key in rows:
            if authority_key in trusted and (cohort, agent) not in reviewers:
                found.setdefault((cohort, agent), (statement_id, stored))
    if found:
        bind.execute(
            sa.text(
                "INSERT INTO cohort_enrolments (cohort, agent_key, role, enrolled_at, enrolled_by, source_statement_id) "
                "VALUES (:cohort, :agent, 'learner', :at, 'migration', :source)"
            ),
            [
                {"cohort": c, "agent": a, "at": stored or datetime.now(UTC), "source": sid}
                for (c, a), (sid, stored) in sorted(found.items())
            ],
        )


def _backfill_attachment_statements(bind: sa.Connection) -> None:
    held = {sha2 for (sha2,) in bind.execute(sa.text("SELECT sha2 FROM attachments"))}
    if not held:
        return
    payload = "CAST(payload AS TEXT)" if bind.dialect.name == "postgresql" else "payload"
    rows = bind.execute(sa.text(f"SELECT id, {payload} FROM statements WHERE {payload} LIKE :p"), {"p": '%"sha2"%'})
    links: set[tuple[str, str]] = set()
    for statement_id, text in rows:
        statement = _json(text) or {}
        for attachment in statement.get("attachments") or []:
            sha2 = str(attachment.get("sha2", "")).strip().lower()
            if sha2 in held:
                links.add((sha2, statement_id))
    if links:
        bind.execute(
            sa.text("INSERT INTO attachment_statements (sha2, statement_id) VALUES (:sha2, :sid)"),
            [{"sha2": h, "sid": s} for h, s in sorted(links)],
        )


def downgrade() -> None:
    op.drop_table("attachment_statements")
    op.drop_index("ix_cohort_enrolments_source", table_name="cohort_enrolments")
    op.drop_index("ix_cohort_enrolments_agent", table_name="cohort_enrolments")
    op.drop_table("cohort_enrolments")
    op.drop_column("credentials", "may_enrol")
