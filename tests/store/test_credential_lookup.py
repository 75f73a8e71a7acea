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


def test_a_revocation_by_another_process_holds_in_every_thread_at_once(lrs_instance: LRS) -> None:
    """SQLite's look-up runs on a connection of each thread's own (lrs.store.db.ThreadReaders): a credential
    revoked through another Database on the same file (another worker) is refused on the next look-up in each
    thread that has looked up before, also after a Database.dispose from another thread."""
    import threading

    from lrs.store.db import Database

    key, secret = make_credential(lrs_instance, ["all"])
    other_key, other_secret = make_credential(lrs_instance, ["all"])
    answers: dict[str, list[bool]] = {"a": [], "b": []}
    looked_up, revoked = threading.Barrier(3, timeout=10), threading.Event()

    def worker(name: str) -> None:
        answers[name].append(lrs_instance.authenticate(key, secret) is not None)
        looked_up.wait()
        revoked.wait(10)
        answers[name].append(lrs_instance.authenticate(key, secret) is not None)
        answers[name].append(lrs_instance.authenticate(other_key, other_secret) is not None)

    threads = [threading.Thread(target=worker, args=(n,)) for n in answers]
    for t in threads:
        t.start()
    looked_up.wait()
    other = Database(lrs_instance.settings.database_url)
    try:
        assert other.write(lambda conn: cs.revoke_credential(conn, key))
    finally:
        other.dispose()
    revoked.set()
    for t in threads:
        t.join(10)
    assert answers == {"a": [True, False, True], "b": [True, False, True]}
    lrs_instance.db.dispose()
    assert lrs_instance.authenticate(key, secret) is None
    assert lrs_instance.authenticate(other_key, other_secret) is not None
