"""Statement validation: every xAPI rule a statement can break, as a list of problems with field paths.

Pure Python (no Flask, no SQL). ``validate_batch`` is the entry point for POST/PUT; it never raises anything but
:class:`~lrs.xapi.errors.StatementInvalid`, whatever JSON it is given.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import isodate
import langcodes

from lrs.xapi.errors import Problem, StatementInvalid

SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
INTERACTION_TYPES = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")

STATEMENT_KEYS = {
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments",
}
SUBSTATEMENT_KEYS = {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
AGENT_KEYS = {"objectType", "name", *IFI_PROPERTIES}
GROUP_KEYS = AGENT_KEYS | {"member"}
VERB_KEYS = {"id", "display"}
ACTIVITY_KEYS = {"objectType", "id", "definition"}
DEFINITION_KEYS = {
    "name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern",
    *COMPONENT_LISTS,
}
RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
SCORE_KEYS = {"scaled", "raw", "min", "max"}
CONTEXT_KEYS_1 = {
    "registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement",
    "extensions",
}
CONTEXT_KEYS_2 = CONTEXT_KEYS_1 | {"contextAgents", "contextGroups"}
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
ATTACHMENT_KEYS = {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
ACCOUNT_KEYS = {"homePage", "name"}

# RFC 3987 absolute IRI: a scheme, a colon, then no whitespace or characters IRIs exclude.
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$|^[0-9a-fA-F]{128}$")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(\s*;.*)?$")
# ISO 8601 date-time with a time zone the way xAPI (RFC 3339 profile) requires it.
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)
_VERSION_1 = re.compile(r"^1\.0(\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0(\.\d+)?$")
# Weeks stand alone in ISO 8601 (PnW); every other designator combines.
_DURATION = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?)$"
)


def rules_version(header_value: str) -> str | None:
    """The rule set for an X-Experience-API-Version header: "1.0.3" for 1.0.x, "2.0.0" for 2.0.x, else None."""
    value = (header_value or "").strip()
    if _VERSION_1.match(value):
        return "1.0.3"
    if _VERSION_2.match(value):
        return "2.0.0"
    return None


def parse_timestamp(value: str, version: str = "2.0.0") -> datetime:
    """A strict xAPI timestamp as an aware UTC datetime. Raises ValueError."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}")
    # RFC 3339 reads -00:00 as "offset unknown", which ISO 8601 and xAPI do not allow.
    if re.search(r"-00(:?00)?$", value):
        raise ValueError("the offset -00:00 is not allowed")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def duration_seconds(value: str) -> float:
    """An ISO 8601 duration in seconds (years and months at their average length). Raises ValueError."""
    if not isinstance(value, str) or not _DURATION.match(value):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    parsed = isodate.parse_duration(value)
    if isinstance(parsed, isodate.Duration):
        return parsed.totimedelta(start=datetime(2000, 1, 1)).total_seconds()
    return parsed.total_seconds()


