"""The public plugin module: with lrs.hookspecs, the whole of ``lrs`` a plugin under plugins/ may import.

Anything else of ``lrs`` may move between releases; what is named here stays (or is deprecated first).
An import-graph test (tests/test_architecture.py) keeps plugins/ to these two modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from lrs.competency.frameworks import FRAMEWORKS_BASE
from lrs.competency.types import CompetencyLink
from lrs.hookspecs import ExportRecord
from lrs.learning import vocabulary
from lrs.review.types import CriterionReview, ReviewDecision, UnitRecord, UnitSubmission
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.formats import PREFERRED_LANGUAGES, language_text

__all__ = [
    "FRAMEWORKS_BASE",
    "PREFERRED_LANGUAGES",
    "VOIDED_VERB",
    "CompetencyLink",
    "CriterionReview",
    "ReviewDecision",
    "UnitRecord",
    "UnitSubmission",
    "kept_answers",
    "language_text",
    "learner_records",
    "learners_with_records",
    "vocabulary",
]


def kept_answers(
    lrs: Any,
    kind: str,
    code: str,
    agent_keys: list[str],
    work: Callable[[list[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Answers about learners that are worth keeping (a CPD year's readiness of each of a cohort's 500): agent key
    -> the answer of ``kind`` (your name for what it is about, e.g. "cpd-log/readiness/2026"), the one kept in the
    store where it was worked out by ``code`` (a hash of your plugin's files, so an upgrade works them out again)
    from the learner's record as it is now, else ``work(keys)``'s (agent key -> a JSON value, for each of ``keys``),
    which is kept for next time. The store knows when a learner's record changes (a statement stored, voided,
    reclassified, deleted, erased), so a kept answer is never out of date; ``work`` must depend only on the
    learner's record (their statements and modes) and ``code``, never on today's date or the caller."""
    from lrs.services.learner_answers import kept_answers as kept

    return kept(lrs, kind, code, agent_keys, work)


def learner_records(
    lrs: Any,
    agent_keys: list[str],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    any_time_verbs: list[str] | None = None,
    skip_idle: bool = False,
) -> dict[str, ExportRecord]:
    """Many learners' statements of a period (inclusive dates, by the stored timestamp in UTC; None: open), read
    set-based (one query; with ``skip_idle``, two or three whatever the number of learners): agent key -> an ``ExportRecord`` with ``agent``, ``agent_key``, ``statements`` (as stored, not
    voided, oldest timestamp first), ``modes``, the period and the centre; its other parts (links, reviews,
    units, ...) are empty. Statements with a verb in ``any_time_verbs`` come whatever their timestamp (a
    selection made after the period, say). ``skip_idle``: only the learners with a statement of the period get
    a record, and only their any-time statements are read (for an answer that is the same for a learner with
    nothing in the period as for one with nothing at all: a cohort of 500 early in a year is mostly such).
    For hooks that answer about many learners at once (``lrs_readiness``)."""
    from lrs.services.exports import learner_records as load

    return load(lrs, agent_keys, period_from=period_from, period_to=period_to, any_time_verbs=any_time_verbs,
                skip_idle=skip_idle)


def learners_with_records(
    lrs: Any,
    agent_keys: list[str],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    any_time_verbs: list[str] | None = None,
) -> set[str]:
    """Which of ``agent_keys`` :func:`learner_records` (same arguments) would give any statement, found without
    reading a statement (the learners' days in the store's learning totals, and the ``any_time_verbs`` statements
    through an index). A hook answering for a whole cohort loads the records of these only: every other learner's
    record is empty."""
    from lrs.services.exports import learners_with_records as find

    return find(lrs, agent_keys, period_from=period_from, period_to=period_to, any_time_verbs=any_time_verbs)
