"""Helpers for the data lifecycle tests: a second LRS on a real port (the peer: a forwarding target or an
import source), and a way to run the `lrs` command as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import make_credential
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.db import Database
from lrs.store.migrate import upgrade
from lrs.store.models import Statement


@dataclass
class Peer:
    lrs: LRS
    url: str
    key: str
    secret: str

    def statement_count(self) -> int:
        with self.lrs.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(Statement)).scalar_one())

    def statement_ids(self) -> list[str]:
        with self.lrs.db.read() as conn:
            return list(conn.execute(select(Statement.id)).scalars())


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Peer]:
    """Another LRS (SQLite, its own file) served over HTTP in a thread."""
    url = f"sqlite:///{tmp_path / 'peer.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    lrs = LRS(Settings(database_url=url, credential_cache_seconds=0), db=db)
    key, secret = make_credential(lrs, ["all"], name="peer admin")
    server = make_server("127.0.0.1", 0, create_app(lrs=lrs), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Peer(lrs, f"http://127.0.0.1:{server.server_port}/xapi", key, secret)
    server.shutdown()
    thread.join(timeout=5)
    db.dispose()


def lrs_command(database_url: str, *args: str, **popen: object) -> subprocess.Popen:
    env = {**os.environ, "LRS_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-c", "from lrs.cli import main; main()", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )
