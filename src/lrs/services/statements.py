"""The LRS core: statements in (validate, classify, store, notify) and out, credentials checked.

It knows xAPI rules (through lrs.xapi), the store (through lrs.store) and the plugins (through the hooks),
and nothing about HTTP, so the CLI, the HTTP API and the tests all use the same path.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pluggy

from lrs import metrics
from lrs.config import Settings
from lrs.plugins import (
    call_each,
    call_first,
    call_first_each,
    call_isolated,
    describe_plugins,
    make_plugin_manager,
    plugin_order,
)
from lrs.services import access, forwarding
from lrs.services.principal import USER_KEY_PREFIX, Principal
from lrs.store import credentials as credential_store
from lrs.store import enrolments as enrolment_store
from lrs.store import learning as learning_store
from lrs.store import server_secrets
from lrs.store import statements as statement_store
from lrs.store.db import Database, batches_in_store_order
from lrs.store.statements import StatementPage
from lrs.xapi import scopes as xscopes
from lrs.xapi.attachments import Part, has_attachments, match_parts
from lrs.xapi.errors import Problem, StatementInvalid, XAPIError
from lrs.xapi.ifi import agent_key
from lrs.xapi.query import StatementQuery
from lrs.xapi.signature import verify_signatures
from lrs.xapi.statement import PreparedStatement, prepare_batch
from lrs.xapi.validate import validate_batch

log = logging.getLogger(__name__)


class LRS:
    """One LRS: settings, a database and the plugins. Safe to share between threads."""

    def __init__(self, settings: Settings, db: Database | None = None, pm: pluggy.PluginManager | None = None):
        self.settings = settings
        self.db = db or Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        self.pm = pm or make_plugin_manager(settings.plugins)

    # --- credentials -------------------------------------------------------------------------------

    def authenticate(self, key: str, secret: str) -> Principal | None:
        """The principal for a key and secret, or None. Read from the database on every request, so a revoked
        or changed credential is refused at once in every worker and instance: one indexed look-up by key as a
        statement of its own (no transaction round trips; a revoked credential reads as no row) and a salted
        SHA-256 (docs/performance.md, "The statement path after the 2026-12-05 round")."""
        row = credential_store.active_for_auth(self.db, key)
        if row is None or not credential_store.secret_matches(secret, row.secret_hash, row.secret_salt):
            return None
        return Principal.from_credential(row.decoded())

    def cursor_key(self) -> bytes:
        """The key that signs ``more`` cursors: kept in the database, so every worker and restart shares it."""
        key = self.__dict__.get("_cursor_key")
        if key is None:
            key = self.__dict__["_cursor_key"] = server_secrets.secret(self.db, "more-cursor")
        return key

    # --- statements in -----------------------------------------------------------------------------

    def store_statements(
        self,
        payload: Any,
        principal: Principal,
        version: str,
        *,
        attachments: dict[str, tuple[str, bytes]] | None = None,
        parts: list[Part] | None = None,
        statement_id: str | None = None,
    ) -> list[str]:
        """Validate, classify and store a statement or a batch, all or nothing. Returns the ids.

        ``parts``: the attachment parts of an xAPI request (multipart/mixed), or [] for a request with none;
        matched to the statements' attachments and their signatures verified here, after validation, so a
        request is validated once. ``attachments``: content already matched (sha2 -> (type, bytes)), from
        callers that are not xAPI requests. ``statement_id``: a PUT's statementId (a signature may cover it).
        """
        statements = validate_batch(payload, version)
        if parts is not None:
            attachments = self._request_attachments(payload, parts, statement_id) or attachments
        access.check_write_statements(self, principal, statements)
        self._plugin_validation(statements, version)
        now = datetime.now(UTC)
        # Millisecond precision, the same as the stored string clients see, so since/until agree with it.
        stored = now.replace(microsecond=now.microsecond // 1000 * 1000)
        prepared = prepare_batch(statements, stored=stored, authority=principal.authority, version=version)
        self._classify_prepared(prepared)
        can_define = principal.allows(xscopes.DEFINE, read=False)
        # Encoded before the transaction: SQLite's writers queue for its one write lock.
        batch = statement_store.StatementBatch(prepared, self.db.engine.dialect)
        # The look-up also reads the frameworks' version, which the evidence links need next: a transaction of
        # its own cost a single-statement POST a quarter of its time on SQLite, and round trips on PostgreSQL.
        if forwarding.has_targets(self):  # the outbox rows go in the statements' transaction
            ids, frameworks_version = forwarding.store_with_outbox(
                self, batch, can_define=can_define, attachments=attachments
            )
        else:
            ids, frameworks_version = statement_store.store_batch(
                self.db, batch, can_define=can_define, attachments=attachments
            )
        metrics.statements_stored.inc(len(ids))
        stored_payloads = [p.payload for p in prepared]
        self._enrol_from(principal, stored_payloads)
        # Plugins, the built-in evidence linking and review derivation among them, each on its own: a failure
        # is logged and counted (`lrs evidence rebuild` / `lrs review rebuild` repair the derived tables).
        call_each(
            self.pm,
            "lrs_statements_stored",
            statements=stored_payloads,
            lrs=self,
            frameworks_version=frameworks_version,
        )
        return ids

    @staticmethod
    def _request_attachments(
        payload: Any, parts: list[Part], statement_id: str | None
    ) -> dict[str, tuple[str, bytes]] | None:
        """The content of a request's attachment parts by sha2, once every part is matched to an attachment,
        every attachment without a fileUrl has its part and every signature is verified (lrs.xapi.attachments,
        lrs.xapi.signature); each problem is a 400."""
        if not parts and not has_attachments(payload):
            return None
        contents = match_parts(payload, parts)
        verify_signatures(payload, contents, statement_id=statement_id)
        return contents or None

    def _enrol_from(self, principal: Principal, statements: list[dict[str, Any]]) -> None:
        """Enrolments from statements stored under a credential trusted to enrol (lrs.services.access),
        before the plugins run, so that the review sees them. A read first: most statements enrol nobody new."""
        found = access.enrolments_from_statements(self, principal, statements)
        if not found:
            return
        sources = {(c, k): s for c, k, s in found}
        with self.db.read() as conn:
            missing = enrolment_store.missing(conn, sources)
        new = [(c, k) for c, k, _ in access.without_reviewers(self, [(c, k, sources[(c, k)]) for c, k in missing])]
        if not new:
            return

        def write(conn: Any) -> None:
            for cohort, learner in new:
                enrolment_store.enrol(
                    conn, cohort, learner, enrolled_by=principal.key, source_statement_id=sources[(cohort, learner)]
                )

        self.db.write(write)

    def _classify_prepared(self, prepared: list[PreparedStatement]) -> None:
        """Each statement's learning mode (as :meth:`classify` gives it) and the classification's fingerprint;
        voiding statements are not classified."""
        classified = [p for p in prepared if not p.is_voiding]
        if not classified:
            return
        fingerprint = self.classification_fingerprint()
        modes = call_first_each(self.pm, "lrs_classify_statement", "statement", [p.payload for p in classified], lrs=self)
        for p, mode in zip(classified, modes, strict=True):
            p.learning_mode = str(mode) if mode else None
            p.rules_fingerprint = fingerprint

    def classify(self, statement: dict[str, Any]) -> str | None:
        """The learning mode the classifiers give (lrs.plugins.call_first); None when none does or one raises
        (a plugin's bug must not cost the client its statement: it is logged and counted)."""
        mode = call_first(self.pm, "lrs_classify_statement", statement=statement, lrs=self)
        return str(mode) if mode else None

    def _plugin_validation(self, statements: list[dict[str, Any]], version: str) -> None:
        """The plugins' own checks (lrs_validate_statement), each through the isolated caller: any problem, or
        a plugin that raises, rejects the whole batch with a 400 naming the plugin, the rule and the path."""
        if not self.pm.hook.lrs_validate_statement.get_hookimpls():
            return
        problems: list[Problem] = []
        for index, statement in enumerate(statements):
            prefix = f"[{index}]" if len(statements) > 1 else ""
            for answer in call_isolated(self.pm, "lrs_validate_statement", statement=statement, version=version):
                if answer.error is not None:
                    problems.append(
                        Problem(f"plugin:{answer.plugin_name}", prefix, f"validation plugin failed: {answer.error}")
                    )
                    continue
                for p in answer.result or []:
                    path = p.get("path", "")
                    problems.append(
                        Problem(
                            f"plugin:{answer.plugin_name}:{p.get('rule', 'rule')}",
                            f"{prefix}.{path}".strip(".") if prefix else path,
                            p.get("message", "rejected by plugin"),
                        )
                    )
        if problems:
            raise StatementInvalid(problems)

    def put_statement(
        self,
        statement_id: str,
        statement: Any,
        principal: Principal,
        version: str,
        *,
        attachments: dict[str, tuple[str, bytes]] | None = None,
        parts: list[Part] | None = None,
    ) -> None:
        """PUT: the id comes from the query; a body id must agree with it. ``attachments`` and ``parts`` as for
        :meth:`store_statements`."""
        if not isinstance(statement, dict):
            raise XAPIError("a PUT body must be one statement (a JSON object)", rule="put-body", path="")
        body_id = statement.get("id")
        if body_id is not None and str(body_id).lower() != statement_id.lower():
            raise XAPIError(
                "the statement's id does not match the statementId parameter", rule="put-id-mismatch", path="id"
            )
        self.store_statements(
            {**statement, "id": statement_id},
            principal,
            version,
            attachments=attachments,
            parts=parts,
            statement_id=statement_id,
        )

    # --- statements out ----------------------------------------------------------------------------

    def get_statement(self, statement_id: str, *, voided: bool, principal: Principal) -> dict[str, Any] | None:
        """One statement, or None when it is not stored or the principal may not read it (someone else's
        record is answered as not found, so its existence is not revealed)."""
        scope = access.statement_read_scope(principal)
        with self.db.read() as conn:
            found = statement_store.get_statement(conn, statement_id, voided=voided, scope=scope)
        return None if found is None else found["statement"]

    def query_statements(self, q: StatementQuery, principal: Principal) -> tuple[list[dict[str, Any]], int | None]:
        page = self.query_page(q, principal)
        return page.statements, page.more_after

    def query_page(self, q: StatementQuery, principal: Principal, *, raw: bool = False) -> StatementPage:
        """One page of a statement query; ``raw``: the statements as the JSON text the store holds. What the
        principal may read (lrs.services.access) restricts the query inside the store, page by page; it comes
        from the principal on every request, never from the ``more`` cursor."""
        scope = access.statement_read_scope(principal)
        q.authority_key = None
        with self.db.read() as conn:
            return statement_store.query_page(conn, q, raw=raw, scope=scope)

    def canonical_definitions(self, iris: set[str]) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            return statement_store.canonical_definitions(conn, iris)

    def attachments(self, sha2s: set[str], principal: Principal | None = None) -> dict[str, tuple[str, bytes]]:
        """Attachment bytes by hash; with a ``principal``, only those a statement it may read carried."""
        scope = access.attachment_read_scope(principal) if principal is not None else None
        with self.db.read() as conn:
            return statement_store.get_attachments(conn, sha2s, scope)

    # --- learning model: classification fingerprint, reclassification, operator principal -----------------

    def classification_fingerprint(self) -> str:
        """16 hex characters naming the classification in force: every plugin that implements
        lrs_classify_statement, in call order, with its lrs_classification_fingerprint (or its version).
        Stored with each classified statement; ``reclassify`` compares it. Computed once per LRS."""
        cached = self.__dict__.get("_classification_fingerprint")
        if cached is not None:
            return cached
        answers = dict(call_each(self.pm, "lrs_classification_fingerprint", lrs=self))
        versions = {info.name: info.version for info in describe_plugins(self.pm)}
        parts = [
            f"{name}={answers.get(name) or versions.get(name, '')}"
            for name in plugin_order(self.pm, "lrs_classify_statement")
        ]
        fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        self.__dict__["_classification_fingerprint"] = fingerprint
        return fingerprint

    def reclassify(
        self, *, batch_size: int = 500, dry_run: bool = False, on_progress: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        """Apply the current classification to stored statements classified by other rules (or never).

        Works through them in seq order, one transaction per batch, so it can be interrupted and run again.
        Returns counts: ``examined``, ``changed`` (mode differs), ``unchanged``, ``modes`` (how many of the
        examined statements are now in each mode, "unclassified" for None) and the ``fingerprint`` applied.
        With ``dry_run`` nothing is written. ``on_progress(n)`` is called after each batch of ``n`` statements.
        """
        fingerprint = self.classification_fingerprint()
        report: dict[str, Any] = {"fingerprint": fingerprint, "examined": 0, "changed": 0, "unchanged": 0, "modes": {}}
        def unclassified(conn: Any, after: int, limit: int) -> list[tuple[int, dict[str, Any], str | None]]:
            return learning_store.statements_to_reclassify(conn, fingerprint, after_seq=after, limit=limit)

        for batch in batches_in_store_order(self.db, unclassified, batch_size):
            modes = [(seq, self.classify(payload)) for seq, payload, _ in batch]
            for (_, _, old), (_, new) in zip(batch, modes, strict=True):
                report["examined"] += 1
                report["changed" if old != new else "unchanged"] += 1
                label = new or "unclassified"
                report["modes"][label] = report["modes"].get(label, 0) + 1
            if not dry_run:
                self.db.write(lambda conn, modes=modes: learning_store.set_classification(conn, modes, fingerprint))
            if on_progress is not None:
                on_progress(len(batch))
        return report

    def principal_for(self, key: str) -> Principal | None:
        """The principal of an active credential (or a person's enabled web account), without its secret: for operator tools on this machine
        (``lrs journal add --credential``), never for requests."""
        if key.startswith(USER_KEY_PREFIX):
            # A person's web account: their decisions and voids are judged like a credential's.
            from lrs.store import users as user_store

            user_id = key[len(USER_KEY_PREFIX):]
            with self.db.read() as conn:
                user = user_store.user_by_id(conn, int(user_id)) if user_id.isdigit() else None
            if user is None or user["disabled"]:
                return None
            return Principal.from_user(user, self.settings.authority_home_page)
        with self.db.read() as conn:
            row = credential_store.find_credential(conn, key)
        if row is None or row["revoked"] is not None:
            return None
        return Principal.from_credential(row)

    def operator_principal(self) -> Principal:
        """The authority of statements an operator records from the command line without a credential."""
        authority = {
            "objectType": "Agent",
            "name": "lrs command line",
            "account": {"homePage": self.settings.authority_home_page, "name": "lrs-cli"},
        }
        return Principal(
            key="",
            name="lrs command line",
            scopes=frozenset({xscopes.ALL}),
            authority=authority,
            authority_key=agent_key(authority) or "",
            role="admin",
        )
