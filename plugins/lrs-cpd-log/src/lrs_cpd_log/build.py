"""From a participant's statements to the pieces of their CPD log.

One piece per occurrence of a learning activity: the statements about the same activity on the same day (an LMS
saying the participant attended a residential) are one piece, and the participant's own journal reflection joins
the occurrence it names (context.statement, a StatementRef to the LMS's statement: "reflect on this"), else the
latest occurrence of its activity on or before the day it was written, so the LMS supplies the fact and the
participant the reflective answers. Session plumbing (launched, initialized, ...) is not CPD; ILM assessment
evidence (witness testimonies, work products, ...) is not either, unless the participant selects it.

Which records go to the regulator is the participant's choice, recorded as xAPI statements about the record's
statement (see docs/profile.md, "CPD selection"): selected-for-cpd, submitted-cpd (its timestamp is the date
submitted) and deselected-for-cpd (back to draft); the latest wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lrs.hookspecs import ExportRecord
from lrs.plugin_api import language_text as text_of
from lrs.plugin_api import vocabulary as v
from lrs_cpd_log.model import (
    DRAFT,
    QUESTIONS,
    SELECTED,
    SUBMITTED,
    CPDLog,
    CPDPiece,
    PeerReflection,
    category_labels,
    check_readiness,
    made,
    rules_for,
)

#: The participant's choice of records for the regulator: statements whose object is a StatementRef to the
#: record's statement. Minted in the project's profile (schemas/profiles/social-work-leadership.jsonld).
VERB_SELECTED_FOR_CPD = f"{v.VERBS}selected-for-cpd"
VERB_SUBMITTED_CPD = f"{v.VERBS}submitted-cpd"
VERB_DESELECTED_FOR_CPD = f"{v.VERBS}deselected-for-cpd"
STATUS_VERBS = {VERB_SELECTED_FOR_CPD: SELECTED, VERB_SUBMITTED_CPD: SUBMITTED, VERB_DESELECTED_FOR_CPD: DRAFT}

#: Verbs that record the mechanics of a session, or an assessment decision, rather than a piece of learning.
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
    v.VERB_CONFIRMED,
    v.VERB_OVERTURNED,
    *STATUS_VERBS,
}

#: Portfolio evidence that is an assessment artefact rather than a reflection on learning: it stays out of the
#: regulator's log unless the participant selects it.
ASSESSMENT_EVIDENCE_TYPES = frozenset(set(v.EVIDENCE_TYPES) - {"reflective-account"})
ASSESSMENT_ACTIVITY_TYPES = frozenset({v.TYPE_EVIDENCE, v.TYPE_ASSESSMENT_CRITERION})

_REFLECTED = v.VERB_REFLECTED
_IFI_KEYS = frozenset({"mbox", "mbox_sha1sum", "openid", "account"})
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:\S*$", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")


@lru_cache(maxsize=1024)
def category(type_iri: str | None) -> str:
    """The CPD category Social Work England's form would show for an activity type IRI (the few types a store
    holds each worked out once)."""
    labels, fallback = category_labels()
    if not type_iri:
        return fallback
    return labels.get(type_iri.rstrip("/").rsplit("/", 1)[-1], fallback)


def person_name(agent: Any) -> str:
    """A person's name only: never an email address, account or other identifier (the form asks for none)."""
    if not isinstance(agent, dict):
        return ""
    name = agent.get("name")
    return _plain_name(name) if name else ""


@lru_cache(maxsize=4096)
def _plain_name(name: str) -> str:
    # The same few names recur in every statement of a record (the participant's, the LMS's): each is looked
    # at once (a cohort's readiness asks about thousands).
    name = name.strip()
    return "" if _EMAIL.search(name) or _IRI.match(name) else name


def default_year(today: date) -> int:
    """The registration year in progress: from 1 December it is the next calendar year's."""
    return today.year + 1 if today.month == 12 else today.year


def _when(statement: dict[str, Any]) -> str:
    return statement.get("timestamp") or statement["stored"]


def _date(statement: dict[str, Any]) -> date:
    return datetime.fromisoformat(_when(statement)).date()


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _is_reflection(statement: dict[str, Any]) -> bool:
    return statement["verb"]["id"] == v.VERB_REFLECTED


