"""People's accounts for the web pages, their sessions, password-reset links and failed sign-ins: SQL only.

Accounts are separate from API credentials. Emails are kept in lower case, so "Jo@LA.example" and
"jo@la.example" are one account. Session ids and reset tokens are random; only their SHA-256 is stored, so a
copy of the database cannot be used to sign in. Password hashing happens in lrs.web.passwords.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)

from lrs.store.models import Base

ROLES = ("participant", "assessor", "iqa", "lead", "admin")

U = Table(
    "users",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("agent_key", Text),
    Column("cohorts", JSON),
    Column("password_hash", Text),
    Column("disabled", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_sign_in", DateTime(timezone=True)),
)

WS = Table(
    "web_sessions",
    Base.metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_user", "user_id"),
)

PR = Table(
    "password_resets",
    Base.metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used", DateTime(timezone=True)),
    Index("ix_password_resets_user", "user_id"),
)

SF = Table(
    "sign_in_failures",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(400), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_sign_in_failures_subject_at", "subject", "at"),
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _user(row: Any) -> dict[str, Any]:
    user = dict(row._mapping)
    user["cohorts"] = list(user["cohorts"] or [])
    user["created"] = _aware(user["created"])
    user["last_sign_in"] = _aware(user["last_sign_in"])
    return user


# Accounts


def create_user(
    conn: Connection,
    *,
    email: str,
    name: str,
    role: str,
    agent_key: str | None = None,
    cohorts: list[str] | None = None,
    password_hash: str | None = None,
) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    result = conn.execute(
        insert(U).values(
            email=normalise_email(email),
            name=name,
            role=role,
            agent_key=agent_key,
            cohorts=cohorts or None,
            password_hash=password_hash,
            disabled=False,
            created=_now(),
        )
    )
    return int(result.inserted_primary_key[0])


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(select(U).where(U.c.email == normalise_email(email))).first()
    return _user(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(U).where(U.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [_user(r) for r in conn.execute(select(U).order_by(U.c.email))]


def update_user(
    conn: Connection, user_id: int, *, name: str, role: str, agent_key: str | None, cohorts: list[str] | None
) -> None:
    """Change an account's name, role, learner identity and cohorts (lrs.services.accounts checks the rules
    first). The person's sessions stay: each request reads the account afresh, so the change shows on their
    next page."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    conn.execute(
        update(U).where(U.c.id == user_id).values(name=name, role=role, agent_key=agent_key, cohorts=cohorts or None)
    )


def enabled_admins(conn: Connection) -> list[int]:
    """The ids of the enabled administrator accounts."""
    return list(conn.execute(select(U.c.id).where(U.c.role == "admin", U.c.disabled.is_(False))).scalars())


def known_cohorts(conn: Connection) -> list[str]:
    """Every cohort IRI the store knows of: those learners are enrolled in, and those accounts and active API
    credentials are bound to (the choices an admin picks from)."""
    from lrs.store.models import CohortEnrolment, Credential

    enrolled = CohortEnrolment.__table__
    credentials = Credential.__table__
    found = set(conn.execute(select(enrolled.c.cohort).distinct()).scalars())
    for cohorts in conn.execute(select(U.c.cohorts).where(U.c.cohorts.is_not(None))).scalars():
        found.update(cohorts or ())
    bound = select(credentials.c.cohorts).where(credentials.c.cohorts.is_not(None), credentials.c.revoked.is_(None))
    for cohorts in conn.execute(bound).scalars():
        found.update(cohorts or ())
    return sorted(c for c in found if isinstance(c, str))


def learner_cohorts(conn: Connection, agent_key: str) -> list[str]:
    """The cohorts ``agent_key`` is enrolled in as a learner (an index lookup)."""
    from lrs.store.models import CohortEnrolment

    enrolled = CohortEnrolment.__table__
    query = select(enrolled.c.cohort).where(enrolled.c.agent_key == agent_key, enrolled.c.role == "learner")
    return sorted(conn.execute(query).scalars())


def learner_cohorts_of(conn: Connection, agent_keys: Iterable[str]) -> dict[str, list[str]]:
    """:func:`learner_cohorts` of many people in one query: agent key -> the cohorts they learn in."""
    from lrs.store.models import CohortEnrolment

    keys = sorted(set(agent_keys))
    if not keys:
        return {}
    enrolled = CohortEnrolment.__table__
    rows = conn.execute(
        select(enrolled.c.agent_key, enrolled.c.cohort)
        .where(enrolled.c.agent_key.in_(keys), enrolled.c.role == "learner")
        .order_by(enrolled.c.cohort)
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.agent_key, []).append(row.cohort)
    return found


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(U).where(U.c.id == user_id).values(password_hash=password_hash))


def record_sign_in(conn: Connection, user_id: int) -> None:
    conn.execute(update(U).where(U.c.id == user_id).values(last_sign_in=_now()))


def disable_user(conn: Connection, user_id: int) -> None:
    """Disable the account and end every session it has, in every worker (sessions live here)."""
    conn.execute(update(U).where(U.c.id == user_id).values(disabled=True))
    conn.execute(delete(WS).where(WS.c.user_id == user_id))


# Sessions


