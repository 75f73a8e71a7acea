"""The one place where a signed-in person becomes the Principal that the access module judges.

Pages ask lrs.services.access the same questions /api and /xapi ask; they only need a Principal with the account's
role, agent and cohorts. An account has no API scopes: what it may do follows from its role alone.
"""

from __future__ import annotations

from typing import Any

from lrs.services.principal import Principal
from lrs.xapi.ifi import agent_key


def principal_for(user: dict[str, Any], authority_home_page: str) -> Principal:
    """The Principal of a signed-in account (a row of lrs.store.users)."""
    account = {"homePage": authority_home_page, "name": f"user:{user['id']}"}
    authority = {"objectType": "Agent", "name": user["name"], "account": account}
    return Principal(
        key=f"user:{user['id']}",
        name=user["name"],
        scopes=frozenset(),
        authority=authority,
        authority_key=agent_key(authority) or "",
        role=user["role"],
        agent_key=user["agent_key"],
        cohorts=tuple(user["cohorts"] or ()),
    )
