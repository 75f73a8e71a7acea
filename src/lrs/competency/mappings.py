"""Mappings between frameworks: which items of other frameworks an item is mapped to.

A mapping is a CASE association other than ``isChildOf`` (``isRelatedTo``, ``exactMatchOf``, ...) kept in one
framework's package with its other end in another framework (schemas/frameworks/generate.py ships the
project's KSS / PCF / SWE / centre-template mappings that way). Every mapping is resolved both ways, so asking
about a PCF domain finds the KSS headings that point at it. Pure Python: frameworks in, items out; the
frameworks in force come from :func:`lrs.competency.evidence.registry`, which reads imports through lrs.store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lrs.competency.frameworks import Framework, FrameworkItem


@dataclass(frozen=True)
class MappedItem:
    """An item of another framework that an item maps to. ``direction`` is "outgoing" when the association
    starts at the item asked about, "incoming" when it ends there."""

    framework: Framework
    item: FrameworkItem
    association_type: str
    direction: str


class MappingIndex:
    """Every mapping among a set of frameworks, indexed by item IRI in both directions."""

    def __init__(self, frameworks: Iterable[Framework]):
        self.frameworks = list(frameworks)
        self._item: dict[str, tuple[Framework, FrameworkItem]] = {
            item.uri: (framework, item) for framework in self.frameworks for item in framework.items
        }
        self._edges: dict[str, list[tuple[str, str, str]]] = {}
        for framework in self.frameworks:
            for association in framework.associations:
                origin, destination = association.origin_uri, association.destination_uri
                kind = association.association_type
                self._edges.setdefault(origin, []).append((destination, kind, "outgoing"))
                self._edges.setdefault(destination, []).append((origin, kind, "incoming"))

    def mapped_items(self, item_uri: str) -> list[MappedItem]:
        """Items of other frameworks that ``item_uri`` maps to, either way, once each, in the order the
        frameworks list them. Ends naming an item no framework in the index has are left out."""
        found: dict[str, MappedItem] = {}
        home = self._item.get(item_uri)
        for other_uri, kind, direction in self._edges.get(item_uri, []):
            resolved = self._item.get(other_uri)
            if resolved is None or other_uri in found:
                continue
            framework, item = resolved
            if home is not None and framework.uri == home[0].uri:
                continue  # a mapping inside one framework is not a cross-framework link
            found[other_uri] = MappedItem(framework, item, kind, direction)
        order = {item.uri: n for n, item in enumerate(i for f in self.frameworks for i in f.items)}
        return sorted(found.values(), key=lambda m: order[m.item.uri])


def mapped_items(frameworks: Iterable[Framework], item_uri: str) -> list[MappedItem]:
    """Which items in other frameworks ``item_uri`` maps to (both directions). Build a :class:`MappingIndex`
    once instead when asking about many items."""
    return MappingIndex(frameworks).mapped_items(item_uri)
