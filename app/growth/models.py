from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db

DIMENSIONS = ("purchase", "referral", "community", "efficiency", "special")


class GrowthEntry(db.Model):  # type: ignore[name-defined,misc]
    """One line of an owner's growth-value ledger. Never edited: a correction is a new entry."""

    __tablename__ = "growth_entries"
    __table_args__ = (
        CheckConstraint(
            "dimension IN ('purchase', 'referral', 'community', 'efficiency', 'special')",
            name="dimension_known",
        ),
        UniqueConstraint("source", "source_id"),
        Index("ix_growth_entries_owner_time", "owner_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dimension: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    # Where the entry came from (a system name) and its id there: re-imports are idempotent.
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
