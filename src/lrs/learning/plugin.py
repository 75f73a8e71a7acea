"""The built-in learning plugin: 70/20/10 classification. (Its /api endpoints live in lrs.api.learning and its
commands in lrs.cli.learning; the core registers both.)

It is registered like any other plugin (first, so every other plugin is asked before it): a plugin that
implements ``lrs_classify_statement`` replaces its answer for the statements it classifies.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lrs.hookspecs import hookimpl
from lrs.learning.classification import ClassificationRules, classify

if TYPE_CHECKING:
    from lrs.services.statements import LRS

_rules: dict[str | None, ClassificationRules] = {}
_rules_lock = threading.Lock()


def active_rules(path: str | None) -> ClassificationRules:
    """The profile's default rules, or the operator's file (LRS_CLASSIFICATION_RULES, read through
    ``Settings.classification_rules``) on top of them.

    Loaded once per path and process: restart the LRS (and run ``lrs reclassify``) after changing the file.
    """
    rules = _rules.get(path)
    if rules is None:
        with _rules_lock:
            rules = _rules.get(path)
            if rules is None:
                rules = ClassificationRules.load(path)
                _rules[path] = rules
    return rules


def _rules_of(lrs: LRS) -> ClassificationRules:
    return active_rules(lrs.settings.classification_rules)


@hookimpl(trylast=True)
def lrs_classify_statement(statement: dict[str, Any], lrs: LRS) -> str | None:
    """Classify by the profile's verb and activity-type rules (or the operator's)."""
    mode = classify(statement, _rules_of(lrs))
    return mode.value if mode is not None else None


@hookimpl
def lrs_classification_fingerprint(lrs: LRS) -> str:
    """Changes whenever the rules in force change."""
    return _rules_of(lrs).fingerprint()


@hookimpl
def lrs_register_routes(app: Any, lrs: LRS) -> None:
    """Load the rules while the app is created, so a broken rules file stops the start (adds no route)."""
    _rules_of(lrs)
