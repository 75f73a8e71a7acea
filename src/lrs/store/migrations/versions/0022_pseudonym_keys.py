"""Pseudonym keys: an erasure by pseudonymising wrote the pseudonym's bare name in ``review_decisions`` (the
learner's ``agent_key``, and ``reviewer_key`` for decisions by their credentials) while the evidence links, criteria
and the rest had its whole agent key ``account:urn:lrs:erased|NAME``, so the pseudonym's decisions and links no
longer lined up (its progress, evidence and portfolio). This writes the whole key in those decisions, finding the
pseudonyms from the erasures' audit rows, and counts their criteria again (lrs.store.erasure.repair_pseudonym_keys,
set-based: one UPDATE per column through its index; a store never pseudonymised changes nothing).

Revision ID: 0022_pseudonym_keys
Revises: 0018_cohort_totals
"""

from __future__ import annotations

from alembic import op

revision = "0022_pseudonym_keys"
down_revision = "0018_cohort_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from lrs.store import erasure, reviews  # noqa: F401 - reviews defines review_decisions

    erasure.repair_pseudonym_keys(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the whole key is what the code before this migration should have written."""