def create_session(conn: Connection, *, user_id: int, session_id: str, csrf_token: str) -> None:
    now = _now()
    conn.execute(
        insert(WS).values(
            id_hash=token_hash(session_id), user_id=user_id, csrf_token=csrf_token, created=now, last_seen=now
        )
    )


def session_with_user(conn: Connection, session_id: str) -> dict[str, Any] | None:
    """The session and its account, or None. The caller decides whether it has been idle too long."""
    row = conn.execute(
        select(
            WS.c.id_hash, WS.c.csrf_token, WS.c.created.label("session_created"), WS.c.last_seen, U
        ).join(U, U.c.id == WS.c.user_id).where(WS.c.id_hash == token_hash(session_id))
    ).first()
    if row is None:
        return None
    found = _user(row)
    found["last_seen"] = _aware(found["last_seen"])
    found["session_created"] = _aware(found["session_created"])
    return found


def touch_session(conn: Connection, session_id: str) -> None:
    conn.execute(update(WS).where(WS.c.id_hash == token_hash(session_id)).values(last_seen=_now()))


def end_session(conn: Connection, session_id: str) -> None:
    conn.execute(delete(WS).where(WS.c.id_hash == token_hash(session_id)))


def end_idle_sessions(conn: Connection, idle: timedelta) -> int:
    return conn.execute(delete(WS).where(WS.c.last_seen < _now() - idle)).rowcount


# Password-reset links


def create_reset(conn: Connection, *, user_id: int, token: str, valid_for: timedelta) -> None:
    """A new link replaces any earlier one for the same account."""
    conn.execute(delete(PR).where(PR.c.user_id == user_id))
    conn.execute(insert(PR).values(token_hash=token_hash(token), user_id=user_id, expires=_now() + valid_for))


def usable_reset(conn: Connection, token: str) -> dict[str, Any] | None:
    """The account a reset link is for, when the link is unused and unexpired."""
    row = conn.execute(
        select(PR.c.expires, PR.c.used, U).join(U, U.c.id == PR.c.user_id).where(PR.c.token_hash == token_hash(token))
    ).first()
    if row is None or row.used is not None or _aware(row.expires) <= _now() or row.disabled:
        return None
    return _user(row)


def use_reset(conn: Connection, token: str, password_hash: str) -> bool:
    """Set the password and spend the link; end the account's sessions (a reset follows a suspected leak)."""
    user = usable_reset(conn, token)
    if user is None:
        return False
    conn.execute(update(PR).where(PR.c.token_hash == token_hash(token)).values(used=_now()))
    set_password_hash(conn, user["id"], password_hash)
    conn.execute(delete(WS).where(WS.c.user_id == user["id"]))
    return True


# Failed sign-ins (throttling)


def record_failure(conn: Connection, subjects: list[str]) -> None:
    now = _now()
    conn.execute(insert(SF), [{"subject": s, "at": now} for s in subjects])


def recent_failures(conn: Connection, subject: str, window: timedelta) -> int:
    return conn.execute(
        select(func.count()).select_from(SF).where(SF.c.subject == subject, SF.c.at > _now() - window)
    ).scalar_one()


def clear_failures(conn: Connection, subject: str) -> None:
    conn.execute(delete(SF).where(SF.c.subject == subject))


def forget_old_failures(conn: Connection, window: timedelta) -> None:
    conn.execute(delete(SF).where(SF.c.at < _now() - window))


def name_for_agent(conn: Connection, agent_key: str) -> str | None:
    """The account name of the (enabled) person bound to ``agent_key``, or None: the learner's name as the
    centre knows it, for portfolios (never the name some statement happened to carry)."""
    row = conn.execute(
        select(U.c.name).where(U.c.agent_key == agent_key, U.c.disabled.is_(False)).order_by(U.c.id).limit(1)
    ).first()
    return row.name if row else None


def names_for_agents(conn: Connection, agent_keys: Iterable[str]) -> dict[str, str]:
    """:func:`name_for_agent` for many learners in one query (a cohort's dashboard): agent key -> name."""
    keys = sorted(set(agent_keys))
    if not keys:
        return {}
    rows = conn.execute(
        select(U.c.agent_key, U.c.name).where(U.c.agent_key.in_(keys), U.c.disabled.is_(False)).order_by(U.c.id.desc())
    )
    return {r.agent_key: r.name for r in rows}  # the earliest account wins, as in name_for_agent


def names_for_makers(conn: Connection, keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """Who made something, by the key the store recorded (a person's account ``user:<id>``, or an API
    credential's key): key -> ``{"name", "kind"}``, kind ``"person"`` or ``"credential"``. Two queries whatever
    the number of keys; a key that is neither is left out (the caller shows what was recorded)."""
    from lrs.store.credentials import C

    wanted = sorted(set(keys))
    ids = {int(k[5:]): k for k in wanted if k.startswith("user:") and k[5:].isdigit()}
    found: dict[str, dict[str, str]] = {}
    if ids:
        for row in conn.execute(select(U.c.id, U.c.name).where(U.c.id.in_(sorted(ids)))):
            found[ids[row.id]] = {"name": row.name, "kind": "person"}
    others = [k for k in wanted if k not in found and not k.startswith("user:")]
    if others:
        for row in conn.execute(select(C.c.key, C.c.name).where(C.c.key.in_(others))):
            found[row.key] = {"name": row.name, "kind": "credential"}
    return found
