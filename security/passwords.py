"""Password hashing with argon2id (salted, memory-hard)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps timing equal.
_DUMMY_HASH = _HASHER.hash("timing-equaliser-not-a-password")


class WeakPassword(ValueError):
    """A password too weak to accept."""


def check_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise WeakPassword("password must not contain the user name")
    if len(set(password)) < 5:
        raise WeakPassword("password has too few different characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; never raises for a bad or missing hash."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
