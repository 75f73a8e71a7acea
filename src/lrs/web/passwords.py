"""Password hashing (Argon2id, memory-hard) and the password rules, shared by the pages and the CLI.

A password is hashed when it is set and checked only at sign-in; every later request is recognised by its
session, so the KDF's cost (tens of milliseconds, 64 MiB) is paid once per sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256

#: The passwords people choose most often (from the public breach-corpus top lists) and the obvious ones for
#: this product. Short on purpose: the length rule already rules out most of such lists.
COMMON_PASSWORDS = frozenset(
    {
    "123456789012", "1234567890123", "12345678901234", "qwertyuiopas", "qwertyuiop123", "password1234",
    "password12345", "passwordpassword", "password123!", "password1!", "passw0rd1234", "letmein12345",
    "welcome12345", "welcome123!", "iloveyou1234", "administrator", "administrator1", "changeme1234",
    "trustno11234", "football1234", "baseball1234", "sunshine1234", "princess1234", "abc123456789",
    "aaaaaaaaaaaa", "111111111111", "000000000000", "1q2w3e4r5t6y", "1qaz2wsx3edc", "qazwsxedcrfv",
    "zaq12wsxcde3", "monkey123456", "dragon123456", "superman1234", "starwars1234", "whatever1234",
    "qwerty123456", "asdfghjkl123", "zxcvbnm12345", "socialwork123", "socialworker", "socialworker1",
    "learning1234", "portfolio123", "leadership12", "leadership123",
    }
)

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, 64 MiB, 3 passes (RFC 9106's second choice)
#: Verified against when the email is unknown, so that a wrong email costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """A sentence saying what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Your password must be at most {MAX_LENGTH} characters long."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "That password is too easy to guess. Try three or four unrelated words."
    if email and lowered == email.strip().lower():
        return "Your password must not be your email address."
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return "Your password must not be your name."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. Costs one KDF run whether or not there is a hash to check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
