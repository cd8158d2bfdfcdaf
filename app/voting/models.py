from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime
from app.core.extensions import db


class RollEntry(db.Model):  # type: ignore[name-defined,misc]
    """An owner's frozen weight in one vote, under a per-proposal pseudonymous token."""

    __tablename__ = "roll_entries"
    __table_args__ = (
        UniqueConstraint("proposal_id", "owner_id"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weight: Mapped[int] = mapped_column(BigInteger)
    growth_value: Mapped[int] = mapped_column(BigInteger)
    # The owner's live ballot; updating it under the row lock serialises one owner's casts.
    live_ballot_id: Mapped[int | None] = mapped_column(BigInteger)


class Ballot(db.Model):  # type: ignore[name-defined,misc]
    """Every accepted ballot, in acceptance order (id). A replaced ballot stays: the last counts."""

    __tablename__ = "ballots"
    __table_args__ = (
        ForeignKeyConstraint(
            ["proposal_id", "token"], ["roll_entries.proposal_id", "roll_entries.token"]
        ),
        UniqueConstraint("proposal_id", "receipt"),
        UniqueConstraint("proposal_id", "seq"),
        Index("ix_ballots_proposal_id_order", "proposal_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    proposal_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(64))
    selection_json: Mapped[str] = mapped_column(Text)
    weight: Mapped[int] = mapped_column(BigInteger)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nonce: Mapped[str] = mapped_column(String(32))
    receipt: Mapped[str] = mapped_column(String(64))
    signature_json: Mapped[str] = mapped_column(Text)
    # Numbered 1, 2, 3, ... when the result is sealed; casting needs no vote-wide counter.
    seq: Mapped[int | None] = mapped_column(Integer)
