"""Console passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from omnirelay.errors import InvalidRequest

__all__ = ["MIN_LENGTH", "checked_password", "hash_password", "needs_rehash", "verify_password"]

MIN_LENGTH = 10
_MAX_LENGTH = 1024
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("omnirelay-timing-equaliser")


def checked_password(password: str) -> str:
    """Refuse a password too short to resist guessing, or absurdly long (hashing cost)."""
    if not MIN_LENGTH <= len(password) <= _MAX_LENGTH:
        raise InvalidRequest(
            f"A password must have {MIN_LENGTH} to {_MAX_LENGTH} characters.", param="password", code="weak_password"
        )
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(checked_password(password))


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; with ``stored`` None a dummy hash is checked, so an unknown
    user name takes as long to refuse as a wrong password."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
