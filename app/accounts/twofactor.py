"""Two-factor sign-in: TOTP (RFC 6238, via pyotp) with single-use recovery codes.

Council members and administrators must pass it in the current session before any privileged
page or act (app/web/auth.py); anyone may turn it on, and then every sign-in asks for it. The
secret is kept encrypted (Fernet, key derived by HKDF from TRUST_TOKEN_SECRET), so a database
copy alone does not yield working codes; recovery codes are random and stored as SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, select

from app.accounts import sessions
from app.accounts.models import RecoveryCode, User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db

RECOVERY_CODES = 10
STEP = 30


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"owners-trust totp secret at rest"
    ).derive(str(current_app.config["TRUST_TOKEN_SECRET"]).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(user: User) -> str | None:
    if not user.totp_secret:
        return None
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None


def is_privileged(user: User) -> bool:
    from app.council.service import is_seated

    return user.role in ("council", "admin") or is_seated(user)


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def needs_challenge(user: User) -> bool:
    """Signed in with a password only, on an account that has two-factor on."""
    return enabled(user) and not sessions.second_factor_passed(user)


def begin(user: User) -> str:
    """A new secret, not yet in force: the caller shows it, the owner proves it with a code."""
    plain = pyotp.random_base32()
    user.totp_secret = _fernet().encrypt(plain.encode()).decode()
    user.totp_enabled_at = None
    user.totp_last_step = None
    return plain


def provisioning_uri(user: User, plain: str) -> str:
    return pyotp.TOTP(plain).provisioning_uri(
        name=user.login_name, issuer_name=str(current_app.config.get("TRUST_NAME", "Trust"))
    )


def _accept(user: User, code: str, now: float | None = None) -> bool:
    plain = _secret(user)
    code = code.strip().replace(" ", "")
    if plain is None or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(plain, interval=STEP)
    moment = time.time() if now is None else now
    step_now = int(moment // STEP)
    # One step either way for clock drift; a step already used is refused (no replay).
    for step in (step_now - 1, step_now, step_now + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP), code):
            user.totp_last_step = step
            return True
    return False


def finish(user: User, code: str) -> list[str] | None:
    """Turn two-factor on if `code` matches the new secret; the recovery codes, shown once."""
    if user.totp_secret is None or user.totp_enabled_at is not None or not _accept(user, code):
        return None
    user.totp_enabled_at = utcnow()
    sessions.mark_second_factor(user)
    audit.record("auth.second_factor_enrolled", actor_id=user.id)
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    plain = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_sha256=hashlib.sha256(code.encode()).hexdigest())
        for code in plain
    )
    return plain


def challenge(user: User, code: str) -> bool:
    """Pass the second factor for this session with a TOTP code or an unused recovery code."""
    code = code.strip().lower()
    method = None
    if _accept(user, code):
        method = "totp"
    elif "-" in code and len(code) <= 32:
        row = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_sha256 == hashlib.sha256(code.encode()).hexdigest(),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is not None:
            row.used_at = utcnow()
            method = "recovery code"
    if method is None:
        audit.record("auth.second_factor", actor_id=user.id, outcome="refused")
        return False
    sessions.mark_second_factor(user)
    audit.record("auth.second_factor", actor_id=user.id, method=method)
    return True


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.used_at.is_(None))
    ).all())


def qr_svg(uri: str) -> bytes:
    """The provisioning link as an SVG QR code (segno), for an <img> on the enrolment page."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False,
                                   dark="#000", light="#fff")
    return out.getvalue()


def may_turn_off(user: User) -> bool:
    """An owner who chose two-factor may drop it; an office holder may not while in office."""
    return enabled(user) and not is_privileged(user)


def turn_off(user: User, password: str, code: str) -> str | None:
    """Turn two-factor off after the password and a current app code; None, or what failed."""
    from app.accounts.passwords import verify_password

    if not may_turn_off(user):
        return "privileged"
    if not verify_password(user.password_hash, password):
        audit.record("auth.second_factor_disabled", actor_id=user.id, outcome="refused",
                     reason="password")
        return "password"
    if not _accept(user, code):
        audit.record("auth.second_factor_disabled", actor_id=user.id, outcome="refused",
                     reason="code")
        return "code"
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("auth.second_factor_disabled", actor_id=user.id)
    return None
