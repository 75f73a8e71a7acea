"""Which framework is the qualification, and its units and criteria.

A qualification is a CASE package whose top-level items are units (ILM: unit -> learning outcome -> assessment
criterion). What is assessed is every leaf item; a unit is the set of leaves under one top-level item, and a
top-level item that is itself a leaf is its own one-criterion unit, so any framework can be exported this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lrs.hookspecs import CFPackage, ExportOptionError, ExportRecord
from lrs.plugin_api import FRAMEWORKS_BASE

OPTION = "qualification"


@dataclass(frozen=True)
class Node:
    """One CFItem placed in the tree."""

    uri: str
    code: str
    title: str
    item_type: str


@dataclass(frozen=True)
class CriterionNode:
    """A leaf item (an assessment criterion) and the learning outcome above it, when there is one."""

    node: Node
    outcome: Node | None


@dataclass(frozen=True)
class UnitNode:
    node: Node
    criteria: tuple[CriterionNode, ...]


@dataclass(frozen=True)
class Qualification:
    uri: str
    slug: str
    title: str
    code: str
    units: tuple[UnitNode, ...]

    def criteria(self) -> list[CriterionNode]:
        return [c for unit in self.units for c in unit.criteria]


def framework_slug(document: dict[str, Any]) -> str:
    """The slug the LRS lists a framework under (the same rule as lrs.competency.frameworks): the path below
    the project's frameworks base for the built-in ones, otherwise one made from the title."""
    uri: str = document["uri"]
    if uri.startswith(FRAMEWORKS_BASE + "/"):
        return uri[len(FRAMEWORKS_BASE) + 1 :].strip("/")
    return re.sub(r"[^a-z0-9]+", "-", document["title"].lower()).strip("-") or document["identifier"]


def _names(document: dict[str, Any]) -> set[str]:
    """Every spelling a user may give for a framework: its URI, its slug, and the last segment of its URI."""
    uri: str = document["uri"]
    return {uri, uri.rstrip("/"), framework_slug(document), uri.rstrip("/").rsplit("/", 1)[-1]}


def _kind(item_type: str) -> str:
    # CASE leaves CFItemType free text: "Learning Outcome", "LearningOutcome" and "learning-outcome" all occur.
    return re.sub(r"[^a-z]", "", item_type.lower())


def is_qualification(package: CFPackage) -> bool:
    """A package that describes a qualification: typed so by its document, or made of units."""
    document = package["CFDocument"]
    if "qualification" in str(dict(document).get("frameworkType", "")).lower():
        return True
    if framework_slug(dict(document)).startswith("ilm-"):
        return True
    return any(_kind(item.get("CFItemType", "")) == "unit" for item in package.get("CFItems", []))


def build_qualification(package: CFPackage) -> Qualification:
    """The package's tree: top-level items in order, each with its leaves in reading order (depth first)."""
    document = package["CFDocument"]
    items = package.get("CFItems", [])
    by_id = {item["identifier"]: item for item in items}
    parent: dict[str, str | None] = {}
    order: dict[str, tuple[int, int]] = {}
    for association in package.get("CFAssociations", []):
        if association["associationType"] != "isChildOf":
            continue
        child = association["originNodeURI"]["identifier"]
        if child not in by_id or child in parent:
            continue  # CASE allows an item under several parents; the first one listed places it, as in the LRS
        destination = association["destinationNodeURI"]["identifier"]
        parent[child] = destination if destination in by_id else None
        if "sequenceNumber" in association:
            order[child] = (0, association["sequenceNumber"])
    position = {item["identifier"]: index for index, item in enumerate(items)}
    children: dict[str | None, list[str]] = {}
    for item in items:
        children.setdefault(parent.get(item["identifier"]), []).append(item["identifier"])
    for siblings in children.values():
        siblings.sort(key=lambda i: order.get(i, (1, position[i])))

    def node(identifier: str) -> Node:
        raw = by_id[identifier]
        return Node(
            uri=raw["uri"],
            code=raw.get("humanCodingScheme", ""),
            title=raw.get("abbreviatedStatement") or raw["fullStatement"],
            item_type=raw.get("CFItemType", ""),
        )

    def leaves(identifier: str, outcome: Node | None, seen: frozenset[str]) -> Iterable[CriterionNode]:
        below = [c for c in children.get(identifier, []) if c not in seen]
        if not below:
            yield CriterionNode(node(identifier), outcome)
            return
        for child in below:
            # The outcome shown above a criterion is its nearest non-leaf ancestor below the unit.
            has_children = bool(children.get(child))
            yield from leaves(child, node(child) if has_children else outcome, seen | {child})

    units = []
    for top in children.get(None, []):
        criteria = tuple(leaves(top, None, frozenset({top})))
        units.append(UnitNode(node(top), criteria))
    codes = [u.node.code for u in units if u.node.code]
    return Qualification(
        uri=document["uri"],
        slug=framework_slug(dict(document)),
        title=document["title"],
        code=_common_code(codes) or framework_slug(dict(document)),
        units=tuple(units),
    )


