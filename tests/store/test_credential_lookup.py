"""The per-request credential look-up (lrs.store.credentials.active_for_auth): one statement straight to the
driver, read on every request. What it gives must be what the full row gives, on both databases."""

from __future__ import annotations

from conftest import make_credential
from sqlalchemy import update

from lrs.services.principal import Principal
from lrs.services.statements import LRS
from lrs.store import credentials as cs
from lrs.store.models import Credential


def _principal_from_full_row(lrs: LRS, key: str) -> Principal:
    with lrs.db.read() as conn:
        row = cs.find_credential(conn, key)
    assert row is not None
    return Principal.from_credential(row)


def test_the_principal_is_the_one_the_full_row_gives_for_every_kind_of_credential(lrs_instance: LRS) -> None:
    kinds = [
        {"scopes": ["all"]},
        {"scopes": ["statements/write", "statements/read/mine"], "may_enrol": True},
        {
            "scopes": ["statements/read"],
            "role": "assessor",
            "cohorts": ["https://lrs.example/cohorts/a", "https://lrs.example/cohorts/b"],
        },
        {"scopes": ["statements/write"], "role": "participant", "agent_key": "mbox:mailto:jo@la.example"},
    ]
    for kind in kinds:
        scopes = kind.pop("scopes")
        key, secret = make_credential(lrs_instance, scopes, **kind)
        principal = lrs_instance.authenticate(key, secret)
        assert principal == _principal_from_full_row(lrs_instance, key)
        assert principal is not None and principal.may_enrol == bool(kind.get("may_enrol"))
        assert principal.cohorts == tuple(kind.get("cohorts") or ())


def test_a_wrong_secret_an_unknown_key_and_a_revoked_credential_get_no_principal(lrs_instance: LRS) -> None:
    key, secret = make_credential(lrs_instance, ["all"])
    assert lrs_instance.authenticate(key, secret + "x") is None
    assert lrs_instance.authenticate("no-such-key", secret) is None
    assert lrs_instance.authenticate(key, secret) is not None
    lrs_instance.db.write(lambda conn: cs.revoke_credential(conn, key))
    assert cs.active_for_auth(lrs_instance.db, key) is None
    assert lrs_instance.authenticate(key, secret) is None


def test_a_credential_from_before_salts_still_verifies(lrs_instance: LRS) -> None:
    key, secret = make_credential(lrs_instance, ["all"])
    table = Credential.__table__
    lrs_instance.db.write(
        lambda conn: conn.execute(
            update(table)
            .where(table.c.key == key)
            .values(secret_hash=cs.hash_secret(secret), secret_salt=None)
        )
    )
    assert lrs_instance.authenticate(key, secret) is not None
    assert lrs_instance.authenticate(key, secret + "x") is None


def test_a_changed_role_holds_on_the_next_request(lrs_instance: LRS) -> None:
    key, secret = make_credential(lrs_instance, ["all"])
    assert lrs_instance.authenticate(key, secret).role is None
    table = Credential.__table__
    lrs_instance.db.write(
        lambda conn: conn.execute(update(table).where(table.c.key == key).values(role="lead"))
    )
    assert lrs_instance.authenticate(key, secret).role == "lead"
