"""Password hashing with Argon2id and a password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_strong = PasswordHasher()
# Tests and the demo create hundreds of accounts; production never sets PASSWORD_HASH_FAST.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_LENGTH = 10
COMMON = frozenset(
    {
        "password123",
        "1234567890",
        "qwertyuiop",
        "iloveyou123",
        "nio1234567",
        "password1234",
        "0123456789",
        "abcdefghij",
    }
)


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _strong


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the stored hash used weaker parameters than the hasher in use now."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, *identifiers: str) -> list[str]:
    """Reasons a new password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > 256:
        problems.append("at most 256 characters")
    if password.lower() in COMMON or len(set(password)) < 4:
        problems.append("not a commonly used or repetitive password")
    lowered = password.lower()
    if any(ident and ident.lower() in lowered for ident in identifiers if len(ident) >= 4):
        problems.append("not containing your email or phone")
    return problems
