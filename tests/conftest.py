"""Fixtures: an LRS on SQLite and on PostgreSQL, a Flask client that speaks xAPI, a live server.

Every test that uses ``lrs_instance`` (directly or through ``client``) runs once per database. Set
LRS_TEST_DATABASES=sqlite to run on SQLite only (PostgreSQL is required by default, as in CI), and
LRS_TEST_POSTGRES_URL to point at another server.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from werkzeug.serving import make_server

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.credentials import create_credential
from lrs.store.db import Database, normalise_url
from lrs.store.migrate import upgrade

DATABASES = [d.strip() for d in os.environ.get("LRS_TEST_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
POSTGRES_URL = os.environ.get("LRS_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "lrs.sqlite3"
        url = f"sqlite:///{path}"
        engine = Database(url).engine
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin_url = normalise_url(POSTGRES_URL)
    name = f"lrs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = Database(url).engine
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Any) -> Iterator[str]:
    """A second, empty database of the same kind as ``database_url`` (no schema), dropped afterwards: for tests
    that migrate a store up and down themselves."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"lrs_test_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def shared_database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


def _empty_all_tables(db: Database) -> None:
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, credential_cache_seconds=0)


@pytest.fixture
def lrs_instance(settings: Settings, shared_database: Database) -> LRS:
    _empty_all_tables(shared_database)
    return LRS(settings, db=shared_database)


@pytest.fixture
def db_dialect(lrs_instance: LRS) -> str:
    return lrs_instance.db.dialect


def make_credential(lrs: LRS, scopes: list[str] | None = None, **kwargs: Any) -> tuple[str, str]:
    return lrs.db.write(
        lambda conn: create_credential(
            conn,
            name=kwargs.pop("name", "test client"),
            scopes=scopes or ["all"],
            authority_home_page=lrs.settings.authority_home_page,
            **kwargs,
        )
    )


class XAPIClient:
    """A Flask test client that sends the version header and Basic credentials unless told otherwise."""

    def __init__(self, flask_client: Any, key: str, secret: str, version: str = "1.0.3"):
        self.flask = flask_client
        self.key = key
        self.secret = secret
        self.version = version

    def headers(self, extra: dict[str, str] | None = None, *, auth: tuple[str, str] | None = None) -> dict[str, str]:
        key, secret = auth or (self.key, self.secret)
        headers = {
            "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": self.version,
        }
        headers.update(extra or {})
        return {k: v for k, v in headers.items() if v is not None}

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, auth=None, **kwargs: Any):  # noqa: ANN001, ANN201
        return self.flask.open(path, method=method, headers=self.headers(headers, auth=auth), **kwargs)

    def get(self, path: str, **kwargs: Any):  # noqa: ANN201
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):  # noqa: ANN201
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any):  # noqa: ANN201
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):  # noqa: ANN201
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any):  # noqa: ANN201
        return self.request("HEAD", path, **kwargs)

    def post_statements(self, statements: Any, **kwargs: Any):  # noqa: ANN201
        return self.post("/xapi/statements", json=statements, **kwargs)


@pytest.fixture
def app(lrs_instance: LRS):  # noqa: ANN201
    application = create_app(lrs=lrs_instance)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def credential(lrs_instance: LRS) -> tuple[str, str]:
    return make_credential(lrs_instance, ["all"], name="admin")


@pytest.fixture
def client(app, credential: tuple[str, str]) -> XAPIClient:  # noqa: ANN001
    return XAPIClient(app.test_client(), *credential)


@pytest.fixture
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    """The app on a real HTTP port (threaded), for clients such as tincan."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def statement(**overrides: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace top-level properties."""
    body: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Jo Bloggs", "mbox": "mailto:jo@la.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lrs.example/activities/residential-1",
            "definition": {"name": {"en-GB": "First residential"}},
        },
    }
    body.update(overrides)
    return body
