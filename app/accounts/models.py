from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db

ROLES = ("owner", "council", "admin")


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'council', 'admin')", name="role_known"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
        CheckConstraint("vehicle_count >= 0", name="vehicles_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The brand's own customer id; growth-value imports refer to owners by it.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="owner")
    vehicle_count: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(16))
    # The zone times are shown in (an IANA name); NULL means the trust's default.
    timezone: Mapped[str | None] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by an administrator: no sign-in, no API token, no session.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-factor sign-in: the TOTP secret, encrypted with a key derived from TRUST_TOKEN_SECRET.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last TOTP time step accepted: a code is never accepted twice (RFC 6238 section 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    # The signed-in session this object was loaded for (see app/accounts/sessions.py); Flask-Login
    # stores get_id() in the session and the remember cookie, so both name the session record.
    session_key = None

    def get_id(self) -> str:
        if self.session_key:
            return f"{self.id}.{self.session_key}"
        return str(self.id)

    @property
    def is_verified(self) -> bool:
        return bool(
            (self.email and self.email_verified_at) or (self.phone and self.phone_verified_at)
        )

    @property
    def is_council(self) -> bool:
        """For what a page shows; acts check the seats themselves (council.is_seated)."""
        return self.role == "council" or self.is_admin

    @property
    def is_admin(self) -> bool:
        """An administrator whose role the log backs (one lookup, kept for this object: in a
        request, the request). A role set in the database alone grants nothing."""
        if self.role != "admin":
            return False
        cached = self.__dict__.get("_admin_backed")
        if cached is None or cached[0] != self.id:
            from app.accounts.backing import admin_backed

            cached = (self.id, admin_backed(self))
            self.__dict__["_admin_backed"] = cached
        return bool(cached[1])

    @property
    def acting_role(self) -> str:
        """The role views check: an administrator the log does not back acts as an owner."""
        return "owner" if self.role == "admin" and not self.is_admin else self.role

    @property
    def login_name(self) -> str:
        return self.email or self.phone or str(self.id)


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A personal API token for client apps; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """One signed-in browser. The cookie holds a random key; only its SHA-256 is stored, and a
    revoked row ends that session for every copy of the cookie (and its remember cookie)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


CODE_PURPOSES = ("verify_email", "verify_phone", "reset", "claim")


class AccountCode(db.Model):  # type: ignore[name-defined,misc]
    """A one-time code or link token (sign-up verification, password reset, owner-number claim).
    Only its SHA-256 is stored; it works once, until it expires, for a few attempts."""

    __tablename__ = "account_codes"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('verify_email', 'verify_phone', 'reset', 'claim')", name="purpose_known"
        ),
        Index("ix_account_codes_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    # Where the code was sent (an email address or phone number).
    target: Mapped[str] = mapped_column(String(254))
    # HMAC-SHA256 under TRUST_TOKEN_SECRET: a six-digit code's plain hash would be guessed offline.
    code_sha256: Mapped[str] = mapped_column(String(64), index=True)
    owner_number: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use two-factor recovery code; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
