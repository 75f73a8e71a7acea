"""Statement validation for xAPI 1.0.3 and 2.0.0: the public entry points.

The rules are declared once, as marshmallow schemas in :mod:`lrs.xapi.schema`. Running marshmallow itself
costs about a millisecond per ordinary statement, so this module compiles those declarations into
:class:`_Shape` walkers (a dict of property checks, the required names, the object rules) that apply the
very same field checks and rules in plain Python, an order of magnitude faster. The test suite checks that
both executions agree.

Each shape is walked in one of two ways: ``_Shape.ok`` (Python source generated from the same declarations, see
"the fast walk" below) answers only whether a value is valid, building no path string and no problem, and
``_Shape.check`` reports every problem with its path. A statement is walked by ``ok``, and by ``check`` only when
``ok`` says no: valid statements, nearly all of them, cost no path strings, and what is reported is ``check``'s,
the one report there always was. (``ok`` saying no too often would only cost a second walk; saying yes where
``check`` finds a problem would let it through: the tests compare the two on thousands of statements.)

Every problem is a :class:`~lrs.xapi.errors.Problem` with a stable rule name and a JSON path such as
``actor.member[0].mbox`` or ``object.definition.name.en-US``; :class:`~lrs.xapi.errors.StatementInvalid`
carries them all. Nothing here raises anything else, whatever JSON it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marshmallow import fields as mm_fields

from lrs.xapi import datatypes
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Problem, StatementInvalid
from lrs.xapi.schema import (
    COMPONENT_LISTS,
    IFI_PROPERTIES,
    STATEMENT_SCHEMAS,
    AttachmentSchema,
    AuthorityGroupSchema,
    Boolean,
    Check,
    ContextAgentSchema,
    ContextGroupSchema,
    Extensions,
    Formatted,
    GroupSchema,
    InteractionComponentSchema,
    LanguageMap,
    ListOf,
    ObjectRule,
    ObjectType,
    OneOrMany,
    Polymorphic,
    Problems,
    String,
    SubStatementSchema103,
    SubStatementSchema200,
    Timestamp,
    XAPIField,
    XAPISchema,
    agent_rule,
    at,
    authority_group_rule,
    context_rule,
    definition_rule,
    group_rule,
    join,
    json_type,
    voiding_rule,
)

__all__ = [
    "SUPPORTED_VERSIONS",
    "duration_seconds",
    "is_iri",
    "parse_timestamp",
    "rules_version",
    "validate_batch",
    "validate_statement",
]

#: The X-Experience-API-Version values whose rules this LRS implements.
SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")

# Header values -> rule set. Communication 3.3: an LRS accepts "1.0" and every "1.0.x" (they share the
# 1.0.0 data model, which the 1.0.3 rules describe); 2.0 and 2.0.x are served by the 2.0.0 rules.
_HEADER = re.compile(r"(1\.0|2\.0)(?:\.\d+)?", re.ASCII)
_RULES_FOR_SERIES = {"1.0": "1.0.3", "2.0": "2.0.0"}

# Re-exported: the public API names them here (documents.py reads is_iri and parse_timestamp too).
parse_timestamp = datatypes.parse_timestamp
duration_seconds = datatypes.duration_seconds
is_iri = datatypes.is_iri


def rules_version(header_value: str) -> str | None:
    """The rule set ("1.0.3" or "2.0.0") for an X-Experience-API-Version header value, or None."""
    if not isinstance(header_value, str):
        return None
    match = _HEADER.fullmatch(header_value.strip())
    return _RULES_FOR_SERIES[match.group(1)] if match else None


# --- the compiled walker ------------------------------------------------------------------------------

_NULL_MESSAGE = "null is not allowed here (only extension values may be null)"


Ok = Callable[[Any], bool]


class _Shape:
    """One schema, compiled: property name -> check, required names, object rules; and ``ok``, the same
    tests as one generated function (see :func:`_generate_ok`)."""

    __slots__ = ("checks", "ok", "ok_name", "properties", "required", "rules", "schema", "what")

    def __init__(self, schema: type[XAPISchema], ok_name: str) -> None:
        self.schema = schema
        self.what = schema.what
        self.ok_name = ok_name
        self.properties: dict[str, mm_fields.Field] = {}
        self.checks: dict[str, Check] = {}
        self.ok: Ok = _not_ready
        self.required: tuple[str, ...] = ()
        self.rules: tuple[ObjectRule, ...] = ()

    def check(self, value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, dict):
            problems.append(
                Problem("type", path, f"{self.what} must be a JSON object, not {json_type(value)}")
            )
            return
        before = len(problems)
        checks = self.checks
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)  # join(), inlined: this loop is the hot path
            check = checks.get(key)
            if check is None:
                message = f"{key!r} is not a property of {self.what}"
                problems.append(Problem("unknown-property", where, message))
            elif item is None:
                problems.append(Problem("type", where, _NULL_MESSAGE))
            else:
                check(item, where, problems)
        for key in self.required:
            if key not in value:
                problems.append(Problem("required", join(path, key), f"{self.what} needs {key!r}"))
        # As marshmallow does: whole-object rules only look at objects whose properties are well formed.
        if len(problems) == before:
            for rule in self.rules:
                rule(value, path, problems)


def _not_ready(value: Any) -> bool:
    raise AssertionError("a shape's ok() was called before it was generated")


def _making(value: Any) -> bool:
    raise AssertionError("a shape's ok() was called while it was being generated")


_SHAPES: dict[type[XAPISchema], _Shape] = {}


def _shape(schema: type[XAPISchema]) -> _Shape:
    shape = _SHAPES.get(schema)
    if shape is None:
        # Registered first: schemas may refer to each other. Its ``ok`` is made when first needed (see
        # _plain_ok), or for a statement shape below (written out, see "the fast walk").
        shape = _SHAPES[schema] = _Shape(schema, f"_ok_{schema.__name__}_{len(_SHAPES)}")
        declared = schema._declared_fields
        properties = shape.properties = {(field.data_key or name): field for name, field in declared.items()}
        shape.checks = {key: _compile(field) for key, field in properties.items()}
        shape.required = tuple(key for key, field in properties.items() if field.required)
        shape.rules = tuple(schema.object_rules)
    return shape


def _nested_schema(field: mm_fields.Nested) -> type[XAPISchema]:
    nested = field.nested
    if isinstance(nested, type) and issubclass(nested, XAPISchema):
        return nested
    raise TypeError(f"the compiled validator only follows Nested(<XAPISchema subclass>), not {nested!r}")


def _compile(field: mm_fields.Field) -> Check:
    """The plain-Python check for one declared marshmallow field."""
    if isinstance(field, XAPIField):
        return field.check
    if isinstance(field, mm_fields.Nested):
        return _shape(_nested_schema(field)).check
    if isinstance(field, Polymorphic):
        return _polymorphic(field)
    if isinstance(field, OneOrMany):
        return _one_or_many(_shape(field.schema))
    if isinstance(field, ListOf):
        return _list_of(_compile(field.inner), field.min_length, field.empty_rule)
    raise TypeError(f"no compiled check for {type(field).__name__}")


# --- the fast walk: one generated function per shape ----------------------------------------------------
#
# ``_Shape.ok`` runs the same tests as ``_Shape.check`` and the checks it calls, but only answers yes or no, so
# it builds no path, no message and no Problem, and it may stop at the first problem it meets (any problem
# makes the answer no, whatever order the tests run in). It is generated as Python source from the same
# declarations: a loop over the object's properties with a chain of ``if key == ...``, each property's test
# written out in place, and the nested objects' tests too, recursively, so that a statement is walked by one
# function with hardly a call in it (a call costs more than most tests): the statement shapes' ``ok``. Objects
# few statements have (_CALLED: SubStatements, Groups, attachments, contextAgents, contextGroups, interaction
# components) are tested by a call instead, to a plain function of their shape's own (which calls the plain
# function of each object in it), so the source stays small. The object rules most statements meet are
# written out too (see _write_rule: the IFI count, the definition's "no interaction", the context and voiding
# rules on the objectType the walk read); any other rule is called as ``check`` calls it. Types are tested exactly
# (``type(x) is str``, which costs less than isinstance): what JSON reading makes passes, and a subclass of
# dict, list or str some Python caller might pass only takes ``check``'s walk too. The names in the source
# refer to _OK_GLOBALS, filled as shapes are made; _OK_SOURCE keeps the source for reading and the tests.

_OK_GLOBALS: dict[str, Any] = {"__builtins__": {"type": type, "len": len}, "str": str, "bool": bool,
                               "dict": dict, "list": list}
_OK_SOURCE: dict[str, str] = {}  # generated function name -> its source (for reading, and the tests)

#: Shapes tested by a call to their own function rather than written out where they occur (see above).
_CALLED: frozenset[type[XAPISchema]] = frozenset(
    {
        SubStatementSchema103,
        SubStatementSchema200,
        GroupSchema,
        AuthorityGroupSchema,
        AttachmentSchema,
        ContextAgentSchema,
        ContextGroupSchema,
        InteractionComponentSchema,
    }
)
_IFI_RULES = (agent_rule, group_rule, authority_group_rule)
_INTERACTION_PROPERTIES = frozenset(("interactionType", "correctResponsesPattern", *COMPONENT_LISTS))


def _name(value: Any, hint: str) -> str:
    """A name in _OK_GLOBALS bound to ``value``."""
    name = f"_{hint}_{len(_OK_GLOBALS)}"
    _OK_GLOBALS[name] = value
    return name


def _define(name: str, source: str) -> Ok:
    _OK_SOURCE[name] = source
    exec(compile(source, f"<lrs.xapi.validate {name}>", "exec"), _OK_GLOBALS)  # noqa: S102 - our own source
    return _OK_GLOBALS[name]


class _Source:
    """The lines of one generated function; every test that fails writes ``return False``. ``inline``: the
    nested objects' tests are written out (but _CALLED's); otherwise each is a call to its plain function."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline
        self.lines: list[str] = []
        self.count = 0

    def var(self, hint: str) -> str:
        """A local name not used before in this function."""
        self.count += 1
        return f"{hint}{self.count}"

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def fail_unless(self, indent: int, test: str) -> None:
        self.add(indent, f"if not ({test}):")
        self.add(indent + 1, "return False")


