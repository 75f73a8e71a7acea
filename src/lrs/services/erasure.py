"""Personal data: a subject access export of everything held about one person, and erasure (delete or
pseudonymise) with a dry run and an audit record. docs/operations.md ("Personal data") gives the rules.

What belongs to whom:

- **their own statements** (they are the actor; a voiding statement of one of those counts as theirs):
  ``delete`` mode removes them with every derived row; ``pseudonymise`` mode keeps them with the person replaced
  by a pseudonym and their free text (``result.response``) and attachments removed.
- **other people's statements that name them** (an assessor's decision on their evidence, a witness's testimony,
  a team they were in, an instructor role): the other person's record, so never deleted; the person is replaced
  by the pseudonym in the statement and its index rows.
- documents (state, agent profile) for their agent, their evidence links, their accounts (users) and credentials
  bound to their agent go; decisions about them stay as the assessor's record, under the pseudonym.

The pseudonym is one random account per erasure (``urn:lrs:erased``), so the assessor's decisions about "the
same learner" still read as one person without saying who.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lrs.store import erasure as store
from lrs.xapi.ifi import agent_key, key_from_identifier, mbox_sha1sum
from lrs.xapi.statement import fingerprint

if TYPE_CHECKING:
    from lrs.services.statements import LRS

PSEUDONYM_HOME_PAGE = "urn:lrs:erased"
MODES = ("delete", "pseudonymise")
ERASED_TEXT = "[erased]"

#: ``on_progress(description, completed, total)``: how a long job tells its caller how far it is (total None:
#: not known). The CLI passes ``lrs.cli.progress.Meter.report``.
OnProgress = Callable[[str, int, "int | None"], None]


def no_progress(description: str, completed: int, total: int | None) -> None:
    return None


class ErasureError(ValueError):
    """A request that cannot be carried out (a sentence for a person)."""


@dataclass
class Person:
    """Everything that identifies one person: their agent keys, e-mail addresses and names."""

    keys: list[str]
    emails: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, identifiers: Iterable[str]) -> Person:
        keys: list[str] = []
        emails: list[str] = []
        for identifier in identifiers:
            key = key_from_identifier(identifier)
            if not key.startswith(("mbox:", "mbox_sha1sum:", "openid:", "account:")):
                raise ErasureError(f"{identifier!r} is not an agent identifier (mailto:…, account:HOME|NAME, …)")
            keys.append(key)
            if key.startswith("mbox:mailto:"):
                mbox = key[len("mbox:"):]
                keys.append("mbox_sha1sum:" + mbox_sha1sum(mbox))
                emails.append(mbox[len("mailto:"):])
        return cls(sorted(set(keys)), sorted(set(emails)))

    def texts(self) -> list[str]:
        """Strings that name the person, longest first (replaced in free text of statements that name them)."""
        found = {f"mailto:{e}" for e in self.emails} | set(self.emails) | {n for n in self.names if len(n) >= 3}
        return sorted(found, key=len, reverse=True)


@dataclass
class Findings:
    person: Person
    own: list[dict[str, Any]]
    others: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    users: list[dict[str, Any]]
    credentials: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    evidence_links: list[dict[str, Any]]
    attachments: list[str]
    #: Enrolments, unit submissions and claims, registration numbers, witness requests, sign-in sessions and
    #: password resets (lrs.store.erasure.person_rows), by kind.
    workflow: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "own statements": len(self.own),
            "statements naming them (others' records)": len(self.others),
            "voided statements": sum(1 for s in self.own + self.others if s["voided"]),
            "voiding statements": sum(1 for s in self.own + self.others if s["is_voiding"]),
            "documents": len(self.documents),
            "accounts": len(self.users),
            "credentials": len(self.credentials),
            "review decisions": len(self.decisions),
            "evidence links": len(self.evidence_links),
            "attachments": len(self.attachments),
            **{kind: len(rows) for kind, rows in self.workflow.items()},
        }


def _actor_key(payload: dict[str, Any]) -> str | None:
    actor = payload.get("actor")
    return agent_key(actor) if isinstance(actor, dict) else None


def _names_in(value: Any, keys: set[str], names: set[str]) -> None:  # noqa: ANN401
    if isinstance(value, dict):
        if agent_key(value) in keys and isinstance(value.get("name"), str):
            names.add(value["name"])
        for item in value.values():
            _names_in(item, keys, names)
    elif isinstance(value, list):
        for item in value:
            _names_in(item, keys, names)


def _sha2s(payloads: Iterable[dict[str, Any]]) -> set[str]:
    return {
        a["sha2"]
        for p in payloads
        for a in (p.get("attachments") or [])
        if isinstance(a, dict) and isinstance(a.get("sha2"), str)
    }


def find(lrs: LRS, person: Person) -> Findings:
    """Everything held about the person (read only)."""
    keys = set(person.keys)
    with lrs.db.read() as conn:
        touching = store.statements_touching(conn, person.keys)
        own_ids = {s["id"] for s in touching if _actor_key(s["payload"]) in keys}
        # A voiding statement of their own statement is about it: it goes with it (whoever voided it).
        for voiding in store.statements_targeting(conn, sorted(own_ids)):
            if voiding["is_voiding"] and voiding["id"] not in {s["id"] for s in touching}:
                touching.append(voiding)
        own = [s for s in touching if s["id"] in own_ids or (s["is_voiding"] and s["object_statement_id"] in own_ids)]
        own_seqs = {s["seq"] for s in own}
        others = [s for s in touching if s["seq"] not in own_seqs]
        users = store.users_of(conn, person.keys, person.emails)
        credentials = store.credentials_of(conn, person.keys)
        decisions = store.decisions_about(conn, person.keys, [c["key"] for c in credentials])
        findings = Findings(
            person=person,
            own=own,
            others=others,
            documents=store.documents_of(conn, person.keys),
            users=users,
            credentials=credentials,
            decisions=decisions,
            evidence_links=store.evidence_links_of(conn, person.keys),
            attachments=sorted(_sha2s(s["payload"] for s in own)),
            workflow=store.person_rows(conn, person.keys, [u["id"] for u in users]),
        )
    for s in touching:
        _names_in(s["payload"], keys, person.names)
    person.names.update(u["name"] for u in users if u.get("name"))
    return findings


# --- subject access export ---------------------------------------------------------------------------------------


def _document_content(doc: dict[str, Any]) -> Any:  # noqa: ANN401
    content = doc["content"]
    if "json" in (doc.get("content_type") or ""):
        try:
            return json.loads(content)
        except ValueError:
            pass
    try:
        return bytes(content).decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": __import__("base64").b64encode(bytes(content)).decode()}


def export_zip(lrs: LRS, person: Person, *, journal_verbs: Sequence[str] = ()) -> bytes:
    """One ZIP: index.html (what is held, with links) and a JSON file per kind, plus their attachments."""
    found = find(lrs, person)
    with lrs.db.read() as conn:
        attachment_rows = store.attachments(conn, _sha2s(s["payload"] for s in found.own + found.others))
    statements_own = [s["payload"] for s in found.own]
    files: dict[str, Any] = {
        "statements-own.json": statements_own,
        "statements-naming-them.json": [s["payload"] for s in found.others],
        "journal.json": [p for p in statements_own if (p.get("verb") or {}).get("id") in set(journal_verbs)],
        "documents.json": [
            {"kind": d["kind"], "activityId": d["activity_iri"] or None, "registration": d["registration"] or None,
             "id": d["document_id"], "contentType": d["content_type"], "updated": d["updated"].isoformat(),
             "content": _document_content(d)}
            for d in found.documents
        ],
        "decisions.json": [{**d, "decided": d["decided"].isoformat()} for d in found.decisions],
        "evidence-links.json": found.evidence_links,
        "accounts.json": [_plain(u) for u in found.users],
        "credentials.json": [_plain(c) for c in found.credentials],
        **{f"{kind.replace(' ', '-')}.json": [_plain(r) for r in rows] for kind, rows in found.workflow.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=str))
        for row in attachment_rows:
            archive.writestr(f"attachments/{row['sha2']}", bytes(row["content"]))
        archive.writestr("index.html", _index_html(person, files, attachment_rows))
    return buffer.getvalue()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _index_html(person: Person, files: dict[str, Any], attachment_rows: list[dict[str, Any]]) -> str:
    titles = {
        "statements-own.json": "Statements they made (as actor)",
        "statements-naming-them.json": "Other statements that name them (instructor, team, decisions on their evidence)",
        "journal.json": "Journal entries",
        "documents.json": "Documents (state and agent profile)",
        "decisions.json": "Assessment decisions about them, or made by them",
        "evidence-links.json": "Evidence links to competency frameworks",
        "accounts.json": "Accounts for the web pages",
        "credentials.json": "API credentials bound to them (no secrets: only hashes are held)",
        "cohort-enrolments.json": "Cohorts they are enrolled in",
        "unit-submissions.json": "Units they submitted for assessment",
        "unit-claims.json": "Certification claimed for their units",
        "learner-registrations.json": "Their registration number with the awarding body",
        "witness-requests.json": "Requests sent to witnesses of their evidence (no link tokens)",
        "sign-in-sessions.json": "Their sign-in sessions on the web pages (no session secrets)",
        "password-resets.json": "Password resets asked for (no tokens)",
    }
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(name)}">{html.escape(titles[name])}</a></td><td>{len(content)}</td></tr>'
        for name, content in files.items()
    )
    attachments = "\n".join(
        f'<li><a href="attachments/{html.escape(r["sha2"])}">{html.escape(r["sha2"][:16])}…</a> '
        f'({html.escape(r["content_type"])}, {r["length"]} bytes)</li>'
        for r in attachment_rows
    ) or "<li>none</li>"
    who = ", ".join(html.escape(k) for k in person.keys)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Personal data held</title></head>
<body><main>
<h1>Personal data held about {who}</h1>
<p>Made {made} by the learning record store, in answer to a subject access request.</p>
<table><caption>What is held</caption><thead><tr><th scope="col">Kind (file)</th><th scope="col">Items</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>Attachments</h2>
<ul>
{attachments}
</ul>
</main></body></html>
"""


