"""Credentials in the database. Secrets are random and long, so a SHA-256 of them is enough: a lookup by
key and one hash cost microseconds, where a password KDF would cost tens of milliseconds per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from lrs.store.models import Credential

C = Credential.__table__


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def new_key() -> str:
    return secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_credential(
    conn: Connection,
    *,
    name: str,
    scopes: list[str],
    authority_home_page: str,
    key: str | None = None,
    secret: str | None = None,
    role: str | None = None,
    agent_key: str | None = None,
    cohorts: list[str] | None = None,
    may_enrol: bool = False,
) -> tuple[str, str]:
    """Create a credential and return (key, secret). The secret is shown once; only its hash is kept."""
    key = key or new_key()
    secret = secret or new_secret()
    authority = {"objectType": "Agent", "name": name, "account": {"homePage": authority_home_page, "name": key}}
    conn.execute(
        insert(C).values(
            key=key,
            secret_hash=hash_secret(secret),
            name=name,
            scopes=sorted(set(scopes)),
            authority=authority,
            role=role,
            agent_key=agent_key,
            cohorts=cohorts,
            may_enrol=may_enrol,
            created=datetime.now(UTC),
            revoked=None,
        )
    )
    return key, secret


def find_credential(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(C).where(C.c.key == key)).mappings().first()
    return dict(row) if row else None


def list_credentials(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(C).order_by(C.c.id)).mappings()]


def revoke_credential(conn: Connection, key: str) -> bool:
    result = conn.execute(
        update(C).where(C.c.key == key, C.c.revoked.is_(None)).values(revoked=datetime.now(UTC))
    )
    return result.rowcount > 0


def set_may_enrol(conn: Connection, key: str, may_enrol: bool) -> bool:
    """Trust (or stop trusting) a credential to enrol learners through its statements."""
    result = conn.execute(update(C).where(C.c.key == key, C.c.revoked.is_(None)).values(may_enrol=may_enrol))
    return result.rowcount > 0


def count_active(conn: Connection) -> int:
    return len(conn.execute(select(C.c.id).where(C.c.revoked.is_(None))).all())


def ensure_credential(
    conn: Connection, *, key: str, secret: str, name: str, scopes: list[str], authority_home_page: str
) -> bool:
    """Make sure a credential with this key and secret exists and is active (for LRS_BOOTSTRAP_*).
    Returns True when it had to create or repair it."""
    row = find_credential(conn, key)
    if row is None:
        create_credential(
            conn, name=name, scopes=scopes, authority_home_page=authority_home_page, key=key, secret=secret
        )
        return True
    if row["revoked"] is not None or not secret_matches(secret, row["secret_hash"]) or set(row["scopes"]) != set(
        scopes
    ):
        conn.execute(
            update(C)
            .where(C.c.key == key)
            .values(secret_hash=hash_secret(secret), revoked=None, scopes=sorted(set(scopes)))
        )
        return True
    return False
