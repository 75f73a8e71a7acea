"""Frameworks in force and the evidence statements give for their items.

A statement evidences an item when it says so (the item's IRI in ``context.contextActivities.category``, or in
the ``standards`` context extension that journal entries use), or when a plugin's ``lrs_competency_links`` says
so. Links are derived data: kept in an indexed table for the evidence matrix, remade by ``rebuild``.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrs.competency.frameworks import Framework, load_case_package
from lrs.competency.mappings import MappedItem, MappingIndex
from lrs.competency.types import CompetencyLink
from lrs.learning.vocabulary import EXT_EVIDENCE_TYPE, EXT_STANDARDS, VERB_RECORDED_ASSESSMENT
from lrs.plugins import call_each
from lrs.store import evidence as store
from lrs.store.db import batches_in_store_order
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.formats import language_text
from lrs.xapi.ifi import agent_key

if TYPE_CHECKING:
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass
class Registry:
    """Every framework in force, by URI, and which framework each item IRI belongs to."""

    frameworks: dict[str, Framework]
    packages: dict[str, dict[str, Any]]
    item_framework: dict[str, str]
    version: tuple[int, str]

    def lookup(self, name: str) -> Framework | None:
        """The framework a URI or a slug names (the URI first), or None."""
        return self.frameworks.get(name) or next((f for f in self.frameworks.values() if f.slug == name), None)

    def find(self, name: str) -> Framework:
        """:meth:`lookup`, or a 404 naming the frameworks in force."""
        found = self.lookup(name)
        if found is None:
            from lrs.xapi.errors import NotFound

            known = ", ".join(sorted(f.slug for f in self.frameworks.values()))
            raise NotFound(f"no framework {name!r} (known: {known})", rule="framework", path="framework")
        return found

    @functools.cached_property
    def mappings(self) -> MappingIndex:
        """The mappings among the frameworks in force, built on first use."""
        return MappingIndex(self.frameworks.values())


def mapped_items(lrs: LRS, item_uri: str) -> list[MappedItem]:
    """Which items in other frameworks in force the item at ``item_uri`` maps to (either direction)."""
    return registry(lrs).mappings.mapped_items(item_uri)


def registry(lrs: LRS, version: tuple[int, str] | None = None) -> Registry:
    """Frameworks from plugins (the built-ins among them) and from imports, reloaded when an import happened.

    ``version``: the store's imported_version when the caller has just read it (in its own transaction)."""
    if version is None:
        with lrs.db.read() as conn:
            version = store.imported_version(conn)
    cached: Registry | None = lrs.__dict__.get("_framework_registry")
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        packages: dict[str, dict[str, Any]] = {}
        for plugin, answer in call_each(lrs.pm, "lrs_frameworks"):
            for package in answer or []:
                uri = package["CFDocument"]["uri"]
                if uri in packages:
                    log.warning("framework %s from %s ignored: another plugin gives it", uri, plugin)
                    continue
                packages[uri] = package
        with lrs.db.read() as conn:
            for package in store.imported_packages(conn):
                packages[package["CFDocument"]["uri"]] = package  # an import replaces a shipped framework
        frameworks = {}
        for uri, package in packages.items():
            try:
                frameworks[uri] = load_case_package(package)
            except Exception:  # one broken package must not hide the others
                log.exception("framework %s could not be loaded", uri)
        item_framework = {item.uri: uri for uri, fw in frameworks.items() for item in fw.items}
        built = Registry(frameworks, {u: packages[u] for u in frameworks}, item_framework, version)
        lrs.__dict__["_framework_registry"] = built
        return built


def stated_items(statement: dict[str, Any]) -> list[str]:
    """Item IRIs a statement names itself: category context activities and the standards extension."""
    ctx = statement.get("context") or {}
    category = (ctx.get("contextActivities") or {}).get("category") or []
    if not isinstance(category, list):
        category = [category]  # a single Activity object is allowed on input (context_activities)
    iris = [a.get("id") for a in category if isinstance(a, dict)]
    standards = (ctx.get("extensions") or {}).get(EXT_STANDARDS)
    if isinstance(standards, list):
        iris += [s for s in standards if isinstance(s, str)]
    return [i for i in iris if isinstance(i, str)]


def _stated_iris(statements: list[dict[str, Any]]) -> set[str]:
    """Every IRI that :func:`stated_items` gives for any of these statements, in one pass."""
    iris: set[str] = set()
    for statement in statements:
        ctx = statement.get("context") or {}
        category = (ctx.get("contextActivities") or {}).get("category") or []
        if not isinstance(category, list):
            category = [category]
        iris.update([iri for a in category if isinstance(a, dict) and isinstance(iri := a.get("id"), str)])
        standards = (ctx.get("extensions") or {}).get(EXT_STANDARDS)
        if isinstance(standards, list):
            iris.update([s for s in standards if isinstance(s, str)])
    return iris


def links_for(lrs: LRS, statement: dict[str, Any], reg: Registry | None = None) -> list[CompetencyLink]:
    """What a statement evidences, in frameworks the LRS knows: stated items plus plugins' rules (nothing for an
    assessor's record that no assessor of the learner made: see :func:`_recorded_by_an_assessor_of`)."""
    if _is_assessor_record(statement):
        learner = evidence_learner(statement)
        if not learner or not _recorded_by_an_assessor_of(lrs, statement, learner):
            return []
    return _known_links(reg or registry(lrs), *_claimed_links(lrs, statement))


def _claimed_links(lrs: LRS, statement: dict[str, Any]) -> tuple[list[str], list[CompetencyLink]]:
    """The item IRIs a statement names and the links plugins give it, before checking them against the
    frameworks in force."""
    by_plugins = [
        CompetencyLink(*pair)
        for _plugin, answer in call_each(lrs.pm, "lrs_competency_links", statement=statement)
        for pair in answer or []
    ]
    return stated_items(statement), by_plugins


def _known_links(reg: Registry, stated: list[str], by_plugins: list[CompetencyLink]) -> list[CompetencyLink]:
    links = [CompetencyLink(reg.item_framework[iri], iri) for iri in stated if iri in reg.item_framework]
    for link in by_plugins:
        fw = reg.frameworks.get(link.framework)
        if fw is None or fw.item_by_uri(link.item) is None:
            log.warning("ignoring a link to unknown framework item %s", link.item)
            continue
        links.append(link)
    return list(dict.fromkeys(links))


def _is_assessor_record(statement: dict[str, Any]) -> bool:
    obj = statement.get("object") or {}
    return (statement.get("verb") or {}).get("id") == VERB_RECORDED_ASSESSMENT and obj.get("objectType") in (
        None, "Agent")


def _recorded_by_an_assessor_of(lrs: LRS, statement: dict[str, Any], learner: str) -> bool:
    """An assessor's record of a learner (an observation or professional discussion) is the learner's evidence only
    when an assessor credential of the learner's cohort stored it, in its own name, on someone else's practice: the
    rules of POST /api/observations, so that nobody else (the learner, a client writing in the assessor's name)
    makes a record that the portfolio shows as "Recorded by the assessor". Judged by the credential as it is now,
    like review decisions (``lrs evidence rebuild``)."""
    from lrs.services import access
    from lrs.store import enrolments

    account = (statement.get("authority") or {}).get("account") or {}
    key = account.get("name") if account.get("homePage") == lrs.settings.authority_home_page else None
    principal = lrs.principal_for(key) if isinstance(key, str) else None
    if principal is None or principal.role != access.ASSESSOR or principal.agent_key == learner:
        return False
    if principal.agent_key and principal.agent_key != agent_key(statement.get("actor") or {}):
        return False
    with lrs.db.read() as conn:
        return enrolments.learner_in_cohorts(conn, learner, principal.cohorts)


def evidence_learner(statement: dict[str, Any]) -> str | None:
    """Whose evidence a statement is: its actor's, except an assessor's recorded observation or professional
    discussion (verb recorded-assessment), which is the evidence of the learner it names as object."""
    obj = statement.get("object") or {}
    if (statement.get("verb") or {}).get("id") == VERB_RECORDED_ASSESSMENT and obj.get("objectType") in (None, "Agent"):
        return agent_key(obj)
    return agent_key(statement.get("actor") or {})


def _evidence_type(statement: dict[str, Any]) -> str | None:
    """The evidence type the statement names (its evidence-type context extension), kept with its links."""
    extensions = (statement.get("context") or {}).get("extensions") or {}
    found = extensions.get(EXT_EVIDENCE_TYPE) if isinstance(extensions, dict) else None
    return found if isinstance(found, str) else None


def link_statements(
    lrs: LRS, statements: list[dict[str, Any]], *, replace: bool = True, frameworks_version: tuple[int, str] | None = None
) -> int:
    """Remake the links of these (stored) statements. Returns how many links they now have.

    ``replace=False`` is for statements just stored: when none of them evidences anything there is nothing to
    remove either, so no transaction is spent (most LMS statements link to no framework), and when none even
    names an item the frameworks in force are not looked up. ``frameworks_version``: see :func:`registry`."""
    claims = []
    # Most LMS statements name no framework item (a category is usually a profile) and no plugin gives links:
    # then a statement is passed over after a look-up of its category IRIs among the items in force, without
    # working out whose evidence it is (the frameworks in force are looked up once a batch, and only when a
    # statement names anything).
    linkers = bool(lrs.pm.hook.lrs_competency_links.get_hookimpls())
    reg: Registry | None = None
    if not linkers and not replace:
        # Statements just stored: the whole batch's named IRIs first, looked up among the items in force at
        # once. None in force (the usual batch), nothing to link and nothing to remove.
        named = _stated_iris(statements)
        if not named:
            return 0
        reg = registry(lrs, frameworks_version)
        if reg.item_framework.keys().isdisjoint(named):
            return 0
    for statement in statements:
        if not linkers:
            stated = stated_items(statement)
            if not stated:
                continue
            if reg is None:
                reg = registry(lrs, frameworks_version)
            if not any(iri in reg.item_framework for iri in stated):
                continue
        if statement.get("verb", {}).get("id") == VOIDED_VERB:
            continue
        learner = evidence_learner(statement)
        if not learner:
            continue
        if _is_assessor_record(statement) and not _recorded_by_an_assessor_of(lrs, statement, learner):
            continue
        stated, by_plugins = _claimed_links(lrs, statement)
        if stated or by_plugins:
            claims.append((statement["id"], learner, stated, by_plugins))
    rows = []
    if claims:
        reg = reg or registry(lrs, frameworks_version)
        types = {s["id"]: _evidence_type(s) for s in statements}
        rows = [
            {"statement_id": statement_id, "agent_key": learner, "framework_uri": f, "item_uri": i,
             "evidence_type": types.get(statement_id)}
            for statement_id, learner, stated, by_plugins in claims
            for f, i in _known_links(reg, stated, by_plugins)
        ]
    ids = [s["id"] for s in statements]
    if rows or replace:
        lrs.db.write(lambda conn: store.replace_links(conn, ids, rows))
    return len(rows)


