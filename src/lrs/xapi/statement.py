"""Turn a validated statement into what the store keeps: the stored JSON plus its index keys.

Pure functions: the store decides nothing about xAPI, it only writes what this module derives.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import isodate

from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.ifi import agent_key
from lrs.xapi.jsontext import canonical_bytes

CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


@dataclass
class PreparedStatement:
    """A statement ready to store, with everything a query filters on pulled out of the JSON."""

    id: str
    payload: dict[str, Any]
    stored: datetime
    timestamp: datetime
    verb_iri: str
    registration: str | None
    object_statement_id: str | None
    is_voiding: bool
    fingerprint: str
    version: str
    authority_key: str
    #: agent key -> True when the agent is the actor or object (direct), False when only related.
    agents: dict[str, bool] = field(default_factory=dict)
    #: activity IRI -> True when the activity is the object (direct), False when only related.
    activities: dict[str, bool] = field(default_factory=dict)
    #: activity IRI -> the definition this statement carries for it (for the canonical definition): the payload's
    #: own dict where one activity carries it, merged into a new dict where several do; read-only.
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    learning_mode: str | None = None
    rules_fingerprint: str | None = None
    #: result.duration in seconds, so summaries can add up time in SQL (None when absent).
    duration_seconds: float | None = None
    #: ``timestamp.isoformat()`` (UTC, "+00:00"), made once: the fingerprint hashes it and the store's encoding
    #: of the timestamp is cut from it (None when not made: the store formats ``timestamp`` itself).
    timestamp_iso: str | None = None


#: The order of PreparedStatement's fields, in which _prepare passes them (positionally, for speed).
_FIELD_ORDER = (
    "id", "payload", "stored", "timestamp", "verb_iri", "registration", "object_statement_id", "is_voiding",
    "fingerprint", "version", "authority_key", "agents", "activities", "definitions", "learning_mode",
    "rules_fingerprint", "duration_seconds", "timestamp_iso",
)
if tuple(f.name for f in fields(PreparedStatement)) != _FIELD_ORDER:  # pragma: no cover - a guard for editors
    raise ImportError("PreparedStatement's fields changed: update _FIELD_ORDER and _prepare's call")


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a Z, the form xAPI examples use."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_fromisoformat = datetime.fromisoformat


def parse_instant(value: str) -> datetime:
    """Parse an already validated xAPI timestamp into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def fingerprint(statement: dict[str, Any]) -> str:
    """A hash over the parts of a statement that decide whether a re-sent one is "the same".

    Set by the LRS (stored, authority, version) or allowed to differ by the immutability exceptions
    (the case of the id, the timestamp's form for the same instant, the order of group members, a duration's
    precision beyond 0.01 s) is
    normalised away, so a client re-sending its own statement gets a 204, not a 409.
    """
    timestamp = statement.get("timestamp")
    normalised = None
    if isinstance(timestamp, str):
        with contextlib.suppress(ValueError):
            normalised = parse_instant(timestamp).isoformat()
    return _fingerprint(statement, normalised)


def _fingerprint(statement: dict[str, Any], timestamp_iso: str | None) -> str:
    """:func:`fingerprint` with the statement's timestamp already normalised (``parse_instant(...).isoformat()``;
    None: left as it is)."""
    # A copy without what the LRS sets (clients rarely send them): the keys' order does not matter, the text is
    # sorted. A dict comprehension testing every key cost ~9,000 instructions a statement (callgrind).
    body = dict(statement)
    if "stored" in body:
        del body["stored"]
    if "authority" in body:
        del body["authority"]
    if "version" in body:
        del body["version"]
    if "id" in body:
        body["id"] = str(body["id"]).lower()
    if timestamp_iso is not None:
        body["timestamp"] = timestamp_iso
    result = body.get("result")
    if isinstance(result, dict):
        duration = result.get("duration")
        # Without an "S" there are no seconds to cut (_hundredths returns the duration as it is).
        if isinstance(duration, str) and "S" in duration:
            body["result"] = {**result, "duration": _hundredths(duration)}
    # json.dumps(body, sort_keys=True, separators=(",", ":")), the text stored fingerprints hash (lrs.xapi.jsontext)
    encoded = canonical_bytes(body)
    # Member order matters only where a Group is, and most statements have none: rebuilding the whole
    # statement to sort members cost ~17% of a batch's ingest time (bench profile).
    if b'"Group"' in encoded:
        encoded = canonical_bytes(_sorted_members(body))
    return hashlib.sha256(encoded).hexdigest()


_SECONDS = re.compile(r"(\d+)(?:\.(\d*))?S$")


