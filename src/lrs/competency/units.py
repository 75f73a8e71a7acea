"""A centre's real qualification units (schemas/centre-units.schema.json) turned into a CASE package.

The built-in ILM files are centre templates; a centre replaces them with the units it delivers: qualification
number, Ofqual unit numbers, levels and credit values, learning outcomes and assessment criteria as regulated,
and the mandatory and optional groups. :func:`units_package` checks such a file (the schema, then what a
schema cannot say) and builds the CFPackage that :func:`lrs.competency.evidence.import_framework` stores.
Rejections are :class:`~lrs.xapi.errors.XAPIError` with rule "units-invalid" and the JSON path of the first
problem (``units[1].credits``). docs/frameworks.md describes the format.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import TYPE_CHECKING, Any

from lrs.competency.frameworks import FRAMEWORKS_BASE, _error_path, _short, _sort_key
from lrs.schema_files import schemas_dir
from lrs.xapi.errors import Problem, XAPIError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

#: The rule name every rejection carries.
RULE = "units-invalid"

_MAX_PROBLEMS = 20


def units_schema_path() -> Any:
    """Where the import format's JSON Schema is."""
    return schemas_dir() / "centre-units.schema.json"


@functools.cache
def _validator() -> Validator:
    from jsonschema import Draft202012Validator

    schema = json.loads(units_schema_path().read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _reject(problems: list[Problem]) -> XAPIError:
    first = problems[0]
    return XAPIError(message=f"{first.path or 'units file'}: {first.message}", status=400, rule=RULE,
                     path=first.path, problems=problems[:_MAX_PROBLEMS])


def _structure_problems(data: dict[str, Any]) -> list[Problem]:
    """Unit codes and numbers unique, criteria numbered under their outcome, every unit in exactly one group,
    groups naming known units, and enough credit available for the qualification's minimum."""
    problems: list[Problem] = []
    units: list[dict[str, Any]] = data["units"]
    codes: dict[str, int] = {}
    for u, unit in enumerate(units):
        if unit["code"] in codes:
            problems.append(Problem(RULE, f"units[{u}].code", f"unit code {unit['code']} is also units[{codes[unit['code']]}]"))
        codes.setdefault(unit["code"], u)
        outcomes: set[str] = set()
        criteria: set[str] = set()
        for o, outcome in enumerate(unit["learning_outcomes"]):
            if outcome["number"] in outcomes:
                problems.append(Problem(RULE, f"units[{u}].learning_outcomes[{o}].number",
                                        f"learning outcome {outcome['number']} appears twice in unit {unit['code']}"))
            outcomes.add(outcome["number"])
            for c, criterion in enumerate(outcome["assessment_criteria"]):
                path = f"units[{u}].learning_outcomes[{o}].assessment_criteria[{c}].number"
                if criterion["number"].split(".")[0] != outcome["number"]:
                    problems.append(Problem(RULE, path, f"criterion {criterion['number']} is not numbered under "
                                                        f"learning outcome {outcome['number']}"))
                elif criterion["number"] in criteria:
                    problems.append(Problem(RULE, path, f"criterion {criterion['number']} appears twice in unit "
                                                        f"{unit['code']}"))
                criteria.add(criterion["number"])

    group_of: dict[str, str] = {}
    for g, group in enumerate(data["groups"]):
        for n, code in enumerate(group["units"]):
            path = f"groups[{g}].units[{n}]"
            if code not in codes:
                problems.append(Problem(RULE, path, f"no unit has code {code}"))
            elif code in group_of:
                problems.append(Problem(RULE, path, f"unit {code} is already in group {group_of[code]}"))
            else:
                group_of[code] = group["name"]
        if group["kind"] == "mandatory" and ("minimum_units" in group or "minimum_credits" in group):
            problems.append(Problem(RULE, f"groups[{g}].kind",
                                    "a mandatory group's units are all required: minimum_units and minimum_credits "
                                    "belong to optional groups"))
        if group.get("minimum_units", 0) > len(group["units"]):
            problems.append(Problem(RULE, f"groups[{g}].minimum_units",
                                    f"asks for {group['minimum_units']} units of {len(group['units'])}"))
    for code, u in codes.items():
        if code not in group_of:
            problems.append(Problem(RULE, f"units[{u}].code", f"unit {code} is in no group"))

    minimum = data["qualification"].get("minimum_credits")
    if minimum is not None and not problems:
        available = sum(unit["credits"] for unit in units)
        if available < minimum:
            problems.append(Problem(RULE, "qualification.minimum_credits",
                                    f"needs {minimum} credits but the units carry {available}"))
    return problems


def check_units(data: Any) -> None:
    """Raise ``XAPIError`` (rule "units-invalid", the JSON path of the first problem) unless ``data`` is a
    valid centre units file."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: (_sort_key(list(e.absolute_path)), e.message))
    problems = [Problem(RULE, _error_path(e), _short(e.message)) for e in errors]
    if not problems:
        problems = _structure_problems(data)
    if problems:
        raise _reject(problems)


def _uid(uri: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, uri))


def units_package(data: Any, *, changed: str = "") -> dict[str, Any]:
    """Check a centre units file and build its CASE 1.1 package: the qualification as the CFDocument, units ->
    learning outcomes -> assessment criteria as items (types Unit, LearningOutcome, AssessmentCriterion), the
    tree as isChildOf associations. Unit numbers, levels, credits and groups go in each unit's ``notes`` (for
    people) and ``extensions`` (for programs); the rules of combination in the document's."""
    from datetime import UTC, datetime

    check_units(data)
    changed = changed or datetime.now(UTC).replace(microsecond=0).isoformat()
    qualification = data["qualification"]
    uri = qualification.get("uri") or f"{FRAMEWORKS_BASE}/qualification-{qualification['number'].replace('/', '-')}"
    group_of = {code: group for group in data["groups"] for code in group["units"]}
    rules = "; ".join(
        f"{g['name']} ({g['kind']}): " + ", ".join(g["units"])
        + (f", at least {g['minimum_units']} units" if "minimum_units" in g else "")
        + (f", at least {g['minimum_credits']} credits" if "minimum_credits" in g else "")
        for g in data["groups"]
    )
    centre = data.get("centre") or {}
    document: dict[str, Any] = {
        "identifier": _uid(uri),
        "uri": uri,
        "frameworkType": "Qualification structure",
        "creator": centre.get("name") or "Centre import",
        "title": f"{qualification['title']} ({qualification['number']})",
        "officialSourceURL": "https://register.ofqual.gov.uk/",
        "publisher": qualification["awarding_organisation"],
        "adoptionStatus": "Adopted",
        "notes": (
            f"Licence: as the centre's agreement with {qualification['awarding_organisation']} allows (imported "
            "by the centre).\n"
            f"Shipped: qualification {qualification['number']}, level {qualification['level']}"
            + (f", minimum {qualification['minimum_credits']} credits" if "minimum_credits" in qualification else "")
            + f"; {len(data['units'])} units. Groups: {rules}."
        ),
        "extensions": {
            "qualificationNumber": qualification["number"],
            "level": qualification["level"],
            **({"minimumCredits": qualification["minimum_credits"]} if "minimum_credits" in qualification else {}),
            **({"centre": centre} if centre else {}),
            "groups": data["groups"],
        },
        "caseVersion": "1.1",
        "language": "en-GB",
        "lastChangeDateTime": changed,
    }
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []

    def add(local: str, code: str, statement: str, item_type: str, parent: dict[str, Any], position: int,
            enumeration: str, **extra: Any) -> dict[str, Any]:
        item_uri = f"{uri}/{local}"
        item = {"identifier": _uid(item_uri), "uri": item_uri, "humanCodingScheme": code,
                "fullStatement": statement, "CFItemType": item_type, "listEnumeration": enumeration, **extra,
                "lastChangeDateTime": changed}
        items.append(item)
        identifier = _uid(f"{item_uri} isChildOf {parent['uri']}")
        link = {"title": code, "identifier": item["identifier"], "uri": item_uri}
        parent_link = {"title": parent.get("humanCodingScheme") or parent["title"],
                       "identifier": parent["identifier"], "uri": parent["uri"]}
        associations.append({"identifier": identifier, "associationType": "isChildOf", "sequenceNumber": position,
                             "uri": f"{uri}/associations/{identifier}", "originNodeURI": link,
                             "destinationNodeURI": parent_link, "lastChangeDateTime": changed})
        return item

    for u, unit in enumerate(data["units"], start=1):
        group = group_of[unit["code"]]
        facts = {"unitNumber": unit["unit_number"], "level": unit["level"], "credits": unit["credits"],
                 "group": group["name"], "groupKind": group["kind"]}
        if "guided_learning_hours" in unit:
            facts["guidedLearningHours"] = unit["guided_learning_hours"]
        unit_item = add(
            unit["code"], unit["code"], unit["title"], "Unit", document, u, unit["code"],
            notes=(f"Ofqual unit number {unit['unit_number']}; level {unit['level']}; {unit['credits']} credits"
                   + (f"; {unit['guided_learning_hours']} guided learning hours" if "guided_learning_hours" in unit
                      else "")
                   + f"; group: {group['name']} ({group['kind']})."),
            extensions=facts,
        )
        for o, outcome in enumerate(unit["learning_outcomes"], start=1):
            outcome_item = add(f"{unit['code']}.LO{outcome['number']}", f"{unit['code']} LO{outcome['number']}",
                               outcome["text"], "LearningOutcome", unit_item, o, f"LO{outcome['number']}")
            for c, criterion in enumerate(outcome["assessment_criteria"], start=1):
                add(f"{unit['code']}.AC{criterion['number']}", f"{unit['code']} AC{criterion['number']}",
                    criterion["text"], "AssessmentCriterion", outcome_item, c, f"AC{criterion['number']}")
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}