def _ok_test(field: mm_fields.Field, var: str) -> str | None:
    """A Python expression true when ``field``'s compiled check finds no problem in ``var`` (not None), for
    the fields tested in one expression; None for the others (written out by _write_field)."""
    kind = type(field)
    if kind is String:  # String.ok, in place
        return f"type({var}) is str"
    if kind is Boolean:  # Boolean.ok
        return f"type({var}) is bool"
    if kind is ObjectType:  # ObjectType.ok
        return f"type({var}) is str and {var} == {field.expected!r}"
    if isinstance(field, Formatted) and type(field).ok is Formatted.ok:  # Formatted.ok
        return f"type({var}) is str and {_name(field.text_test, 'is')}({var})"
    if kind is Timestamp:  # Timestamp.ok
        return f"type({var}) is str and {_name(datatypes.is_timestamp_str, 'is_timestamp')}({var})"
    if kind is LanguageMap or kind is Extensions:
        return None
    if isinstance(field, XAPIField):
        return f"{var} is not None and {_name(field.ok, 'field')}({var})"
    return None


def _write_field(src: _Source, field: mm_fields.Field, var: str, indent: int) -> str | None:
    """The test of one declared field on ``var``. Null is refused where check refuses it (every property
    and array item): each test written here starts with a type test that null fails, and a field's own
    ``ok`` is only called on a value that is not None, so no separate test for null is written. Returns
    the local name holding the chosen objectType, for a Polymorphic field."""
    test = _ok_test(field, var)
    if test is not None:
        src.fail_unless(indent, test)
        return None
    kind = type(field)
    if kind is LanguageMap:  # LanguageMap.ok, in place
        key = src.var("tag")
        src.fail_unless(indent, f"type({var}) is dict")
        src.add(indent, f"for {key} in {var}:")
        tag_test = _name(datatypes.is_language_tag_str, "is_language_tag")
        src.fail_unless(
            indent + 1, f"type({key}) is str and type({var}[{key}]) is str and {tag_test}({key})"
        )
    elif kind is Extensions:  # Extensions.ok, in place
        key = src.var("extension")
        src.fail_unless(indent, f"type({var}) is dict")
        src.add(indent, f"for {key} in {var}:")
        src.fail_unless(indent + 1, f"type({key}) is str and {_name(datatypes.is_iri_str, 'is_iri')}({key})")
    elif isinstance(field, mm_fields.Nested):
        _write_shape(src, _shape(_nested_schema(field)), var, indent)
    elif isinstance(field, Polymorphic):
        return _write_polymorphic(src, field, var, indent)
    elif isinstance(field, OneOrMany):
        # An object, or an array of objects none of them null: one loop over either.
        item = src.var("item")
        src.add(indent, f"for {item} in ({var} if type({var}) is list else ({var},)):")
        _write_shape(src, _shape(field.schema), item, indent + 1)
    elif isinstance(field, ListOf):
        item = src.var("item")
        minimum = int(field.min_length)
        src.fail_unless(indent, f"type({var}) is list" + (f" and len({var}) >= {minimum}" if minimum else ""))
        src.add(indent, f"for {item} in {var}:")
        _write_field(src, field.inner, item, indent + 1)
    else:
        raise TypeError(f"no compiled test for {type(field).__name__}")


def _write_polymorphic(src: _Source, field: Polymorphic, var: str, indent: int) -> str:
    """Polymorphic.select written out, then the chosen shape's test. An ``objectType`` of null is taken for
    the default here: the chosen shape then refuses the null property, as check refuses the null type.
    Returns the local name that holds the objectType (the default when there is none)."""
    shapes = {kind: _shape(schema) for kind, schema in field.choices.items() if kind not in field.refused}
    kind = src.var("kind")
    src.fail_unless(indent, f"type({var}) is dict")
    src.add(indent, f"{kind} = {var}.get('objectType')")
    src.add(indent, f"if {kind} is None:")
    if field.default not in shapes:  # no default, or one refused or not a choice: select() says no
        src.add(indent + 1, "return False")
    else:
        if field.type_required_for:
            required_for = _name(field.type_required_for, "type_required_for")
            src.fail_unless(indent + 1, f"{required_for}.isdisjoint({var})")
        src.add(indent + 1, f"{kind} = {field.default!r}")
    for position, (name, shape) in enumerate(shapes.items()):
        src.add(indent, f"{'if' if position == 0 else 'elif'} {kind} == {name!r}:")
        _write_shape(src, shape, var, indent + 1, is_dict=True)
    src.add(indent, "else:  # refused here, or not one of the choices (or not a string)")
    src.add(indent + 1, "return False")
    return kind


