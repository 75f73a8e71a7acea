"""The xAPI statement schema in marshmallow: every object, its properties, which are required, and the rule
each value follows.

This is the schema layer. It works as ordinary marshmallow (``StatementSchema103().validate(data)`` reports
every broken rule), and ``lrs.xapi.validate`` compiles the same declarations into a plain-Python walker for
the hot path, because marshmallow's general machinery costs about a millisecond per ordinary statement.
So each rule lives in one place, in a field's ``check`` or a schema's ``object_rules``, and both run it.

A rule appends :class:`~lrs.xapi.errors.Problem` objects (rule name, JSON path, message) to a list; it never
raises, whatever JSON it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from lrs.xapi import datatypes
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Problem

Problems = list[Problem]
Check = Callable[[Any, str, Problems], None]
ObjectRule = Callable[[dict[str, Any], str, Problems], None]

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset(("correctResponsesPattern", *COMPONENT_LISTS))
# Which interaction component lists each interactionType uses (xAPI 1.0.3 Data 2.4.4.1, same in 2.0).
ALLOWED_COMPONENTS: dict[str, frozenset[str]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}


def join(path: str, key: object) -> str:
    """``actor`` + ``mbox`` -> ``actor.mbox``; the root has no leading dot."""
    return f"{path}.{key}" if path else str(key)


def at(path: str, index: int) -> str:
    return f"{path}[{index}]"


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _messages(problems: Problems) -> list[str]:
    """Problems as marshmallow error messages; the path is relative to the field, so it is kept in the text."""
    return [f"{p.rule} at {p.path}: {p.message}" if p.path else f"{p.rule}: {p.message}" for p in problems]


# --- fields ---------------------------------------------------------------------------------------------


class XAPIField(fields.Field):
    """A marshmallow field whose rule is :meth:`check`: marshmallow calls it from ``_deserialize`` and the
    compiled validator calls it directly, so both enforce exactly the same thing."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "required": "required: this property is required",
        "null": "type: null is not allowed here (only extension values may be null)",
    }

    def check(self, value: Any, path: str, problems: Problems) -> None:
        """Append the problems of ``value`` at ``path``. Abstract: every concrete field type defines it."""
        raise NotImplementedError(f"{type(self).__name__} defines no check()")

    def ok(self, value: Any) -> bool:
        """True when :meth:`check` would find no problem in ``value``, building no path and no message.

        The compiled validator's fast walk calls this and, on False, re-runs :meth:`check` to report; so an
        ``ok`` may say False too often (it only costs time) but must never say True where ``check`` finds a
        problem. This default runs ``check`` itself; the fields every statement has define a cheaper one,
        the same test without the problem (tests/xapi/test_validation.py compares the two).
        """
        problems: Problems = []
        self.check(value, "", problems)
        return not problems

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        problems: Problems = []
        self.check(value, "", problems)
        if problems:
            raise ValidationError(_messages(problems))
        return value


def _type_problem(value: Any, path: str, expected: str) -> Problem:
    return Problem("type", path, f"must be {expected}, not {json_type(value)}")


class String(XAPIField):
    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string"))

    def ok(self, value: Any) -> bool:
        return isinstance(value, str)


class Boolean(XAPIField):
    """A JSON boolean: "true" (a string) and 1 are not booleans."""

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, bool):
            problems.append(_type_problem(value, path, "true or false"))

    def ok(self, value: Any) -> bool:
        return isinstance(value, bool)


def _finite(value: float) -> bool:
    """Finite and within a double's range: an integer of hundreds of digits is no number a client can read."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class Number(XAPIField):
    """A finite JSON number (a boolean is not one, nor NaN or Infinity, which Python's json lets through)."""

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            problems.append(_type_problem(value, path, "a finite number"))


class Integer(XAPIField):
    def __init__(self, *, minimum: int | None = None, range_rule: str = "range", **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.range_rule = range_rule

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(_type_problem(value, path, "an integer"))
        elif self.minimum is not None and value < self.minimum:
            problems.append(Problem(self.range_rule, path, f"must be at least {self.minimum}, not {value}"))


class Formatted(XAPIField):
    """A string that must pass ``predicate``; ``rule`` and ``what`` name the format in problems."""

    rule = "format"
    what = "a value"

    @staticmethod
    def predicate(value: str) -> bool:
        """True when ``value`` has the format. Abstract: each formatted field passes its own predicate."""
        raise NotImplementedError("a formatted field defines its predicate")

    @staticmethod
    def text_test(value: str) -> object:
        """``predicate`` for a value known to be a string: true (truthy) exactly when ``predicate`` is. The
        fast walk calls it; a subclass may name the datatype's own string-only test, one call less."""
        raise NotImplementedError("a formatted field defines its text_test")

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, f"a string ({self.what})"))
        elif not self.predicate(value):
            problems.append(Problem(self.rule, path, f"{shown(value)} is not {self.what}"))

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and bool(self.text_test(value))


