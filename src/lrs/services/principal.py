"""Who is calling: a verified credential, its scopes, its role and what the role is bound to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrs.xapi import scopes as xscopes
from lrs.xapi.ifi import agent_key

#: The key of a person's web account as a principal: "user:<id>" (a credential's key never has a colon).
USER_KEY_PREFIX = "user:"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a verified credential."""

    key: str
    name: str
    scopes: frozenset[str]
    authority: dict[str, Any]
    authority_key: str
    role: str | None = None
    agent_key: str | None = None
    cohorts: tuple[str, ...] = field(default_factory=tuple)
    #: Trusted to enrol learners through the statements it stores (an LMS; lrs.services.access).
    may_enrol: bool = False

    @classmethod
    def from_credential(cls, row: dict[str, Any]) -> Principal:
        """The principal of an active credential row (lrs.store.credentials)."""
        return cls(
            key=row["key"],
            name=row["name"],
            scopes=frozenset(row["scopes"]),
            authority=row["authority"],
            authority_key=agent_key(row["authority"]) or "",
            role=row["role"],
            agent_key=row["agent_key"],
            cohorts=tuple(row["cohorts"] or ()),
            may_enrol=bool(row.get("may_enrol")),
        )

    @classmethod
    def from_user(cls, user: dict[str, Any], authority_home_page: str) -> Principal:
        """The principal of a person's web account (a row of lrs.store.users): its key is ``user:<id>``, the
        name its statements' authority account carries. An account has no API scopes: its role decides."""
        account = {"homePage": authority_home_page, "name": f"{USER_KEY_PREFIX}{user['id']}"}
        authority = {"objectType": "Agent", "name": user["name"], "account": account}
        return cls(
            key=f"{USER_KEY_PREFIX}{user['id']}",
            name=user["name"],
            scopes=frozenset(),
            authority=authority,
            authority_key=agent_key(authority) or "",
            role=user["role"],
            agent_key=user["agent_key"],
            cohorts=tuple(user["cohorts"] or ()),
        )

    def allows(self, scope: str, *, read: bool) -> bool:
        return xscopes.allows(set(self.scopes), scope, read=read)
