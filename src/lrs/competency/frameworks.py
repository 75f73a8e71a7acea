"""Competency frameworks read from CASE 1.1 packages (the 1EdTech ``getCFPackage`` JSON binding).

A package is checked against schemas/case-package.schema.json and then against the rules a schema cannot
express (unique identifiers and item URIs, an ``isChildOf`` tree made of the package's own nodes without
cycles, rubric criteria naming the package's items). The result is a :class:`Framework`: the document's
identity and provenance, its items in tree order with parent and order, and any rubric levels (the PCF
career levels). Pure Python: no Flask, no database.

docs/frameworks.md describes what ships in schemas/frameworks/ and the IRI scheme.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrs.schema_files import schemas_dir
from lrs.xapi.errors import Problem, XAPIError

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

#: The base every built-in framework IRI sits under: <BASE>/<slug> and <BASE>/<slug>/<local code>.
FRAMEWORKS_BASE = "https://w3id.org/xapi/social-work-leadership/frameworks"

#: The rule name every rejection carries.
RULE = "framework-invalid"

#: At most this many problems are listed in a rejection (the first one decides message and path).
_MAX_PROBLEMS = 20

_SCHEMA_NAME = "case-package.schema.json"


@dataclass(frozen=True)
class FrameworkItem:
    """One CFItem. ``code`` is its humanCodingScheme ("SWE 4.6"); ``title`` its abbreviated statement when it
    has one, else its full statement; ``parent_id`` the identifier of the item it is a child of (None at the
    top); ``order`` its position among its siblings (1-based)."""

    id: str
    uri: str
    code: str
    title: str
    item_type: str
    parent_id: str | None
    order: int


@dataclass(frozen=True)
class FrameworkLevel:
    """One level of a rubric criterion (for the PCF: one career level of one domain). ``item_id`` is the
    item the criterion is about (None if the criterion names none); ``position`` orders levels, lowest
    first."""

    id: str
    uri: str
    item_id: str | None
    position: int
    title: str


@dataclass(frozen=True)
class FrameworkAssociation:
    """A CFAssociation other than the ``isChildOf`` tree: a mapping such as ``isRelatedTo`` or ``exactMatchOf``.
    Either end may be in another framework; :mod:`lrs.competency.mappings` resolves them across frameworks."""

    id: str
    uri: str
    association_type: str
    origin_uri: str
    destination_uri: str


@dataclass
class Framework:
    """A competency framework: the CFDocument's identity and provenance plus its items in tree order.

    ``licence`` is the licenseURI's URI when the package has one, else the "Licence: ..." line of the
    document's notes (how the built-in files state a licence status that is not an open licence), else "".
    """

    id: str
    slug: str
    title: str
    uri: str
    source_url: str
    licence: str
    items: list[FrameworkItem]
    levels: list[FrameworkLevel] = field(default_factory=list)
    associations: list[FrameworkAssociation] = field(default_factory=list)
    _by_uri: dict[str, FrameworkItem] = field(init=False, repr=False, compare=False)
    _children: dict[str | None, list[FrameworkItem]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_uri = {item.uri: item for item in self.items}
        self._children = {}
        for item in self.items:
            self._children.setdefault(item.parent_id, []).append(item)
        for siblings in self._children.values():
            siblings.sort(key=lambda i: i.order)

    def item_by_uri(self, uri: str) -> FrameworkItem | None:
        """The item whose IRI is ``uri`` (what statements cite), or None."""
        return self._by_uri.get(uri)

    def item_by_code(self, code: str) -> FrameworkItem | None:
        """The item whose humanCodingScheme is ``code`` ("KSS-PL 3"), or None."""
        return next((item for item in self.items if item.code == code), None)

    def children(self, item_id: str | None) -> list[FrameworkItem]:
        """The items directly under ``item_id``, in order; ``None`` gives the top-level items."""
        return list(self._children.get(item_id, []))

    def leaves(self) -> list[FrameworkItem]:
        """The items with no children, in tree order: what evidence is mapped to and assessed against (SWE
        sub-standards, KSS headings, PCF domains, ILM assessment criteria)."""
        return [item for item in self.items if item.id not in self._children]

    def levels_of(self, item_id: str) -> list[FrameworkLevel]:
        """The rubric levels defined for one item, lowest first (for the PCF: the nine career levels)."""
        return sorted((lv for lv in self.levels if lv.item_id == item_id), key=lambda lv: lv.position)


# --- locating the shipped files --------------------------------------------------------------------------


def _schemas_dir() -> Path:
    """The schemas/ directory (lrs.schema_files): the schema and the framework files live next to the other published
    schemas rather than hidden in the package."""
    return schemas_dir()


def schema_path() -> Path:
    """Where the CASE package JSON Schema is."""
    return _schemas_dir() / _SCHEMA_NAME


def builtin_frameworks_dir() -> Path:
    """Where the shipped framework files are (schemas/frameworks)."""
    return _schemas_dir() / "frameworks"


@functools.cache
def _validator() -> Validator:
    # jsonschema is imported here rather than at module level so that the dataclasses stay importable where
    # only they are needed.
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# --- validation ------------------------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    """Paths as the xAPI validator writes them: ``CFItems[3].uri``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _path_of(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path = _join(path, part)
    return path


def _error_path(error: ValidationError) -> str:
    """The error's location, pointing at the missing or unexpected property itself where there is one."""
    parts: list[str | int] = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = next((k for k in error.validator_value if k not in instance), None)
        if missing is not None:
            parts.append(missing)
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        extra = sorted(k for k in instance if k not in known)
        if extra:
            parts.append(extra[0])
    return _path_of(parts)


def _sort_key(path: Sequence[str | int]) -> tuple[tuple[int, int | str], ...]:
    # Array indexes compare as numbers, so CFItems[2] comes before CFItems[10].
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


def _short(message: str, limit: int = 200) -> str:
    """jsonschema quotes whole instances in some messages; keep them readable."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _reject(problems: list[Problem]) -> XAPIError:
    first = problems[0]
    return XAPIError(
        message=f"{first.path or 'package'}: {first.message}",
        status=400,
        rule=RULE,
        path=first.path,
        problems=problems[:_MAX_PROBLEMS],
    )


def _schema_problems(data: Any) -> list[Problem]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: (_sort_key(list(e.absolute_path)), e.message))
    return [Problem(RULE, _error_path(e), _short(e.message)) for e in errors]


def _structure_problems(data: dict[str, Any]) -> list[Problem]:
    """What the schema cannot say: identifiers and item URIs are unique, ``isChildOf`` edges join this
    package's own nodes (child: an item; parent: the document or an item) without cycles, and rubric
    criteria name this package's items. Other association types may point outside the package (an
    ``exactMatchOf`` to another framework's item, say)."""
    problems: list[Problem] = []
    document = data["CFDocument"]
    items: list[dict[str, Any]] = data.get("CFItems", [])
    associations: list[dict[str, Any]] = data.get("CFAssociations", [])

    seen: dict[str, str] = {document["identifier"]: "CFDocument.identifier"}

    def unique(identifier: str, path: str) -> None:
        if identifier in seen:
            problems.append(Problem(RULE, path, f"identifier {identifier} is also used at {seen[identifier]}"))
        else:
            seen[identifier] = path

    item_uris: dict[str, str] = {}
    for i, item in enumerate(items):
        unique(item["identifier"], f"CFItems[{i}].identifier")
        if item["uri"] in item_uris:
            problems.append(Problem(RULE, f"CFItems[{i}].uri", f"uri is also used at {item_uris[item['uri']]}"))
        else:
            item_uris[item["uri"]] = f"CFItems[{i}].uri"
    for a, association in enumerate(associations):
        unique(association["identifier"], f"CFAssociations[{a}].identifier")
    for r, rubric in enumerate(data.get("CFRubrics", [])):
        unique(rubric["identifier"], f"CFRubrics[{r}].identifier")
        for c, criterion in enumerate(rubric.get("CFRubricCriteria", [])):
            path = f"CFRubrics[{r}].CFRubricCriteria[{c}]"
            unique(criterion["identifier"], f"{path}.identifier")
            for lv, level in enumerate(criterion.get("CFRubricCriterionLevels", [])):
                unique(level["identifier"], f"{path}.CFRubricCriterionLevels[{lv}].identifier")

    item_ids = {item["identifier"] for item in items}
    parents: dict[str, tuple[str, int]] = {}
    for a, association in enumerate(associations):
        if association["associationType"] != "isChildOf":
            continue
        origin = association["originNodeURI"]["identifier"]
        destination = association["destinationNodeURI"]["identifier"]
        if origin not in item_ids:
            problems.append(Problem(RULE, f"CFAssociations[{a}].originNodeURI.identifier",
                                    f"isChildOf starts at {origin}, which is not an item of this package"))
        elif destination != document["identifier"] and destination not in item_ids:
            problems.append(Problem(RULE, f"CFAssociations[{a}].destinationNodeURI.identifier",
                                    f"isChildOf ends at {destination}, which is neither this package's "
                                    "CFDocument nor one of its items"))
        else:
            parents.setdefault(origin, (destination, a))

    # A mapping must concern this package: a package cannot assert links between two other frameworks.
    node_uris = {document["uri"], *item_uris}
    for a, association in enumerate(associations):
        if association["associationType"] == "isChildOf":
            continue
        if (association["originNodeURI"]["uri"] not in node_uris
                and association["destinationNodeURI"]["uri"] not in node_uris):
            problems.append(Problem(RULE, f"CFAssociations[{a}].originNodeURI.uri",
                                    f"{association['associationType']} joins two nodes outside this package; one "
                                    "end must be this package's document or one of its items"))

    cycle = _cycle(parents)
    if cycle is not None:
        problems.append(Problem(RULE, f"CFAssociations[{cycle}]", "isChildOf associations form a cycle"))

    for r, rubric in enumerate(data.get("CFRubrics", [])):
        for c, criterion in enumerate(rubric.get("CFRubricCriteria", [])):
            link = criterion.get("CFItemURI")
            if link and link["identifier"] not in item_ids:
                problems.append(Problem(RULE, f"CFRubrics[{r}].CFRubricCriteria[{c}].CFItemURI.identifier",
                                        f"names {link['identifier']}, which is not an item of this package"))
    return problems


def _cycle(parents: dict[str, tuple[str, int]]) -> int | None:
    """The index of an association that closes a cycle in the child -> parent map, or None."""
    finished: set[str] = set()
    for start in parents:
        trail: list[str] = []
        node = start
        while node in parents and node not in finished:
            if node in trail:
                return parents[node][1]
            trail.append(node)
            node = parents[node][0]
        finished.update(trail)
    return None


# --- building the Framework ------------------------------------------------------------------------------


def _slug(document: dict[str, Any]) -> str:
    """The built-in frameworks' slug is the last segment of their IRI; anything else gets one from its title."""
    uri: str = document["uri"]
    if uri.startswith(FRAMEWORKS_BASE + "/"):
        return uri[len(FRAMEWORKS_BASE) + 1 :].strip("/")
    return re.sub(r"[^a-z0-9]+", "-", document["title"].lower()).strip("-") or document["identifier"]


def _licence(document: dict[str, Any]) -> str:
    licence = document.get("licenseURI")
    if licence:
        return licence["uri"]
    for line in document.get("notes", "").splitlines():
        if line.startswith("Licence:"):
            return line[len("Licence:") :].strip()
    return ""


def _tree_order(items: list[FrameworkItem]) -> list[FrameworkItem]:
    """Depth first, siblings by order: how the framework reads on paper."""
    children: dict[str | None, list[FrameworkItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[FrameworkItem] = []

    def visit(parent: str | None) -> None:
        for child in sorted(children.get(parent, []), key=lambda i: i.order):
            ordered.append(child)
            visit(child.id)

    visit(None)
    return ordered


def load_case_package(data: dict[str, Any]) -> Framework:
    """Check a CASE 1.1 package and turn it into a :class:`Framework`.

    Raises :class:`~lrs.xapi.errors.XAPIError` (400, rule "framework-invalid") whose ``path`` is the JSON
    path of the first problem, e.g. ``CFItems[2].uri``, and whose ``problems`` list the first few.

    An item with several ``isChildOf`` parents is placed under the first one listed (CASE allows reuse; this
    model keeps one tree). Siblings are ordered by the association's ``sequenceNumber``, else by their place
    in ``CFItems``.
    """
    problems = _schema_problems(data)
    if not problems:
        problems = _structure_problems(data)
    if problems:
        raise _reject(problems)

    document = data["CFDocument"]
    raw_items: list[dict[str, Any]] = data.get("CFItems", [])
    parent_of: dict[str, tuple[str | None, int | None]] = {}
    for association in data.get("CFAssociations", []):
        if association["associationType"] != "isChildOf":
            continue
        origin = association["originNodeURI"]["identifier"]
        destination = association["destinationNodeURI"]["identifier"]
        if origin not in parent_of:
            parent = None if destination == document["identifier"] else destination
            parent_of[origin] = (parent, association.get("sequenceNumber"))

    items = []
    for index, raw in enumerate(raw_items):
        parent, sequence = parent_of.get(raw["identifier"], (None, None))
        items.append(FrameworkItem(
            id=raw["identifier"],
            uri=raw["uri"],
            code=raw.get("humanCodingScheme", ""),
            title=raw.get("abbreviatedStatement") or raw["fullStatement"],
            item_type=raw.get("CFItemType", ""),
            parent_id=parent,
            order=sequence if sequence is not None else index + 1,
        ))

    levels = []
    for rubric in data.get("CFRubrics", []):
        for criterion in rubric.get("CFRubricCriteria", []):
            item_id = (criterion.get("CFItemURI") or {}).get("identifier")
            for index, level in enumerate(criterion.get("CFRubricCriterionLevels", [])):
                levels.append(FrameworkLevel(
                    id=level["identifier"],
                    uri=level["uri"],
                    item_id=item_id,
                    position=level.get("position", index + 1),
                    title=level.get("quality") or level.get("description", ""),
                ))

    associations = [
        FrameworkAssociation(
            id=a["identifier"],
            uri=a["uri"],
            association_type=a["associationType"],
            origin_uri=a["originNodeURI"]["uri"],
            destination_uri=a["destinationNodeURI"]["uri"],
        )
        for a in data.get("CFAssociations", [])
        if a["associationType"] != "isChildOf"
    ]

    return Framework(
        id=document["identifier"],
        slug=_slug(document),
        title=document["title"],
        uri=document["uri"],
        source_url=document.get("officialSourceURL", ""),
        licence=_licence(document),
        items=_tree_order(items),
        levels=levels,
        associations=associations,
    )


def load_builtin_frameworks(directory: Path | None = None) -> list[Framework]:
    """Every framework shipped in schemas/frameworks/*.json (or ``directory``), in file-name order.

    A shipped file that fails validation, or a shipped mapping that names an item no shipped file has, is a
    packaging bug, so the error is raised rather than skipped.
    """
    folder = directory or builtin_frameworks_dir()
    frameworks = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            frameworks.append(load_case_package(data))
        except XAPIError as error:
            raise XAPIError(message=f"{path.name}: {error.message}", status=error.status, rule=error.rule,
                            path=error.path, problems=error.problems) from error
    if directory is None:
        dangling = dangling_mappings(frameworks)
        if dangling:
            framework, association, missing = dangling[0]
            raise XAPIError(message=f"{framework.slug}: mapping {association.uri} names {missing}, which no shipped "
                            "framework has", status=400, rule=RULE, path="CFAssociations")
    return frameworks


def dangling_mappings(frameworks: Iterable[Framework]) -> list[tuple[Framework, FrameworkAssociation, str]]:
    """Mappings with an end that is neither a framework's document nor one of its items: (the framework that
    holds the mapping, the mapping, the IRI that resolves to nothing)."""
    frameworks = list(frameworks)
    nodes = {f.uri for f in frameworks} | {item.uri for f in frameworks for item in f.items}
    return [
        (framework, association, end)
        for framework in frameworks
        for association in framework.associations
        for end in (association.origin_uri, association.destination_uri)
        if end not in nodes
    ]
