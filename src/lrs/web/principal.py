"""The one place where a signed-in person becomes the Principal that the access module judges.

Pages ask lrs.services.access the same questions /api and /xapi ask; they only need a Principal with the account's
role, agent and cohorts. An account has no API scopes: what it may do follows from its role alone.
"""

from __future__ import annotations

from typing import Any

from lrs.services.principal import Principal


def principal_for(user: dict[str, Any], authority_home_page: str) -> Principal:
    """The Principal of a signed-in account (a row of lrs.store.users)."""
    return Principal.from_user(user, authority_home_page)
