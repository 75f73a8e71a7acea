"""The "Record learning" form: its fields become a journal entry (the same JSON POST /api/journal takes), and
the journal's errors (a rule and a field path) come back as a message next to the form field they concern.

The journal stops at its first mistake; the form wants all of them at once, so after each mistake the field is
set aside (or given a stand-in value) and the entry checked again, up to one round per field.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lrs.learning import journal
from lrs.xapi.errors import XAPIError

#: What each form field is called on the page (for messages that name it).
LABELS = {
    "what": "What you did",
    "date": "The date",
    "mode": "The kind of learning",
    "description": "The description",
    "hours": "How long it took",
    "learned": "What you learned",
    "impact": "The difference to your practice",
    "peer_name": "The peer's name",
    "peer_email": "The peer's email address",
    "peer_reflection": "What you learned from the peer",
    "standards": "The standards",
    "evidence_type": "The kind of evidence",
    "witness_name": "The witness's name",
    "witness_role": "The witness's role",
    "witness_relationship": "How the witness knows your work",
    "witness_date": "The date the witness signed",
    "witness_testimony": "The witness's account",
    "attachments": "The files",
    "reflects_on": "The item you are reflecting on",
}
#: Messages for a field that is missing, in plain words.
REQUIRED = {
    "what": "Enter what you did.",
    "date": "Enter the date it happened.",
    "mode": "Choose the kind of learning.",
    "learned": "Enter what you learned.",
    "impact": "Enter the difference it makes to your practice and the people you work with.",
    "peer_email": "Enter the email address of the peer you discussed it with.",
    "witness_name": "Enter the witness's name.",
    "witness_role": "Enter the witness's role.",
    "witness_testimony": "Enter the witness's account, or attach a signed copy.",
    "attachments": "Attach a file with some content.",
}
#: A journal field path -> the form field (paths not listed belong to the whole form).
PATHS = {
    "what": "what",
    "date": "date",
    "mode": "mode",
    "description": "description",
    "duration": "hours",
    "reflection": "learned",
    "reflection.learned": "learned",
    "reflection.impact": "impact",
    "peer": "peer_email",
    "peer.agent": "peer_email",
    "peer.name": "peer_name",
    "peer.reflection": "peer_reflection",
    "standards": "standards",
    "evidence_type": "evidence_type",
    "witness": "witness_name",
    "witness.name": "witness_name",
    "witness.role": "witness_role",
    "witness.relationship": "witness_relationship",
    "witness.date": "witness_date",
    "witness.testimony": "witness_testimony",
    "attachments": "attachments",
    "reflects_on": "reflects_on",
}
TEXT_FIELDS = (
    "what", "date", "mode", "description", "hours", "learned", "impact", "peer_name", "peer_email",
    "peer_reflection", "evidence_type", "witness_name", "witness_role", "witness_relationship", "witness_date",
    "witness_testimony", "reflects_on",
)
_HOURS = re.compile(r"\d{1,3}(\.\d{1,2})?")


@dataclass
class FormData:
    values: dict[str, str]
    standards: list[str]
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, media type, bytes

    @classmethod
    def empty(cls, **values: str) -> FormData:
        return cls({name: "" for name in TEXT_FIELDS} | values, [])


def form_field(path: str) -> str:
    """The form field a journal error path belongs to ("attachments[1].name" -> "attachments")."""
    bare = re.sub(r"\[\d+\]", "", path)
    if bare.startswith("attachments"):
        return "attachments"
    if bare.startswith("standards"):
        return "standards"
    return PATHS.get(bare, "form")


def _message(form_name: str, exc: XAPIError) -> str:
    if exc.rule == "required" and form_name in REQUIRED:
        return REQUIRED[form_name]
    if exc.rule == "unknown-standard":
        return "One of the standards is not in any framework on this system: tick the standards from the list."
    detail = exc.message.split(": ", 1)[1] if ": " in exc.message else exc.message
    if form_name == "attachments":
        match = re.search(r"attachments\[(\d+)\]", exc.path)
        label = f"File {int(match.group(1)) + 1}" if match else "The files"
    else:
        label = LABELS.get(form_name, "This entry")
    detail = detail.replace("(YYYY-MM-DD)", "(for example 2026-03-17)")
    return f"{label} {detail}".rstrip(".") + "."


def to_entry(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The journal entry for a filled-in form, and the mistakes only the form can see (the hours)."""
    val = {k: (form.values.get(k) or "").strip() for k in TEXT_FIELDS}
    errors: dict[str, str] = {}
    entry: dict[str, Any] = {"what": val["what"], "date": val["date"], "mode": val["mode"] or None}
    if val["description"]:
        entry["description"] = val["description"]
    if val["hours"]:
        if _HOURS.fullmatch(val["hours"]) and float(val["hours"]) > 0:
            minutes = round(float(val["hours"]) * 60)
            entry["duration"] = f"PT{minutes // 60}H{minutes % 60}M" if minutes % 60 else f"PT{minutes // 60}H"
        else:
            errors["hours"] = "Enter how long it took in hours, for example 1.5 (or leave it empty)."
    if val["evidence_type"]:
        entry["evidence_type"] = val["evidence_type"]
    if val["learned"] or val["impact"] or val["evidence_type"] in ("", "reflective-account"):
        entry["reflection"] = {"learned": val["learned"], "impact": val["impact"]}
    if val["peer_name"] or val["peer_email"] or val["peer_reflection"]:
        email = val["peer_email"]
        entry["peer"] = {
            "agent": (email if ":" in email else f"mailto:{email}") if email else None,
            "name": val["peer_name"] or None,
            "reflection": val["peer_reflection"] or None,
        }
    witness = {f: val[f"witness_{f}"] for f in ("name", "role", "relationship", "date", "testimony")}
    if any(witness.values()):
        entry["witness"] = {k: (w or None) for k, w in witness.items() if w or k in ("name", "role")}
    if form.standards:
        entry["standards"] = list(form.standards)
    if form.files:
        entry["attachments"] = [
            {"name": name, "content_type": media_type, "content_base64": base64.b64encode(content).decode("ascii")}
            for name, media_type, content in form.files
        ]
    if val["reflects_on"]:
        entry["reflects_on"] = val["reflects_on"]
    return entry, errors


