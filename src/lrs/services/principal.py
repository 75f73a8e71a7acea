"""Who is calling: a verified credential, its scopes, its role and what the role is bound to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrs.xapi import scopes as xscopes
from lrs.xapi.ifi import agent_key


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

    def allows(self, scope: str, *, read: bool) -> bool:
        return xscopes.allows(set(self.scopes), scope, read=read)
