"""Failed authentication is throttled, a revocation holds at once, operator-chosen secrets must be strong and
stored secrets are salted (issue 15)."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import make_credential
from sqlalchemy import update

from lrs.api import throttle
from lrs.app import create_app
from lrs.cli import cli
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.credentials import WeakSecret, create_credential, find_credential, revoke_credential
from lrs.store.models import Credential

ABOUT = "/xapi/statements?limit=1"


def _get(flask: Any, key: str, secret: str, address: str = "10.0.0.1") -> Any:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return flask.get(
        ABOUT,
        headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_repeated_failures_from_one_address_are_a_429_with_retry_after(app: Any, credential: tuple[str, str]) -> None:
    flask = app.test_client()
    key, secret = credential
    statuses = [_get(flask, key, "wrong-secret-guess", "10.0.0.9").status_code for _ in range(throttle.MAX_FAILURES_PER_ADDRESS)]
    assert set(statuses) == {401}
    refused = _get(flask, "some-other-key", "another-guess", "10.0.0.9")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["error"]["rule"] == "authentication-throttled"
    # Even the right secret waits from that address; any other address is served as usual.
    assert _get(flask, key, secret, "10.0.0.9").status_code == 429
    assert _get(flask, key, secret, "10.0.0.10").status_code == 200


def test_a_throttled_address_still_serves_a_credential_that_has_not_failed_from_it(
    app: Any, lrs_instance: LRS, credential: tuple[str, str]
) -> None:
    """Clients behind one proxy or NAT share an address: one client's stale secret must not lock out the others
    (xAPI's 429 is for too many requests "from the Client or set of credentials")."""
    flask = app.test_client()
    stale_key, _ = credential
    other_key, other_secret = make_credential(lrs_instance, ["all"], name="another LMS behind the same proxy")
    for _ in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert _get(flask, stale_key, "stale-secret", "10.0.0.7").status_code == 401
    assert _get(flask, other_key, other_secret, "10.0.0.7").status_code == 200
    # The failing key is still held back, and a wrong secret for the other key is a 429 from there, not a 401.
    assert _get(flask, stale_key, "stale-secret", "10.0.0.7").status_code == 429
    assert _get(flask, other_key, "a-guess", "10.0.0.7").status_code == 429
    assert _get(flask, other_key, other_secret, "10.0.0.7").status_code == 429


def test_the_conformance_suites_bad_credentials_do_not_hold_back_its_own(app: Any, credential: tuple[str, str]) -> None:
    """The ADL suite sends a made-up key, a malformed header and a bad version header with bad credentials, then
    carries on with its real credential from the same address (docs/conformance.md)."""
    flask = app.test_client()
    for _ in range(3):  # three runs in a row
        assert _get(flask, "RobCIsNot", "AUserOnThisLRS123", "127.0.0.1").status_code == 401
        malformed = flask.get(
            ABOUT,
            headers={
                "Authorization": "Basic:" + base64.b64encode(b"RobCIsNot:AUserOnThisLRS").decode(),
                "X-Experience-API-Version": "1.0.3",
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        assert malformed.status_code == 401
        assert _get(flask, *credential, "127.0.0.1").status_code == 200


def test_repeated_failures_for_one_key_are_a_429_whatever_the_address(app: Any, credential: tuple[str, str]) -> None:
    flask = app.test_client()
    key, _ = credential
    for n in range(throttle.MAX_FAILURES_PER_KEY):
        assert _get(flask, key, "wrong", f"10.1.{n // 200}.{n % 200}").status_code == 401
    assert _get(flask, key, "wrong", "10.2.0.1").status_code == 429


def test_successes_are_never_throttled(app: Any, credential: tuple[str, str]) -> None:
    flask = app.test_client()
    started = time.perf_counter()
    for _ in range(throttle.MAX_FAILURES_PER_ADDRESS * 3):
        assert _get(flask, *credential).status_code == 200
    assert time.perf_counter() - started < 30


def test_the_window_passes() -> None:
    counter = throttle.FailureCounter(limit=3, window=10)
    for t in (0, 1, 2):
        counter.record("a", t)
    assert counter.retry_after("a", 3) == pytest.approx(7)
    assert counter.retry_after("a", 10.5) == 0


def test_a_revoked_credential_is_refused_on_its_next_request_in_every_worker(
    lrs_instance: LRS, database_url: str
) -> None:
    # Two apps on one database stand for two workers, each with the default settings.
    workers = [create_app(lrs=LRS(Settings(database_url=database_url), db=lrs_instance.db)).test_client() for _ in range(2)]
    key, secret = make_credential(lrs_instance, ["all"])
    assert [_get(w, key, secret).status_code for w in workers] == [200, 200]
    lrs_instance.db.write(lambda conn: revoke_credential(conn, key))
    assert [_get(w, key, secret).status_code for w in workers] == [401, 401]


def test_a_credential_check_runs_no_password_kdf_and_sees_a_revocation_at_once(
    lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every API request checks its credential, so that check must stay a salted digest and one indexed read:
    # the memory-hard KDF is for sign-in passwords only (its cost is measured in bench/, not asserted here).
    from argon2 import PasswordHasher

    def no_kdf(*args: object, **kwargs: object) -> None:
        raise AssertionError("the password KDF ran during an API credential check")

    monkeypatch.setattr(PasswordHasher, "hash", no_kdf)
    monkeypatch.setattr(PasswordHasher, "verify", no_kdf)
    key, secret = make_credential(lrs_instance, ["all"])
    for _ in range(3):
        assert lrs_instance.authenticate(key, secret) is not None
    assert lrs_instance.authenticate(key, secret + "x") is None
    from lrs.store import credentials as credential_store

    lrs_instance.db.write(lambda conn: credential_store.revoke_credential(conn, key))
    assert lrs_instance.authenticate(key, secret) is None


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaaaaaaaa", "12121212121212121212"])
def test_a_weak_chosen_secret_is_refused(lrs_instance: LRS, weak: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WeakSecret):
        make_credential(lrs_instance, ["all"], secret=weak)
    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    result = CliRunner().invoke(cli, ["credentials", "create", "--name", "x", f"--secret={weak}"])
    assert result.exit_code != 0
    assert "--secret" in result.output and "at least" in result.output


def test_a_weak_bootstrap_secret_stops_serve(lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_DATABASE_URL", lrs_instance.settings.database_url)
    monkeypatch.setenv("LRS_BOOTSTRAP_KEY", "boot")
    monkeypatch.setenv("LRS_BOOTSTRAP_SECRET", "secret")
    monkeypatch.setenv("LRS_PORT", "0")  # any free port: the secret must stop it before it serves
    result = CliRunner().invoke(cli, ["serve", "--no-migrate"])
    assert result.exit_code != 0
    assert "LRS_BOOTSTRAP_SECRET" in str(result.exception) + result.output


def test_stored_secrets_are_salted_and_old_unsalted_ones_still_work(app: Any, lrs_instance: LRS) -> None:
    secret = "the-same-strong-secret-for-both"
    first, _ = make_credential(lrs_instance, ["all"], secret=secret)
    second, _ = make_credential(lrs_instance, ["all"], secret=secret)
    with lrs_instance.db.read() as conn:
        rows = [find_credential(conn, first), find_credential(conn, second)]
    assert all(row["secret_salt"] for row in rows)
    assert rows[0]["secret_hash"] != rows[1]["secret_hash"]
    assert hashlib.sha256(secret.encode()).hexdigest() not in {row["secret_hash"] for row in rows}
    # A credential made before migration 0008: an unsalted SHA-256 and no salt.
    legacy_secret = "legacy-secret-made-before-0008"
    legacy, _ = lrs_instance.db.write(lambda conn: create_credential(
        conn, name="old", scopes=["all"], authority_home_page="https://lrs.local/", secret=legacy_secret))
    lrs_instance.db.write(lambda conn: conn.execute(
        update(Credential.__table__).where(Credential.__table__.c.key == legacy)
        .values(secret_hash=hashlib.sha256(legacy_secret.encode()).hexdigest(), secret_salt=None)))
    flask = app.test_client()
    assert _get(flask, legacy, legacy_secret).status_code == 200
    assert _get(flask, legacy, "legacy-secret-made-before-0009").status_code == 401
