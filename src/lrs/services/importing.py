"""Import statements (and documents) from another LRS through its xAPI: statements over httpx with the tincan
client's credential header, documents with the tincan client.

- **Order and paging**: ``ascending=true`` from ``since`` (or the checkpoint), following ``more`` to the end.
- **Resumable**: after each page is stored, a checkpoint row keeps the peer's ``more`` URL and the ``stored`` of
  the page's last statement; a rerun continues from the ``more`` URL, or, when the peer no longer honours it, from
  that ``stored`` (less a margin: statements stored in the same instant may straddle the page boundary).
- **Idempotent**: statements keep their ids; one already held is skipped (the store's rule for a re-sent identical
  statement), so a rerun or an overlap stores nothing twice. One held with different content is reported as a
  conflict and left as it is.
- **What an imported statement keeps** (docs/operations.md, Import): its ``id``, ``timestamp`` and ``authority``
  (the operator vouches for the peer, the trust the specification asks for before an LRS keeps a submitted
  authority); ``stored`` is set by this LRS at import, as the specification says the LRS sets it, so since/until
  and ``more`` here follow this store's order. A voided statement is fetched (``voidedStatementId``) before its
  voiding statement so it arrives voided.
- **Attachments**: statements are asked for with ``attachments=true``; a peer's multipart/mixed answer is read
  with the Statement resource's own parser (lrs.xapi.multipart) and its parts matched to the statements by sha2,
  then stored through the same checks as a client's multipart request (hash, headers, signatures). A statement
  whose content the answer lacks is asked for on its own (``statementId`` with ``attachments=true``); if the
  peer still sends no content for an attachment without a ``fileUrl``, the statement is not stored and the
  report's ``rejected`` says which attachment and why (this LRS keeps no such statement without its content).
- **Peers' quirks**: ``more`` may be absolute, root-relative or relative to the endpoint (resolved against the
  endpoint); tincan's own statement objects reject properties newer than 1.0.x and its request layer decodes
  every answer as UTF-8 text (binary attachment parts are not), so pages are read as bytes with httpx;
  booleans go as ``true``, not Python's ``True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

import httpx
from tincan import Activity, Agent, RemoteLRS

from lrs.services.documents import DocumentService
from lrs.services.principal import Principal
from lrs.store import importing as checkpoints
from lrs.xapi import documents as xdocs
from lrs.xapi import scopes as xscopes
from lrs.xapi.attachments import Part, attachment_refs, hash_matches, media_type, needs_part, normalise_hash
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Conflict, XAPIError
from lrs.xapi.ifi import agent_key
from lrs.xapi.multipart import parse_multipart
from lrs.xapi.statement import parse_instant

if TYPE_CHECKING:
    from lrs.services.statements import LRS

#: How far before the checkpoint's ``stored`` a resumed import starts (re-reading a little is harmless).
RESUME_MARGIN = timedelta(seconds=1)


class ImportError_(RuntimeError):
    """The peer refused or answered something that is not xAPI (a sentence for the operator)."""


@dataclass
class ImportReport:
    pages: int = 0
    received: int = 0
    stored: int = 0
    skipped: int = 0
    conflicts: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    documents: int = 0
    #: statements held here already that got the attachment content they lacked (imported before imports
    #: carried attachments; ``--restart`` reads the peer again from the start)
    filled_in: int = 0
    resumed_from: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Answer:
    """A peer's answer to a statement request: the JSON, and the attachment parts it carried by sha2."""

    body: Any
    parts: dict[str, Part] = field(default_factory=dict)
    #: sha2 -> why the peer's part for it cannot be used (its content does not have that hash)
    bad: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Answer) -> None:
        for sha2, part in other.parts.items():
            self.parts.setdefault(sha2, part)
            self.bad.pop(sha2, None)
        for sha2, why in other.bad.items():
            if sha2 not in self.parts:
                self.bad[sha2] = why


def read_answer(content_type: str | None, data: bytes) -> Answer:
    """A statement answer, JSON or multipart/mixed (the statements part first, then one part per attachment).
    A part whose content does not have the hash it names is set aside with the reason; a part without a hash
    cannot be matched to any attachment and is left out (the statements needing it are then reported)."""
    if content_type and media_type(content_type) == "multipart/mixed":
        try:
            first, parts = parse_multipart(content_type, data)
        except XAPIError as exc:
            raise ImportError_(f"the peer's multipart/mixed answer is malformed: {exc.message}") from exc
        data = first
    else:
        parts = []
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise ImportError_("the peer's answer is not JSON") from exc
    answer = Answer(body)
    for part in parts:
        if not part.hash_header or not part.hash_header.strip():
            continue
        sha2 = normalise_hash(part.hash_header)
        if hash_matches(sha2, part.content):
            answer.parts.setdefault(sha2, part)
            answer.bad.pop(sha2, None)
        elif sha2 not in answer.parts:
            answer.bad[sha2] = (f"the peer's part {part.path} does not have sha2 {part.hash_header.strip()} "
                                f"({len(part.content)} octets)")
    return answer


