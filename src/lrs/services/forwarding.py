"""Forwarding statements to another LRS (xAPI) or a webhook: at least once, crash-safe, one sender at a time.

What must be forwarded is written to the outbox in the statements' own transaction
(:func:`store_with_outbox`, called by the statement service when targets exist). The :class:`Sender` delivers
it: a batch per target in store order, retried with exponential backoff, moved to the dead-letter list after
``max_attempts`` (or at once on an answer no retry can change), from where an operator replays it. One sender
runs at a time across processes: it holds a lease row in the database, renewed while it works; when its holder
dies the lease expires and another process takes over. Delivery is at least once: a sender killed between a
delivery and deleting the outbox row delivers that batch again, which an LRS target ignores (statement ids;
204/409 with the same content count as delivered) and a webhook receiver can recognise by the statement ids.

Attachments: an LRS target gets the content this LRS holds for the statements' attachments, as the Statement
resource takes it (multipart/mixed: the statements, then one part per distinct sha2, signatures' JWS byte for
byte), in the batch and in each statement's own PUT. A webhook gets the statements only (attachment metadata,
no content: docs/operations.md, Forwarding).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lrs.services.leases import Lease
from lrs.store import forwarding as store
from lrs.store.statements import StatementBatch, Stored, get_attachments
from lrs.xapi.attachments import attachment_hashes, attachment_refs
from lrs.xapi.ifi import key_from_identifier
from lrs.xapi.multipart import build_multipart
from lrs.xapi.statement import fingerprint

#: The statement service calls this module, so it names the LRS only as ``LRS`` (an alias of Any): importing
#: the class, even for type checking, would make a cycle (tests/test_architecture.py).
LRS = Any

log = logging.getLogger(__name__)

LEASE_NAME = "forward-sender"
SIGNATURE_HEADER = "X-LRS-Signature"
TIMESTAMP_HEADER = "X-LRS-Timestamp"
KINDS = ("xapi", "webhook")
#: Answers no retry can change: the statement goes to the dead-letter list at once.
PERMANENT = {400, 401, 403, 404, 405, 410, 413, 422}


class ForwardingError(ValueError):
    """An operator's request that cannot be carried out (a message for a person)."""


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- the statement service's side: is there anything to forward, and store with the outbox ---------------------------


def has_targets(lrs: LRS) -> bool:
    """Whether any active target exists, cached per LRS for ``settings.forward_check_seconds``, so that a store
    with no targets pays nothing on its write path. A target added in another process takes effect within that
    time (``lrs forward add --backfill`` queues what was stored meanwhile)."""
    cached = lrs.__dict__.get("_forward_targets_known")
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    with lrs.db.read() as conn:
        known = store.any_active_target(conn)
    lrs.__dict__["_forward_targets_known"] = (now + lrs.settings.forward_check_seconds, known)
    return known


def forget_targets(lrs: LRS) -> None:
    lrs.__dict__.pop("_forward_targets_known", None)


def store_with_outbox(
    lrs: LRS, batch: StatementBatch, *, can_define: bool, attachments: dict[str, tuple[str, bytes]] | None
) -> Stored:
    """Store a batch and queue it for the targets it matches, in one transaction."""
    return lrs.db.write(
        lambda conn: store.insert_with_outbox(conn, batch, can_define=can_define, attachments=attachments, now=now_utc())
    )


# --- targets ---------------------------------------------------------------------------------------------------------


def add_target(
    lrs: LRS,
    *,
    name: str,
    kind: str,
    url: str,
    username: str | None = None,
    password: str | None = None,
    secret: str | None = None,
    xapi_version: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    agent: str | None = None,
    backfill: bool = False,
) -> dict[str, Any]:
    """A new target. xapi needs username and password; webhook gets a secret (generated when not given)."""
    if kind not in KINDS:
        raise ForwardingError(f"kind must be one of {', '.join(KINDS)}")
    if not url.startswith(("http://", "https://")):
        raise ForwardingError("url must be an http(s) URL")
    if kind == "xapi" and not (username and password):
        raise ForwardingError("an xapi target needs the target LRS's key and secret")
    if kind == "webhook" and not secret:
        secret = uuid.uuid4().hex + uuid.uuid4().hex
    fields = {
        "username": username, "password": password, "secret": secret if kind == "webhook" else None,
        "xapi_version": xapi_version or ("1.0.3" if kind == "xapi" else None), "verb_iri": verb,
        "activity_iri": activity, "agent_key": key_from_identifier(agent) if agent else None,
    }

    def work(conn) -> int:  # noqa: ANN001
        if store.get_target(conn, name) is not None:
            raise ForwardingError(f"a target named {name!r} exists")
        target_id = store.add_target(conn, name=name, kind=kind, url=url.rstrip("/"), now=now_utc(), **fields)
        if backfill:
            store.enqueue_existing(conn, target_id, after_seq=0, now=now_utc())
        return target_id

    lrs.db.write(work)
    forget_targets(lrs)
    with lrs.db.read() as conn:
        return public_target(store.get_target(conn, name) or {}, reveal_secret=True)


