"""Secrets the server makes for itself (the key that signs ``more`` cursors), made once and kept in the
database, so every worker and every restart uses the same one without an operator setting."""

from __future__ import annotations

import contextlib
import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from lrs.store.db import Database
from lrs.store.models import ServerSecret

S = ServerSecret.__table__


def secret(db: Database, name: str) -> bytes:
    """The secret called ``name``, made on first use. Two workers racing to make it agree on the winner's."""
    with db.read() as conn:
        value = conn.execute(select(S.c.value).where(S.c.name == name)).scalar()
    if value is None:
        with contextlib.suppress(IntegrityError):  # another worker made it first: read theirs
            db.write(lambda conn: conn.execute(insert(S).values(name=name, value=secrets.token_hex(32))))
        with db.read() as conn:
            value = conn.execute(select(S.c.value).where(S.c.name == name)).scalar_one()
    return bytes.fromhex(value)
