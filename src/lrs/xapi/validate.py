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
from lrs.xapi.errors import Problem, StatementInvalid
from lrs.xapi.schema import (
    STATEMENT_SCHEMAS,
    Boolean,
    Check,
    Formatted,
    ListOf,
    ObjectRule,
    ObjectType,
    OneOrMany,
    Polymorphic,
    Problems,
    String,
    XAPIField,
    XAPISchema,
    at,
    join,
    json_type,
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

    __slots__ = ("checks", "ok", "ok_name", "required", "rules", "what")

    def __init__(self, what: str, ok_name: str) -> None:
        self.what = what
        self.ok_name = ok_name
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


_SHAPES: dict[type[XAPISchema], _Shape] = {}


def _shape(schema: type[XAPISchema]) -> _Shape:
    shape = _SHAPES.get(schema)
    if shape is None:
        # Registered first: schemas may refer to each other (and the generated functions call each other by
        # name, looked up when called, so a name may be used before its function is made).
        shape = _SHAPES[schema] = _Shape(schema.what, f"_ok_{schema.__name__}_{len(_SHAPES)}")
        declared = schema._declared_fields
        properties = {(field.data_key or name): field for name, field in declared.items()}
        shape.checks = {key: _compile(field) for key, field in properties.items()}
        shape.required = tuple(key for key, field in properties.items() if field.required)
        shape.rules = tuple(schema.object_rules)
        shape.ok = _generate_ok(shape, properties)
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
# ``_Shape.ok`` runs the same tests as ``_Shape.check`` and the checks it calls, in the same order of
# precedence, but only answers yes or no, so it builds no path, no message and no Problem. It is generated as
# Python source from the same declarations (a chain of ``if key == ...`` per property, the common field
# types' tests written out in place, every other field's own ``ok``), because calling a closure per property
# costs more than the test itself. The names in the source refer to _OK_GLOBALS, filled as shapes are made.

_OK_GLOBALS: dict[str, Any] = {"__builtins__": {"isinstance": isinstance, "len": len}, "str": str,
                               "bool": bool, "dict": dict, "list": list}
_OK_SOURCE: dict[str, str] = {}  # generated function name -> its source (for reading, and the tests)


def _name(value: Any, hint: str) -> str:
    """A name in _OK_GLOBALS bound to ``value``."""
    name = f"_{hint}_{len(_OK_GLOBALS)}"
    _OK_GLOBALS[name] = value
    return name


def _define(name: str, source: str) -> Ok:
    _OK_SOURCE[name] = source
    exec(compile(source, f"<lrs.xapi.validate {name}>", "exec"), _OK_GLOBALS)  # noqa: S102 - our own source
    return _OK_GLOBALS[name]


def _ok_test(field: mm_fields.Field, var: str) -> str:
    """A Python expression true when ``field``'s compiled check finds no problem in ``var`` (not None)."""
    kind = type(field)
    if kind is String:  # String.ok, in place
        return f"isinstance({var}, str)"
    if kind is Boolean:  # Boolean.ok
        return f"isinstance({var}, bool)"
    if kind is ObjectType:  # ObjectType.ok
        return f"(isinstance({var}, str) and {var} == {field.expected!r})"
    if isinstance(field, Formatted) and type(field).ok is Formatted.ok:  # Formatted.ok
        return f"(isinstance({var}, str) and {_name(field.text_test, 'is')}({var}))"
    if isinstance(field, XAPIField):
        return f"{_name(field.ok, 'field')}({var})"
    if isinstance(field, mm_fields.Nested):
        return f"{_shape(_nested_schema(field)).ok_name}({var})"
    if isinstance(field, Polymorphic):
        return f"{_polymorphic_ok(field)}({var})"
    if isinstance(field, OneOrMany):
        return f"{_one_or_many_ok(_shape(field.schema))}({var})"
    if isinstance(field, ListOf):
        return f"{_list_of_ok(field)}({var})"
    raise TypeError(f"no compiled test for {type(field).__name__}")


def _generate_ok(shape: _Shape, properties: dict[str, mm_fields.Field]) -> Ok:
    """_Shape.check as a yes/no function: an object, every property known, not null and passing its test,
    every required one present, and then (as check runs them: only when the rest passed) no object rule
    finding a problem."""
    lines = [
        f"def {shape.ok_name}(value):",
        "    if not isinstance(value, dict):",
        "        return False",
        "    for key, item in value.items():",
        "        if item is None:",
        "            return False",
    ]
    for position, (key, field) in enumerate(properties.items()):
        lines.append(f"        {'if' if position == 0 else 'elif'} key == {key!r}:")
        lines.append(f"            if not {_ok_test(field, 'item')}:")
        lines.append("                return False")
    lines.append("        else:" if properties else "        if True:  # no property is known")
    lines.append("            return False")
    for key in shape.required:
        lines.append(f"    if {key!r} not in value:")
        lines.append("        return False")
    if shape.rules:
        lines.append("    problems = []")
        for rule in shape.rules:
            lines.append(f"    {_name(rule, 'rule')}(value, '', problems)")
        lines.append("    return not problems")
    else:
        lines.append("    return True")
    return _define(shape.ok_name, "\n".join(lines) + "\n")


def _list_of_ok(field: ListOf) -> str:
    name = _name(None, "list_ok")
    _define(name, f"""def {name}(value):
    if not isinstance(value, list) or len(value) < {int(field.min_length)}:
        return False
    for item in value:
        if item is None or not {_ok_test(field.inner, 'item')}:
            return False
    return True
""")
    return name


def _one_or_many_ok(shape: _Shape) -> str:
    name = _name(None, "one_or_many_ok")
    _define(name, f"""def {name}(value):
    if isinstance(value, list):
        for item in value:
            if item is None or not {shape.ok_name}(item):
                return False
        return True
    return {shape.ok_name}(value)
""")
    return name


def _polymorphic_ok(field: Polymorphic) -> str:
    """Polymorphic.select written out (the same order of tests), then the chosen shape's ok."""
    name = _name(None, "polymorphic_ok")
    shapes = {kind: _shape(schema).ok_name for kind, schema in field.choices.items() if kind not in field.refused}
    lines = [
        f"def {name}(value):",
        "    if not isinstance(value, dict):",
        "        return False",
        "    if 'objectType' not in value:",
    ]
    if field.default not in shapes:  # no default, or one refused or not a choice: select() says no
        lines.append("        return False")
    else:
        if field.type_required_for:
            lines.append(f"        if not {_name(field.type_required_for, 'type_required_for')}.isdisjoint(value):")
            lines.append("            return False")
        lines.append(f"        return {shapes[field.default]}(value)")
    lines += ["    kind = value['objectType']", "    if not isinstance(kind, str):", "        return False"]
    for kind, ok_name in shapes.items():
        lines.append(f"    if kind == {kind!r}:")
        lines.append(f"        return {ok_name}(value)")
    lines.append("    return False  # refused here, or not one of the choices")
    _define(name, "\n".join(lines) + "\n")
    return name


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
        if not ok(statement):
            check(statement, f"[{index}]" if numbered else "", problems)
        statement_id = statement.get("id")
        if isinstance(statement_id, str) and datatypes.match_uuid(statement_id):
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