class IRI(Formatted):
    rule = "iri"
    what = "an absolute IRI (it needs a scheme, e.g. https:)"
    predicate = staticmethod(datatypes.is_iri)
    text_test = staticmethod(datatypes.is_iri_str)

    def __init__(self, *, locator: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if locator:
            # An IRL is an IRI meant to be resolved; syntactically the same rule.
            self.what = "an IRL (an absolute IRI such as https://example.com/page)"


class Mbox(Formatted):
    rule = "mbox-format"
    what = 'a "mailto:" IRI with one valid e-mail address'
    predicate = staticmethod(datatypes.is_mailto)
    text_test = staticmethod(datatypes.is_mailto_str)


class Sha1Sum(Formatted):
    rule = "mbox-sha1sum-format"
    what = "a SHA-1 digest in hex (40 hexadecimal digits)"
    predicate = staticmethod(datatypes.is_sha1_hex)
    text_test = staticmethod(datatypes.match_sha1_hex)


class Sha2(Formatted):
    rule = "sha2-format"
    what = "a SHA-2 digest in hex (56, 64, 96 or 128 hexadecimal digits)"
    predicate = staticmethod(datatypes.is_sha2_hex)
    text_test = staticmethod(datatypes.is_sha2_hex)


class UUID(Formatted):
    rule = "uuid"
    what = "a UUID in its standard string form (8-4-4-4-12 hex digits)"
    predicate = staticmethod(datatypes.is_uuid)
    text_test = staticmethod(datatypes.is_uuid_str)


class LanguageTag(Formatted):
    rule = "language-tag"
    what = "a valid BCP 47 language tag such as en-US"
    predicate = staticmethod(datatypes.is_language_tag)
    text_test = staticmethod(datatypes.is_language_tag_str)


class MediaType(Formatted):
    rule = "media-type"
    what = "an Internet media type such as text/plain"
    predicate = staticmethod(datatypes.is_media_type)
    text_test = staticmethod(datatypes.is_media_type)


class Timestamp(XAPIField):
    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string (an ISO 8601 timestamp)"))
            return
        try:
            # Both rule sets read timestamps alike (see datatypes.parse_timestamp).
            datatypes.parse_timestamp(value, "2.0.0")
        except ValueError as exc:
            problems.append(Problem("timestamp", path, str(exc)))

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and datatypes.is_timestamp_str(value)


class Duration(XAPIField):
    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string (an ISO 8601 duration)"))
            return
        try:
            datatypes.parse_duration(value)
        except ValueError as exc:
            problems.append(Problem("duration", path, str(exc)))

    def ok(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            datatypes.parse_duration(value)
        except ValueError:
            return False
        return True


class Version(XAPIField):
    """The statement's ``version``: ``1.0`` or ``1.0.x`` (and ``2.0``/``2.0.x`` under the 2.0.0 rules)."""

    def __init__(self, series: tuple[str, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.series = series

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string"))
            return
        major_minor, _, patch = value[:3], value[3:4], value[4:]
        if not (
            major_minor in self.series
            and (value == major_minor or (value[3:4] == "." and patch.isdigit() and patch.isascii()))
        ):
            accepted = " or ".join(f"{s} / {s}.x" for s in self.series)
            problems.append(
                Problem(
                    "version",
                    path,
                    f"{shown(value)} is not a statement version this LRS accepts ({accepted})",
                )
            )


class ObjectType(XAPIField):
    """An ``objectType`` that must be exactly ``expected`` (xAPI enumerations are case sensitive)."""

    def __init__(self, expected: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.expected = expected

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string"))
        elif value != self.expected:
            problems.append(
                Problem("object-type", path, f"objectType must be {self.expected!r} here, not {shown(value)}")
            )

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and value == self.expected


class InteractionType(XAPIField):
    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, str):
            problems.append(_type_problem(value, path, "a string"))
        elif value not in INTERACTION_TYPES:
            problems.append(
                Problem(
                    "interaction-type", path, f"{shown(value)} is not one of {', '.join(INTERACTION_TYPES)}"
                )
            )


class LanguageMap(XAPIField):
    """An object whose keys are BCP 47 language tags and whose values are strings."""

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, dict):
            problems.append(_type_problem(value, path, "a language map (an object of language tag: string)"))
            return
        for key, text in value.items():
            where = join(path, key)
            if not isinstance(key, str) or not datatypes.is_language_tag(key):
                problems.append(
                    Problem("language-map", where, f"{shown(key)} is not a valid BCP 47 language tag")
                )
            elif not isinstance(text, str):
                problems.append(_type_problem(text, where, "a string"))

    def ok(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for key, text in value.items():
            if not isinstance(key, str) or not isinstance(text, str) or not datatypes.is_language_tag_str(key):
                return False
        return True


class Extensions(XAPIField):
    """An object whose keys are IRIs; the values are free JSON (null included)."""

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, dict):
            problems.append(_type_problem(value, path, "an object of IRI: any JSON value"))
            return
        for key in value:
            if not isinstance(key, str) or not datatypes.is_iri(key):
                problems.append(
                    Problem("iri", join(path, key), f"extension key {shown(key)} is not an absolute IRI")
                )

    def ok(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        return all(map(datatypes.is_iri, value))  # is_iri is False for anything but a string


class Forbidden(XAPIField):
    """A property xAPI names but refuses here, with a rule more telling than unknown-property (a
    SubStatement's id, for one)."""

    def __init__(self, rule: str, message: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.rule = rule
        self.message = message

    def check(self, value: Any, path: str, problems: Problems) -> None:
        problems.append(Problem(self.rule, path, self.message))


class ListOf(fields.List):
    """A JSON array of ``inner``; ``min_length`` with ``empty_rule`` when the array must not be empty."""

    def __init__(
        self, inner: fields.Field, *, min_length: int = 0, empty_rule: str = "empty-array", **kwargs: Any
    ):
        super().__init__(inner, **kwargs)
        self.min_length = min_length
        self.empty_rule = empty_rule

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        items = super()._deserialize(value, attr, data, **kwargs)
        if len(items) < self.min_length:
            raise ValidationError(f"{self.empty_rule}: needs at least {self.min_length} item(s)")
        return value


class OneOrMany(fields.Field):
    """An object of ``schema`` or an array of them (contextActivities values; the single form is
    normalised to an array when stored)."""

    def __init__(self, schema: type[XAPISchema], **kwargs: Any):
        super().__init__(**kwargs)
        self.schema = schema

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        errors: dict[int, Any] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors[index] = [f"type: must be an object, not {json_type(item)}"]
            elif found := self.schema().validate(item):
                errors[index] = found
        if errors:
            raise ValidationError(errors if isinstance(value, list) else errors[0])
        return value


class Polymorphic(fields.Field):
    """An object whose ``objectType`` picks its schema (``default`` when absent).

    ``refused`` maps an objectType to the (rule, message) for one that is known but not allowed here (a
    SubStatement inside a SubStatement); ``type_required_for`` lists properties that, present without an
    objectType, mean the default cannot be what was meant (an Agent as object must say so).
    """

    def __init__(
        self,
        choices: dict[str, type[XAPISchema]],
        *,
        default: str | None,
        refused: dict[str, tuple[str, str]] | None = None,
        type_required_for: frozenset[str] = frozenset(),
        what: str = "an object",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.choices = choices
        self.default = default
        self.refused = refused or {}
        self.type_required_for = type_required_for
        self.what = what

    def select(self, value: Any, path: str) -> type[XAPISchema] | Problem:
        """The schema for ``value``, or the problem that stops it being validated further."""
        if not isinstance(value, dict):
            return _type_problem(value, path, self.what + " (a JSON object)")
        where = join(path, "objectType")
        if "objectType" not in value:
            if self.default is None or not self.type_required_for.isdisjoint(value):
                return Problem("required", where, f"{self.what} needs an objectType here")
            kind: Any = self.default
        else:
            kind = value["objectType"]
        if not isinstance(kind, str):
            return _type_problem(kind, where, "a string")
        if kind in self.refused:
            rule, message = self.refused[kind]
            return Problem(rule, where, message)
        chosen = self.choices.get(kind)
        if chosen is None:
            allowed = ", ".join(repr(k) for k in self.choices)
            return Problem(
                "object-type", where, f"objectType must be one of {allowed} here, not {shown(kind)}"
            )
        return chosen

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        chosen = self.select(value, "")
        if isinstance(chosen, Problem):
            raise ValidationError(_messages([chosen]))
        errors = chosen().validate(value)
        if errors:
            raise ValidationError(errors)
        return value


# --- object rules -----------------------------------------------------------------------------------------


def _ifis(obj: dict[str, Any]) -> list[str]:
    return [key for key in IFI_PROPERTIES if key in obj]


def agent_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    ifis = _ifis(obj)
    if len(ifis) != 1:
        found = ", ".join(ifis) if ifis else "none"
        problems.append(
            Problem(
                "ifi-count",
                path,
                f"an Agent needs exactly one of mbox, mbox_sha1sum, openid, account (found {found})",
            )
        )


def group_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    ifis = _ifis(obj)
    if len(ifis) > 1:
        problems.append(
            Problem(
                "ifi-count", path, f"an identified Group has exactly one identifier, not {', '.join(ifis)}"
            )
        )
    elif not ifis and not obj.get("member"):
        problems.append(
            Problem(
                "anonymous-group-member",
                join(path, "member"),
                "an anonymous Group (no mbox, mbox_sha1sum, openid or account) needs a non-empty member list",
            )
        )


def authority_group_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    """A Group as authority is the OAuth pair: anonymous, exactly two Agents (application and user)."""
    if _ifis(obj) or len(obj.get("member") or ()) != 2:
        problems.append(
            Problem(
                "authority-group",
                path,
                "a Group as authority must be anonymous with exactly two member Agents (an OAuth consumer and user)",
            )
        )


def score_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    scaled, raw, low, high = obj.get("scaled"), obj.get("raw"), obj.get("min"), obj.get("max")
    if scaled is not None and not -1 <= scaled <= 1:
        problems.append(
            Problem(
                "score-scaled-range", join(path, "scaled"), f"scaled must be between -1 and 1, not {scaled}"
            )
        )
    if low is not None and high is not None and not low < high:
        problems.append(
            Problem("score-min-max", join(path, "min"), f"min ({low}) must be less than max ({high})")
        )
    elif raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        problems.append(
            Problem(
                "score-raw-range",
                join(path, "raw"),
                f"raw ({raw}) must lie between min ({low}) and max ({high})",
            )
        )


def definition_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    """Interaction properties need an interactionType, only the component lists it uses, and distinct ids."""
    interaction_type = obj.get("interactionType")
    if interaction_type is None and _INTERACTION_KEYS.isdisjoint(obj):
        return  # the usual definition: no interaction at all
    present = [key for key in ("correctResponsesPattern", *COMPONENT_LISTS) if key in obj]
    if interaction_type is None:
        if present:
            problems.append(
                Problem(
                    "interaction-type-required",
                    join(path, "interactionType"),
                    f"{', '.join(present)} describe an interaction, so the definition needs an interactionType",
                )
            )
        return
    allowed = ALLOWED_COMPONENTS.get(interaction_type, frozenset())
    for key in COMPONENT_LISTS:
        if key not in obj:
            continue
        if key not in allowed:
            uses = ", ".join(sorted(allowed)) or "no component lists"
            problems.append(
                Problem(
                    "interaction-components",
                    join(path, key),
                    f"a {interaction_type} interaction uses {uses}, not {key}",
                )
            )
            continue
        seen: set[str] = set()
        for index, component in enumerate(obj[key]):
            if component["id"] in seen:
                problems.append(
                    Problem(
                        "interaction-component-id",
                        join(at(join(path, key), index), "id"),
                        f"interaction component ids must be distinct within {key}; {shown(component['id'])} repeats",
                    )
                )
            seen.add(component["id"])


def _object_kind(obj: dict[str, Any]) -> str:
    target = obj.get("object")
    return target.get("objectType", "Activity") if isinstance(target, dict) else "Activity"


def context_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    """context.revision and context.platform only make sense for an Activity object (Data 2.4.6)."""
    context = obj.get("context")
    if not isinstance(context, dict):
        return
    kind = _object_kind(obj)
    if kind == "Activity":
        return
    for key in ("revision", "platform"):
        if key in context:
            problems.append(
                Problem(
                    f"context-{key}-non-activity",
                    join(join(path, "context"), key),
                    f"context.{key} is only allowed when the object is an Activity, not a {kind}",
                )
            )


def voiding_rule(obj: dict[str, Any], path: str, problems: Problems) -> None:
    verb = obj.get("verb")
    if isinstance(verb, dict) and verb.get("id") == VOIDED_VERB and _object_kind(obj) != "StatementRef":
        problems.append(
            Problem(
                "voiding-object", join(path, "object"), "a voiding statement's object must be a StatementRef"
            )
        )


# --- schemas ------------------------------------------------------------------------------------------------


class XAPISchema(Schema):
    """Base: unknown properties are refused; ``object_rules`` run once the properties are well formed."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "unknown-property: not a property of this xAPI object",
        "type": "type: must be a JSON object",
    }
    #: Human name for messages ("an Agent").
    what: ClassVar[str] = "this object"
    #: Whole-object rules, run after the properties (and skipped when they had problems).
    object_rules: ClassVar[tuple[ObjectRule, ...]] = ()

    @validates_schema(pass_original=True)
    def _object_rules(self, data: Any, original_data: Any, **kwargs: Any) -> None:
        problems: Problems = []
        for rule in self.object_rules:
            rule(original_data, "", problems)
        if problems:
            raise ValidationError(_messages(problems))


class AccountSchema(XAPISchema):
    what = "an account"
    homePage = IRI(locator=True, required=True)
    name = String(required=True)


class AgentSchema(XAPISchema):
    what = "an Agent"
    object_rules = (agent_rule,)
    objectType = ObjectType("Agent")
    name = String()
    mbox = Mbox()
    mbox_sha1sum = Sha1Sum()
    openid = IRI()
    account = fields.Nested(AccountSchema)


_MEMBER = Polymorphic(
    {"Agent": AgentSchema},
    default="Agent",
    refused={"Group": ("nested-group", "a Group's members are Agents; a Group cannot be a member")},
    what="a group member",
)


class GroupSchema(XAPISchema):
    what = "a Group"
    object_rules = (group_rule,)
    objectType = ObjectType("Group", required=True)
    name = String()
    mbox = Mbox()
    mbox_sha1sum = Sha1Sum()
    openid = IRI()
    account = fields.Nested(AccountSchema)
    member = ListOf(_MEMBER)


class AuthorityGroupSchema(GroupSchema):
    object_rules = (authority_group_rule,)


def _actor(what: str = "an Agent or Group", **kwargs: Any) -> Polymorphic:
    return Polymorphic({"Agent": AgentSchema, "Group": GroupSchema}, default="Agent", what=what, **kwargs)


class VerbSchema(XAPISchema):
    what = "a Verb"
    id = IRI(required=True)
    display = LanguageMap()


class InteractionComponentSchema(XAPISchema):
    what = "an interaction component"
    id = String(required=True)
    description = LanguageMap()


def _components() -> ListOf:
    return ListOf(fields.Nested(InteractionComponentSchema))


class DefinitionSchema(XAPISchema):
    what = "an Activity definition"
    object_rules = (definition_rule,)
    name = LanguageMap()
    description = LanguageMap()
    type = IRI()
    moreInfo = IRI(locator=True)
    interactionType = InteractionType()
    correctResponsesPattern = ListOf(String())
    choices = _components()
    scale = _components()
    source = _components()
    target = _components()
    steps = _components()
    extensions = Extensions()


class ActivitySchema(XAPISchema):
    what = "an Activity"
    objectType = ObjectType("Activity")
    id = IRI(required=True)
    definition = fields.Nested(DefinitionSchema)


class StatementRefSchema(XAPISchema):
    what = "a StatementRef"
    objectType = ObjectType("StatementRef", required=True)
    id = UUID(required=True)


class ScoreSchema(XAPISchema):
    what = "a score"
    object_rules = (score_rule,)
    scaled = Number()
    raw = Number()
    min = Number()
    max = Number()


class ResultSchema(XAPISchema):
    what = "a result"
    score = fields.Nested(ScoreSchema)
    success = Boolean()
    completion = Boolean()
    response = String()
    duration = Duration()
    extensions = Extensions()


class ContextActivitiesSchema(XAPISchema):
    what = "contextActivities"
    parent = OneOrMany(ActivitySchema)
    grouping = OneOrMany(ActivitySchema)
    category = OneOrMany(ActivitySchema)
    other = OneOrMany(ActivitySchema)


def _relevant_types() -> ListOf:
    return ListOf(IRI(), min_length=1, empty_rule="relevant-types")


class ContextAgentSchema(XAPISchema):
    what = "a contextAgent"
    objectType = ObjectType("contextAgent", required=True)
    agent = fields.Nested(AgentSchema, required=True)
    relevantTypes = _relevant_types()


class ContextGroupSchema(XAPISchema):
    what = "a contextGroup"
    objectType = ObjectType("contextGroup", required=True)
    group = fields.Nested(GroupSchema, required=True)
    relevantTypes = _relevant_types()


class ContextSchema103(XAPISchema):
    what = "a context"
    registration = UUID()
    instructor = _actor()
    team = fields.Nested(GroupSchema)
    contextActivities = fields.Nested(ContextActivitiesSchema)
    revision = String()
    platform = String()
    language = LanguageTag()
    statement = fields.Nested(StatementRefSchema)
    extensions = Extensions()


class ContextSchema200(ContextSchema103):
    contextAgents = ListOf(fields.Nested(ContextAgentSchema))
    contextGroups = ListOf(fields.Nested(ContextGroupSchema))


class AttachmentSchema(XAPISchema):
    what = "an attachment"
    usageType = IRI(required=True)
    display = LanguageMap(required=True)
    description = LanguageMap()
    contentType = MediaType(required=True)
    length = Integer(required=True, minimum=0, range_rule="attachment-length-range")
    sha2 = Sha2(required=True)
    fileUrl = IRI(locator=True)


_AGENT_OR_GROUP_KEYS = frozenset((*IFI_PROPERTIES, "member"))


def _only_in_statements(key: str) -> Forbidden:
    return Forbidden(
        "substatement-property",
        f"a SubStatement cannot have {key}: only a statement the LRS stores carries it",
    )


def _object(substatement: type[XAPISchema] | None) -> Polymorphic:
    """The statement's object; inside a SubStatement (``substatement`` None) another one is refused."""
    choices: dict[str, type[XAPISchema]] = {
        "Activity": ActivitySchema,
        "Agent": AgentSchema,
        "Group": GroupSchema,
        "StatementRef": StatementRefSchema,
    }
    refused = {}
    if substatement is None:
        refused["SubStatement"] = (
            "substatement-nested",
            "a SubStatement cannot contain another SubStatement",
        )
    else:
        choices["SubStatement"] = substatement
    return Polymorphic(
        choices,
        default="Activity",
        refused=refused,
        type_required_for=_AGENT_OR_GROUP_KEYS,
        what="the object",
        required=True,
    )


class SubStatementSchema103(XAPISchema):
    what = "a SubStatement"
    object_rules = (context_rule,)
    objectType = ObjectType("SubStatement", required=True)
    actor = _actor(required=True)
    verb = fields.Nested(VerbSchema, required=True)
    object = _object(None)
    result = fields.Nested(ResultSchema)
    context = fields.Nested(ContextSchema103)
    timestamp = Timestamp()
    attachments = ListOf(fields.Nested(AttachmentSchema))
    id = _only_in_statements("id")
    stored = _only_in_statements("stored")
    version = _only_in_statements("version")
    authority = _only_in_statements("authority")


class SubStatementSchema200(SubStatementSchema103):
    context = fields.Nested(ContextSchema200)


class StatementSchema103(XAPISchema):
    """A statement under the 1.0.3 rules (1.0.0 to 1.0.3 requests)."""

    what = "a statement"
    object_rules = (context_rule, voiding_rule)
    id = UUID()
    actor = _actor(required=True)
    verb = fields.Nested(VerbSchema, required=True)
    object = _object(SubStatementSchema103)
    result = fields.Nested(ResultSchema)
    context = fields.Nested(ContextSchema103)
    timestamp = Timestamp()
    # Accepted from clients and then overwritten by the LRS, so they are checked but not trusted.
    stored = Timestamp()
    authority = Polymorphic(
        {"Agent": AgentSchema, "Group": AuthorityGroupSchema}, default="Agent", what="the authority"
    )
    version = Version(("1.0",))
    attachments = ListOf(fields.Nested(AttachmentSchema))


class StatementSchema200(StatementSchema103):
    """A statement under the 2.0.0 rules: contextAgents and contextGroups, and 2.0.x versions."""

    object = _object(SubStatementSchema200)
    context = fields.Nested(ContextSchema200)
    version = Version(("1.0", "2.0"))


STATEMENT_SCHEMAS: dict[str, type[XAPISchema]] = {"1.0.3": StatementSchema103, "2.0.0": StatementSchema200}
