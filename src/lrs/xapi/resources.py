"""The Activities and Agents resources as xAPI defines them: parameters, the Activity object, the Person object.

No HTTP, no SQL: the service hands in what the store found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lrs.xapi import scopes
from lrs.xapi.documents import parse_activity_id, parse_agent
from lrs.xapi.errors import XAPIError
from lrs.xapi.ifi import IFI_PROPERTIES, agent_key

#: How many of an agent's latest statements the Agents resource reads names from.
PERSON_STATEMENT_LIMIT = 100


def may_read(granted: set[str]) -> bool:
    """Activities and Agents answer from every authority's statements, so they need a scope that reads them
    all (statements/read, all/read, all) or define; statements/read/mine alone is not enough."""
    return scopes.allows(granted, scopes.STATEMENTS_READ, read=True) or scopes.DEFINE in granted


def _only(params: Mapping[str, Sequence[str]], name: str, resource: str) -> str:
    unknown = sorted(set(params) - {name})
    if unknown:
        raise XAPIError(
            f"{unknown[0]} is not a parameter of the {resource} resource",
            rule="unknown-parameter",
            path=unknown[0],
        )
    values = params.get(name) or []
    if not values:
        raise XAPIError(f"{name} is required", rule="parameter-required", path=name)
    if len(values) > 1:
        raise XAPIError(f"{name} is given more than once", rule="parameter-repeated", path=name)
    return values[0]


def parse_activities_params(params: Mapping[str, Sequence[str]]) -> str:
    """The activityId of GET /activities (the only parameter)."""
    return parse_activity_id(_only(params, "activityId", "Activities"))


def parse_agents_params(params: Mapping[str, Sequence[str]]) -> tuple[dict[str, Any], str]:
    """The agent of GET /agents (the only parameter): the object and its IFI key. It must be an Agent."""
    return parse_agent("agent", _only(params, "agent", "Agents"), allow_group=False)


def activity_object(iri: str, definition: dict[str, Any] | None) -> dict[str, Any]:
    """The Activity the LRS returns: always an Activity object, with the canonical definition when it has one."""
    activity: dict[str, Any] = {"objectType": "Activity", "id": iri}
    if definition:
        activity["definition"] = definition
    return activity


def _agents_in(statement: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every Agent or Group object in a statement, in any role, group members and sub-statements included."""

    def with_members(value: Any) -> Iterable[dict[str, Any]]:
        if isinstance(value, dict):
            yield value
            for member in value.get("member") or []:
                if isinstance(member, dict):
                    yield member

    yield from with_members(statement.get("actor"))
    yield from with_members(statement.get("authority"))
    obj = statement.get("object")
    if isinstance(obj, dict):
        if obj.get("objectType") in ("Agent", "Group"):
            yield from with_members(obj)
        elif obj.get("objectType") == "SubStatement":
            yield from _agents_in(obj)
    context = statement.get("context")
    if isinstance(context, dict):
        yield from with_members(context.get("instructor"))
        yield from with_members(context.get("team"))
        for entry in context.get("contextAgents") or []:
            if isinstance(entry, dict):
                yield from with_members(entry.get("agent"))
        for entry in context.get("contextGroups") or []:
            if isinstance(entry, dict):
                yield from with_members(entry.get("group"))


def person(agent: dict[str, Any], key: str, statements: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The Person object for ``agent``: the names the LRS has seen with its IFI (newest statement first, each
    once, then the name in the query if it is new) and the IFI itself.

    Only the queried IFI is listed: the LRS keeps no link between different IFIs of one person, and merging
    agents that merely share a name would be a guess. Every property is present, as an array (empty when the
    LRS knows nothing of that kind)."""
    names: list[str] = []
    for statement in statements:
        for found in _agents_in(statement):
            name = found.get("name")
            if isinstance(name, str) and name not in names and agent_key(found) == key:
                names.append(name)
    if isinstance(agent.get("name"), str) and agent["name"] not in names:
        names.append(agent["name"])
    result: dict[str, Any] = {"objectType": "Person", "name": names}
    for prop in IFI_PROPERTIES:
        result[prop] = [agent[prop]] if prop in agent else []
    return result
