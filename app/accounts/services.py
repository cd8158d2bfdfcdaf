"""Accounts: registration, login with lockout, roles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import bindparam, or_, select, update

from app.accounts.models import ApiToken, User
from app.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from app.audit import service as audit
from app.core.database import fast_execute, fast_scalar
from app.core.db_types import utcnow
from app.core.extensions import db
from app.translog import kinds
from app.translog import service as translog


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # "wrong" or "locked"; the view words it in the user's language


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def normalise_phone(phone: str | None) -> str:
    """One spelling per number: "+86 138-0000-0001" and "+8613800000001" are the same phone."""
    return "".join(ch for ch in (phone or "").strip() if ch not in " -")


def find_by_login(login: str) -> User | None:
    login = login.strip().lower()
    if "@" in login:
        return db.session.scalar(select(User).where(User.email == login))
    return db.session.scalar(select(User).where(User.phone == normalise_phone(login)))


def create_user(
    *,
    display_name: str,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    role: str = "owner",
    external_id: str | None = None,
    vehicle_count: int = 1,
    check_policy: bool = True,
    password_hash: str | None = None,
    verified: bool = True,
    locale: str | None = None,
) -> User:
    """Create an account. `password_hash` lets a bulk import hash a shared password once."""
    email = normalise_email(email) or None
    phone = normalise_phone(phone) or None
    if not email and not phone:
        raise AccountError(gettext("an email address or a phone number is required"))
    if check_policy:
        problems = password_problems(password, email or "", phone or "")
        if problems:
            raise AccountError(
                gettext("password must be %(problems)s", problems="; ".join(problems))
            )
    user = User(
        display_name=display_name.strip(),
        email=email,
        phone=phone,
        role=role,
        external_id=external_id,
        vehicle_count=vehicle_count,
        password_hash=password_hash or hash_password(password),
        locale=locale,
    )
    if verified:
        # Accounts made by administrators, imports and the demo; a sign-up confirms by code.
        user.email_verified_at = utcnow() if email else None
        user.phone_verified_at = utcnow() if phone else None
    db.session.add(user)
    if role == "admin":
        log_admin_role(user, granted=True)
    return user


def log_admin_role(user: User, *, granted: bool) -> None:
    """Administrators are bound to the log: `flask trust audit` names an admin without a leaf
    (a role edited in the database)."""
    db.session.flush()
    user.__dict__.pop("_admin_backed", None)  # User.is_admin reads the log again
    now = utcnow()
    translog.append(kinds.ACCOUNT_ROLE, f"user:{user.id}", {
        "type": kinds.ACCOUNT_ROLE, "user": user.id, "role": "admin",
        "granted": granted, "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }, at=now)


def authenticate(login: str, password: str) -> LoginResult:
    """Check a login; count failures in the database so every worker sees the same lockout.

    The count and the audit are flushed; the login view commits them, whatever the outcome.
    """
    generic = "wrong"
    user = find_by_login(login)
    now = utcnow()
    if user is None:
        # Spend the same effort as a real check so timing does not reveal which logins exist.
        verify_password(hash_password("timing-equaliser"), password)
        audit.record("auth.login", subject=login[:64], outcome="refused", reason="unknown")
        db.session.flush()
        return LoginResult(None, generic)
    if user.disabled_at is not None:
        verify_password(user.password_hash, password)
        audit.record("auth.login", actor_id=user.id, outcome="refused", reason="disabled")
        db.session.flush()
        return LoginResult(None, generic)
    if user.locked_until and user.locked_until > now:
        audit.record("auth.login", actor_id=user.id, outcome="refused", reason="locked")
        db.session.flush()
        return LoginResult(None, "locked")
    if not verify_password(user.password_hash, password):
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        # One UPDATE, so concurrent failures cannot lose a count.
        db.session.execute(
            update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
            user.failed_logins = 0
            audit.record("auth.lockout", actor_id=user.id, outcome="refused")
        audit.record("auth.login", actor_id=user.id, outcome="refused", reason="password")
        db.session.flush()
        return LoginResult(None, generic)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        audit.record("auth.password_rehashed", actor_id=user.id)
    if not user.is_verified:
        audit.record("auth.login", actor_id=user.id, outcome="refused", reason="unverified")
        db.session.flush()
        return LoginResult(user, "unverified")
    audit.record("auth.login", actor_id=user.id)
    db.session.flush()
    return LoginResult(user)


TOKEN_DAYS = 90
# A token's last use is written at most once a minute per worker, not on every API call.
_LAST_USE_EVERY = 60.0
_last_use_written: dict[str, float] = {}


def issue_api_token(user: User, name: str, *, days: int = TOKEN_DAYS) -> str:
    """Create a personal API token; the plain value is shown once and never stored."""
    import secrets

    value = "ot_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            name=name[:80],
            token_sha256=hashlib.sha256(value.encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=max(1, min(days, 365))),
        )
    )
    audit.record("auth.api_token_issued", actor_id=user.id, subject=name[:80], days=days)
    return value


# A token counts only while unrevoked, unexpired, and its account neither disabled nor locked.
_TOKEN_OWNER = (
    select(ApiToken.user_id)
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_sha256 == bindparam("d"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.disabled_at.is_(None),
        or_(User.locked_until.is_(None), User.locked_until <= bindparam("now")),
    )
)


_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.token_sha256 == bindparam("d"))
    .values(last_used_at=bindparam("now"))
)


def api_token_digest(value: str) -> str:
    """What is stored of a personal API token (the plain value never is)."""
    return hashlib.sha256(value.encode()).hexdigest()


def token_use_due(digest: str) -> bool:
    """Whether this request should write the token's last use (and, if so, note it as written).

    The caller writes it in its own transaction: `api_token_owner` at once, a caller that
    folds the token's check into its own statements (app.secret.casting) with its write.
    """
    import time

    moment = time.monotonic()
    if moment - _last_use_written.get(digest, -_LAST_USE_EVERY) < _LAST_USE_EVERY:
        return False
    if len(_last_use_written) > 50_000:
        _last_use_written.clear()
    _last_use_written[digest] = moment
    return True


def api_token_owner(value: str) -> int | None:
    """The id of the owner a live personal API token belongs to (every API cast starts here)."""
    return token_digest_owner(api_token_digest(value))


def token_digest_owner(digest: str) -> int | None:
    """`api_token_owner` for a token already digested."""
    user_id = fast_scalar(_TOKEN_OWNER, {"d": digest, "now": utcnow()})
    if user_id is None:
        return None
    if token_use_due(digest):
        # Rides with the request's own commit (a cast commits; a read-only call may not).
        fast_execute(_TOKEN_USED, {"d": digest, "now": utcnow()})
    return int(user_id)


def user_for_api_token(value: str) -> User | None:
    user_id = api_token_owner(value)
    return None if user_id is None else db.session.get(User, user_id)


def revoke_api_token(user: User, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record("auth.api_token_revoked", actor_id=user.id, subject=token.name)
    return True


def registration_problems(
    *, email: str, phone: str, external_id: str, password: str, confirm: str
) -> list[tuple[str, str]]:
    """Every reason a sign-up is refused, as (field, message), in the user's language."""
    import re

    from flask_babel import gettext as _


    problems: list[tuple[str, str]] = []
    email, phone, external_id = normalise_email(email), phone.strip(), external_id.strip()
    if not email and not phone:
        problems.append(("email", _("Give an email address or a phone number.")))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(("email", _("This is not an email address.")))
    if phone and not re.fullmatch(r"\+?[0-9][0-9 -]{5,30}", phone):
        problems.append(("phone", _("A phone number has digits, spaces and dashes only.")))
    phone = normalise_phone(phone)
    if external_id and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", external_id):
        problems.append(
            ("external_id", _("An owner number has letters, digits, '.', '_' and '-' only."))
        )
    if password != confirm:
        problems.append(("confirm", _("The two passwords differ.")))
    weak = password_problems(password, email, phone)
    if weak:
        problems.append(("password", _("The password must be: %(rules)s.", rules="; ".join(weak))))
    return problems


def holder_of(email: str, phone: str) -> User | None:
    """The account already holding this email or phone, if any (never shown to the visitor)."""
    email, phone = normalise_email(email), normalise_phone(phone)
    # Only the fields given take part: SQLAlchemy turns `phone == None` into `phone IS NULL`, so
    # comparing a blank field once matched every account lacking a phone.
    pairs = ((User.email, email), (User.phone, phone))
    given = [column == value for column, value in pairs if value]
    if not given:
        return None
    return db.session.scalar(select(User).where(or_(*given)).order_by(User.id).limit(1))