@lru_cache(maxsize=4096)
def is_language_tag(tag: str) -> bool:
    return langcodes.tag_is_valid(tag)


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and bool(_IRI.match(value))


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class _Checker:
    """Walks one statement and collects problems."""

    def __init__(self, version: str):
        self.version = version
        self.problems: list[Problem] = []

    def add(self, rule: str, path: str, message: str) -> None:
        self.problems.append(Problem(rule, path, message))

    # --- generic -----------------------------------------------------------------------------------------

    def obj(self, value: Any, path: str, allowed: set[str]) -> bool:
        if not isinstance(value, dict):
            self.add("type", path, "must be a JSON object")
            return False
        for key in value:
            if key not in allowed:
                self.add("unknown-property", _join(path, key), f"{key!r} is not a property allowed here")
        return True

    def string(self, value: Any, path: str) -> bool:
        if not isinstance(value, str):
            self.add("type", path, "must be a string")
            return False
        return True

    def iri(self, value: Any, path: str) -> None:
        if not is_iri(value):
            self.add("iri", path, f"must be an absolute IRI, got {value!r}")

    def language_map(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.add("language-map", path, "must be a language map (an object of language tag to string)")
            return
        for tag, text in value.items():
            if not is_language_tag(tag):
                self.add("language-tag", _join(path, tag), f"{tag!r} is not a valid language tag (RFC 5646)")
            if not isinstance(text, str):
                self.add("language-map", _join(path, tag), "must be a string")

    def extensions(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.add("extensions", path, "must be an object keyed by IRIs")
            return
        for key in value:
            if not is_iri(key):
                self.add("iri", _join(path, key), f"extension keys must be IRIs, got {key!r}")

    def uuid(self, value: Any, path: str) -> None:
        if not is_uuid(value):
            self.add("uuid", path, f"must be a UUID, got {value!r}")

    def timestamp(self, value: Any, path: str) -> None:
        try:
            parse_timestamp(value, self.version)
        except (ValueError, TypeError) as exc:
            self.add("timestamp", path, str(exc))

    # --- actors ------------------------------------------------------------------------------------------

    def actor(self, value: Any, path: str) -> None:
        if isinstance(value, dict) and value.get("objectType") == "Group":
            self.group(value, path)
        else:
            self.agent(value, path)

    def ifis(self, value: dict[str, Any], path: str) -> list[str]:
        present = [p for p in IFI_PROPERTIES if p in value]
        for prop in present:
            ifi = value[prop]
            where = _join(path, prop)
            if prop == "mbox":
                if not isinstance(ifi, str) or not _MAILTO.match(ifi):
                    self.add("mbox-format", where, "mbox must be a mailto IRI, e.g. mailto:jo@example.org")
            elif prop == "mbox_sha1sum":
                if not isinstance(ifi, str) or not _SHA1.match(ifi):
                    self.add("mbox-sha1sum-format", where, "mbox_sha1sum must be 40 hexadecimal characters")
            elif prop == "openid":
                self.iri(ifi, where)
            elif prop == "account" and self.obj(ifi, where, ACCOUNT_KEYS):
                if "homePage" not in ifi:
                    self.add("required", _join(where, "homePage"), "an account needs a homePage")
                else:
                    self.iri(ifi["homePage"], _join(where, "homePage"))
                if "name" not in ifi:
                    self.add("required", _join(where, "name"), "an account needs a name")
                else:
                    self.string(ifi["name"], _join(where, "name"))
        return present

    def agent(self, value: Any, path: str) -> None:
        if not self.obj(value, path, AGENT_KEYS):
            return
        if "objectType" in value and value["objectType"] != "Agent":
            self.add("object-type", _join(path, "objectType"), "must be 'Agent' here")
        if "name" in value:
            self.string(value["name"], _join(path, "name"))
        present = self.ifis(value, path)
        if len(present) != 1:
            self.add("ifi-count", path, f"an Agent needs exactly one inverse functional identifier, found {len(present)}")

    def group(self, value: Any, path: str) -> None:
        if not self.obj(value, path, GROUP_KEYS):
            return
        if value.get("objectType") != "Group":
            self.add("object-type", _join(path, "objectType"), "must be 'Group'")
        if "name" in value:
            self.string(value["name"], _join(path, "name"))
        present = self.ifis(value, path)
        if len(present) > 1:
            self.add("ifi-count", path, "a Group has at most one inverse functional identifier")
        members = value.get("member")
        if not present and (not isinstance(members, list) or not members):
            self.add("group-member", _join(path, "member"), "an anonymous Group needs a non-empty member list")
        if "member" in value:
            if not isinstance(members, list):
                self.add("type", _join(path, "member"), "must be an array of Agents")
                return
            for i, member in enumerate(members):
                where = f"{_join(path, 'member')}[{i}]"
                if isinstance(member, dict) and member.get("objectType") == "Group":
                    self.add("group-member", where, "a Group's members must be Agents, not Groups")
                else:
                    self.agent(member, where)

    def authority(self, value: Any, path: str) -> None:
        """An Agent, or (OAuth: application plus user) an anonymous Group of exactly two Agents."""
        self.actor(value, path)
        if isinstance(value, dict) and value.get("objectType") == "Group":
            if any(p in value for p in IFI_PROPERTIES):
                self.add("authority-group", path, "an authority Group must be anonymous")
            members = value.get("member")
            if not isinstance(members, list) or len(members) != 2:
                self.add("authority-group", _join(path, "member"), "an authority Group has exactly two Agents")

    # --- verb, object ------------------------------------------------------------------------------------

    def verb(self, value: Any, path: str) -> None:
        if not self.obj(value, path, VERB_KEYS):
            return
        if "id" not in value:
            self.add("required", _join(path, "id"), "a verb needs an id")
        else:
            self.iri(value["id"], _join(path, "id"))
        if "display" in value:
            self.language_map(value["display"], _join(path, "display"))

    def activity(self, value: Any, path: str) -> None:
        if not self.obj(value, path, ACTIVITY_KEYS):
            return
        if "objectType" in value and value["objectType"] != "Activity":
            self.add("object-type", _join(path, "objectType"), "must be 'Activity'")
        if "id" not in value:
            self.add("required", _join(path, "id"), "an Activity needs an id")
        else:
            self.iri(value["id"], _join(path, "id"))
        if "definition" in value:
            self.definition(value["definition"], _join(path, "definition"))

    def definition(self, value: Any, path: str) -> None:
        if not self.obj(value, path, DEFINITION_KEYS):
            return
        for key in ("name", "description"):
            if key in value:
                self.language_map(value[key], _join(path, key))
        if "type" in value:
            self.iri(value["type"], _join(path, "type"))
        if "moreInfo" in value:
            self.iri(value["moreInfo"], _join(path, "moreInfo"))
        if "extensions" in value:
            self.extensions(value["extensions"], _join(path, "extensions"))
        interaction = value.get("interactionType")
        if "interactionType" in value and not (isinstance(interaction, str) and interaction in INTERACTION_TYPES):
            self.add("interaction-type", _join(path, "interactionType"), f"{interaction!r} is not an interaction type")
        uses_interaction = [k for k in ("correctResponsesPattern", *COMPONENT_LISTS) if k in value]
        if uses_interaction and "interactionType" not in value:
            self.add(
                "interaction-type-required",
                _join(path, uses_interaction[0]),
                f"{uses_interaction[0]} is only allowed with an interactionType",
            )
        if "correctResponsesPattern" in value:
            pattern = value["correctResponsesPattern"]
            if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
                self.add("type", _join(path, "correctResponsesPattern"), "must be an array of strings")
        allowed = set(INTERACTION_TYPES.get(interaction, ())) if isinstance(interaction, str) else set()
        for key in COMPONENT_LISTS:
            if key not in value:
                continue
            where = _join(path, key)
            if key not in allowed:
                self.add(
                    "interaction-components", where, f"{key} is only allowed with interactionType {self._owner(key)}"
                )
            self.components(value[key], where)

    @staticmethod
    def _owner(key: str) -> str:
        return " or ".join(sorted(t for t, keys in INTERACTION_TYPES.items() if key in keys))

    def components(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.add("type", path, "must be an array of interaction components")
            return
        seen: set[str] = set()
        for i, component in enumerate(value):
            where = f"{path}[{i}]"
            if not self.obj(component, where, {"id", "description"}):
                continue
            if "id" not in component:
                self.add("required", _join(where, "id"), "an interaction component needs an id")
            elif self.string(component["id"], _join(where, "id")):
                if component["id"] in seen:
                    self.add("interaction-component-id", _join(where, "id"), "component ids must be unique")
                seen.add(component["id"])
            if "description" in component:
                self.language_map(component["description"], _join(where, "description"))

    def statement_ref(self, value: dict[str, Any], path: str) -> None:
        if not self.obj(value, path, {"objectType", "id"}):
            return
        if "id" not in value:
            self.add("required", _join(path, "id"), "a StatementRef needs an id")
        else:
            self.uuid(value["id"], _join(path, "id"))

    def object(self, value: Any, path: str, *, sub: bool) -> None:
        if not isinstance(value, dict):
            self.add("type", path, "must be a JSON object")
            return
        kind = value.get("objectType", "Activity")
        if kind == "Activity":
            self.activity(value, path)
        elif kind == "Agent":
            self.agent(value, path)
        elif kind == "Group":
            self.group(value, path)
        elif kind == "StatementRef":
            self.statement_ref(value, path)
        elif kind == "SubStatement":
            if sub:
                self.add("substatement-nested", path, "a SubStatement cannot contain another SubStatement")
            else:
                self.statement(value, path, sub=True)
        else:
            self.add("object-type", _join(path, "objectType"), f"{kind!r} is not an object type")

    # --- result, context, attachments ----------------------------------------------------------------------

    def result(self, value: Any, path: str) -> None:
        if not self.obj(value, path, RESULT_KEYS):
            return
        for key in ("success", "completion"):
            if key in value and not isinstance(value[key], bool):
                self.add("type", _join(path, key), "must be true or false")
        if "response" in value:
            self.string(value["response"], _join(path, "response"))
        if "duration" in value:
            try:
                duration_seconds(value["duration"])
            except (ValueError, TypeError, isodate.ISO8601Error):
                self.add("duration", _join(path, "duration"), f"must be an ISO 8601 duration, got {value['duration']!r}")
        if "extensions" in value:
            self.extensions(value["extensions"], _join(path, "extensions"))
        if "score" in value:
            self.score(value["score"], _join(path, "score"))

    def score(self, value: Any, path: str) -> None:
        if not self.obj(value, path, SCORE_KEYS):
            return
        numbers = {}
        for key in SCORE_KEYS:
            if key in value:
                if isinstance(value[key], bool) or not isinstance(value[key], int | float):
                    self.add("type", _join(path, key), "must be a number")
                else:
                    numbers[key] = value[key]
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            self.add("score-scaled-range", _join(path, "scaled"), "scaled must be between -1 and 1")
        if "min" in numbers and "max" in numbers and numbers["min"] >= numbers["max"]:
            self.add("score-min-max", _join(path, "min"), "min must be less than max")
        if "raw" in numbers:
            if "min" in numbers and numbers["raw"] < numbers["min"]:
                self.add("score-raw-range", _join(path, "raw"), "raw must not be below min")
            if "max" in numbers and numbers["raw"] > numbers["max"]:
                self.add("score-raw-range", _join(path, "raw"), "raw must not be above max")

    def context(self, value: Any, path: str, object_kind: str) -> None:
        allowed = CONTEXT_KEYS_2 if self.version == "2.0.0" else CONTEXT_KEYS_1
        if not self.obj(value, path, allowed):
            return
        if "registration" in value:
            self.uuid(value["registration"], _join(path, "registration"))
        if "instructor" in value:
            self.actor(value["instructor"], _join(path, "instructor"))
        if "team" in value:
            if not isinstance(value["team"], dict) or value["team"].get("objectType") != "Group":
                self.add("context-team", _join(path, "team"), "team must be a Group")
            else:
                self.group(value["team"], _join(path, "team"))
        for key in ("revision", "platform"):
            if key in value:
                self.string(value[key], _join(path, key))
                if object_kind != "Activity":
                    self.add(
                        f"context-{key}-non-activity",
                        _join(path, key),
                        f"{key} is only allowed when the object is an Activity",
                    )
        if "language" in value and (not isinstance(value["language"], str) or not is_language_tag(value["language"])):
            self.add("language-tag", _join(path, "language"), f"{value['language']!r} is not a valid language tag")
        if "statement" in value:
            ref = value["statement"]
            where = _join(path, "statement")
            if not isinstance(ref, dict) or ref.get("objectType") != "StatementRef":
                self.add("context-statement", where, "must be a StatementRef")
            else:
                self.statement_ref(ref, where)
        if "extensions" in value:
            self.extensions(value["extensions"], _join(path, "extensions"))
        if "contextActivities" in value:
            self.context_activities(value["contextActivities"], _join(path, "contextActivities"))
        for key, inner, check in (("contextAgents", "agent", self.agent), ("contextGroups", "group", self.group)):
            if key in value:
                self.context_actors(value[key], _join(path, key), key[:-1], inner, check)

    def context_activities(self, value: Any, path: str) -> None:
        if not self.obj(value, path, CONTEXT_ACTIVITY_KEYS):
            return
        for key, activities in value.items():
            if key not in CONTEXT_ACTIVITY_KEYS:
                continue
            where = _join(path, key)
            if isinstance(activities, dict):
                self.activity(activities, where)
            elif isinstance(activities, list):
                for i, activity in enumerate(activities):
                    self.activity(activity, f"{where}[{i}]")
            else:
                self.add("type", where, "must be an Activity or an array of Activities")

    def context_actors(self, value: Any, path: str, object_type: str, inner: str, check: Any) -> None:
        if not isinstance(value, list):
            self.add("type", path, "must be an array")
            return
        for i, entry in enumerate(value):
            where = f"{path}[{i}]"
            if not self.obj(entry, where, {"objectType", inner, "relevantTypes"}):
                continue
            if entry.get("objectType") != object_type:
                self.add("object-type", _join(where, "objectType"), f"must be {object_type!r}")
            if inner not in entry:
                self.add("required", _join(where, inner), f"a {object_type} needs an {inner}")
            else:
                check(entry[inner], _join(where, inner))
            if "relevantTypes" in entry:
                types = entry["relevantTypes"]
                if not isinstance(types, list) or not types:
                    self.add("relevant-types", _join(where, "relevantTypes"), "must be a non-empty array of IRIs")
                else:
                    for j, iri in enumerate(types):
                        self.iri(iri, f"{_join(where, 'relevantTypes')}[{j}]")

    def attachments(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.add("type", path, "must be an array of attachments")
            return
        for i, attachment in enumerate(value):
            where = f"{path}[{i}]"
            if not self.obj(attachment, where, ATTACHMENT_KEYS):
                continue
            for key in ("usageType", "display", "contentType", "length", "sha2"):
                if key not in attachment:
                    self.add("required", _join(where, key), f"an attachment needs {key}")
            if "usageType" in attachment:
                self.iri(attachment["usageType"], _join(where, "usageType"))
            for key in ("display", "description"):
                if key in attachment:
                    self.language_map(attachment[key], _join(where, key))
            if "contentType" in attachment and (
                not isinstance(attachment["contentType"], str) or not _MEDIA_TYPE.match(attachment["contentType"])
            ):
                self.add("content-type", _join(where, "contentType"), "must be an Internet media type")
            if "length" in attachment and (
                isinstance(attachment["length"], bool) or not isinstance(attachment["length"], int) or attachment["length"] < 0
            ):
                self.add("type", _join(where, "length"), "must be a non-negative integer")
            if "sha2" in attachment and (not isinstance(attachment["sha2"], str) or not _SHA2.match(attachment["sha2"])):
                self.add("sha2", _join(where, "sha2"), "must be a hexadecimal SHA-2 hash")
            if "fileUrl" in attachment:
                self.iri(attachment["fileUrl"], _join(where, "fileUrl"))

    # --- statement -----------------------------------------------------------------------------------------

    def statement(self, value: Any, path: str = "", *, sub: bool = False) -> None:
        if not self.obj(value, path, SUBSTATEMENT_KEYS if sub else STATEMENT_KEYS):
            return
        if sub and value.get("objectType") != "SubStatement":
            self.add("object-type", _join(path, "objectType"), "must be 'SubStatement'")
        for key in ("actor", "verb", "object"):
            if key not in value:
                self.add("required", _join(path, key), f"a statement needs {key}")
        if not sub:
            if "id" in value:
                self.uuid(value["id"], _join(path, "id"))
            if "version" in value:
                version = value["version"]
                pattern = _VERSION_2 if self.version == "2.0.0" else _VERSION_1
                ok = isinstance(version, str) and (pattern.match(version) or _VERSION_1.match(version))
                if not ok:
                    self.add("version", _join(path, "version"), f"{version!r} is not a supported xAPI version")
            if "stored" in value:
                self.timestamp(value["stored"], _join(path, "stored"))
            if "authority" in value:
                self.authority(value["authority"], _join(path, "authority"))
        if "actor" in value:
            self.actor(value["actor"], _join(path, "actor"))
        if "verb" in value:
            self.verb(value["verb"], _join(path, "verb"))
        object_kind = "Activity"
        if "object" in value:
            if isinstance(value["object"], dict):
                object_kind = value["object"].get("objectType", "Activity")
            self.object(value["object"], _join(path, "object"), sub=sub)
        verb_id = value.get("verb", {}).get("id") if isinstance(value.get("verb"), dict) else None
        if verb_id == VOIDED_VERB and object_kind != "StatementRef":
            self.add("voiding-object", _join(path, "object"), "a voiding statement's object must be a StatementRef")
        if "result" in value:
            self.result(value["result"], _join(path, "result"))
        if "context" in value:
            self.context(value["context"], _join(path, "context"), object_kind)
        if "timestamp" in value:
            self.timestamp(value["timestamp"], _join(path, "timestamp"))
        if "attachments" in value:
            self.attachments(value["attachments"], _join(path, "attachments"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate_statement(statement: object, version: str, *, path: str = "") -> None:
    """Raise :class:`StatementInvalid` listing every rule ``statement`` breaks (none: return None)."""
    checker = _Checker(version)
    checker.statement(statement, path)
    if checker.problems:
        raise StatementInvalid(checker.problems)


def validate_batch(payload: object, version: str) -> list[dict]:
    """A POST body (one statement or an array) checked whole; returns the statements as a list."""
    statements = payload if isinstance(payload, list) else [payload]
    if isinstance(payload, list) and not payload:
        raise StatementInvalid([Problem("batch-empty", "", "the batch holds no statements")])
    checker = _Checker(version)
    ids: dict[str, int] = {}
    for index, statement in enumerate(statements):
        prefix = f"[{index}]" if isinstance(payload, list) else ""
        checker.statement(statement, prefix)
        if isinstance(statement, dict) and isinstance(statement.get("id"), str):
            key = statement["id"].lower()
            if key in ids:
                checker.add(
                    "batch-duplicate-id", _join(prefix, "id"), f"the batch repeats the id of statement [{ids[key]}]"
                )
            ids.setdefault(key, index)
    if checker.problems:
        raise StatementInvalid(checker.problems)
    return statements  # type: ignore[return-value]