#: Stand-in values that let the check go on past a field already reported.
_STAND_INS: dict[str, Any] = {
    "what": "x",
    "mode": "formal",
    "reflection.learned": "x",
    "reflection.impact": "x",
    "peer.agent": "mailto:someone-else@example.invalid",
    "witness.name": "x",
    "witness.role": "x",
    "witness.testimony": "x",
}


def _set_aside(entry: dict[str, Any], path: str) -> bool:
    """Give the field at ``path`` a stand-in value (or remove it); False when that cannot move the check on."""
    bare = re.sub(r"\[\d+\]", "", path)
    if bare == "date":
        entry["date"] = date.today().isoformat()
        return True
    if bare in _STAND_INS:
        head, _, tail = bare.partition(".")
        if tail:
            if not isinstance(entry.get(head), dict):
                return False
            entry[head][tail] = _STAND_INS[bare]
        else:
            entry[head] = _STAND_INS[bare]
        return True
    head, _, tail = bare.partition(".")
    if bare.startswith(("attachments", "standards")):
        head, tail = bare.split(".")[0], ""
    if tail and isinstance(entry.get(head), dict) and tail in entry[head]:
        entry[head].pop(tail)
        return True
    if head in entry:
        entry.pop(head)
        return True
    return False


def check(entry: dict[str, Any], *, agent_key: str) -> tuple[list[journal.JournalEntry], dict[str, str]]:
    """Check the entry with the journal's rules; every mistake as a form field's message."""
    errors: dict[str, str] = {}
    trial = {k: (dict(val) if isinstance(val, dict) else val) for k, val in entry.items()}
    for _ in range(len(PATHS) + 2):
        try:
            return journal.parse_entries(trial, default_agent_key=agent_key), errors
        except XAPIError as exc:
            name = form_field(exc.path)
            errors.setdefault(name, _message(name, exc))
            if not _set_aside(trial, exc.path):
                return [], errors
    return [], errors
