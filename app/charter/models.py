from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db


class CharterVersion(db.Model):  # type: ignore[name-defined,misc]
    """One adopted version of the charter: its text and its machine-readable rules."""

    __tablename__ = "charter_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)
    # The same charter in Chinese; NULL for a version adopted in English only.
    text_zh: Mapped[str | None] = mapped_column(Text)
    rules_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # NULL only for the first version, installed at setup.
    adopted_by: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PendingAmendment(db.Model):  # type: ignore[name-defined,misc]
    """A passed charter amendment waiting out the protector's window (governance.protector).

    ``takes_effect_at`` is when cron adopts it; a hold moves it once, a release brings it to
    the release time. Each step is in the log, which `flask trust audit` holds the row to.
    """

    __tablename__ = "pending_amendments"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'held', 'applied')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    takes_effect_at: Mapped[datetime] = mapped_column(UTCDateTime())
    held_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_reason: Mapped[str | None] = mapped_column(Text)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int | None] = mapped_column(Integer)