def _utc_isoformat(text: str, instant: datetime) -> str:
    """``instant.isoformat()``, where ``instant`` is ``parse_instant(text)``: cut from ``text`` when it is a UTC
    instant with at most microseconds (as clients send them), the same characters datetime writes (the
    fraction to six digits, none when it is zero) for ~a tenth of the instructions (datetime formats through
    C's printf)."""
    size = len(text)
    # Characters 4, 7, 10, 13, 16 and (with a fraction) 19 are "-", "-", "T", ":", ":" and ".": a slice each
    # way, one comparison rather than nine (~3,000 instructions a statement).
    if text[-1:] == "Z" and (
        text[4:20:3] == "--T::." if 22 <= size <= 26 else size == 20 and text[4:17:3] == "--T::"
    ):
        # "YYYY-MM-DDTHH:MM:SS[.f]Z", read by fromisoformat without an error: the fields are digits as written.
        fraction = text[20:-1]
        if fraction.strip("0"):
            return f"{text[:19]}.{fraction.ljust(6, '0')}+00:00"
        return f"{text[:19]}+00:00"
    return instant.isoformat()


def _hundredths(duration: str) -> str:
    """A duration with its seconds cut to 0.01 s: xAPI 2.0 ignores finer precision when comparing."""
    match = _SECONDS.search(duration)
    if not match:
        return duration
    fraction = (match.group(2) or "")[:2].ljust(2, "0")
    return f"{duration[: match.start()]}{int(match.group(1))}.{fraction}S"


def _sorted_members(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _sorted_members(v) for k, v in value.items()}
        if out.get("objectType") == "Group" and isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=lambda m: json.dumps(m, sort_keys=True))
        return out
    if isinstance(value, list):
        return [_sorted_members(v) for v in value]
    return value


#: The durations most statements carry (hours, minutes, seconds; no years, months, weeks or days), read without
#: isodate: its general pattern and group dictionary cost ~9 us a statement. The values go to timedelta as
#: isodate passes them (floats, the same keywords), so the seconds are the same float.
_TIME_DURATION = re.compile(r"PT(?:([0-9]+(?:[,.][0-9]+)?)H)?(?:([0-9]+(?:[,.][0-9]+)?)M)?(?:([0-9]+(?:[,.][0-9]+)?)S)?")
#: Whole days alone ("P2D"), below 10**9 of them.
_DAYS_DURATION = re.compile(r"P([0-9]{1,9})D")
#: "PT<n>H", "PT<n>M", "PT<n>S" and "P<n>D" of at most 12 characters: seconds in each unit.
_WHOLE_UNIT_SECONDS = {"H": 3600, "M": 60, "S": 1, "D": 86_400}


def duration_seconds(value: Any, start: datetime) -> float | None:
    """An ISO 8601 duration (``result.duration``) in seconds, or None when absent or unreadable.

    Years and months have no fixed length, so they are counted from ``start`` (the statement's timestamp).
    """
    if not isinstance(value, str):
        return None
    # One whole unit ("PT3H", "PT45M", "P2D": most statements), as the patterns below read it, without them.
    unit = _WHOLE_UNIT_SECONDS.get(value[-1:])
    if unit is not None:
        if unit == 86_400:  # "P<n>D", n below 10**9 (_DAYS_DURATION)
            digits = value[1:-1] if len(value) <= 11 and value[:1] == "P" else ""
        else:  # "PT<n>H" and the like, at most 12 characters (_TIME_DURATION's whole units)
            digits = value[2:-1] if len(value) <= 12 and value[:2] == "PT" else ""
        if digits.isdigit() and digits.isascii():
            return float(int(digits) * unit)
    match = _TIME_DURATION.fullmatch(value)
    if match is not None and len(value) > 2:
        if len(value) <= 12 and "." not in value and "," not in value:
            # Whole hours, minutes and seconds (what statements carry), each below 10**9: timedelta's seconds
            # are exactly this integer (far inside its range and a float's 53 bits), without its float
            # arithmetic (~13,000 instructions).
            hours, minutes, seconds = match.groups()
            return float(int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0))
        hours, minutes, seconds = (float(g.replace(",", ".")) if g else 0.0 for g in match.groups())
        return timedelta(days=0.0, hours=hours, minutes=minutes, seconds=seconds, weeks=0.0).total_seconds()
    match = _DAYS_DURATION.fullmatch(value)
    if match is not None:
        # "P2D": isodate gives timedelta(days=2.0), whose seconds are exactly days * 86,400.
        return float(int(match.group(1)) * 86_400)
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        return None
    if isinstance(parsed, isodate.Duration):
        parsed = parsed.totimedelta(start=start)
    return parsed.total_seconds()


