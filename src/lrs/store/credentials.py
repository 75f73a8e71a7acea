"""Credentials in the database. Secrets are random and long (or, when an operator chooses one, checked by
:func:`check_secret_strength`), so a salted SHA-256 of them is enough: a lookup by key and one hash cost
microseconds, where a password KDF would cost tens of milliseconds per request. The salt (per credential)
keeps two equal secrets from sharing a hash; rows from before migration 0008 have none and still verify."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, insert, select, update

from lrs.store.models import Credential

if TYPE_CHECKING:
    from lrs.store.db import Database

C = Credential.__table__


#: An operator-chosen secret is at least this long and uses at least MIN_DISTINCT different characters.
MIN_SECRET_LENGTH = 16
MIN_DISTINCT = 8


class WeakSecret(ValueError):
    """An operator-chosen secret too short or too repetitive to stand against guessing."""


def check_secret_strength(secret: str) -> None:
    """Raise WeakSecret for a secret someone could guess: shorter than MIN_SECRET_LENGTH characters or made of
    fewer than MIN_DISTINCT different ones ("aaaaaaaaaaaaaaaa", "1212121212121212")."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise WeakSecret(f"a secret must be at least {MIN_SECRET_LENGTH} characters long (this one has {len(secret)})")
    if len(set(secret)) < MIN_DISTINCT:
        raise WeakSecret(f"a secret must use at least {MIN_DISTINCT} different characters")


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_secret(secret: str, salt: str | None = None) -> str:
    """SHA-256 of the salt and the secret; without a salt, of the secret alone (credentials before 0008)."""
    return hashlib.sha256(((salt or "") + secret).encode("utf-8")).hexdigest()


def secret_matches(secret: str, secret_hash: str, salt: str | None = None) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), secret_hash)


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
    """Create a credential and return (key, secret). The secret is shown once; only its hash is kept.
    A secret passed in is checked with :func:`check_secret_strength` (WeakSecret)."""
    key = key or new_key()
    if secret is None:
        secret = new_secret()
    else:
        check_secret_strength(secret)
    salt = new_salt()
    authority = {"objectType": "Agent", "name": name, "account": {"homePage": authority_home_page, "name": key}}
    conn.execute(
        insert(C).values(
            key=key,
            secret_hash=hash_secret(secret, salt),
            secret_salt=salt,
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


class AuthRow(NamedTuple):
    """What authenticating a request reads of an active credential (the JSON columns as their text)."""

    key: str
    secret_hash: str
    secret_salt: str | None
    name: str
    scopes: str
    authority: str
    role: str | None
    agent_key: str | None
    cohorts: str | None
    may_enrol: bool

    def decoded(self) -> dict[str, Any]:
        """The row as :func:`find_credential` gives it (JSON columns decoded)."""
        return {
            **self._asdict(),
            "scopes": json.loads(self.scopes),
            "authority": json.loads(self.authority),
            "cohorts": json.loads(self.cohorts) if self.cohorts is not None else None,
            "revoked": None,
        }


_AUTH_SQL = (
    'SELECT "key", secret_hash, secret_salt, name, CAST(scopes AS TEXT), CAST(authority AS TEXT), role, agent_key, '
    'CAST(cohorts AS TEXT), may_enrol FROM credentials WHERE "key" = {mark} AND revoked IS NULL'
)
_AUTH_SQL_BY_DIALECT = {"sqlite": _AUTH_SQL.format(mark="?"), "postgresql": _AUTH_SQL.format(mark="%s")}


def active_for_auth(db: Database, key: str) -> AuthRow | None:
    """The active (not revoked) credential with this key, read from the database now, for authenticating a
    request: one look-up by the unique (indexed) key as a statement of its own (Database.read_row: no BEGIN and
    COMMIT, no SQLAlchemy execution layer), so that a credential revoked anywhere is refused by every worker
    and instance on its next request at the cost of one round trip (docs/performance.md)."""
    row = db.read_row(_AUTH_SQL_BY_DIALECT[db.dialect], (key,))
    if row is None:
        return None
    cohorts = row[8]
    return AuthRow(*row[:8], None if cohorts in (None, "null") else cohorts, bool(row[9]))


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
    matches = secret_matches(secret, row["secret_hash"], row["secret_salt"])
    if row["revoked"] is not None or not matches or set(row["scopes"]) != set(scopes):
        check_secret_strength(secret)
        salt = new_salt()
        conn.execute(
            update(C)
            .where(C.c.key == key)
            .values(secret_hash=hash_secret(secret, salt), secret_salt=salt, revoked=None, scopes=sorted(set(scopes)))
        )
        return True
    return False
