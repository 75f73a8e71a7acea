"""Helpers for the data lifecycle tests: a second LRS on a real port (the peer: a forwarding target or an
import source), and a way to run the `lrs` command as a user does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import make_credential, statement
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.db import Database
from lrs.store.migrate import upgrade
from lrs.store.models import Statement
from lrs.xapi.attachments import Part


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


def store_with_content(lrs: LRS, statements: list[dict[str, Any]], contents: list[tuple[str, bytes]]) -> list[str]:
    """Store statements as a client's multipart request does: each (content type, bytes) as a part, matched to
    the statements' attachments by sha2 and checked (signatures verified) by the LRS."""
    parts = [
        Part(number=n, content=content, hash_header=sha256(content), content_type=content_type,
             transfer_encoding="binary")
        for n, (content_type, content) in enumerate(contents, start=1)
    ]
    return lrs.store_statements(statements, lrs.operator_principal(), "1.0.3", parts=parts)


#: Every byte value, CR LF and a would-be delimiter among them: the bytes must arrive as they are.
BINARY = bytes(range(256)) + b"\r\n--0123456789abcdef\r\n\r\n" + bytes(range(255, -1, -1))
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes, content_type: str = "application/pdf") -> dict[str, Any]:
    return {"usageType": "http://id.tincanapi.com/attachment/certificate", "display": {"en-GB": "Certificate"},
            "contentType": content_type, "length": len(content), "sha2": sha256(content)}


def signed(key: Any) -> tuple[dict[str, Any], bytes]:  # noqa: ANN401
    """A statement signed with ``key`` (its JWS in a signature attachment), and the JWS."""
    from api.test_signatures import jws

    body = statement(id=str(uuid.uuid4()), timestamp="2024-05-01T09:30:00.000Z")
    token = jws(body, key)
    signature = {"usageType": SIGNATURE, "display": {"en-US": "Signed"}, "contentType": "application/octet-stream",
                 "length": len(token), "sha2": sha256(token)}
    return {**body, "attachments": [signature]}, token


@pytest.fixture(scope="module")
def rsa_key() -> Any:  # noqa: ANN401
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def lrs_command(database_url: str, *args: str, **popen: object) -> subprocess.Popen:
    env = {**os.environ, "LRS_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-c", "from lrs.cli import main; main()", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )
