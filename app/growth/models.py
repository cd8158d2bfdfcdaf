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


class HeldGrowthEntry(db.Model):  # type: ignore[name-defined,misc]
    """A growth entry for an owner number no account has proved yet: it counts for nobody until
    a claim binds the number (app/growth/claims.py), which moves it into growth_entries."""

    __tablename__ = "held_growth_entries"
    __table_args__ = (
        CheckConstraint(
            "dimension IN ('purchase', 'referral', 'community', 'efficiency', 'special')",
            name="dimension_known",
        ),
        UniqueConstraint("source", "source_id"),
        Index("ix_held_growth_entries_number", "owner_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_number: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OwnerContact(db.Model):  # type: ignore[name-defined,misc]
    """The contact the brand has verified for an owner number, as salted SHA-256 digests
    (app/growth/claims.py): enough to check a claimant's address, never the address itself."""

    __tablename__ = "owner_contacts"

    owner_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_digest: Mapped[str | None] = mapped_column(String(64))
    phone_digest: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


CLAIM_STATES = ("pending", "confirmed", "refused", "released")


class OwnerClaim(db.Model):  # type: ignore[name-defined,misc]
    """An account's request to be the owner behind an owner number, and what became of it."""

    __tablename__ = "owner_claims"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'refused', 'released')", name="status_known"
        ),
        Index("ix_owner_claims_number", "owner_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_number: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # Why a claim was refused (a code for administrators), or the channel that proved it.
    reason: Mapped[str] = mapped_column(String(200), default="")
    # The account the number was bound to before this claim moved it (a transfer).
    previous_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
