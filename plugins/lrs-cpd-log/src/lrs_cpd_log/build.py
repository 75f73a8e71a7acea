"""From a participant's statements to the pieces of their CPD log.

One piece per learning activity: the statements about the same activity (an LMS saying the participant attended a
residential, and the participant's own journal reflection on it) become one piece, so the LMS supplies the fact
and the participant the reflective answers. Session plumbing (launched, initialized, ...) is not CPD.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from lrs.hookspecs import ExportRecord
from lrs.plugin_api import vocabulary as v
from lrs_cpd_log.model import CPDLog, CPDPiece, PeerReflection, check_readiness, registration_year

#: Verbs that record the mechanics of a session rather than a piece of learning.
PLUMBING_VERBS = {
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/initialized",
    "http://adlnet.gov/expapi/verbs/terminated",
    "http://adlnet.gov/expapi/verbs/suspended",
    "http://adlnet.gov/expapi/verbs/resumed",
    "http://adlnet.gov/expapi/verbs/exited",
    "http://adlnet.gov/expapi/verbs/progressed",
    "http://adlnet.gov/expapi/verbs/interacted",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/registered",
    "https://w3id.org/xapi/adl/verbs/logged-in",
    "https://w3id.org/xapi/adl/verbs/logged-out",
    v.VERB_ACCEPTED,
    v.VERB_REFERRED,
}

PREFERRED_LANGUAGES = ("en-GB", "en", "en-US", "und")


def text_of(language_map: Any) -> str:
    """The English (or only) text of a language map."""
    if not isinstance(language_map, dict) or not language_map:
        return ""
    for tag in PREFERRED_LANGUAGES:
        if isinstance(language_map.get(tag), str):
            return language_map[tag]
    first = next(iter(language_map.values()))
    return first if isinstance(first, str) else ""


def type_label(type_iri: str | None) -> str:
    """A readable name for an activity type IRI, e.g. ".../action-learning-set" -> "Action learning set"."""
    if not type_iri:
        return "Learning activity"
    slug = type_iri.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    return slug[:1].upper() + slug[1:]


def agent_label(agent: Any) -> str:
    if isinstance(agent, str):
        return agent
    if not isinstance(agent, dict):
        return ""
    name = agent.get("name") or ""
    ifi = agent.get("mbox", "").removeprefix("mailto:") or (agent.get("account") or {}).get("name", "")
    return f"{name} ({ifi})" if name and ifi else name or ifi


def default_year(today: date) -> int:
    """The registration year in progress: from 1 December it is the next calendar year's."""
    return today.year + 1 if today.month == 12 else today.year


def _date(statement: dict[str, Any]) -> date:
    return datetime.fromisoformat(statement.get("timestamp") or statement["stored"]).date()


def _item_codes(record: ExportRecord) -> dict[str, str]:
    """Framework item IRI -> its human code ("SWE 4.6"), for every framework the record carries."""
    codes: dict[str, str] = {}
    for package in record.frameworks.values():
        for item in package.get("CFItems", []):
            codes[item["uri"]] = item.get("humanCodingScheme") or item.get("abbreviatedStatement") or item["uri"]
    return codes


def _standards(statements: Iterable[dict[str, Any]], record: ExportRecord, codes: dict[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for s in statements:
        iris = [link.item for link in record.links.get(s["id"], [])]
        iris += (s.get("context") or {}).get("extensions", {}).get(v.EXT_STANDARDS, []) or []
        for iri in iris:
            label = codes.get(iri, iri)
            if label not in found:
                found.append(label)
    return tuple(found)


def build_pieces(record: ExportRecord, start: date, end: date) -> list[CPDPiece]:
    codes = _item_codes(record)
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in record.statements:
        obj = s.get("object") or {}
        if s["verb"]["id"] in PLUMBING_VERBS or obj.get("objectType", "Activity") != "Activity":
            continue
        if not start <= _date(s) <= end:
            continue
        is_reflection = s["verb"]["id"] == v.VERB_REFLECTED
        if record.modes.get(s["id"]) is None and not is_reflection:
            continue
        groups.setdefault(obj["id"], []).append(s)

    pieces = []
    for statements in groups.values():
        statements.sort(key=lambda s: s.get("timestamp") or s["stored"])
        # What the LMS says of the activity (its type and name) wins over the journal's generic type; the
        # participant's own description (why it was relevant) wins over the LMS's.
        facts: dict[str, Any] = {}
        notes: dict[str, Any] = {}
        for s in statements:
            target = notes if s["verb"]["id"] == v.VERB_REFLECTED else facts
            target.update(s["object"].get("definition") or {})
        definition = {**notes, **facts}
        description = text_of(notes.get("description")) or text_of(facts.get("description"))
        reflections = [s for s in statements if s["verb"]["id"] == v.VERB_REFLECTED] or statements
        learned = impact = peer = peer_learned = ""
        for s in reflections:
            result = s.get("result") or {}
            extensions = result.get("extensions") or {}
            context_ext = (s.get("context") or {}).get("extensions") or {}
            learned = learned or result.get("response") or extensions.get(v.EXT_REFLECTION) or ""
            impact = impact or extensions.get(v.EXT_IMPACT) or ""
            peer = peer or agent_label(context_ext.get(v.EXT_PEER))
            peer_learned = peer_learned or context_ext.get(v.EXT_PEER_REFLECTION) or ""
        mode = next((record.modes[s["id"]] for s in statements if record.modes.get(s["id"])), None)
        pieces.append(
            CPDPiece(
                statement_id=reflections[0]["id"],
                date=_date(statements[0]),
                activity_type=type_label(definition.get("type")),
                title=text_of(definition.get("name")) or statements[0]["object"]["id"],
                description=description,
                learned=learned,
                impact=impact,
                peer_reflection=PeerReflection(peer or "a peer", peer_learned) if peer_learned else None,
                standards=_standards(statements, record, codes),
                mode=mode,
            )
        )
    pieces.sort(key=lambda p: (p.date, p.title))
    return pieces


def build_log(record: ExportRecord, year: int, today: date | None = None) -> CPDLog:
    start, end = registration_year(year)
    pieces = build_pieces(record, start, end)
    label = f"{start.year}–{str(end.year)[-2:]}"
    return CPDLog(
        participant_name=record.agent.get("name") or agent_label(record.agent),
        participant_id=agent_label({k: val for k, val in record.agent.items() if k != "name"}) or record.agent_key,
        period_start=start,
        period_end=end,
        pieces=tuple(pieces),
        readiness=check_readiness(pieces, label),
        generated_on=today or date.today(),
    )
