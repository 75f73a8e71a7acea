"""The 70/20/10 classifier: which mode (on-the-job, social, formal) a statement's learning belongs to.

Pure Python over dicts, no Flask and no SQL: it runs on every ingested statement and again in
``lrs reclassify``. The mapping is data, not code: the profile's modes file
(schemas/profiles/social-work-leadership.modes.json) gives the defaults and an operator's rules file (the same
format, docs/profile.md) adds to or overrides them.

Precedence, first answer wins (docs/profile.md explains each with an example):

1. a mode activity in ``context.contextActivities.category`` (the first one, if several disagree);
2. the learning-mode context extension;
3. a rule for the verb and the object's activity type together;
4. a rule for the object's activity type;
5. a rule for the verb;
6. the activity types of the context activities (parent, grouping, category, other, in that order);

otherwise None (unclassified). For a SubStatement object the inner verb and object are used; the outer
context is consulted before the inner one. A voiding statement is never classified.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from lrs.learning.vocabulary import ADL_VOIDED, EXT_LEARNING_MODE, Mode
from lrs.schema_files import schemas_dir

#: The profile and its modes file. They live in the repository's schemas/ directory, next to the other
#: schemas, so that they are published with the profile rather than hidden in the package.
PROFILES_DIR = schemas_dir() / "profiles"
PROFILE_PATH = PROFILES_DIR / "social-work-leadership.jsonld"
PROFILE_MODES_PATH = PROFILES_DIR / "social-work-leadership.modes.json"

#: Bumped when the precedence above changes, so that the fingerprint changes with it.
ALGORITHM_VERSION = 1

_MODES_BY_VALUE: dict[str, Mode] = {m.value: m for m in Mode}
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_RULE_KEYS = frozenset({"verb", "activity_type", "mode", "template", "note"})
_FILE_KEYS = frozenset(
    {"rules", "category_modes", "replace", "$comment", "profile", "version", "description"}
)
_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


class ClassificationRulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the JSON path of the problem."""


@dataclass(frozen=True, order=True)
class Rule:
    """One mapping: a verb, an activity type or both imply a mode (None: no mode, or "remove" in an override)."""

    verb: str | None
    activity_type: str | None
    mode: Mode | None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.verb, self.activity_type)