def _common_code(codes: list[str]) -> str:
    """The qualification's own code as its units spell it: "Template L5 U1", "Template L5 U2" -> "Template L5"."""
    if len(codes) < 2:
        return ""
    prefix = []
    for words in zip(*(code.split() for code in codes), strict=False):
        if len(set(words)) != 1:
            break
        prefix.append(words[0])
    return " ".join(prefix)


def _criteria_with_activity(record: ExportRecord, package: CFPackage) -> int:
    """How many of the package's leaves have evidence linked or a decision recorded: the measure for the default."""
    qualification = build_qualification(package)
    leaf_uris = {c.node.uri for c in qualification.criteria()}
    statement_ids = {s["id"] for s in record.statements}
    active = {
        link.item
        for sid, links in record.links.items()
        if sid in statement_ids
        for link in links
        if link.framework == qualification.uri and link.item in leaf_uris
    }
    active |= {d.criterion for d in record.decisions if d.criterion in leaf_uris}
    active |= {uri for uri in leaf_uris if (review := record.criteria.get(uri)) and review.evidence}
    return len(active)


def _known(record: ExportRecord) -> list[str]:
    candidates = [p for p in record.frameworks.values() if is_qualification(p)] or list(record.frameworks.values())
    return sorted(framework_slug(dict(p["CFDocument"])) for p in candidates)


def choose_qualification(record: ExportRecord, requested: str | None) -> Qualification:
    """The qualification named by the option (slug, URI or last URI segment), or the default: the qualification
    with the most criteria the learner has evidence or decisions for. Raises ExportOptionError("qualification")."""
    known = _known(record)
    listing = ", ".join(known) or "none are installed"
    if requested:
        wanted = requested.strip()
        for package in record.frameworks.values():
            if wanted in _names(dict(package["CFDocument"])):
                if not is_qualification(package):
                    title = dict(package["CFDocument"]).get("title") or wanted
                    raise ExportOptionError(
                        OPTION,
                        f"{title!r} is a professional standards framework, not a qualification with units and "
                        f"assessment criteria, so it cannot be an ILM portfolio; name one of: {listing}",
                    )
                return build_qualification(package)
        raise ExportOptionError(OPTION, f"unknown qualification {requested!r}; name one of: {listing}")
    scored = sorted(
        ((_criteria_with_activity(record, p), framework_slug(dict(p["CFDocument"])), p)
         for p in record.frameworks.values() if is_qualification(p)),
        key=lambda entry: (-entry[0], entry[1]),
    )
    if not scored or scored[0][0] == 0:
        raise ExportOptionError(
            OPTION,
            "this learner has no evidence or assessment decisions against any qualification yet, so there is no "
            f"default; name one of: {listing}",
        )
    return build_qualification(scored[0][2])
