"""Import statements (and documents) from another LRS through its xAPI, with the tincan client.

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
- **Peers' quirks**: ``more`` may be absolute, root-relative or relative to the endpoint (resolved against the
  endpoint); tincan's own statement objects reject properties newer than 1.0.x, so pages are read as JSON
  through its request layer; booleans go as ``true``, not Python's ``True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

from tincan import Activity, Agent, RemoteLRS
from tincan.http_request import HTTPRequest

from lrs.services.documents import DocumentService
from lrs.services.principal import Principal
from lrs.store import importing as checkpoints
from lrs.xapi import documents as xdocs
from lrs.xapi import scopes as xscopes
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Conflict, XAPIError
from lrs.xapi.ifi import agent_key
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
    resumed_from: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


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
        self.page_size = page_size
        self.version = version
        self.agents: dict[str, dict[str, Any]] = {}
        self.state_contexts: set[tuple[str, str, str]] = set()  # (activity, agent key, registration)
        self.activities: set[str] = set()

    # --- the peer ----------------------------------------------------------------------------------------------

    def _get(self, resource: str, params: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = HTTPRequest(method="GET", resource=resource)
        request.query_params = params or {}
        # tincan's request layer (auth, version header, URL); its statement objects reject newer properties.
        response = self.remote._send_request(request)  # noqa: SLF001
        return response.response.status, response.data if isinstance(response.data, bytes) else str(response.data).encode()

    def _more(self, more: str) -> str:
        # Absolute, as tincan's request layer takes a resource that starts with "http" as it is.
        return self.remote.get_endpoint_server_root() + more_path(self.endpoint, more)

    def _page(self, resource: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        status, data = self._get(resource, params)
        if status != 200:
            raise ImportError_(f"the peer answered {status}: {data[:200].decode('utf-8', 'replace')}")
        try:
            page = json.loads(data)
        except ValueError as exc:
            raise ImportError_("the peer's answer is not JSON") from exc
        if not isinstance(page, dict) or not isinstance(page.get("statements"), list):
            raise ImportError_("the peer's answer has no statements list")
        return page

    # --- statements --------------------------------------------------------------------------------------------

    def run(self, *, since: str | None = None, documents: bool = False,
            progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
        report = ImportReport()
        with self.lrs.db.read() as conn:
            checkpoint = checkpoints.load(conn, self.endpoint)
        page: dict[str, Any] | None = None
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
            params = {"ascending": "true", "limit": str(self.page_size)}
            if start:
                params["since"] = start
            page = self._page("statements", params)
        total = checkpoint["statements"] if checkpoint else 0
        while True:
            statements = page["statements"]
            report.pages += 1
            report.received += len(statements)
            self._store(statements, report)
            more = page.get("more") or None
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

    def _store(self, statements: list[dict[str, Any]], report: ImportReport) -> None:
        ids = {s.get("id") for s in statements}
        batch: list[dict[str, Any]] = []
        for statement in statements:
            self._remember(statement)
            target = (statement.get("object") or {}).get("id")
            if (statement.get("verb") or {}).get("id") == VOIDED_VERB and target not in ids:
                voided = self._voided(target)
                if voided is not None:
                    batch.append(voided)
            batch.append(statement)
        # One store call per authority (each kept as the statements' authority), in the peer's order.
        groups: list[tuple[str, list[dict[str, Any]]]] = []
        for statement in batch:
            key = json.dumps(statement.get("authority"), sort_keys=True)
            if groups and groups[-1][0] == key:
                groups[-1][1].append(statement)
            else:
                groups.append((key, [statement]))
        for _, group in groups:
            self._store_group(group, report)

    def _voided(self, statement_id: Any) -> dict[str, Any] | None:  # noqa: ANN401
        if not isinstance(statement_id, str):
            return None
        status, data = self._get("statements", {"voidedStatementId": statement_id})
        return json.loads(data) if status == 200 else None

    def _principal(self, authority: Any) -> Principal:  # noqa: ANN401
        operator = self.lrs.operator_principal()
        key = agent_key(authority) if isinstance(authority, dict) else None
        if not key:
            return operator
        return Principal(key="", name="lrs import", scopes=frozenset({xscopes.ALL}), authority=authority,
                         authority_key=key, role="admin")

    def _store_group(self, group: list[dict[str, Any]], report: ImportReport) -> None:
        principal = self._principal(group[0].get("authority"))
        held = self._held([s["id"] for s in group if isinstance(s.get("id"), str)])
        version = "2.0.0" if any(str(s.get("version", "")).startswith("2") for s in group) else "1.0.3"
        fresh = [self._incoming(s) for s in group if s.get("id") not in held]
        report.skipped += len(group) - len(fresh)
        if not fresh:
            return
        try:
            self.lrs.store_statements(fresh, principal, version)
            report.stored += len(fresh)
            return
        except (Conflict, XAPIError):
            pass  # one statement spoils the batch: store them one by one to find it
        for statement in fresh:
            try:
                self.lrs.store_statements(statement, principal, version)
                report.stored += 1
            except Conflict:
                report.conflicts.append(statement["id"])
            except XAPIError as exc:
                report.rejected[str(statement.get("id"))] = exc.message if hasattr(exc, "message") else str(exc)

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