def _write_shape(src: _Source, shape: _Shape, var: str, indent: int, *, is_dict: bool = False,
                 top: bool = False) -> None:
    """_Shape.check as tests on ``var``: an object, every property known and passing its test (which
    refuses null, see _write_field), every required one present, and no object rule finding a problem."""
    if not top and (shape.schema in _CALLED or not src.inline):
        src.fail_unless(indent, f"{_plain_ok(shape)}({var})")
        return
    if not is_dict:
        src.fail_unless(indent, f"type({var}) is dict")
    ifis = src.var("ifis") if any(rule in _IFI_RULES for rule in shape.rules) else None
    interaction = src.var("interaction") if definition_rule in shape.rules else None
    if ifis:
        src.add(indent, f"{ifis} = 0")
    if interaction:
        src.add(indent, f"{interaction} = False")
    key, item = src.var("key"), src.var("item")
    src.add(indent, f"for {key} in {var}:")
    src.add(indent + 1, f"{item} = {var}[{key}]")
    kinds: dict[str, str] = {}  # a Polymorphic property -> the local name of its objectType
    for position, names in enumerate(_alike(shape, ifis is not None, interaction is not None)):
        test = f"{key} == {names[0]!r}" if len(names) == 1 else f"{key} in {names!r}"
        src.add(indent + 1, f"{'if' if position == 0 else 'elif'} {test}:")
        if ifis and names[0] in IFI_PROPERTIES:
            src.add(indent + 2, f"{ifis} += 1")
        if interaction and names[0] in _INTERACTION_PROPERTIES:
            src.add(indent + 2, f"{interaction} = True")
        kind = _write_field(src, shape.properties[names[0]], item, indent + 2)
        if kind is not None:
            kinds[names[0]] = kind
    src.add(indent + 1, "else:" if shape.properties else "if True:  # no property is known")
    src.add(indent + 2, "return False")
    for name in shape.required:
        src.add(indent, f"if {name!r} not in {var}:")
        src.add(indent + 1, "return False")
    for rule in shape.rules:
        _write_rule(src, shape, rule, var, indent, ifis, interaction, kinds.get("object"))


def _alike(shape: _Shape, ifis: bool, interaction: bool) -> list[tuple[str, ...]]:
    """The shape's property names in declared order, those whose fields have the same test (and count alike
    for the written-out rules) put together, to be tested once (contextActivities' four lists, say)."""
    groups: dict[object, list[str]] = {}
    for name, field in shape.properties.items():
        test = _same_test(field)
        if test is not None:
            test = (test, ifis and name in IFI_PROPERTIES, interaction and name in _INTERACTION_PROPERTIES)
        groups.setdefault(test if test is not None else name, []).append(name)
    return [tuple(names) for names in groups.values()]


