from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """One thing one person was told, once: (user, kind, subject) is unique, so a job that runs
    twice after a crash tells nobody twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_mail", "mail_state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    params: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # none: no mail wanted; now: to send; digest: waits for the digest; sent; failed
    mail_state: Mapped[str] = mapped_column(String(8), default="none")
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationSetting(db.Model):  # type: ignore[name-defined,misc]
    """A departure from the default (every kind, both channels, mail at once)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class NotificationPrefs(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # off: every mail at once; daily / weekly: one mail gathering them
    digest: Mapped[str] = mapped_column(String(8), default="off")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
