"""Inverse functional identifiers: one stable string key per Agent or identified Group."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import XAPIError

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def agent_key(agent: dict[str, Any]) -> str | None:
    """The IFI of an Agent or identified Group as one string, e.g. ``mbox:mailto:jo@la.example``.

    ``mbox`` and ``mbox_sha1sum`` of the same address are different IFIs in xAPI, so they stay different
    keys. Returns None for an anonymous group.
    """
    if "mbox" in agent:
        return "mbox:" + str(agent["mbox"]).strip()
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum:" + str(agent["mbox_sha1sum"]).lower()
    if "openid" in agent:
        return "openid:" + str(agent["openid"])
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None


def agent_from_key(key: str) -> dict[str, Any]:
    """The xAPI Agent an agent key names (the inverse of :func:`agent_key`); ValueError for a string that is
    not one."""
    kind, _, value = key.partition(":")
    if kind in ("mbox", "mbox_sha1sum", "openid"):
        return {"objectType": "Agent", kind: value}
    if kind == "account":
        home, _, name = value.partition("|")
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    raise ValueError(f"not an agent key: {key!r}")


def ifi_only(agent: dict[str, Any]) -> dict[str, Any]:
    """The agent reduced to objectType and its IFI (the ``ids`` format).

    An anonymous group has no IFI, so it keeps its members, each reduced the same way."""
    out: dict[str, Any] = {}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    for prop in IFI_PROPERTIES:
        if prop in agent:
            out[prop] = agent[prop]
            break
    if agent.get("objectType") == "Group" and len(out) == 1 and "member" in agent:
        out["member"] = [ifi_only(m) for m in agent["member"]]
    return out


def key_from_identifier(identifier: str) -> str:
    """Turn a user-facing agent identifier (as in ``/api/learners/{agent}``) into an agent key.

    Accepts ``mailto:jo@la.example``, a bare address ``jo@la.example`` (the same: an mbox is the only IFI an
    address can be), ``mbox:mailto:...``, ``mbox_sha1sum:<hex>``, ``openid:<iri>``,
    ``account:<homePage>|<name>`` or a bare 40-character SHA-1. Anything else is a 400 (rule ``invalid-agent``)
    rather than a key that matches no one.
    """
    identifier = identifier.strip()
    if identifier.startswith("mailto:"):
        return "mbox:" + identifier
    for prefix in ("mbox:", "mbox_sha1sum:", "openid:", "account:"):
        if identifier.startswith(prefix):
            return identifier
    if len(identifier) == 40 and all(c in "0123456789abcdefABCDEF" for c in identifier):
        return "mbox_sha1sum:" + identifier.lower()
    if _BARE_ADDRESS.fullmatch(identifier):
        return "mbox:mailto:" + identifier
    raise XAPIError(
        f"{identifier!r} is not an agent identifier: use mailto:jo@la.example (or jo@la.example), "
        "mbox_sha1sum:<hex>, openid:<IRI>, account:<homePage>|<name> or an Agent as JSON",
        rule="invalid-agent",
        path="agent",
    )


_BARE_ADDRESS = re.compile(r"[^\s@:/{}]+@[^\s@:/{}]+")


def mbox_sha1sum(mbox: str) -> str:
    return hashlib.sha1(mbox.encode("utf-8")).hexdigest()


def parse_agent(identifier: str) -> str:
    """The agent key of what a person or a URL names: an identifier (``mailto:jo@la.example``,
    ``account:<homePage>|<name>``, ...) or an xAPI Agent as JSON. A 400 (rule ``invalid-agent``) otherwise."""
    identifier = identifier.strip()
    if identifier.startswith("{"):
        try:
            parsed = parse_json(identifier)
        except ValueError as exc:
            raise XAPIError("the agent is not valid JSON", rule="invalid-agent", path="agent") from exc
        key = agent_key(parsed) if isinstance(parsed, dict) else None
        if not key:
            raise XAPIError(
                "the agent has no identifier (mbox, mbox_sha1sum, openid, account)",
                rule="invalid-agent",
                path="agent",
            )
        return key
    if not identifier:
        raise XAPIError("name an agent, e.g. mailto:jo@la.example", rule="invalid-agent", path="agent")
    return key_from_identifier(identifier)
