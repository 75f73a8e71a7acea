"""The parameters of a statement query (GET /statements), parsed and checked, with no HTTP in sight."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from lrs.xapi.datatypes import parse_json
from lrs.xapi.errors import XAPIError
from lrs.xapi.formats import FORMATS
from lrs.xapi.ifi import IFI_PROPERTIES, agent_key
from lrs.xapi.statement import parse_instant

SINGLE_PARAMS = {"statementId", "voidedStatementId"}
QUERY_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}


def _bad(param: str, message: str, rule: str = "query-parameter") -> XAPIError:
    return XAPIError(message=message, status=400, rule=rule, path=param)


def parse_bool(param: str, value: str | None) -> bool:
    if value is None:
        return False
    # tincan's Python client sends True/False; be tolerant where the spec allows no harm.
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise _bad(param, f"{param} must be true or false, got {value!r}")


def parse_uuid(param: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as exc:
        raise _bad(param, f"{param} must be a UUID, got {value!r}", rule="uuid") from exc


def parse_time(param: str, value: str) -> datetime:
    try:
        return parse_instant(value)
    except (ValueError, TypeError, OverflowError) as exc:  # Overflow: 0001-01-01T00:00+01:00 is year 0 in UTC
        raise _bad(param, f"{param} must be an ISO 8601 timestamp, got {value!r}", rule="timestamp") from exc


def parse_agent_param(param: str, value: str) -> str:
    """An agent given as JSON in a query string, reduced to its IFI key."""
    try:
        agent = parse_json(value)
    except (ValueError, TypeError) as exc:
        raise _bad(param, f"{param} must be an Agent or Group as JSON", rule="agent-json") from exc
    if not isinstance(agent, dict):
        raise _bad(param, f"{param} must be a JSON object", rule="agent-json")
    present = [ifi for ifi in IFI_PROPERTIES if ifi in agent]
    key = agent_key(agent)
    if len(present) != 1 or key is None:
        raise _bad(param, f"{param} must carry exactly one inverse functional identifier", rule="ifi-count")
    return key


@dataclass
class StatementQuery:
    """A parsed statement query. ``after_seq`` is set when continuing through a ``more`` link."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = 0
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    #: Only statements stored by this authority (statements/read/mine).
    authority_key: str | None = None
    after_seq: int | None = None

    @property
    def since_dt(self) -> datetime | None:
        return parse_instant(self.since) if self.since else None

    @property
    def until_dt(self) -> datetime | None:
        return parse_instant(self.until) if self.until else None

    def cursor(self, after_seq: int, key: bytes) -> str:
        """A token for the next page: the same query, continuing after ``after_seq``, signed with ``key`` (an
        HMAC) so a client can read it but not alter it: an unsigned cursor let anyone ask for any page size."""
        data = {k: v for k, v in asdict(self).items() if v not in (None, False, "", 0) or k == "after_seq"}
        data["after_seq"] = after_seq
        raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(raw)}.{_b64(_cursor_mac(key, raw))}"

    @classmethod
    def from_cursor(cls, token: str, key: bytes, *, max_page_size: int) -> StatementQuery:
        """The query a token issued by :meth:`cursor` continues; a 400 (``more-token``) for any other token."""
        refused = _bad("more", "the more token is not one this LRS issued", rule="more-token")
        body, _, mac = token.partition(".")
        try:
            raw, signature = _unb64(body), _unb64(mac)
        except ValueError:
            raise refused from None
        if not hmac.compare_digest(signature, _cursor_mac(key, raw)):
            raise refused
        try:
            query = cls(**json.loads(raw))
        except (ValueError, TypeError):
            raise refused from None
        # Issued by this LRS, but the page cap may have been lowered since: it still holds.
        if not isinstance(query.after_seq, int) or not isinstance(query.limit, int):
            raise refused
        query.limit = min(max(query.limit, 1), max_page_size)
        return query


def _cursor_mac(key: bytes, raw: bytes) -> bytes:
    return hmac.new(key, b"more-cursor\n" + raw, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if len(text) > 8192:
        raise ValueError("too long")
    try:
        return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("not base64") from exc


def parse_statement_query(
    params: dict[str, str], *, page_size: int, max_page_size: int
) -> StatementQuery:
    """Check and parse the query parameters of a multi-statement GET."""
    unknown = sorted(set(params) - QUERY_PARAMS)
    if unknown:
        raise _bad(unknown[0], f"unknown query parameter {unknown[0]!r}", rule="unknown-parameter")
    q = StatementQuery()
    if "agent" in params:
        q.agent = parse_agent_param("agent", params["agent"])
    if "verb" in params:
        q.verb = params["verb"]
    if "activity" in params:
        q.activity = params["activity"]
    if "registration" in params:
        q.registration = parse_uuid("registration", params["registration"])
    q.related_activities = parse_bool("related_activities", params.get("related_activities"))
    q.related_agents = parse_bool("related_agents", params.get("related_agents"))
    if "since" in params:
        parse_time("since", params["since"])
        q.since = params["since"]
    if "until" in params:
        parse_time("until", params["until"])
        q.until = params["until"]
    limit = params.get("limit", "0")
    try:
        q.limit = int(limit)
    except ValueError as exc:
        raise _bad("limit", f"limit must be a non-negative integer, got {limit!r}") from exc
    if q.limit < 0:
        raise _bad("limit", "limit must be a non-negative integer")
    # 0 means "the server's maximum"; we cap at a page size so memory stays flat.
    q.limit = page_size if q.limit == 0 else min(q.limit, max_page_size)
    q.format = params.get("format", "exact")
    if q.format not in FORMATS:
        raise _bad("format", f"format must be one of {', '.join(FORMATS)}")
    q.attachments = parse_bool("attachments", params.get("attachments"))
    q.ascending = parse_bool("ascending", params.get("ascending"))
    return q


def check_single_params(params: dict[str, Any]) -> None:
    """statementId / voidedStatementId allow only format and attachments beside them."""
    if "statementId" in params and "voidedStatementId" in params:
        raise _bad("voidedStatementId", "statementId and voidedStatementId cannot be used together")
    extra = sorted(set(params) - SINGLE_PARAMS - {"format", "attachments"})
    if extra:
        raise _bad(extra[0], f"{extra[0]} cannot be combined with statementId or voidedStatementId")
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise _bad("format", f"format must be one of {', '.join(FORMATS)}")
    parse_bool("attachments", params.get("attachments"))