def _same_test(field: mm_fields.Field) -> object:
    """What decides the test _write_field writes for ``field`` (equal for fields tested alike), or None
    where that is not known here."""
    kind = type(field)
    if kind in (String, Boolean, LanguageMap, Extensions):
        return kind
    if isinstance(field, Formatted) and kind.ok is Formatted.ok:
        return (Formatted, field.text_test)
    if isinstance(field, mm_fields.Nested):
        return (mm_fields.Nested, _nested_schema(field))
    if isinstance(field, OneOrMany):
        return (OneOrMany, field.schema)
    if isinstance(field, ListOf):
        inner = _same_test(field.inner)
        return None if inner is None else (ListOf, int(field.min_length), inner)
    return None


def _write_rule(src: _Source, shape: _Shape, rule: ObjectRule, var: str, indent: int, ifis: str | None,
                interaction: str | None, object_kind: str | None) -> None:
    """An object rule on ``var``, whose properties have passed their tests. The usual ones are written out
    (their test as the rule makes it, on properties already known to be well formed); any other is called.
    ``object_kind``: the local name of the (required) object's objectType, where the shape has one."""
    statement_like = "verb" in shape.required and "object" in shape.required and object_kind is not None
    if rule is agent_rule and ifis:
        src.fail_unless(indent, f"{ifis} == 1")
    elif rule is group_rule and ifis:
        src.fail_unless(indent, f"{ifis} < 2 and ({ifis} or {var}.get('member'))")
    elif rule is authority_group_rule and ifis:
        src.fail_unless(indent, f"not {ifis} and len({var}.get('member') or ()) == 2")
    elif rule is definition_rule and interaction:
        # The usual definition describes no interaction: the rule has nothing to say. Otherwise it is called.
        src.add(indent, f"if {interaction}:")
        _call_rule(src, rule, var, indent + 1)
    elif rule is context_rule and statement_like and isinstance(shape.properties.get("context"), mm_fields.Nested):
        # context_rule: revision or platform in the context (an object, if there) of a non-Activity object.
        context = src.var("context")
        src.add(indent, f"if {object_kind} != 'Activity':")
        src.add(indent + 1, f"{context} = {var}.get('context')")
        src.add(indent + 1, f"if {context} is not None and ('revision' in {context} or 'platform' in {context}):")
        src.add(indent + 2, "return False")
    elif rule is voiding_rule and statement_like and isinstance(shape.properties.get("verb"), mm_fields.Nested):
        # voiding_rule: the voided verb with an object other than a StatementRef.
        src.add(indent, f"if {var}['verb'].get('id') == {VOIDED_VERB!r}:")
        src.fail_unless(indent + 1, f"{object_kind} == 'StatementRef'")
    else:
        _call_rule(src, rule, var, indent)


def _call_rule(src: _Source, rule: ObjectRule, var: str, indent: int) -> None:
    problems = src.var("problems")
    src.add(indent, f"{problems}: list = []")
    src.add(indent, f"{_name(rule, 'rule')}({var}, '', {problems})")
    src.add(indent, f"if {problems}:")
    src.add(indent + 1, "return False")


def _generate_ok(shape: _Shape, name: str, *, inline: bool) -> Ok:
    """_Shape.check as a yes/no function named ``name`` (see the comment above)."""
    src = _Source(inline)
    src.add(0, f"def {name}(value):")
    _write_shape(src, shape, "value", 1, top=True)
    src.add(1, "return True")
    return _define(name, "\n".join(src.lines) + "\n")


def _plain_ok(shape: _Shape) -> str:
    """The name of ``shape``'s plain function (made on first use; the generated functions look each other
    up by name when called, so a name may be written before its function is made)."""
    if shape.ok is _not_ready:
        shape.ok = _making
        shape.ok = _generate_ok(shape, shape.ok_name, inline=False)
    return shape.ok_name


def _list_of(inner: Check, min_length: int, empty_rule: str) -> Check:
    def check(value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, list):
            problems.append(Problem("type", path, f"must be an array, not {json_type(value)}"))
            return
        if len(value) < min_length:
            problems.append(Problem(empty_rule, path, f"must hold at least {min_length} item(s)"))
        for index, item in enumerate(value):
            if item is None:
                problems.append(Problem("type", at(path, index), _NULL_MESSAGE))
            else:
                inner(item, at(path, index), problems)

    return check