def _context_ext(statement: dict[str, Any]) -> dict[str, Any]:
    return (statement.get("context") or {}).get("extensions") or {}


def _statuses(statements: Iterable[dict[str, Any]]) -> dict[str, tuple[str, date | None]]:
    """Statement id -> (status, date submitted) from the participant's latest selection statement about it."""
    found: dict[str, tuple[str, str, date | None]] = {}
    for s in statements:
        status = STATUS_VERBS.get(s["verb"]["id"])
        if status is None:
            continue
        target = s.get("object") or {}
        if target.get("objectType") != "StatementRef":
            continue
        when = _when(s)
        if target["id"] not in found or when >= found[target["id"]][0]:
            found[target["id"]] = (when, status, _date(s) if status == SUBMITTED else None)
    return {sid: (status, day) for sid, (_, status, day) in found.items()}


def _frameworks_of_items(record: ExportRecord) -> dict[str, tuple[str, str]]:
    """Framework item IRI -> (its human code, e.g. "SWE 4.6"; the framework's URI)."""
    items: dict[str, tuple[str, str]] = {}
    for uri, package in record.frameworks.items():
        for item in package.get("CFItems", []):
            code = item.get("humanCodingScheme") or item.get("abbreviatedStatement") or ""
            items[item["uri"]] = (code, uri)
    return items


def _is_professional_standard(code: str, framework: str) -> bool:
    return framework.rstrip("/").endswith("/swe-professional-standards") or code.startswith("SWE ")


def _is_ilm(code: str, framework: str) -> bool:
    return "/ilm-" in framework or code.upper().startswith("ILM")