def missing_content(statement: dict[str, Any], answer: Answer) -> list[str]:
    """Why each attachment of ``statement`` that needs its content (no fileUrl, or a signature) has none usable
    in ``answer``: one sentence per attachment, naming its path and sha2."""
    missing = []
    for ref in attachment_refs(statement):
        if ref.sha2 is None or not needs_part(ref.attachment) or ref.sha2 in answer.parts:
            continue
        why = answer.bad.get(ref.sha2) or "the peer's answer carried no content for it"
        missing.append(f"{ref.path} (sha2 {ref.attachment['sha2']}): {why}")
    return missing


def more_path(endpoint: str, more: str) -> str:
    """The peer's ``more`` as a path on the endpoint's server (what tincan's more_statements wants). Absolute,
    root-relative and endpoint-relative forms are all met in the wild."""
    absolute = urljoin(endpoint if endpoint.endswith("/") else endpoint + "/", more)
    base, target = urlparse(endpoint), urlparse(absolute)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        raise ImportError_(f"the peer's more URL points at another server: {more}")
    return target.path + (f"?{target.query}" if target.query else "")


class Importer:
    def __init__(self, lrs: LRS, endpoint: str, key: str, secret: str, *, version: str = "1.0.3", page_size: int = 500):
        self.lrs = lrs
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.remote = RemoteLRS(endpoint=self.endpoint, username=key, password=secret, version=version)
        self.http = httpx.Client(timeout=120.0, follow_redirects=False)
        self.page_size = page_size
        self.version = version
        self.agents: dict[str, dict[str, Any]] = {}
        self.state_contexts: set[tuple[str, str, str]] = set()  # (activity, agent key, registration)
        self.activities: set[str] = set()

    def close(self) -> None:
        """Close the connections to the peer (the CLI does when the import ends)."""
        self.http.close()

    # --- the peer ----------------------------------------------------------------------------------------------

    def _get(self, resource: str, params: dict[str, str] | None = None) -> tuple[int, bytes, str | None]:
        """A statement request, with the credential and version header tincan makes (``remote.auth``). Not
        through tincan's request layer: it decodes every answer as UTF-8 text, which a multipart/mixed answer
        with binary attachment parts is not (and its statement objects reject properties newer than 1.0.x)."""
        url = resource if resource.startswith(("http://", "https://")) else self.endpoint + resource
        headers = {"X-Experience-API-Version": self.version}
        if self.remote.auth:
            headers["Authorization"] = self.remote.auth
        try:
            response = self.http.get(url, params=params or None, headers=headers)
        except httpx.HTTPError as exc:
            raise ImportError_(f"could not reach the peer: {type(exc).__name__}: {exc}") from exc
        return response.status_code, response.content, response.headers.get("Content-Type")

    def _more(self, more: str) -> str:
        # Absolute: _get takes a resource that starts with "http" as it is.
        return self.remote.get_endpoint_server_root() + more_path(self.endpoint, more)

    def _page(self, resource: str, params: dict[str, str] | None = None) -> Answer:
        status, data, content_type = self._get(resource, params)
        if status != 200:
            raise ImportError_(f"the peer answered {status}: {data[:200].decode('utf-8', 'replace')}")
        answer = read_answer(content_type, data)
        page = answer.body
        if not isinstance(page, dict) or not isinstance(page.get("statements"), list):
            raise ImportError_("the peer's answer has no statements list")
        return answer

    def _one(self, param: str, statement_id: Any) -> Answer | None:  # noqa: ANN401
        """One statement by ``statementId`` or ``voidedStatementId``, with its attachments; None when the peer
        does not give it (or gives something that is not a statement)."""
        if not isinstance(statement_id, str):
            return None
        status, data, content_type = self._get("statements", {param: statement_id, "attachments": "true"})
        if status != 200:
            return None
        try:
            answer = read_answer(content_type, data)
        except ImportError_:
            return None
        return answer if isinstance(answer.body, dict) else None

    # --- statements --------------------------------------------------------------------------------------------

    def run(self, *, since: str | None = None, documents: bool = False,
            progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
        report = ImportReport()
        with self.lrs.db.read() as conn:
            checkpoint = checkpoints.load(conn, self.endpoint)
        page: Answer | None = None
        if checkpoint and checkpoint["more"]:
            report.resumed_from = "more"
            try:
                page = self._page(self._more(checkpoint["more"]))
            except ImportError_:
                page = None  # an expired cursor: start again from the checkpoint's stored
        if page is None:
            start = since
            if checkpoint and checkpoint["since"]:
                report.resumed_from = report.resumed_from or "since"
                resumed = (parse_instant(checkpoint["since"]) - RESUME_MARGIN).isoformat()
                start = max(start, resumed, key=lambda v: parse_instant(v)) if start else resumed
            params = {"ascending": "true", "limit": str(self.page_size), "attachments": "true"}
            if start:
                params["since"] = start
            page = self._page("statements", params)
        total = checkpoint["statements"] if checkpoint else 0
        while True:
            statements = page.body["statements"]
            report.pages += 1
            report.received += len(statements)
            self._store(statements, page, report)
            more = page.body.get("more") or None
            last_stored = statements[-1].get("stored") if statements else (checkpoint or {}).get("since")
            total += len(statements)
            self.lrs.db.write(lambda conn, more=more, last=last_stored, total=total: checkpoints.save(
                conn, self.endpoint, since=last, more=more, statements=total, now=datetime.now(UTC)))
            checkpoint = {"since": last_stored}
            if progress:
                progress(report)
            if not more or not statements:
                break
            page = self._page(self._more(more))
        if documents:
            report.documents = self._documents()
        return report

    def _store(self, statements: list[dict[str, Any]], page: Answer, report: ImportReport) -> None:
        ids = {s.get("id") for s in statements}
        batch: list[dict[str, Any]] = []
        for statement in statements:
            self._remember(statement)
            target = (statement.get("object") or {}).get("id")
            if (statement.get("verb") or {}).get("id") == VOIDED_VERB and target not in ids:
                voided = self._one("voidedStatementId", target)
                if voided is not None:
                    page.merge(voided)
                    batch.append(voided.body)
            batch.append(statement)
        batch = [s for s in batch if self._has_content(s, page, report)]
        # One store call per authority (each kept as the statements' authority), in the peer's order.
        groups: list[tuple[str, list[dict[str, Any]]]] = []
        for statement in batch:
            key = json.dumps(statement.get("authority"), sort_keys=True)
            if groups and groups[-1][0] == key:
                groups[-1][1].append(statement)
            else:
                groups.append((key, [statement]))
        for _, group in groups:
            self._store_group(group, page, report)

    def _has_content(self, statement: dict[str, Any], page: Answer, report: ImportReport) -> bool:
        """Whether the page (or, asked again, the statement on its own) carries the content of each attachment
        that needs it; a statement held here already needs nothing. Otherwise it is reported and left out."""
        if not isinstance(statement, dict) or not missing_content(statement, page):
            return True
        if self._held([statement["id"]] if isinstance(statement.get("id"), str) else []):
            return True
        alone = self._one("statementId", statement.get("id"))
        if alone is not None:
            page.merge(alone)
        missing = missing_content(statement, page)
        if not missing:
            return True
        report.rejected[str(statement.get("id"))] = (
            "not imported: the content of " + "; ".join(missing)
            + " (an attachment without a fileUrl is stored with its content or not at all)"
        )
        return False

    def _principal(self, authority: Any) -> Principal:  # noqa: ANN401
        operator = self.lrs.operator_principal()
        key = agent_key(authority) if isinstance(authority, dict) else None
        if not key:
            return operator
        return Principal(key="", name="lrs import", scopes=frozenset({xscopes.ALL}), authority=authority,
                         authority_key=key, role="admin")

    def _store_group(self, group: list[dict[str, Any]], page: Answer, report: ImportReport) -> None:
        principal = self._principal(group[0].get("authority"))
        held = self._held([s["id"] for s in group if isinstance(s.get("id"), str)])
        version = "2.0.0" if any(str(s.get("version", "")).startswith("2") for s in group) else "1.0.3"
        if held and page.parts:
            report.filled_in += self._fill_in(held, page)
        fresh = [self._incoming(s) for s in group if s.get("id") not in held]
        report.skipped += len(group) - len(fresh)
        if not fresh:
            return
        try:
            self.lrs.store_statements(fresh, principal, version, parts=self._parts(fresh, page))
            report.stored += len(fresh)
            return
        except (Conflict, XAPIError):
            pass  # one statement spoils the batch: store them one by one to find it
        for statement in fresh:
            try:
                self.lrs.store_statements(statement, principal, version, parts=self._parts([statement], page))
                report.stored += 1
            except Conflict:
                report.conflicts.append(statement["id"])
            except XAPIError as exc:
                report.rejected[str(statement.get("id"))] = exc.message if hasattr(exc, "message") else str(exc)

    @staticmethod
    def _parts(statements: list[dict[str, Any]], page: Answer) -> list[Part]:
        """The page's parts these statements' attachments name, once each: stored through the same matching
        and signature checks as a client's multipart request (a part no statement names would be refused)."""
        named = {ref.sha2 for ref in attachment_refs(statements) if ref.sha2}
        return [part for sha2, part in page.parts.items() if sha2 in named]

    def _fill_in(self, held: set[str], page: Answer) -> int:
        """Give statements held here the content the page carries for their attachments, where they lack it.
        Read from this store's own copy of each, so only hashes it declares are added (the page's parts were
        checked against their hashes when read)."""
        with self.lrs.db.read() as conn:
            payloads = checkpoints.held_payloads(conn, held)
        contents: dict[str, tuple[str, bytes]] = {}
        carried: list[tuple[str, str]] = []
        for statement_id, payload in payloads.items():
            for ref in attachment_refs(payload):
                part = page.parts.get(ref.sha2) if ref.sha2 else None
                if part is None:
                    continue
                declared = ref.attachment.get("contentType")
                kind = part.content_type or (declared if isinstance(declared, str) else None)
                contents.setdefault(ref.sha2, (kind or "application/octet-stream", part.content))
                carried.append((ref.sha2, statement_id))
        if not carried:
            return 0
        return self.lrs.db.write(lambda conn: checkpoints.fill_in_content(conn, contents, carried))

    def _held(self, ids: list[str]) -> set[str]:
        with self.lrs.db.read() as conn:
            return checkpoints.held_ids(conn, ids)

    @staticmethod
    def _incoming(statement: dict[str, Any]) -> dict[str, Any]:
        # stored and version are this LRS's to set; authority travels through the principal.
        return {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")}

    def _remember(self, statement: dict[str, Any]) -> None:
        actor = statement.get("actor")
        key = agent_key(actor) if isinstance(actor, dict) else None
        if key:
            self.agents[key] = {k: v for k, v in actor.items() if k in ("objectType", "mbox", "mbox_sha1sum", "openid", "account")}
        obj = statement.get("object") or {}
        if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
            self.activities.add(obj["id"])
            if key:
                registration = (statement.get("context") or {}).get("registration") or ""
                self.state_contexts.add((obj["id"], key, registration))

    # --- documents ---------------------------------------------------------------------------------------------

    def _documents(self) -> int:
        """Copy the documents reachable from the imported statements: state (activity x actor x registration),
        agent profiles of the actors, activity profiles of the activities. xAPI has no way to list them all."""
        service = DocumentService(self.lrs.db)
        copied = 0
        for iri in sorted(self.activities):
            response = self.remote.retrieve_activity_profile_ids(Activity(id=iri))
            for doc_id in (response.content or []) if response.success else []:
                copied += self._copy(service, xdocs.DocumentAddress("activity_profile", activity_iri=iri, document_id=doc_id),
                                     self.remote.retrieve_activity_profile(Activity(id=iri), doc_id))
        for key, agent in sorted(self.agents.items()):
            tincan_agent = Agent(**agent)
            response = self.remote.retrieve_agent_profile_ids(tincan_agent)
            for doc_id in (response.content or []) if response.success else []:
                copied += self._copy(service, xdocs.DocumentAddress("agent_profile", agent_key=key, document_id=doc_id),
                                     self.remote.retrieve_agent_profile(tincan_agent, doc_id))
        for iri, key, registration in sorted(self.state_contexts):
            tincan_agent = Agent(**self.agents[key])
            response = self.remote.retrieve_state_ids(Activity(id=iri), tincan_agent, registration=registration or None)
            for doc_id in (response.content or []) if response.success else []:
                address = xdocs.DocumentAddress("state", activity_iri=iri, agent_key=key, registration=registration,
                                                document_id=doc_id)
                copied += self._copy(service, address, self.remote.retrieve_state(
                    Activity(id=iri), tincan_agent, doc_id, registration=registration or None))
        return copied

    def _copy(self, service: DocumentService, address: xdocs.DocumentAddress, response: Any) -> int:  # noqa: ANN401
        if not response.success:
            return 0
        document = response.content
        raw = document.content
        content = bytes(raw) if isinstance(raw, (bytes, bytearray)) else str(raw).encode()
        content_type = (document.content_type or "application/octet-stream").split(";")[0].strip()
        current = service.get(address)
        if current is not None and bytes(current.content) == content:
            return 0
        is_json = content_type == "application/json"
        upload = xdocs.Upload(content_type, content, is_json, json.loads(content) if is_json else None)
        pre = xdocs.Preconditions(if_match=("*",)) if current is not None else xdocs.Preconditions(if_none_match=("*",))
        service.put(address, upload, pre, self.version)
        return 1
