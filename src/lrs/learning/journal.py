"""The learning journal: a participant's entry becomes one xAPI statement following the project profile.

An entry says what happened, in which 70/20/10 mode, when and for how long, and the participant's reflection
(what I learned; how it changes my practice), optionally with who gave peer reflection and which standards it
evidences. As portfolio evidence it may also say what kind of evidence it is (observation, work product, witness
testimony, ...), name a witness, and carry files (xAPI attachments). It is stored through the same service path
as any statement (xAPI validation, plugin validation, classification), under the caller's authority.
docs/api.md ("Learning API") documents the entry JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import isodate

from lrs.learning import vocabulary as v
from lrs.learning.vocabulary import Mode
from lrs.xapi.datatypes import is_media_type
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import agent_key, key_from_identifier

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

#: Journal statements use only 1.0.3 structures, so every client can read them back.
VERSION = "1.0.3"
LANGUAGE = "en-GB"
MAX_TEXT = 10_000
ENTRY_FIELDS = frozenset(
    {
        "agent",
        "name",
        "what",
        "description",
        "mode",
        "date",
        "duration",
        "reflection",
        "peer",
        "standards",
        "programme",
        "activity",
        "evidence_type",
        "witness",
        "attachments",
        "reflects_on",
    }
)
WITNESS_FIELDS = ("name", "role", "relationship", "date", "agent", "testimony")
ATTACHMENT_FIELDS = ("name", "content_type", "content_base64", "description")
#: At most this many attachments per entry.
MAX_ATTACHMENTS = 10
#: Each attachment's size, decoded (a module constant, not a setting; LRS_MAX_PAYLOAD still bounds the request).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_FILE_NAME = 255
#: Entries that are reflections need both reflective answers; other evidence (a work product, a witness
#: testimony, ...) may stand without them.
REFLECTIVE_EVIDENCE = (None, "reflective-account")
WITNESS_TESTIMONY = "witness-testimony"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)


@dataclass(frozen=True)
class Attachment:
    """A file an entry carries: it becomes an xAPI attachment, its bytes stored once per SHA-256."""

    name: str
    content_type: str
    content: bytes
    sha2: str
    description: str | None = None


@dataclass(frozen=True)
class JournalEntry:
    """A checked journal entry."""

    agent: dict[str, Any]
    agent_key: str
    what: str
    mode: Mode
    when: datetime
    #: The reflective answers; None when an entry of a non-reflective evidence type gives no reflection.
    learned: str | None
    impact: str | None
    description: str | None = None
    duration: str | None = None
    peer: dict[str, Any] | None = None
    peer_reflection: str | None = None
    standards: tuple[str, ...] = ()
    programme: str | None = None
    activity: str | None = None
    evidence_type: str | None = None
    #: The witness extension's object: name, role and, when given, relationship, date, agent, testimony.
    witness: dict[str, Any] | None = None
    attachments: tuple[Attachment, ...] = ()
    #: The id of the learner's own statement (an LMS event, say) this entry reflects on; record() checks it.
    reflects_on: str | None = None
    #: Where this entry sits in the request ("" for a single entry, "[2]" in a list), for error paths.
    prefix: str = ""

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name


class _Reader:
    """Reads one entry's fields, raising a 400 that names the field (``reflection.learned``)."""

    def __init__(self, raw: Any, prefix: str) -> None:
        if not isinstance(raw, dict):
            raise self.bad("", "a journal entry is a JSON object", prefix=prefix)
        self.raw = raw
        self.prefix = prefix

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix and name else (self.prefix or name)

    def bad(
        self, name: str, message: str, *, prefix: str | None = None, rule: str = "invalid-journal-entry"
    ) -> XAPIError:
        path = self.path(name) if prefix is None else prefix
        return XAPIError(f"{path or 'entry'}: {message}", rule=rule, path=path)

    def text(self, name: str, value: Any, *, required: bool) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.bad(name, "is required", rule="required")
            return None
        if not isinstance(value, str):
            raise self.bad(name, "must be a string")
        if len(value) > MAX_TEXT:
            raise self.bad(name, f"is longer than {MAX_TEXT} characters")
        return value.strip()

    def iri(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or ":" not in value or any(c.isspace() for c in value):
            raise self.bad(name, "must be an absolute IRI", rule="iri")
        return value


def agent_from_key(key: str) -> dict[str, Any]:
    """The xAPI Agent an agent key names (the inverse of lrs.xapi.ifi.agent_key)."""
    kind, _, value = key.partition(":")
    if kind == "mbox":
        return {"objectType": "Agent", "mbox": value}
    if kind == "mbox_sha1sum":
        return {"objectType": "Agent", "mbox_sha1sum": value}
    if kind == "openid":
        return {"objectType": "Agent", "openid": value}
    if kind == "account":
        home, _, name = value.partition("|")
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    raise ValueError(f"not an agent key: {key!r}")


def _agent(reader: _Reader, name: str, value: Any) -> tuple[dict[str, Any], str]:
    """An agent given as an identifier string (mailto:..., account:home|name) or an xAPI Agent object."""
    if isinstance(value, str) and value.strip():
        try:
            key = key_from_identifier(value)
            return agent_from_key(key), key
        except (ValueError, XAPIError):
            raise reader.bad(
                name, "is not an agent identifier (mailto:..., account:<homePage>|<name>)"
            ) from None
    if isinstance(value, dict):
        key = agent_key(value)
        if key:
            agent = {
                "objectType": "Agent",
                **{k: value[k] for k in ("name", "mbox", "mbox_sha1sum", "openid", "account") if k in value},
            }
            return agent, key
        raise reader.bad(name, "needs an identifier: mbox, mbox_sha1sum, openid or account")
    raise reader.bad(name, 'is required (e.g. "mailto:jo@la.example")', rule="required")


def parse_entry(raw: Any, *, prefix: str = "", default_agent_key: str | None = None) -> JournalEntry:
    """Check one entry; every problem is a 400 naming the field."""
    r = _Reader(raw, prefix)
    unknown = sorted(set(r.raw) - ENTRY_FIELDS)
    if unknown:
        raise r.bad(
            unknown[0],
            f"is not a journal entry field (fields: {', '.join(sorted(ENTRY_FIELDS))})",
            rule="unknown-field",
        )

    if r.raw.get("agent") is None and default_agent_key:
        agent, key = agent_from_key(default_agent_key), default_agent_key
    else:
        agent, key = _agent(r, "agent", r.raw.get("agent"))
    name = r.text("name", r.raw.get("name"), required=False)
    if name:
        agent["name"] = name

    what = r.text("what", r.raw.get("what"), required=True)
    mode_raw = r.raw.get("mode")
    try:
        mode = Mode(mode_raw)
    except (ValueError, TypeError):
        raise r.bad(
            "mode",
            f"must be one of {', '.join(m.value for m in Mode)}",
            rule="required" if mode_raw is None else "invalid-journal-entry",
        ) from None

    when = _when(r, r.raw.get("date"))
    duration = r.raw.get("duration")
    if duration is not None:
        if not isinstance(duration, str):
            raise r.bad("duration", "must be an ISO 8601 duration such as PT1H30M")
        try:
            parsed = isodate.parse_duration(duration)
        except (isodate.ISO8601Error, ValueError):
            raise r.bad("duration", "must be an ISO 8601 duration such as PT1H30M") from None
        if not isinstance(parsed, isodate.Duration) and parsed.total_seconds() <= 0:
            raise r.bad("duration", "must be longer than zero")

    evidence_type = r.raw.get("evidence_type")
    if evidence_type is not None and evidence_type not in v.EVIDENCE_TYPES:
        raise r.bad("evidence_type", f"must be one of {', '.join(v.EVIDENCE_TYPES)}", rule="evidence-type")

    learned, impact = _reflection(r, r.raw.get("reflection"), evidence_type)

    peer = peer_reflection = None
    peer_raw = r.raw.get("peer")
    if peer_raw is not None:
        if not isinstance(peer_raw, dict):
            raise r.bad("peer", 'is an object: {"agent": "mailto:...", "name": ..., "reflection": ...}')
        unknown = sorted(set(peer_raw) - {"agent", "name", "reflection"})
        if unknown:
            raise r.bad(
                f"peer.{unknown[0]}", "is not a peer field (agent, name, reflection)", rule="unknown-field"
            )
        peer, peer_key = _agent(r, "peer.agent", peer_raw.get("agent"))
        if peer_key == key:
            raise r.bad("peer.agent", "a peer reflection is given by someone else")
        peer_name = r.text("peer.name", peer_raw.get("name"), required=False)
        if peer_name:
            peer["name"] = peer_name
        peer_reflection = r.text("peer.reflection", peer_raw.get("reflection"), required=False)

    standards_raw = r.raw.get("standards") or []
    if not isinstance(standards_raw, list):
        raise r.bad("standards", "is a list of framework item IRIs")
    # Kept in the request's order, repeats included, so an error names the right index; to_statement dedupes.
    standards = tuple(r.iri(f"standards[{i}]", s) for i, s in enumerate(standards_raw))

    programme = r.iri("programme", r.raw["programme"]) if r.raw.get("programme") is not None else None
    activity = r.iri("activity", r.raw["activity"]) if r.raw.get("activity") is not None else None

    witness = _witness(r, r.raw.get("witness"), key)
    attachments = _attachments(r, r.raw.get("attachments"))
    if evidence_type == WITNESS_TESTIMONY:
        if witness is None:
            raise r.bad(
                "witness",
                'is required for a witness testimony: {"name": ..., "role": ..., "testimony": ...}',
                rule="required",
            )
        if "testimony" not in witness and not attachments:
            raise r.bad(
                "witness.testimony",
                "a witness testimony needs the witness's account: its text here, or a signed copy in attachments",
                rule="required",
            )

    reflects_on = r.raw.get("reflects_on")
    if reflects_on is not None:
        if not isinstance(reflects_on, str) or not _UUID.fullmatch(reflects_on):
            raise r.bad("reflects_on", "must be a statement id (a UUID)", rule="reflects-on")
        reflects_on = reflects_on.lower()

    return JournalEntry(
        agent=agent,
        agent_key=key,
        what=what or "",
        mode=mode,
        when=when,
        learned=learned,
        impact=impact,
        description=r.text("description", r.raw.get("description"), required=False),
        duration=duration,
        peer=peer,
        peer_reflection=peer_reflection,
        standards=standards,
        programme=programme,
        activity=activity,
        evidence_type=evidence_type,
        witness=witness,
        attachments=attachments,
        reflects_on=reflects_on,
        prefix=prefix,
    )


def _reflection(r: _Reader, reflection: Any, evidence_type: str | None) -> tuple[str | None, str | None]:
    """Both reflective answers; an entry of a non-reflective evidence type may give none, but if it gives a
    reflection it gives both."""
    if reflection is None and evidence_type not in REFLECTIVE_EVIDENCE:
        return None, None
    if not isinstance(reflection, dict):
        why = " for a reflective account" if evidence_type else ""
        raise r.bad("reflection", f'is required{why}: {{"learned": ..., "impact": ...}}', rule="required")
    unknown = sorted(set(reflection) - {"learned", "impact"})
    if unknown:
        raise r.bad(
            f"reflection.{unknown[0]}", "is not a reflection field (learned, impact)", rule="unknown-field"
        )
    learned = r.text("reflection.learned", reflection.get("learned"), required=True)
    impact = r.text("reflection.impact", reflection.get("impact"), required=True)
    return learned, impact


def _witness(r: _Reader, raw: Any, learner_key: str) -> dict[str, Any] | None:
    """The witness extension's object: who saw the practice (for an observation, the observer)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise r.bad("witness", 'is an object: {"name": ..., "role": ..., "relationship": ..., "date": ...}')
    unknown = sorted(set(raw) - set(WITNESS_FIELDS))
    if unknown:
        raise r.bad(
            f"witness.{unknown[0]}",
            f"is not a witness field ({', '.join(WITNESS_FIELDS)})",
            rule="unknown-field",
        )
    witness: dict[str, Any] = {
        "name": r.text("witness.name", raw.get("name"), required=True),
        "role": r.text("witness.role", raw.get("role"), required=True),
    }
    relationship = r.text("witness.relationship", raw.get("relationship"), required=False)
    if relationship:
        witness["relationship"] = relationship
    signed = raw.get("date")
    if signed is not None:
        if not isinstance(signed, str) or not _DATE.fullmatch(signed):
            raise r.bad("witness.date", "must be a date (YYYY-MM-DD)")
        try:
            day = date.fromisoformat(signed)
        except ValueError:
            raise r.bad("witness.date", "must be a date (YYYY-MM-DD)") from None
        if day > (datetime.now(UTC) + timedelta(days=1)).date():
            raise r.bad("witness.date", "is in the future: a witness signs what has happened")
        witness["date"] = signed
    if raw.get("agent") is not None:
        agent, key = _agent(r, "witness.agent", raw["agent"])
        if key == learner_key:
            raise r.bad("witness.agent", "a witness is someone other than the learner")
        agent.setdefault("name", witness["name"])
        witness["agent"] = agent
    testimony = r.text("witness.testimony", raw.get("testimony"), required=False)
    if testimony:
        witness["testimony"] = testimony
    return witness


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MiB" if n >= mib and n % mib == 0 else f"{n} bytes"


def _attachments(r: _Reader, raw: Any) -> tuple[Attachment, ...]:
    """The files an entry carries, decoded and checked (count, name, media type, base64, size)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise r.bad("attachments", 'is a list of {"name", "content_type", "content_base64", "description"}')
    if len(raw) > MAX_ATTACHMENTS:
        raise r.bad(
            "attachments",
            f"has {len(raw)} files; an entry carries at most {MAX_ATTACHMENTS}",
            rule="too-many-attachments",
        )
    limit = MAX_ATTACHMENT_BYTES
    found = []
    for i, item in enumerate(raw):
        at = f"attachments[{i}]"
        if not isinstance(item, dict):
            raise r.bad(at, 'is an object: {"name": ..., "content_type": ..., "content_base64": ...}')
        unknown = sorted(set(item) - set(ATTACHMENT_FIELDS))
        if unknown:
            raise r.bad(
                f"{at}.{unknown[0]}",
                f"is not an attachment field ({', '.join(ATTACHMENT_FIELDS)})",
                rule="unknown-field",
            )
        name = r.text(f"{at}.name", item.get("name"), required=True) or ""
        if len(name) > MAX_FILE_NAME or name in (".", "..") or any(c in "/\\" or ord(c) < 32 for c in name):
            raise r.bad(f"{at}.name", f"is a file name (no folders, at most {MAX_FILE_NAME} characters)")
        content_type = item.get("content_type")
        if content_type is None or content_type == "":
            raise r.bad(
                f"{at}.content_type", "is required (a media type such as application/pdf)", rule="required"
            )
        if not is_media_type(content_type):
            raise r.bad(
                f"{at}.content_type", "must be a media type such as application/pdf", rule="media-type"
            )
        encoded = item.get("content_base64")
        if encoded is None or encoded == "":
            raise r.bad(f"{at}.content_base64", "is required: the file's bytes in base64", rule="required")
        if not isinstance(encoded, str):
            raise r.bad(f"{at}.content_base64", "must be a string: the file's bytes in base64", rule="base64")
        compact = "".join(encoded.split())  # line breaks (as base64 tools write) are allowed
        if len(compact) // 4 * 3 - 2 > limit:
            raise r.bad(f"{at}.content_base64", f"is larger than {_size(limit)}", rule="attachment-too-large")
        try:
            content = binascii.a2b_base64(compact, strict_mode=True)
            # Strict mode still lets excess padding through ("QUJD=="): only the canonical encoding is base64.
            if base64.b64encode(content).decode("ascii") != compact:
                raise ValueError("not canonical")
        except (binascii.Error, ValueError):
            raise r.bad(
                f"{at}.content_base64", "is not valid base64 (standard alphabet, padded)", rule="base64"
            ) from None
        if not content:
            raise r.bad(f"{at}.content_base64", "is empty: attach a file with some content", rule="required")
        if len(content) > limit:
            raise r.bad(
                f"{at}.content_base64",
                f"is {_size(len(content))}, larger than {_size(limit)}",
                rule="attachment-too-large",
            )
        found.append(
            Attachment(
                name=name,
                content_type=content_type,
                content=content,
                sha2=hashlib.sha256(content).hexdigest(),
                description=r.text(f"{at}.description", item.get("description"), required=False),
            )
        )
    return tuple(found)


def _when(r: _Reader, value: Any) -> datetime:
    """A date (taken as noon UTC, the same day in every UK time) or a timestamp with a time zone; not future."""
    if not isinstance(value, str) or not value.strip():
        raise r.bad("date", "is required (YYYY-MM-DD)", rule="required")
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(12), UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise r.bad("date", "must be a date (YYYY-MM-DD) or a timestamp with a time zone") from None
    if parsed.tzinfo is None:
        raise r.bad("date", "a timestamp needs a time zone (Z or +01:00)")
    parsed = parsed.astimezone(UTC)
    # A day's grace: "today" somewhere east of UTC is still tomorrow's date nowhere.
    if parsed.date() > (datetime.now(UTC) + timedelta(days=1)).date():
        raise r.bad("date", "is in the future: the journal records what happened")
    return parsed


def parse_entries(body: Any, *, default_agent_key: str | None = None) -> list[JournalEntry]:
    """One entry (an object) or several (a list, all or nothing); error paths are prefixed "[i]" in a list."""
    if isinstance(body, list):
        if not body:
            raise XAPIError("send at least one journal entry", rule="invalid-journal-entry", path="")
        return [
            parse_entry(e, prefix=f"[{i}]", default_agent_key=default_agent_key) for i, e in enumerate(body)
        ]
    return [parse_entry(body, default_agent_key=default_agent_key)]


# --- entry -> statement ------------------------------------------------------------------------------------


def to_statement(entry: JournalEntry, *, activity_base: str) -> dict[str, Any]:
    """The xAPI statement for an entry (pure). ``activity_base`` roots the IRIs minted for entries that name
    no activity of their own (the LRS's authority home page)."""
    statement_id = str(uuid.uuid4())
    # A minted activity shares the statement's id, so either leads to the other.
    activity_id = entry.activity or f"{activity_base.rstrip('/')}/journal/{statement_id}"
    definition: dict[str, Any] = {
        "name": {LANGUAGE: entry.what},
        "type": v.JOURNAL_ACTIVITY_TYPES[entry.mode],
    }
    if entry.description:
        definition["description"] = {LANGUAGE: entry.description}
    result: dict[str, Any] = {}
    if entry.learned is not None:
        result = {"response": entry.learned, "extensions": {v.EXT_IMPACT: entry.impact}}
    if entry.duration:
        result["duration"] = entry.duration
    extensions: dict[str, Any] = {}
    if entry.peer:
        extensions[v.EXT_PEER] = entry.peer
        if entry.peer_reflection:
            extensions[v.EXT_PEER_REFLECTION] = entry.peer_reflection
    if entry.standards:
        extensions[v.EXT_STANDARDS] = list(dict.fromkeys(entry.standards))
    if entry.evidence_type:
        extensions[v.EXT_EVIDENCE_TYPE] = entry.evidence_type
    if entry.witness:
        extensions[v.EXT_WITNESS] = entry.witness
    context_activities: dict[str, Any] = {"category": [{"id": v.PROFILE_VERSION, "objectType": "Activity"}]}
    if entry.programme:
        context_activities["grouping"] = [{"id": entry.programme, "objectType": "Activity"}]
    context: dict[str, Any] = {"contextActivities": context_activities, "language": LANGUAGE}
    if entry.reflects_on:
        # xAPI's own place for "another statement this one is about": exporters read context.statement.id.
        context["statement"] = {"objectType": "StatementRef", "id": entry.reflects_on}
    if extensions:
        context["extensions"] = extensions
    statement: dict[str, Any] = {
        "id": statement_id,
        "actor": entry.agent,
        "verb": {"id": v.JOURNAL_VERB, "display": {LANGUAGE: "reflected"}},
        "object": {"objectType": "Activity", "id": activity_id, "definition": definition},
        "context": context,
        "timestamp": entry.when.isoformat().replace("+00:00", "Z"),
    }
    if result:
        statement["result"] = result
    if entry.attachments:
        usage = (
            v.USAGE_WITNESS_TESTIMONY if entry.evidence_type == WITNESS_TESTIMONY else v.USAGE_WORK_PRODUCT
        )
        statement["attachments"] = [_attachment_object(a, usage) for a in entry.attachments]
    return statement


def _attachment_object(attachment: Attachment, usage: str) -> dict[str, Any]:
    obj: dict[str, Any] = {"usageType": usage, "display": {LANGUAGE: attachment.name}}
    if attachment.description:
        obj["description"] = {LANGUAGE: attachment.description}
    obj.update(contentType=attachment.content_type, length=len(attachment.content), sha2=attachment.sha2)
    return obj


def resolve_reflections(lrs: LRS, entries: list[JournalEntry]) -> list[JournalEntry]:
    """Check that each ``reflects_on`` names a statement (not voided) of the entry's own learner, and point an
    entry that names no activity of its own at that statement's activity, so the two read as one piece of
    learning (a CPD log groups by activity). Another learner's statement gets the same answer as an unknown id,
    so the answer reveals nothing about other people's records."""
    from lrs.store.records import statements_with_agents

    wanted = sorted({e.reflects_on for e in entries if e.reflects_on})
    if not wanted:
        return entries
    with lrs.db.read() as conn:
        found = statements_with_agents(conn, wanted)
    resolved = []
    for entry in entries:
        if entry.reflects_on:
            target = found.get(entry.reflects_on)
            if target is None or entry.agent_key not in target[1]:
                raise XAPIError(
                    f"{entry.path('reflects_on')}: no statement of this learner has the id {entry.reflects_on}",
                    rule="reflects-on",
                    path=entry.path("reflects_on"),
                )
            obj = target[0].get("object") or {}
            if entry.activity is None and obj.get("objectType", "Activity") == "Activity":
                entry = replace(entry, activity=obj["id"])
        resolved.append(entry)
    return resolved


def check_standards(lrs: LRS, entries: list[JournalEntry]) -> None:
    """Every standard an entry names must be an item of a framework loaded here (shipped, from a plugin, or
    imported), so a mistyped IRI is refused instead of printed raw in a portfolio or CPD log."""
    if not any(e.standards for e in entries):
        return
    from lrs.competency.evidence import registry

    known = registry(lrs).item_framework
    for entry in entries:
        for i, iri in enumerate(entry.standards):
            if iri not in known:
                path = entry.path(f"standards[{i}]")
                raise XAPIError(
                    f"{path}: {iri} is not an item of any framework loaded here (GET /api/frameworks lists them)",
                    rule="unknown-standard",
                    path=path,
                )


def record(lrs: LRS, entries: list[JournalEntry], principal: Principal) -> list[str]:
    """Store entries through the service (validation, plugins, classification), all or nothing; the ids."""
    check_standards(lrs, entries)
    entries = resolve_reflections(lrs, entries)
    statements = [to_statement(e, activity_base=lrs.settings.authority_home_page) for e in entries]
    # The attachments' bytes, once per hash, in the shape the statements resource hands the service.
    contents = {a.sha2: (a.content_type, a.content) for e in entries for a in e.attachments}
    # One entry goes as one statement, so error paths match the request's shape (no "[0]." for a single entry).
    return lrs.store_statements(
        statements if len(statements) > 1 else statements[0], principal, VERSION, attachments=contents or None
    )


def entry_from_options(options: dict[str, Any]) -> dict[str, Any]:
    """The entry JSON for ``lrs journal add``'s options, so the command and the API check entries alike."""
    entry: dict[str, Any] = {
        "agent": options.get("agent"),
        "name": options.get("name"),
        "what": options.get("what"),
        "description": options.get("description"),
        "mode": options.get("mode"),
        "date": options.get("when"),
        "duration": options.get("duration"),
        "standards": list(options.get("standards") or []),
        "programme": options.get("programme"),
        "evidence_type": options.get("evidence_type"),
        "attachments": [attachment_from_file(path) for path in options.get("attach") or ()],
    }
    # Without --evidence-type (or for a reflective account) a missing reflection is still reported.
    if options.get("learned") or options.get("impact") or options.get("evidence_type") in REFLECTIVE_EVIDENCE:
        entry["reflection"] = {"learned": options.get("learned"), "impact": options.get("impact")}
    if options.get("peer") or options.get("peer_name") or options.get("peer_reflection"):
        entry["peer"] = {
            "agent": options.get("peer"),
            "name": options.get("peer_name"),
            "reflection": options.get("peer_reflection"),
        }
    witness = {f: options.get(f"witness_{f}") for f in WITNESS_FIELDS if f != "agent"}
    if any(witness.values()):
        entry["witness"] = {f: val for f, val in witness.items() if val is not None}
    return {k: val for k, val in entry.items() if val not in (None, [])}


def attachment_from_file(path: str | Path) -> dict[str, Any]:
    """An entry's attachment JSON for a file (``lrs journal add --attach``): its name, the media type its
    extension suggests (application/octet-stream when none does), and its bytes in base64. At most one byte
    more than the limit is read, so parse_entries refuses a file that is too big without reading it all."""
    path = Path(path)
    with path.open("rb") as f:
        content = f.read(MAX_ATTACHMENT_BYTES + 1)
    return {
        "name": path.name,
        "content_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        "content_base64": base64.b64encode(content).decode("ascii"),
    }