def _one_or_many(shape: _Shape) -> Check:
    each = _list_of(shape.check, 0, "empty-array")

    def check(value: Any, path: str, problems: Problems) -> None:
        if isinstance(value, list):
            each(value, path, problems)
        else:
            shape.check(value, path, problems)

    return check


def _polymorphic(field: Polymorphic) -> Check:
    shapes: dict[type, _Shape] = {}

    def check(value: Any, path: str, problems: Problems) -> None:
        chosen = field.select(value, path)
        if isinstance(chosen, Problem):
            problems.append(chosen)
            return
        shape = shapes.get(chosen)
        if shape is None:
            shape = shapes[chosen] = _shape(chosen)
        shape.check(value, path, problems)

    return check


_STATEMENT_SHAPES: dict[str, _Shape] = {version: _shape(schema) for version, schema in STATEMENT_SCHEMAS.items()}
for _statement in _STATEMENT_SHAPES.values():
    _statement.ok = _generate_ok(_statement, f"_walk{_statement.ok_name}", inline=True)


# --- public API --------------------------------------------------------------------------------------


def _statement_shape(version: str) -> _Shape:
    shape = _STATEMENT_SHAPES.get(version) or _STATEMENT_SHAPES.get(rules_version(version) or "")
    if shape is None:
        raise ValueError(f"no statement rules for version {version!r}; use one of {SUPPORTED_VERSIONS}")
    return shape


def statement_problems(statement: object, version: str, *, path: str = "") -> list[Problem]:
    """Every problem of one statement (empty when it is valid), without raising."""
    shape = _statement_shape(version)
    problems: Problems = []
    if not shape.ok(statement):
        shape.check(statement, path, problems)
    return problems


def validate_statement(statement: object, version: str, *, path: str = "") -> None:
    """Raise StatementInvalid listing every problem of ``statement`` under the ``version`` rules
    ("1.0.3" or "2.0.0"). ``path`` prefixes every problem's path, e.g. "[3]" for a batch's fourth."""
    problems = statement_problems(statement, version, path=path)
    if problems:
        raise StatementInvalid(problems)


def validate_batch(payload: object, version: str) -> list[dict]:
    """Validate a POST/PUT body, one statement (an object) or a batch (an array); return its statements.

    All or nothing: every problem of every statement is reported together. When the body is an array, paths
    start with the statement's index (``[2].actor.mbox``), as the attachment problems' paths do; a bare
    statement has plain paths. An empty array, and an id used twice in one batch (compared without case,
    as UUIDs are), are refused too.
    """
    shape = _statement_shape(version)
    ok, check = shape.ok, shape.check
    if isinstance(payload, dict):
        statements: list[Any] = [payload]
    elif isinstance(payload, list):
        statements = payload
        if not statements:
            raise StatementInvalid(
                [Problem("batch-empty", "", "the batch is an empty array; send at least one statement")]
            )
    else:
        raise StatementInvalid(
            [
                Problem(
                    "type",
                    "",
                    f"the body must be a statement (an object) or an array of them, not {json_type(payload)}",
                )
            ]
        )
    numbered = isinstance(payload, list)
    problems: Problems = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            prefix = f"[{index}]" if numbered else ""
            problems.append(
                Problem("type", prefix, f"a statement must be a JSON object, not {json_type(statement)}")
            )
            continue
        statement_id = statement.get("id")
        if ok(statement):
            if statement_id is None:  # a valid statement's id, when it has one, is a UUID (a string)
                continue
        else:
            check(statement, f"[{index}]" if numbered else "", problems)
            if not (isinstance(statement_id, str) and datatypes.match_uuid(statement_id)):
                continue
        first = seen.setdefault(statement_id.lower(), index)
        if first != index:
            prefix = f"[{index}]" if numbered else ""
            problems.append(
                Problem(
                    "batch-duplicate-id",
                    join(prefix, "id"),
                    f"statement [{first}] of this batch already has id {statement_id}",
                )
            )
    if problems:
        raise StatementInvalid(problems)
    return statements


def schema_for(version: str) -> type[XAPISchema]:
    """The marshmallow schema of a statement under ``version``'s rules (for tools and tests)."""
    rules = version if version in STATEMENT_SCHEMAS else rules_version(version)
    if rules is None:
        raise ValueError(f"no statement rules for version {version!r}")
    return STATEMENT_SCHEMAS[rules]
