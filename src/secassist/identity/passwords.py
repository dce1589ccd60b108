"""Password hashing with Argon2id (argon2-cffi), RFC 9106 parameters by default."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from secassist.core.errors import ValidationFailedError

MIN_LENGTH = 12
_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# A valid hash to verify against when the user does not exist, so that an unknown
# username costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password-000")


def use_cheap_hashing_for_tests() -> None:
    """Switch to argon2's cheapest profile. Test suites only: never call it in a server."""
    global _hasher, _DUMMY
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _DUMMY = _hasher.hash("not-a-real-password-000")


def check_strength(password: str) -> None:
    """NIST SP 800-63B: length over composition rules; refuse the obviously weak."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailedError(f"password must be at least {MIN_LENGTH} characters", field="password")
    if len(set(password)) < 4:
        raise ValidationFailedError("password is too repetitive", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