def public_target(target: dict[str, Any], *, reveal_secret: bool = False) -> dict[str, Any]:
    """A target as shown to an operator: never the LRS password; the webhook secret only when just made."""
    shown = {k: target.get(k) for k in ("name", "kind", "url", "username", "xapi_version", "verb_iri",
                                         "activity_iri", "agent_key", "active", "pending", "dead")}
    shown = {k: v for k, v in shown.items() if v is not None}
    if reveal_secret and target.get("secret"):
        shown["secret"] = target["secret"]
    return shown


def list_targets(lrs: LRS) -> list[dict[str, Any]]:
    with lrs.db.read() as conn:
        return [public_target(t) for t in store.list_targets(conn)]


def remove_target(lrs: LRS, name: str) -> bool:
    removed = lrs.db.write(lambda conn: store.remove_target(conn, name))
    forget_targets(lrs)
    return removed


def dead_letters(lrs: LRS, target: str | None = None) -> list[dict[str, Any]]:
    with lrs.db.read() as conn:
        rows = store.dead_rows(conn, target)
    for row in rows:
        if row.get("last_attempt") is not None:
            row["last_attempt"] = row["last_attempt"].isoformat()
    return rows


def replay(lrs: LRS, target: str | None = None, ids: list[int] | None = None) -> int:
    return lrs.db.write(lambda conn: store.replay_dead(conn, now_utc(), target, ids))


# --- delivery ----------------------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 over ``<timestamp>.<body>`` with the target's secret, hex, prefixed
    ``sha256=``. The timestamp (also sent in X-LRS-Timestamp) is signed so a captured request cannot be replayed
    later under a fresh timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float = 300) -> bool:
    """What a receiver does (and the tests): the signature matches and the timestamp is recent."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def _outgoing(payload: Any) -> dict[str, Any]:
    statement = json.loads(payload) if isinstance(payload, str) else dict(payload)
    # The target sets stored and version itself; authority it sets or keeps, by its own trust rules.
    statement.pop("stored", None)
    statement.pop("version", None)
    return statement


def xapi_body(payload: dict[str, Any] | list[dict[str, Any]], contents: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A Statement resource request body and its Content-Type: JSON, or multipart/mixed when this LRS holds the
    content of any of the statements' attachments (``contents``: lower-case sha2 -> (content type, bytes)).

    One part per distinct sha2, in the order the statements name them, each with the contentType the first
    attachment of that hash declares (the target checks the two agree; the stored type is the fall-back), the
    hash as written, and the bytes as stored: a signature's JWS goes byte for byte."""
    statements_json = json.dumps(payload, separators=(",", ":")).encode()
    statements = payload if isinstance(payload, list) else [payload]
    declared: dict[str, str] = {}
    for ref in attachment_refs(statements):
        kind = ref.attachment.get("contentType")
        if ref.sha2 and ref.sha2 not in declared and isinstance(kind, str) and kind.strip():
            declared[ref.sha2] = kind
    parts = [
        (written, declared.get(sha2, contents[sha2][0]), contents[sha2][1])
        for sha2, written in attachment_hashes(statements).items()
        if sha2 in contents
    ]
    if not parts:
        return statements_json, "application/json"
    return build_multipart(statements_json, parts)


@dataclass
class Outcome:
    delivered: list[int]
    failed: dict[int, tuple[str, bool]]  # outbox id -> (error, permanent)