def context_activities(context: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """contextActivities with every value as a list (a single Activity object is allowed on input)."""
    out: dict[str, list[dict[str, Any]]] = {}
    raw = (context or {}).get("contextActivities") or {}
    for key in CONTEXT_ACTIVITY_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        out[key] = value if isinstance(value, list) else [value]
    return out


def prepare(
    statement: dict[str, Any],
    *,
    stored: datetime,
    authority: dict[str, Any],
    version: str,
) -> PreparedStatement:
    """Add what the LRS sets (id, stored, authority, version, timestamp) and derive the index keys."""
    return _prepare(statement, _common(stored, authority, version))


def prepare_batch(
    statements: list[dict[str, Any]],
    *,
    stored: datetime,
    authority: dict[str, Any],
    version: str,
) -> list[PreparedStatement]:
    """:func:`prepare` for each statement of a batch, which shares ``stored``, ``authority`` and ``version``:
    their text and key are made once."""
    common = _common(stored, authority, version)
    return [_prepare(statement, common) for statement in statements]


def _common(stored: datetime, authority: dict[str, Any], version: str) -> _Common:
    """What a request's statements share. ``iso(stored)`` is cut from ``stored.isoformat()`` when ``stored`` is
    in UTC (as the LRS makes it): the same characters, the fraction cut to milliseconds as isoformat's
    timespec="milliseconds" cuts it, for one formatting rather than two (~12,000 instructions, a twentieth of
    preparing a single statement)."""
    stored_iso = stored.isoformat()
    if stored.tzinfo is UTC and stored_iso.endswith("+00:00") and len(stored_iso) in (25, 32):
        stored_text = f"{stored_iso[:23]}Z" if len(stored_iso) == 32 else f"{stored_iso[:19]}.000Z"
    else:
        stored_text = iso(stored)
    return _Common(stored, stored_text, stored_iso, authority, agent_key(authority), version)


class _Common(NamedTuple):
    """What the statements of one request share."""

    stored: datetime
    stored_text: str
    #: ``stored.isoformat()``: the timestamp_iso of a statement sent without a timestamp
    stored_iso: str
    authority: dict[str, Any]
    authority_key: str | None
    version: str


def _prepare(statement: dict[str, Any], common: _Common) -> PreparedStatement:
    sent = statement.get("timestamp")
    if sent is None:
        timestamp, timestamp_iso = common.stored, common.stored_iso
        fp = _fingerprint(statement, None)
    else:
        # Read once, for the fingerprint and the index (a timestamp the validator passed parses):
        # parse_instant(sent), inline, and without astimezone where it is UTC already (it would return it).
        timestamp = _fromisoformat(sent)
        zone = timestamp.tzinfo
        if zone is not UTC:
            timestamp = (timestamp if zone is not None else timestamp.replace(tzinfo=UTC)).astimezone(UTC)
        timestamp_iso = _utc_isoformat(sent, timestamp)
        fp = _fingerprint(statement, timestamp_iso)
    payload = dict(statement)
    statement_id = str(payload.get("id") or uuid.uuid4()).lower()
    payload["id"] = statement_id
    payload["stored"] = common.stored_text
    payload["authority"] = common.authority
    # A 1.0.x statement keeps the version it declared; otherwise the LRS records the one it speaks.
    version = payload["version"] = payload.get("version") or common.version
    if sent is None:
        payload["timestamp"] = common.stored_text
    ctx = payload.get("context") or {}
    raw = ctx.get("contextActivities")
    if isinstance(raw, dict):
        # Store the normalised (array) form: the spec says a single object is returned as an array.
        # context_activities(ctx), inline.
        normalised: dict[str, list[dict[str, Any]]] = {}
        for key in CONTEXT_ACTIVITY_KEYS:
            value = raw.get(key)
            if value is not None:
                normalised[key] = value if isinstance(value, list) else [value]
        payload["context"] = {**ctx, "contextActivities": normalised}
    obj = payload["object"]
    object_type = obj.get("objectType")
    object_statement_id = None
    if object_type == "SubStatement":
        sub_ctx = obj.get("context")
        if isinstance(sub_ctx, dict) and isinstance(sub_ctx.get("contextActivities"), dict):
            obj = {**obj, "context": {**sub_ctx, "contextActivities": context_activities(sub_ctx)}}
            payload["object"] = obj
    elif object_type == "StatementRef":
        object_statement_id = str(obj["id"]).lower()
    verb_iri = payload["verb"]["id"]
    result = payload.get("result")

    # The agents and activities it names (the link rows), and the definitions it carries.
    agents: dict[str, bool] = {}
    activities: dict[str, bool] = {}
    definitions: dict[str, dict[str, Any]] = {}
    _collect(payload, True, agents, activities, definitions)
    auth_key = common.authority_key
    if auth_key and auth_key not in agents:
        agents[auth_key] = False
    # Positional, in the order of the fields (checked below the class): matching 13 keywords to 18 parameters
    # cost ~6,000 instructions a statement (callgrind).
    return PreparedStatement(
        statement_id,
        payload,
        common.stored,
        timestamp,
        verb_iri,
        (ctx.get("registration") or None) and str(ctx["registration"]).lower(),
        object_statement_id,
        verb_iri == VOIDED_VERB,
        fp,
        version,
        auth_key or "",
        agents,
        activities,
        definitions,
        None,
        None,
        duration_seconds(result.get("duration") if result else None, timestamp),
        timestamp_iso,
    )


def _collect(
    stmt: dict[str, Any],
    direct: bool,
    agents: dict[str, bool],
    activities: dict[str, bool],
    definitions: dict[str, dict[str, Any]],
) -> None:
    """Walk actor, object, context (and a SubStatement's, not direct) and record the agents and activities:
    key or IRI -> True when direct (the actor or object of the statement itself), in the order first met."""
    actor = stmt.get("actor")
    if actor is not None:
        _add_agent(agents, actor, direct)
    obj = stmt.get("object") or {}
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        _add_activity(activities, definitions, obj, direct)
    elif kind == "Agent" or kind == "Group":
        _add_agent(agents, obj, direct)
    elif kind == "SubStatement":
        _collect(obj, False, agents, activities, definitions)
    ctx = stmt.get("context")
    if not ctx:
        return
    instructor = ctx.get("instructor")
    if instructor is not None:
        _add_agent(agents, instructor, False)
    team = ctx.get("team")
    if team is not None:
        _add_agent(agents, team, False)
    for entry in ctx.get("contextAgents") or ():
        if isinstance(entry, dict):
            _add_agent(agents, entry.get("agent"), False)
    for entry in ctx.get("contextGroups") or ():
        if isinstance(entry, dict):
            _add_agent(agents, entry.get("group"), False)
    raw = ctx.get("contextActivities")
    if not raw:
        return
    # As context_activities(ctx) gives them, each an activity that is not direct (_add_activity, inline: a
    # statement has three or four).
    for key in CONTEXT_ACTIVITY_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        for activity in value if isinstance(value, list) else (value,):
            if not isinstance(activity, dict) or "id" not in activity:
                continue
            iri = activity["id"]
            if iri not in activities:
                activities[iri] = False
            definition = activity.get("definition")
            if isinstance(definition, dict):
                old = definitions.get(iri)
                definitions[iri] = merge_definitions(old, definition) if old else definition


def _add_agent(agents: dict[str, bool], agent: Any, direct: bool) -> None:  # noqa: ANN401 - any JSON value
    if not isinstance(agent, dict):
        return
    key = agent_key(agent)
    if key:
        if direct:
            agents[key] = True
        elif key not in agents:
            agents[key] = False
    # A group's members match an agent filter as the group itself would.
    members = agent.get("member")
    if members:
        for member in members:
            if isinstance(member, dict):
                member_key = agent_key(member)
                if member_key:
                    if direct:
                        agents[member_key] = True
                    elif member_key not in agents:
                        agents[member_key] = False


def _add_activity(
    activities: dict[str, bool],
    definitions: dict[str, dict[str, Any]],
    activity: Any,  # noqa: ANN401 - any JSON value
    direct: bool,
) -> None:
    if not isinstance(activity, dict) or "id" not in activity:
        return
    iri = activity["id"]
    if direct:
        activities[iri] = True
    elif iri not in activities:
        activities[iri] = False
    definition = activity.get("definition")
    if isinstance(definition, dict):
        # The statement's own definition where it is the first for its IRI (merge_definitions(None, it) would
        # copy it): nothing changes a definition in place, merge_definitions makes a new dict.
        old = definitions.get(iri)
        definitions[iri] = merge_definitions(old, definition) if old else definition


def merge_definitions(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Merge a newly seen activity definition into the canonical one: language maps key by key,
    other properties replaced by the newer value."""
    if not old:
        return dict(new)
    merged = dict(old)
    for key, value in new.items():
        if key in ("name", "description", "extensions") and isinstance(value, dict) and isinstance(old.get(key), dict):
            merged[key] = {**old[key], **value}
        else:
            merged[key] = value
    return merged
