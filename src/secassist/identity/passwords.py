"""Password hashing with Argon2id (argon2-cffi), RFC 9106 parameters by default."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from secassist.core.errors import ValidationFailedError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # long passphrases are welcome; a megabyte is not a password
_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# A valid hash to verify against when the user does not exist, so that an unknown
# username costs the same time as a wrong password. Made on first use, not at import.
_dummy: str | None = None


def use_cheap_hashing_for_tests() -> None:
    """Switch to argon2's cheapest profile. Test suites only: never call it in a server."""
    global _hasher, _dummy
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _dummy = None


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash("not-a-real-password-000")
    return _dummy


def check_strength(password: str) -> None:
    """NIST SP 800-63B: length over composition rules; refuse the obviously weak."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailedError(f"password: must be at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationFailedError(f"password: at most {MAX_LENGTH} characters", field="password")
    if len(set(password)) < 4:
        raise ValidationFailedError("password: too repetitive", field="password")


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string format, salt included)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``. ``None`` or an unreadable stored hash
    costs the same (the password is verified against a dummy hash) and is False: no
    answer comes back faster than a wrong password's."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError):
        return False
    except InvalidHashError:
        _verify_dummy(password)
        return False


def _verify_dummy(password: str) -> None:
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than the current ones."""
    return _hasher.check_needs_rehash(stored)