class Sender:
    """Delivers the outbox. ``run_once`` does one round (if it holds the lease); ``run`` loops until stopped."""

    def __init__(
        self,
        lrs: LRS,
        *,
        holder: str | None = None,
        lease_seconds: float = 30.0,
        batch_size: int = 100,
        max_attempts: int = 10,
        base_delay: float = 2.0,
        max_delay: float = 3600.0,
        timeout: float = 10.0,
    ):
        self.lrs = lrs
        self.lease = Lease(lrs, LEASE_NAME, holder=holder, seconds=lease_seconds)
        self.holder = self.lease.holder
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        self.delivered = 0

    def holds_lease(self) -> bool:
        return self.lease.hold()

    def release(self) -> None:
        self.lease.release()

    def run_once(self) -> int:
        """Deliver what is due, a batch per target at a time, renewing the lease between batches; the number
        of statements delivered (0 also when another process holds the lease)."""
        delivered = 0
        while True:
            # Read first: an idle sender writes nothing (on SQLite a lease renewal is a write every worker queues for).
            with self.lrs.db.read() as conn:
                targets = store.targets_with_due_rows(conn, now_utc())
            if not targets or not self.holds_lease():
                break
            for target in targets:
                delivered += self._deliver_batch(target)
                if not self.holds_lease():
                    return delivered
        self.delivered += delivered
        return delivered

    def run(self, stop: threading.Event, *, idle: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the sender; the next round tries again
                log.exception("forwarding round failed")
            stop.wait(idle)
        try:
            self.release()
        except Exception:
            log.debug("could not release the forwarding lease", exc_info=True)

    def _deliver_batch(self, target: dict[str, Any]) -> int:
        with self.lrs.db.read() as conn:
            rows = store.due_rows(conn, target["id"], now_utc(), self.batch_size)
        gone = [r["id"] for r in rows if r["payload"] is None]  # erased since it was queued: nothing to send
        rows = [r for r in rows if r["payload"] is not None]
        if not rows:
            self.lrs.db.write(lambda conn: store.delete_rows(conn, gone))
            return 0
        statements = {r["id"]: _outgoing(r["payload"]) for r in rows}
        try:
            if target["kind"] == "webhook":
                outcome = self._webhook(target, statements)
            else:
                outcome = self._xapi(target, statements, self._held_contents(statements.values()))
        except httpx.HTTPError as exc:
            outcome = Outcome([], {i: (f"{type(exc).__name__}: {exc}", False) for i in statements})
        attempts = {r["id"]: r["attempts"] for r in rows}

        def record(conn) -> None:  # noqa: ANN001
            store.delete_rows(conn, [*outcome.delivered, *gone])
            now = now_utc()
            for row_id, (error, permanent) in outcome.failed.items():
                tries = attempts[row_id] + 1
                delay = min(self.max_delay, self.base_delay * 2 ** (tries - 1))
                store.record_failure(
                    conn, row_id, attempts=tries, next_attempt=now + timedelta(seconds=delay), error=error,
                    dead=permanent or tries >= self.max_attempts,
                )

        self.lrs.db.write(record)
        if outcome.failed:
            log.warning("forwarding to %s: %d statement(s) failed", target["name"], len(outcome.failed))
        return len(outcome.delivered)

    def _held_contents(self, statements: Any) -> dict[str, tuple[str, bytes]]:  # noqa: ANN401
        """The attachment content this LRS holds for the statements (all of it: the sender acts for the
        operator, who configured the target), by lower-case sha2."""
        hashes = set(attachment_hashes(list(statements)))
        if not hashes:
            return {}
        with self.lrs.db.read() as conn:
            return get_attachments(conn, hashes)

    def _webhook(self, target: dict[str, Any], statements: dict[int, dict[str, Any]]) -> Outcome:
        body = json.dumps({"target": target["name"], "statements": list(statements.values())},
                          separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        response = self.client.post(
            target["url"],
            content=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(target["secret"] or "", timestamp, body),
            },
        )
        if 200 <= response.status_code < 300:
            return Outcome(list(statements), {})
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        return Outcome([], {i: (error, response.status_code in PERMANENT) for i in statements})

    def _xapi(
        self, target: dict[str, Any], statements: dict[int, dict[str, Any]], contents: dict[str, tuple[str, bytes]]
    ) -> Outcome:
        url = target["url"] + "/statements"
        auth = (target["username"] or "", target["password"] or "")
        headers = {"X-Experience-API-Version": target["xapi_version"] or "1.0.3"}
        body, content_type = xapi_body(list(statements.values()), contents)
        response = self.client.post(url, content=body, auth=auth, headers={**headers, "Content-Type": content_type})
        if response.status_code == 200:
            return Outcome(list(statements), {})
        if response.status_code >= 500 or response.status_code in (408, 429):
            error = f"HTTP {response.status_code}: {response.text[:200]}"
            return Outcome([], {i: (error, False) for i in statements})
        # A batch is all or nothing at the target: one statement it refuses (or one it holds already, which
        # some LRSs answer 409 for) fails the lot, so each is sent on its own and gets its own fate.
        outcome = Outcome([], {})
        for row_id, statement in statements.items():
            # Each statement carries its own attachments' content, as in the batch.
            body, content_type = xapi_body(statement, contents)
            answer = self.client.put(url, params={"statementId": statement["id"]}, content=body, auth=auth,
                                     headers={**headers, "Content-Type": content_type})
            if answer.status_code in (200, 204) or (answer.status_code == 409 and self._same_at_target(url, auth, headers, statement)):
                outcome.delivered.append(row_id)
            else:
                code = answer.status_code
                permanent = code in PERMANENT or code == 409
                outcome.failed[row_id] = (f"HTTP {code}: {answer.text[:200]}", permanent)
        return outcome

    def _same_at_target(self, url: str, auth: tuple[str, str], headers: dict[str, str], statement: dict[str, Any]) -> bool:
        """A 409 counts as delivered when the target holds the same statement (by the immutable parts)."""
        answer = self.client.get(url, params={"statementId": statement["id"]}, auth=auth, headers=headers)
        if answer.status_code != 200:
            return False
        return fingerprint(answer.json()) == fingerprint(statement)


def start_background_sender(lrs: LRS) -> threading.Event | None:
    """Start a sender thread in this process (``lrs serve`` does it in each worker; the lease lets one of them
    deliver at a time). Returns the event that stops it, or None when disabled by LRS_FORWARD_IN_SERVE=0."""
    if not lrs.settings.forward_in_serve:
        return None
    stop = threading.Event()
    sender = Sender(lrs)
    thread = threading.Thread(target=sender.run, args=(stop,), name="lrs-forward-sender", daemon=True)
    thread.start()
    return stop