# --- erasure ------------------------------------------------------------------------------------------------------


def scrub(value: Any, keys: set[str], pseudonym: dict[str, Any], texts: Sequence[str]) -> Any:  # noqa: ANN401
    """``value`` with every agent whose key is in ``keys`` replaced by ``pseudonym`` (name dropped) and every
    string naming the person (e-mail, name) with the words replaced."""
    if isinstance(value, dict):
        if agent_key(value) in keys:
            replaced = dict(pseudonym)
            if "objectType" in value:
                replaced = {"objectType": value["objectType"], **replaced}
            return replaced
        return {k: scrub(v, keys, pseudonym, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, keys, pseudonym, texts) for v in value]
    if isinstance(value, str) and texts:
        for text in texts:
            if text.lower() in value.lower():
                value = re.sub(re.escape(text), ERASED_TEXT, value, flags=re.IGNORECASE)
        return value
    return value


def erase(lrs: LRS, person: Person, *, mode: str, operator: str, dry_run: bool = False,
          on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Erase or pseudonymise everything held about the person. Returns the counts per kind (what would go, with
    ``dry_run``). One transaction; an audit row records who, when, the mode and the counts, never the data.
    ``on_progress`` hears the stages: finding, rewriting statements (counted), writing."""
    if mode not in MODES:
        raise ErasureError(f"mode must be one of {', '.join(MODES)}")
    tell = on_progress or no_progress
    tell("Finding what is held", 0, None)
    found = find(lrs, person)
    pseudonym_name = str(uuid.uuid4())
    pseudonym = {"account": {"homePage": PSEUDONYM_HOME_PAGE, "name": pseudonym_name}}
    pseudonym_key = agent_key(pseudonym) or ""
    keys = set(person.keys)
    texts = person.texts()
    delete_own = mode == "delete"
    own_seqs = [s["seq"] for s in found.own]

    with lrs.db.read() as conn:
        orphaned = [
            sha2 for sha2 in found.attachments if not store.attachment_used_elsewhere(conn, sha2, own_seqs)
        ]
        orphan_activities = store.activities_only_used_by(conn, own_seqs) if delete_own else []
    counts: dict[str, Any] = {
        **found.counts(),
        "attachments no other statement uses": len(orphaned),
        "activity definitions only their statements used": len(orphan_activities),
        "statements deleted": len(found.own) if delete_own else 0,
        "statements pseudonymised": len(found.others) + (0 if delete_own else len(found.own)),
    }
    report = {"mode": mode, "dry_run": dry_run, "pseudonym": None if dry_run else pseudonym_key, "counts": counts}
    if dry_run:
        return report

    def rewrite(statement: dict[str, Any], *, own: bool) -> tuple[int, dict[str, Any], str]:
        payload = scrub(statement["payload"], keys, pseudonym, texts)
        if own:
            # Their own words and files are where they are most identifiable.
            if isinstance(payload.get("result"), dict):
                payload["result"].pop("response", None)
            payload.pop("attachments", None)
        return statement["seq"], payload, fingerprint(payload)

    to_rewrite = [(s, False) for s in found.others] + ([] if delete_own else [(s, True) for s in found.own])
    rewrites = []
    for done, (statement, own) in enumerate(to_rewrite, start=1):
        rewrites.append(rewrite(statement, own=own))
        if done % 100 == 0 or done == len(to_rewrite):
            tell("Pseudonymising statements", done, len(to_rewrite))

    def work(conn) -> None:  # noqa: ANN001
        tell("Writing the erasure (one transaction)", len(to_rewrite), len(to_rewrite) or None)
        if delete_own:
            store.delete_statements(conn, own_seqs, [s["id"] for s in found.own])
            store.delete_activities(conn, orphan_activities)
            store.delete_evidence_links(conn, person.keys)
        else:
            store.pseudonymise_evidence_links(conn, person.keys, pseudonym_key)
        for seq, payload, new_fingerprint in rewrites:
            store.rewrite_statement(conn, seq, payload, new_fingerprint)
        counts["index rows pseudonymised"] = sum(store.replace_agent_keys(conn, person.keys, pseudonym_key).values())
        # The one pseudonym key in every agent-keyed table (lrs.store.erasure.AGENT_KEY_COLUMNS), so the
        # pseudonym's decisions, links and criteria line up.
        store.pseudonymise_decisions(conn, person.keys, [c["key"] for c in found.credentials], pseudonym_key)
        # Their criteria (learner_criteria) go, or move to the pseudonym, with their links and decisions.
        store.recount_criteria(conn, [*person.keys, pseudonym_key])
        store.pseudonymise_forward_filters(conn, person.keys, pseudonym_key)
        store.delete_documents(conn, person.keys)
        store.erase_person_rows(conn, person.keys, pseudonym_key, delete_own=delete_own)
        store.delete_attachments(conn, orphaned)
        store.delete_credentials(conn, person.keys)
        store.delete_users(conn, [u["id"] for u in found.users], person.emails + [u["email"] for u in found.users])
        # Last: the index rows counted again above bumped their versions; kept answers may quote them.
        store.forget_learner_answers(conn, person.keys)
        store.record_audit(conn, at=datetime.now(UTC), action="erasure", operator=operator, mode=mode,
                           subject=pseudonym_key, counts=counts)

    lrs.db.write(work)  # credentials are read on every request, so a deleted one is refused at once everywhere
    return report


def audit_log(lrs: LRS, limit: int = 100) -> list[dict[str, Any]]:
    with lrs.db.read() as conn:
        return store.audit_log(conn, limit)
