"""Two LRS instances on one database (each with its own connections, as two ``lrs serve`` hosts behind a load
balancer): what one hands out works on the other, and what one revokes the other refuses at once.
bench/two_instances.py runs the same checks against two real servers under load."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import XAPIClient, make_credential, statement

from lrs.app import create_app
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.credentials import revoke_credential
from lrs.store.db import Database


@pytest.fixture
def other_instance(lrs_instance: LRS, database_url: str) -> Iterator[XAPIClient]:
    """A second instance: its own Database (pool) and app on the same store, with the default settings."""
    db = Database(database_url)
    other = LRS(Settings(database_url=database_url), db=db)
    app = create_app(lrs=other)
    app.config["TESTING"] = True
    yield app.test_client()
    db.dispose()


def test_a_more_link_from_one_instance_pages_on_the_other(client, other_instance, credential):
    stored = client.post_statements([statement() for _ in range(5)])
    assert stored.status_code == 200
    first = client.get("/xapi/statements?limit=2").get_json()
    assert first["more"]
    on_other = XAPIClient(other_instance, *credential).get(first["more"])
    assert on_other.status_code == 200
    ids = [s["id"] for s in first["statements"]] + [s["id"] for s in on_other.get_json()["statements"]]
    assert len(set(ids)) == 4 and set(ids) <= set(stored.get_json())


def test_a_credential_revoked_on_one_instance_is_refused_by_the_other_on_its_next_request(
    lrs_instance, client, other_instance
):
    key, secret = make_credential(lrs_instance, ["statements/read"], name="revoked soon")
    other = XAPIClient(other_instance, key, secret)
    assert other.get("/xapi/statements?limit=1").status_code == 200
    assert lrs_instance.db.write(lambda conn: revoke_credential(conn, key))
    refused = other.get("/xapi/statements?limit=1")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["rule"] == "authentication"
