"""The three statement formats of a GET: exact (as stored), ids and canonical."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lrs.xapi.ifi import ifi_only

FORMATS = ("exact", "ids", "canonical")
LANGUAGE_MAP_KEYS = ("display", "name", "description")


def to_ids(statement: dict[str, Any]) -> dict[str, Any]:
    """Agents, groups, verbs and activities reduced to what identifies them."""
    out = dict(statement)
    out["actor"] = ifi_only(statement["actor"])
    out["verb"] = {"id": statement["verb"]["id"]}
    out["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        out["authority"] = ifi_only(statement["authority"])
    if "context" in statement:
        out["context"] = _context_ids(statement["context"])
    return out


def _object_ids(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {"id": obj["id"]}
    if kind in ("Agent", "Group"):
        return ifi_only(obj)
    if kind == "SubStatement":
        return to_ids(obj)
    return obj


def _context_ids(ctx: dict[str, Any]) -> dict[str, Any]:
    out = dict(ctx)
    for key in ("instructor", "team"):
        if key in ctx:
            out[key] = ifi_only(ctx[key])
    if "contextActivities" in ctx:
        out["contextActivities"] = {
            k: [_object_ids(a) for a in v] for k, v in ctx["contextActivities"].items()
        }
    if "contextAgents" in ctx:
        out["contextAgents"] = [{**e, "agent": ifi_only(e["agent"])} for e in ctx["contextAgents"]]
    if "contextGroups" in ctx:
        out["contextGroups"] = [{**e, "group": ifi_only(e["group"])} for e in ctx["contextGroups"]]
    return out


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges from an Accept-Language header, best first (q=0 ranges dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def pick_language(language_map: dict[str, str], preferred: list[str]) -> dict[str, str]:
    """Reduce a language map to one entry: the best match for the preferred ranges, else a sensible default."""
    if len(language_map) <= 1:
        return dict(language_map)
    lowered = {k.lower(): k for k in language_map}
    for wanted in preferred:
        if wanted == "*":
            break
        if wanted in lowered:
            key = lowered[wanted]
            return {key: language_map[key]}
        for low, key in lowered.items():
            if low.split("-")[0] == wanted.split("-")[0]:
                return {key: language_map[key]}
    for fallback in ("und", "en-us", "en-gb", "en"):
        if fallback in lowered:
            key = lowered[fallback]
            return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}


def to_canonical(
    statement: dict[str, Any],
    preferred_languages: list[str],
    canonical_definition: Callable[[str], dict[str, Any] | None],
) -> dict[str, Any]:
    """Activities carry the LRS's canonical definition; every language map is cut to one language."""

    def walk(value: Any, parent_key: str | None = None) -> Any:
        if isinstance(value, dict):
            if value.get("objectType", "Activity") == "Activity" and "id" in value and parent_key in (
                "object",
                "parent",
                "grouping",
                "category",
                "other",
            ):
                definition = canonical_definition(value["id"]) or value.get("definition")
                value = {**value, **({"definition": definition} if definition else {})}
            out = {}
            for key, item in value.items():
                if key in LANGUAGE_MAP_KEYS and isinstance(item, dict) and all(
                    isinstance(v, str) for v in item.values()
                ):
                    out[key] = pick_language(item, preferred_languages)
                elif key == "extensions":
                    out[key] = item
                else:
                    out[key] = walk(item, key)
            return out
        if isinstance(value, list):
            return [walk(item, parent_key) for item in value]
        return value

    return walk(statement)


def format_statement(
    statement: dict[str, Any],
    fmt: str,
    preferred_languages: list[str],
    canonical_definition: Callable[[str], dict[str, Any] | None],
) -> dict[str, Any]:
    if fmt == "ids":
        return to_ids(statement)
    if fmt == "canonical":
        return to_canonical(statement, preferred_languages, canonical_definition)
    return statement


#: The languages a report in English prefers, best first ("und": undetermined).
PREFERRED_LANGUAGES = ("en-GB", "en", "en-US", "und")


def language_text(language_map: Any) -> str:
    """The English (or else the first) text of an xAPI language map; a plain string as it is; "" otherwise."""
    if isinstance(language_map, str):
        return language_map
    if not isinstance(language_map, dict) or not language_map:
        return ""
    for tag in PREFERRED_LANGUAGES:
        if isinstance(language_map.get(tag), str):
            return language_map[tag]
    first = next(iter(language_map.values()))
    return first if isinstance(first, str) else ""