def rebuild(
    lrs: LRS, batch_size: int = 1000, *, on_progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Drop every link and derive them again from the stored statements; ``on_progress(n)`` after each batch of
    ``n`` statements."""
    lrs.db.write(store.clear_links)
    examined, linked = 0, 0
    for batch in batches_in_store_order(lrs.db, store.statements_after, batch_size):
        linked += link_statements(lrs, [payload for _, payload in batch])
        examined += len(batch)
        if on_progress is not None:
            on_progress(len(batch))
    return {"statements": examined, "links": linked}


def import_framework(lrs: LRS, data: Any) -> tuple[Framework, bool]:
    """Check a CASE package and keep it. Returns the framework and whether it replaced one of the same URI."""
    from lrs.xapi.errors import XAPIError

    if not isinstance(data, dict):
        raise XAPIError("a framework is a CASE package (a JSON object)", rule="framework-invalid", path="")
    framework = load_case_package(data)
    replaced = lrs.db.write(lambda conn: store.save_framework(conn, framework.uri, framework.slug, data))
    lrs.__dict__.pop("_framework_registry", None)
    return framework, replaced


def import_units(lrs: LRS, data: Any) -> tuple[Framework, bool]:
    """Import a centre's units file (schemas/centre-units.schema.json) as a framework; see :func:`import_framework`.
    Rejections carry rule "units-invalid" and the field path."""
    from lrs.competency.units import units_package

    return import_framework(lrs, units_package(data))



def evidence_matrix(lrs: LRS, learner: str, framework_uri: str) -> dict[str, Any]:
    """For each item of the framework: the learner's evidence (statement id, date, mode, title, reflection
    excerpt), and which items have none."""
    reg = registry(lrs)
    framework = reg.find(framework_uri)
    # Evidence linked to an item another framework maps to shows here too ("mapped_evidence"): one query per
    # framework that has mapped items, on the (agent_key, framework_uri) index the direct evidence uses.
    maps_to = {item.uri: reg.mappings.mapped_items(item.uri) for item in framework.items}
    other_frameworks = list(dict.fromkeys(m.framework.uri for found in maps_to.values() for m in found))
    with lrs.db.read() as conn:
        rows = store.evidence_for(conn, learner, framework.uri)
        other_rows = [row for uri in other_frameworks for row in store.evidence_for(conn, learner, uri)]
    by_item = _evidence_by_item(rows)
    other_by_item = _evidence_by_item(other_rows)
    items = []
    for item in framework.items:
        direct = by_item.get(item.uri, [])
        direct_ids = {e["statement_id"] for e in direct}
        mapped_evidence: dict[str, dict[str, Any]] = {}
        for mapped in maps_to[item.uri]:
            for entry in other_by_item.get(mapped.item.uri, []):
                if entry["statement_id"] in direct_ids or entry["statement_id"] in mapped_evidence:
                    continue
                mapped_evidence[entry["statement_id"]] = {
                    **entry, "via": {"uri": mapped.item.uri, "code": mapped.item.code,
                                     "framework": mapped.framework.slug},
                }
        items.append({
            "uri": item.uri,
            "code": item.code,
            "title": item.title,
            "type": item.item_type,
            "parent": next((p.uri for p in framework.items if p.id == item.parent_id), None),
            "evidence": direct,
            "maps_to": [
                {"uri": m.item.uri, "code": m.item.code, "title": m.item.title, "framework": m.framework.slug,
                 "association": m.association_type}
                for m in maps_to[item.uri]
            ],
            "mapped_evidence": list(mapped_evidence.values()),
        })
    leaves = {item.uri for item in framework.leaves()}
    return {
        "agent": learner,
        "framework": {"uri": framework.uri, "slug": framework.slug, "title": framework.title},
        "items": items,
        "without_evidence": [i["code"] for i in items if i["uri"] in leaves and not i["evidence"]],
        "evidenced": sum(1 for i in items if i["evidence"]),
        "evidenced_through_mappings": sum(1 for i in items if i["mapped_evidence"] and not i["evidence"]),
    }


def _evidence_by_item(rows: list[tuple[str, dict[str, Any], str | None]]) -> dict[str, list[dict[str, Any]]]:
    """Evidence rows (item IRI, statement, learning mode) as the matrix lists them, by item IRI."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for item_uri, statement, mode in rows:
        result = statement.get("result") or {}
        reflection = result.get("response") or ""
        definition = (statement.get("object") or {}).get("definition") or {}
        by_item.setdefault(item_uri, []).append(
            {
                "statement_id": statement["id"],
                "date": (statement.get("timestamp") or statement["stored"])[:10],
                "mode": mode,
                "title": language_text(definition.get("name")) or statement["object"].get("id"),
                "verb": statement["verb"]["id"],
                "reflection_excerpt": reflection[:280] + ("…" if len(reflection) > 280 else ""),
            }
        )
    return by_item
