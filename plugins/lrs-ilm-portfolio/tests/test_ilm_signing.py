"""Unit credentials signed as VC-JWTs (OB 3.0 JSON Web Token Proof Format) with the centre's key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from ilm_records import BASE, manifest_of, run
from joserfc import jwk, jwt

from lrs.hookspecs import ExportOptionError, ExportRecord

ISSUER = "https://centre.example/issuers/northshire"
PRIVATE = dict(encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
               encryption_algorithm=serialization.NoEncryption())
PUBLIC = dict(encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo)

KEYS = {
    "RSA": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    "EC": (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
    "OKP": (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
}


def write_key(tmp_path: Path, private_key: object) -> Path:
    path = tmp_path / "centre-key.pem"
    path.write_bytes(private_key.private_bytes(**PRIVATE))  # type: ignore[attr-defined]
    return path


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
@pytest.mark.parametrize("key_type", list(KEYS))
def test_each_credential_is_a_verifiable_jwt(record: ExportRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             key_type: str):
    make, alg = KEYS[key_type]
    private_key = make()
    monkeypatch.setenv("LRS_ILM_SIGNING_KEY", str(write_key(tmp_path, private_key)))
    monkeypatch.setenv("LRS_ILM_ISSUER_ID", ISSUER)
    monkeypatch.setenv("LRS_ILM_ISSUER_NAME", "Northshire Leadership Centre")
    manifest = manifest_of(run(record)[1])

    (credential,) = manifest["credentials"]
    (token,) = manifest["credentials_jwt"]
    assert manifest["signing"] == {"alg": alg, "kid": f"{ISSUER}#key-1"}
    public = jwk.import_key(private_key.public_key().public_bytes(**PUBLIC), key_type)
    decoded = jwt.decode(token, public, algorithms=[alg])
    # OB 3.0 allows exactly these JOSE headers.
    assert decoded.header == {"alg": alg, "kid": f"{ISSUER}#key-1", "typ": "JWT"}
    claims = dict(decoded.claims)
    assert claims.pop("iss") == ISSUER == credential["issuer"]["id"]
    assert claims.pop("jti") == credential["id"]
    assert claims.pop("sub") == credential["credentialSubject"]["id"]
    nbf = claims.pop("nbf")
    assert datetime.fromtimestamp(nbf, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == credential["validFrom"]
    assert claims == credential
    assert credential["issuer"]["name"] == "Northshire Leadership Centre"
    assert credential["credentialSubject"]["achievement"]["id"] == f"{BASE}/U2"


def test_a_token_does_not_verify_with_another_key(record: ExportRecord, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LRS_ILM_SIGNING_KEY", str(write_key(tmp_path, ec.generate_private_key(ec.SECP256R1()))))
    (token,) = manifest_of(run(record)[1])["credentials_jwt"]
    stranger = jwk.import_key(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(**PUBLIC), "EC")
    with pytest.raises(Exception, match="signature"):
        jwt.decode(token, stranger, algorithms=["ES256"])


def test_the_default_issuer_is_stable_for_the_qualification(record: ExportRecord):
    first = manifest_of(run(record)[1])["credentials"][0]
    second = manifest_of(run(record)[1])["credentials"][0]
    assert first["issuer"]["id"].startswith("urn:uuid:")
    assert first["issuer"]["id"] == second["issuer"]["id"] and first["id"] == second["id"]


def _bad_keys(tmp_path: Path) -> dict[str, Path]:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key at all\n")
    public = tmp_path / "public.pem"
    public.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(**PUBLIC))
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(b"secret")))
    weak = tmp_path / "weak.pem"
    weak.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(**PRIVATE))
    curve = tmp_path / "secp256k1.pem"
    curve.write_bytes(ec.generate_private_key(ec.SECP256K1()).private_bytes(**PRIVATE))
    return {"missing": tmp_path / "no-such-key.pem", "garbage": garbage, "public": public,
            "encrypted": encrypted, "weak": weak, "curve": curve}


@pytest.mark.parametrize("which", ["missing", "garbage", "public", "encrypted", "weak", "curve"])
def test_a_bad_key_is_an_option_error_naming_the_variable(record: ExportRecord, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, which: str):
    monkeypatch.setenv("LRS_ILM_SIGNING_KEY", str(_bad_keys(tmp_path)[which]))
    with pytest.raises(ExportOptionError) as caught:
        run(record)
    assert caught.value.option == "LRS_ILM_SIGNING_KEY"
    assert "LRS_ILM_SIGNING_KEY" in str(caught.value)


def test_a_malformed_issuer_id_is_an_option_error(record: ExportRecord, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LRS_ILM_ISSUER_ID", "Northshire centre")
    with pytest.raises(ExportOptionError) as caught:
        run(record)
    assert caught.value.option == "LRS_ILM_ISSUER_ID"
