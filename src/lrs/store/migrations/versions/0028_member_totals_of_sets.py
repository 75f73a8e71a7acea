"""cohort_member_totals keeps an agent's own days only (issue 23): their own months and whole records there copied
what ``cohort_month_totals`` already holds under the agent's key, and upserting them made each statement write six
rows in every known cohort it names instead of four (SQLite batch ingest with the learners enrolled ran at about
a third of the raw-insert floor). The enrolled learners' summary reads a learner's own months and whole record
from ``cohort_month_totals`` now (lrs.store.cohort_totals.totals_by_members), so those copies are deleted; the
sets' rows, and every day row, stay.

Revision ID: 0028_member_totals_of_sets
Revises: 0027_learner_answers
"""

from __future__ import annotations

from alembic import op

revision = "0028_member_totals_of_sets"
down_revision = "0027_learner_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM cohort_member_totals WHERE agents = '' AND grain <> 'd'")


def downgrade() -> None:
    # The own months and whole records again, as 0026 made them: each one-agent key's under the agent.
    op.execute(
        "INSERT INTO cohort_member_totals (activity_iri, agent_key, grain, period, mode, verb_iri, agents, "
        "statements, seconds, timed) SELECT activity_iri, agents, CASE WHEN month = '' THEN 'a' ELSE 'm' END, "
        "month, mode, verb_iri, '', statements, seconds, timed FROM cohort_month_totals "
        "WHERE agents <> '' AND substr(agents, 1, 4) <> 'set:' ORDER BY 1, 2, 3, 4, 5, 6"
    )
