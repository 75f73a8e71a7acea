"""The credential scopes the xAPI specification lists, and which scope each operation needs."""

from __future__ import annotations

ALL = "all"
ALL_READ = "all/read"
STATEMENTS_WRITE = "statements/write"
STATEMENTS_READ = "statements/read"
STATEMENTS_READ_MINE = "statements/read/mine"
STATE = "state"
DEFINE = "define"
PROFILE = "profile"

SCOPES = (STATEMENTS_WRITE, STATEMENTS_READ, STATEMENTS_READ_MINE, STATE, DEFINE, PROFILE, ALL_READ, ALL)


def allows(granted: set[str], needed: str, *, read: bool) -> bool:
    """True when ``granted`` covers ``needed``. ``all`` covers everything; ``all/read`` covers any read."""
    if ALL in granted or needed in granted:
        return True
    # statements/read/mine is checked separately: it narrows what a statements read returns.
    return read and ALL_READ in granted


def can_read_statements(granted: set[str]) -> tuple[bool, bool]:
    """(may read statements, only its own). read/mine alone means only statements it stored."""
    if allows(granted, STATEMENTS_READ, read=True):
        return True, False
    if STATEMENTS_READ_MINE in granted:
        return True, True
    return False, False
