"""cohort_totals keeps the days of sets and of no direct agent only (issue 23): one agent's days there copied the
own days ``cohort_member_totals`` holds under the agent, and upserting both made a third of the upserts of a fold
of ``cohort_recent_totals`` (SQLite batch ingest with the learners enrolled ran at 0.52–0.72 of the raw-insert
floor). A cohort summary reads one agent's edge days from ``cohort_member_totals`` now
(lrs.store.cohort_totals.totals_by_agents), so those copies are deleted here.

Revision ID: 0030_cohort_totals_shared_days
Revises: 0029_cohort_recent_totals
"""

from __future__ import annotations

from alembic import op

revision = "0030_cohort_totals_shared_days"
down_revision = "0029_cohort_recent_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM cohort_totals WHERE agents <> '' AND substr(agents, 1, 4) <> 'set:'")


def downgrade() -> None:
    # One agent's days again, from their own days in cohort_member_totals. The rows waiting on SQLite go into the
    # tables first (the store's own fold), so the own days are all there.
    from lrs.store.cohort_totals import fold

    fold(op.get_bind())
    op.execute(
        "INSERT INTO cohort_totals (activity_iri, agents, day, mode, verb_iri, statements, seconds, timed, month) "
        "SELECT activity_iri, agent_key, period, mode, verb_iri, statements, seconds, timed, substr(period, 1, 7) "
        "FROM cohort_member_totals WHERE grain = 'd' AND agents = '' ORDER BY 1, 2, 4, 5, 3"
    )
