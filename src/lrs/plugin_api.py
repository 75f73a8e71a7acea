"""The public plugin module: with lrs.hookspecs, the whole of ``lrs`` a plugin under plugins/ may import.

Anything else of ``lrs`` may move between releases; what is named here stays (or is deprecated first).
An import-graph test (tests/test_architecture.py) keeps plugins/ to these two modules.
"""

from __future__ import annotations

from lrs.competency.frameworks import FRAMEWORKS_BASE
from lrs.competency.types import CompetencyLink
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
    "language_text",
    "vocabulary",
]