def _standards(
    statements: Iterable[dict[str, Any]], record: ExportRecord, items: dict[str, tuple[str, str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(SWE professional standards, other frameworks' codes except ILM criteria). An IRI in no loaded framework
    is left out rather than printed raw."""
    swe: list[str] = []
    other: list[str] = []
    for s in statements:
        iris = [link.item for link in record.links.get(s["id"], [])]
        iris += _context_ext(s).get(v.EXT_STANDARDS, []) or []
        for iri in iris:
            code, framework = items.get(iri, ("", ""))
            if not code or _is_ilm(code, framework):
                continue
            target = swe if _is_professional_standard(code, framework) else other
            if code not in target:
                target.append(code)
    return tuple(swe), tuple(other)


def _people(statements: Iterable[dict[str, Any]], own_names: set[str]) -> dict[str, str]:
    """Names of people the record mentions (peer, witness, instructor, another actor, other agents) -> their part
    in it. ``own_names``: the words of the participant's own names, which are not a warning."""
    people: dict[str, str] = {}
    for s in statements:
        context = s.get("context") or {}
        ext = context.get("extensions") or {}
        found = [
            (ext.get(v.EXT_PEER), "the peer"),
            (ext.get(v.EXT_WITNESS), "the witness"),
            (context.get("instructor"), "the instructor"),
            (s.get("actor"), "someone in the record"),
        ]
        if context.get("contextAgents"):
            found += [(a.get("agent"), "someone in the record") for a in context["contextAgents"]]
        if (context.get("team") or {}).get("member"):
            found += [(m, "someone in the record") for m in context["team"]["member"]]
        for agent, part in found:
            name = person_name(agent)
            if name and not own_names.issuperset(name.split()):
                people.setdefault(name, part)
    return people


def _privacy_warnings(title: str, day: date, answers: dict[str, str], people: dict[str, str]) -> tuple[str, ...]:
    warnings = []
    for name, part in people.items():
        parts = [p for p in name.split() if len(p) > 1]
        for key, text in answers.items():
            hits = [p for p in parts if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]
            if hits:
                warnings.append(
                    f"'{title}' ({day.isoformat()}): the answer to '{QUESTIONS[key]}' names {hits[0]}, "
                    f"{part}; Social Work England asks you not to name colleagues or people who use services."
                )
    return tuple(warnings)


def _reflected_statement(statement: dict[str, Any]) -> str | None:
    """The id of the statement a journal entry reflects on (its context.statement StatementRef), if any."""
    ref = (statement.get("context") or {}).get("statement")
    if isinstance(ref, dict) and ref.get("objectType") == "StatementRef" and isinstance(ref.get("id"), str):
        return ref["id"].lower()
    return None


def _occurrences(statements: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The pieces of learning in a participant's statements. An activity's facts (what an LMS said happened) are
    one piece per day, so a repeated event is a piece for each time. A reflection that names the statement it
    is about (context.statement) joins that statement's piece; one that names none joins the latest occurrence
    of its activity on or before the day it was written (the first when it was written earlier), or stands
    alone when its activity has no facts."""
    if len(statements) == 1:  # a piece of its own (most learners of a cohort early in a year have one statement)
        return [list(statements)]
    statements = sorted(statements, key=_when)
    pieces: dict[tuple[str, date], list[dict[str, Any]]] = {}
    piece_of: dict[str, tuple[str, date]] = {}
    days_of: dict[str, list[date]] = {}
    for s in statements:
        if not _is_reflection(s):
            key = (s["object"]["id"], _date(s))
            if key not in pieces:
                days_of.setdefault(key[0], []).append(key[1])
            pieces.setdefault(key, []).append(s)
            piece_of[s["id"]] = key
    alone: dict[str, list[dict[str, Any]]] = {}
    for s in statements:
        if not _is_reflection(s):
            continue
        target = _reflected_statement(s)
        if target in piece_of:
            pieces[piece_of[target]].append(s)
            continue
        activity = s["object"]["id"]
        days = days_of.get(activity)
        if not days:
            alone.setdefault(activity, []).append(s)
            continue
        day = _date(s)
        before = [d for d in days if d <= day]
        pieces[(activity, before[-1] if before else days[0])].append(s)
    return [*pieces.values(), *alone.values()]


def _piece(
    statements: list[dict[str, Any]],
    record: ExportRecord,
    items: dict[str, tuple[str, str]],
    statuses: dict[str, tuple[str, date | None]],
    own_names: set[str],
) -> CPDPiece:
    # Written for a cohort's readiness, which builds the pieces of hundreds of logs at once: one pass where two
    # would do, no generator where a loop does, and the piece made without its __init__ (lrs_cpd_log.model.made).
    reflections: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    for s in statements:
        (reflections if s["verb"]["id"] == _REFLECTED else facts).append(s)
    notes: dict[str, Any] = {}
    fact_def: dict[str, Any] = {}
    for s in reflections:
        notes.update(s["object"].get("definition") or {})
    for s in facts:
        fact_def.update(s["object"].get("definition") or {})
    day = _date(facts[0] if facts else statements[0])
    kind = category(fact_def.get("type") or notes.get("type"))
    # The participant's own title wins over the LMS's name; an LMS item never shows its IRI as a title.
    title = ""
    for name in (text_of(notes.get("name")), text_of(fact_def.get("name"))):
        if name.strip() and not _IRI.match(name):
            title = name
            break
    title = title or f"{kind} on {_long_date(day)}"
    description = text_of(notes.get("description")) or text_of(fact_def.get("description"))
    learned = impact = peer = peer_learned = ""
    evidence_type = None
    for s in reflections or statements:
        result = s.get("result") or {}
        extensions = result.get("extensions") or {}
        context_ext = (s.get("context") or {}).get("extensions") or {}
        learned = learned or result.get("response") or extensions.get(v.EXT_REFLECTION) or ""
        impact = impact or extensions.get(v.EXT_IMPACT) or ""
        peer = peer or person_name(context_ext.get(v.EXT_PEER))
        peer_learned = peer_learned or context_ext.get(v.EXT_PEER_REFLECTION) or ""
    for s in statements:
        evidence = ((s.get("context") or {}).get("extensions") or {}).get(v.EXT_EVIDENCE_TYPE)
        if evidence in ASSESSMENT_EVIDENCE_TYPES or (s["object"].get("definition") or {}).get("type") in (
            ASSESSMENT_ACTIVITY_TYPES
        ):
            evidence_type = evidence or "assessment evidence"
    ids = tuple([s["id"] for s in statements])
    status, submitted_on = DRAFT, None
    if statuses:
        chosen = [statuses[i] for i in ids if i in statuses]
        if chosen:
            status, submitted_on = chosen[-1]
    swe, other = _standards(statements, record, items) if items else ((), ())
    modes = record.modes
    mode = None
    for s in statements:
        if modes.get(s["id"]):
            mode = modes[s["id"]]
            break
    # Only answers can name someone: most pieces (LMS events nobody reflected on) have none to check.
    warnings: tuple[str, ...] = ()
    if description or learned or impact or peer_learned:
        answers = {"description": description, "learned": learned, "impact": impact, "peer_reflection": peer_learned}
        warnings = _privacy_warnings(title, day, answers, _people(statements, own_names))
    return made(CPDPiece, {
        "statement_id": (reflections or statements)[0]["id"],
        "date": day,
        "activity_type": kind,
        "title": title,
        "description": description,
        "learned": learned,
        "impact": impact,
        "peer_reflection": PeerReflection(peer or "a peer", peer_learned) if peer_learned else None,
        "standards": swe,
        "mode": mode,
        "status": status,
        "submitted_on": submitted_on,
        "other_standards": other,
        "evidence_type": evidence_type,
        "statement_ids": ids,
        "privacy_warnings": warnings,
    })


def build_pieces(
    record: ExportRecord, start: date, end: date, *, standards: bool = True, names: list[str] | None = None
) -> list[CPDPiece]:
    """The year's pieces; ``standards=False`` leaves out the standards they evidence (readiness needs none).
    ``names``: the participant's own names when the caller has them (:func:`_own_names`)."""
    items = _frameworks_of_items(record) if standards else {}
    statuses = _statuses(record.statements)
    learning: list[dict[str, Any]] = []
    for s in record.statements:
        obj = s.get("object") or {}
        if s["verb"]["id"] in PLUMBING_VERBS or obj.get("objectType", "Activity") != "Activity":
            continue
        if not start <= _date(s) <= end:
            continue
        if record.modes.get(s["id"]) is None and not _is_reflection(s):
            continue
        learning.append(s)
    if not learning:  # no piece: the names are not needed
        return []
    own_names = {word for name in (_own_names(record) if names is None else names) for word in name.split()}
    pieces = [_piece(occurrence, record, items, statuses, own_names) for occurrence in _occurrences(learning)]
    # ILM assessment evidence is for the ILM portfolio; it joins the regulator's log only when chosen.
    pieces = [p for p in pieces if p.evidence_type is None or p.chosen]
    pieces.sort(key=lambda p: (p.date, p.title))
    return pieces


def _own_names(record: ExportRecord) -> list[str]:
    """The names the participant goes by: in their own journal first, then the account's, then any LMS's."""
    ifi = [(k, val) for k, val in record.agent.items() if k in _IFI_KEYS]
    journal: list[str] = []
    other: list[str] = []
    for s in record.statements:
        actor = s.get("actor") or {}
        for k, val in ifi:
            if actor.get(k) != val:
                break
        else:  # their own statement
            (journal if s["verb"]["id"] == _REFLECTED else other).append(person_name(s["actor"]))
    return [n for n in (*journal, person_name(record.agent), *other) if n]


def participant_name(record: ExportRecord, names: list[str] | None = None) -> str:
    """The participant's full name from the best source: a name they gave in their own journal, then the
    account's, then any LMS's; a fuller name ("Jo Bloggs") wins over a shorter one ("Jo"). ``names``: their own
    names when the caller has them (:func:`_own_names`)."""
    names = _own_names(record) if names is None else names
    if not names:
        return "the participant"
    return max(names, key=lambda n: (len(n.split()), -names.index(n)))


def build_log(record: ExportRecord, year: int, today: date | None = None, *, standards: bool = True) -> CPDLog:
    rules = rules_for(year)
    today = today or date.today()
    names = _own_names(record)
    pieces = build_pieces(record, rules.start, rules.end, standards=standards, names=names)
    return CPDLog(
        participant_name=participant_name(record, names),
        period_start=rules.start,
        period_end=rules.end,
        pieces=tuple(pieces),
        readiness=check_readiness(pieces, rules, today),
        generated_on=today,
        rules=rules,
    )