class ClassificationRules:
    """The lookup tables ``classify`` uses, built once from rules and shared by every request;
    its tables are read-only views.

    Construct with ``default()`` (the profile's modes), ``from_file(path)`` (an operator's file over the
    defaults), ``from_data(data)`` or ``load(path_or_None)``.
    """

    __slots__ = (
        "by_verb_and_type", "by_type", "by_verb", "category_modes", "sources", "_fingerprint",
        "_by_verb_and_type", "_by_type", "_by_verb", "_category_modes",
    )

    def __init__(
        self, rules: Iterable[Rule], category_modes: Mapping[str, Mode], sources: tuple[str, ...] = ()
    ) -> None:
        by_pair: dict[tuple[str, str], Mode] = {}
        by_type: dict[str, Mode] = {}
        by_verb: dict[str, Mode] = {}
        for rule in rules:
            if rule.mode is None:
                continue
            if rule.verb is not None and rule.activity_type is not None:
                by_pair[(rule.verb, rule.activity_type)] = rule.mode
            elif rule.activity_type is not None:
                by_type[rule.activity_type] = rule.mode
            elif rule.verb is not None:
                by_verb[rule.verb] = rule.mode
        categories = dict(category_modes)
        # Read-only views: the same object is shared by every request and worker thread.
        self.by_verb_and_type: Mapping[tuple[str, str], Mode] = MappingProxyType(by_pair)
        self.by_type: Mapping[str, Mode] = MappingProxyType(by_type)
        self.by_verb: Mapping[str, Mode] = MappingProxyType(by_verb)
        self.category_modes: Mapping[str, Mode] = MappingProxyType(categories)
        # The dicts behind the views, for classify's lookups only (a view's get is one call more); never
        # changed after this, like the views.
        self._by_verb_and_type = by_pair
        self._by_type = by_type
        self._by_verb = by_verb
        self._category_modes = categories
        self.sources = sources
        self._fingerprint = self._compute_fingerprint()

    # --- construction ------------------------------------------------------------------------------------

    @classmethod
    def empty(cls) -> ClassificationRules:
        """No rules at all: a base for a file that should not extend the profile's defaults."""
        return cls((), {}, ())

    @classmethod
    def default(cls) -> ClassificationRules:
        """The profile's rules (schemas/profiles/social-work-leadership.modes.json), loaded once."""
        return _default_rules()

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], base: ClassificationRules | None = None
    ) -> ClassificationRules:
        """An operator's rules file applied over ``base`` (the profile's rules when None).

        Raises ClassificationRulesError when the file is missing, is not JSON or breaks the format."""
        source = os.fspath(path)
        try:
            with open(source, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as exc:
            raise ClassificationRulesError(f"{source}: cannot read the rules file: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise ClassificationRulesError(f"{source}: not JSON: {exc}") from exc
        return cls.from_data(data, base=cls.default() if base is None else base, source=source)

    @classmethod
    def from_data(
        cls, data: Any, base: ClassificationRules | None = None, source: str = "<rules>"
    ) -> ClassificationRules:
        """Rules from parsed JSON (an object with ``rules`` and ``category_modes``, or a bare list of rules),
        over ``base`` (nothing when None, unlike ``from_file``: this is also how the defaults are built).

        Over a base a rule replaces the base rule with the same verb and activity type, and a rule with mode
        null removes it; ``category_modes`` entries replace or (null) remove the base's. With ``"replace":
        true`` in the data the base is ignored. Rules are applied in file order; a file may not give the same
        verb and activity type twice."""
        rules_data, categories_data, replace = _parse_file(data, source)
        start = cls.empty() if (base is None or replace) else base
        merged: dict[tuple[str | None, str | None], Rule] = {r.key: r for r in start.rules()}
        seen: set[tuple[str | None, str | None]] = set()
        for index, item in enumerate(rules_data):
            rule = _parse_rule(item, f"{source}: rules[{index}]")
            if rule.key in seen:
                raise ClassificationRulesError(
                    f"{source}: rules[{index}]: verb {rule.verb!r} with activity_type {rule.activity_type!r} "
                    "is given twice"
                )
            seen.add(rule.key)
            if rule.mode is None:
                merged.pop(rule.key, None)
            else:
                merged[rule.key] = rule
        categories = dict(start.category_modes)
        for iri, value in categories_data.items():
            where = f"{source}: category_modes[{iri!r}]"
            _check_iri(iri, where)
            mode = _parse_mode(value, where)
            if mode is None:
                categories.pop(iri, None)
            else:
                categories[iri] = mode
        return cls(merged.values(), categories, (*start.sources, source))

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> ClassificationRules:
        """The rules in force: the profile's defaults, with the operator's file over them if ``path`` is set
        (LRS_CLASSIFICATION_RULES)."""
        return cls.default() if path is None or os.fspath(path) == "" else cls.from_file(path)

    # --- inspection ----------------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        """Every effective rule, sorted (verb-and-type, then type, then verb rules mixed in IRI order)."""
        out = [Rule(v, t, m) for (v, t), m in self.by_verb_and_type.items()]
        out += [Rule(None, t, m) for t, m in self.by_type.items()]
        out += [Rule(v, None, m) for v, m in self.by_verb.items()]
        return sorted(out, key=lambda r: (r.verb or "", r.activity_type or ""))

    def fingerprint(self) -> str:
        """16 hex characters that change whenever the effective rules (or the precedence) change, and only
        then: stored with each classified statement so a store can tell which were classified by older
        rules. Independent of file order, notes and comments."""
        return self._fingerprint

    def mode_from_value(self, value: Any) -> Mode | None:
        """A learning-mode extension value as a Mode: a mode name or a mode activity IRI; else None."""
        if not isinstance(value, str):
            return None
        return _MODES_BY_VALUE.get(value) or self.category_modes.get(value)

    def _compute_fingerprint(self) -> str:
        canonical = {
            "algorithm": ALGORITHM_VERSION,
            "rules": [
                [r.verb or "", r.activity_type or "", r.mode.value if r.mode else ""] for r in self.rules()
            ],
            "category_modes": sorted([iri, m.value] for iri, m in self.category_modes.items()),
        }
        blob = json.dumps(canonical, separators=(",", ":"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def __repr__(self) -> str:
        return (
            f"ClassificationRules({len(self.by_verb_and_type)} verb+type, {len(self.by_type)} type, "
            f"{len(self.by_verb)} verb rules, {len(self.category_modes)} category modes, "
            f"fingerprint {self._fingerprint})"
        )


@lru_cache(maxsize=1)
def _default_rules() -> ClassificationRules:
    try:
        with open(PROFILE_MODES_PATH, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise ClassificationRulesError(
            f"{PROFILE_MODES_PATH}: the profile's modes file is missing ({exc.strerror}); the LRS reads it from "
            "the source tree, so install from a checkout (pip install -e .)"
        ) from exc
    return ClassificationRules.from_data(data, base=None, source=str(PROFILE_MODES_PATH))


# --- the classifier ------------------------------------------------------------------------------------------


def classify(statement: Mapping[str, Any], rules: ClassificationRules) -> Mode | None:
    """The statement's 70/20/10 mode under ``rules``, or None when nothing says (or it is a voiding statement).

    Expects a statement that passed xAPI validation, but never raises on odd shapes: a missing or malformed
    part just contributes nothing.

    It runs on every statement stored (~16,000 instructions a statement as first written, a tenth of preparing
    it): the steps are written out inline, the contexts a tuple rather than a list made by a comprehension, and
    the rules read from their plain dicts (the read-only views' ``get`` goes through one more call)."""
    verb_object = statement.get("verb")
    verb = verb_object.get("id") if isinstance(verb_object, dict) else None
    if verb == ADL_VOIDED:
        return None
    obj = statement.get("object")
    context = statement.get("context")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        verb_object = obj.get("verb")
        verb = verb_object.get("id") if isinstance(verb_object, dict) else None
        inner_context = obj.get("context")
        obj = obj.get("object")
        if isinstance(inner_context, dict):
            contexts: tuple[dict[str, Any], ...] = (
                (context, inner_context) if isinstance(context, dict) else (inner_context,)
            )
        else:
            contexts = (context,) if isinstance(context, dict) else ()
    else:
        contexts = (context,) if isinstance(context, dict) else ()
    if not isinstance(verb, str):
        verb = None

    # 1. An explicit mode activity in category; the first one wins if several disagree.
    category_modes = rules._category_modes
    if category_modes:
        for ctx in contexts:
            activities = ctx.get("contextActivities")
            if isinstance(activities, dict):
                for activity in _as_list(activities.get("category")):
                    if isinstance(activity, dict):
                        iri = activity.get("id")
                        if isinstance(iri, str):
                            mode = category_modes.get(iri)
                            if mode is not None:
                                return mode

    # 2. The learning-mode context extension.
    for ctx in contexts:
        extensions = ctx.get("extensions")
        if isinstance(extensions, dict) and EXT_LEARNING_MODE in extensions:
            mode = rules.mode_from_value(extensions[EXT_LEARNING_MODE])
            if mode is not None:
                return mode

    # 3-5. Verb and object activity type, most specific first (_activity_type(obj), inline).
    object_type = None
    if isinstance(obj, dict):
        kind = obj.get("objectType")
        if kind is None or kind == "Activity":
            definition = obj.get("definition")
            if isinstance(definition, dict):
                object_type = definition.get("type")
                if not isinstance(object_type, str):
                    object_type = None
    if object_type is not None:
        if verb is not None:
            mode = rules._by_verb_and_type.get((verb, object_type))
            if mode is not None:
                return mode
        mode = rules._by_type.get(object_type)
        if mode is not None:
            return mode
    if verb is not None:
        mode = rules._by_verb.get(verb)
        if mode is not None:
            return mode

    # 6. What the statement sits in: the context activities' types.
    by_type = rules._by_type
    for ctx in contexts:
        activities = ctx.get("contextActivities")
        if not isinstance(activities, dict):
            continue
        for key in _CONTEXT_ACTIVITY_KEYS:
            for activity in _as_list(activities.get(key)):
                activity_type = _activity_type(activity)
                if activity_type is not None:
                    mode = by_type.get(activity_type)
                    if mode is not None:
                        return mode
    return None


def _id(thing: Any) -> str | None:
    if isinstance(thing, dict):
        value = thing.get("id")
        if isinstance(value, str):
            return value
    return None


def _activity_type(activity: Any) -> str | None:
    """The definition type of an Activity (objectType absent or "Activity"); None for anything else."""
    if not isinstance(activity, dict):
        return None
    object_type = activity.get("objectType")
    if object_type is not None and object_type != "Activity":
        return None
    definition = activity.get("definition")
    if isinstance(definition, dict):
        value = definition.get("type")
        if isinstance(value, str):
            return value
    return None


def _as_list(value: Any) -> list[Any] | tuple[Any, ...]:
    # xAPI 1.0 allows a single context activity object where 1.0.3 normalises to an array.
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return (value,)
    return ()


# --- the rules file format ------------------------------------------------------------------------------------


def _parse_file(data: Any, source: str) -> tuple[list[Any], dict[str, Any], bool]:
    if isinstance(data, list):
        return data, {}, False
    if not isinstance(data, dict):
        raise ClassificationRulesError(f"{source}: expected an object with 'rules' or a list of rules")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise ClassificationRulesError(
            f"{source}: unknown key {unknown[0]!r} (expected rules, category_modes, replace)"
        )
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise ClassificationRulesError(f"{source}: rules: expected a list")
    categories = data.get("category_modes", {})
    if not isinstance(categories, dict):
        raise ClassificationRulesError(f"{source}: category_modes: expected an object (mode IRI -> mode)")
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise ClassificationRulesError(f"{source}: replace: expected true or false")
    return rules, categories, replace


def _parse_rule(item: Any, where: str) -> Rule:
    if not isinstance(item, dict):
        raise ClassificationRulesError(f"{where}: expected an object")
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise ClassificationRulesError(
            f"{where}: unknown key {unknown[0]!r} (expected verb, activity_type, mode, template, note)"
        )
    verb, activity_type = item.get("verb"), item.get("activity_type")
    if verb is None and activity_type is None:
        raise ClassificationRulesError(f"{where}: give a verb, an activity_type or both")
    if verb is not None:
        _check_iri(verb, f"{where}.verb")
    if activity_type is not None:
        _check_iri(activity_type, f"{where}.activity_type")
    if "mode" not in item:
        raise ClassificationRulesError(f"{where}.mode: required (a mode, or null to remove a rule)")
    return Rule(verb, activity_type, _parse_mode(item["mode"], f"{where}.mode"))


def _parse_mode(value: Any, where: str) -> Mode | None:
    if value is None:
        return None
    mode = _MODES_BY_VALUE.get(value) if isinstance(value, str) else None
    if mode is None:
        raise ClassificationRulesError(f"{where}: {value!r} is not one of on-the-job, social, formal, null")
    return mode


def _check_iri(value: Any, where: str) -> None:
    if not isinstance(value, str) or not _IRI.match(value):
        raise ClassificationRulesError(f"{where}: {value!r} is not an absolute IRI")
